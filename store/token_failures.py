"""Failed client authentications at the token endpoint: recorded, counted, cleared.

They are kept in the database, so every worker of every server counts the same failures.
They are counted per (client id, address) and per address, never per client id alone:
client ids are not secret, and anyone could otherwise lock an integration out. A failure
is a row; rows older than the window no longer count, and are deleted now and then as new
ones come in.
"""

import datetime
import math
import random
from typing import NamedTuple

from peewee import SQL, fn

from models.base import utcnow
from models.clients import ApiClient
from models.compiled import CompiledQuery
from models.token_failures import TokenFailure
from store.clients import ClientRow, well_formed_client_id

# Expired failures are deleted by about one failure in this many: they no longer count
# anyway, and a guesser's failures each cost one statement, not two.
PRUNE_CHANCE = 1 / 10


class Limits(NamedTuple):
    per_client: int  # failures of one client id from one address, within the window
    per_address: int  # failures from one address, whatever the client ids
    window: int  # seconds


class Verdict(NamedTuple):
    retry_after: int  # seconds until the caller may try again; 0: it may now
    client_failures: int  # recent failures of this client id from this address


# An address's recent failures, newest first: the one query of a check.
RECENT = CompiledQuery(
    lambda p: (
        TokenFailure.select(TokenFailure.client_id, TokenFailure.failed_at)
        .where((TokenFailure.address == p.address) & (TokenFailure.failed_at > p.since))
        .order_by(TokenFailure.failed_at.desc())
        .limit(p.limit)
    )
)


# The token endpoint's lookup, one statement: the client's credentials, and whether the
# caller's address has failed within the window (nearly always not: then no more queries).
CREDENTIALS_AND_FAILURES = CompiledQuery(
    lambda p: ApiClient.select(
        ApiClient.client_id,
        ApiClient.secret_digest,
        ApiClient.scopes,
        ApiClient.revoked_at,
        fn.EXISTS(
            TokenFailure.select(SQL("1")).where(
                (TokenFailure.address == p.address) & (TokenFailure.failed_at > p.since)
            )
        ),
    ).where(ApiClient.client_id == p.client_id)
)


def find_client(client_id, address, window, now=None):
    """(the client's credentials row or None, whether `address` has failed lately: None
    when there is no client to read it with)."""
    if not well_formed_client_id(client_id):
        return None, None
    since = (now or utcnow()) - datetime.timedelta(seconds=window)
    row = CREDENTIALS_AND_FAILURES.first(client_id=client_id, address=address, since=since)
    if row is None:
        return None, None
    return ClientRow(*row[:4]), bool(row[4])


def _unlocked_at(times, limit, window):
    """When fewer than `limit` of these failures (newest first) are left in the window."""
    if len(times) < limit:
        return None
    return times[limit - 1] + datetime.timedelta(seconds=window)


def check(client_id, address, limits, now=None):
    """Whether `client_id` (None: a malformed one) may try to authenticate from `address`.

    One indexed query, which finds nothing for an address without recent failures. It reads
    the address's newest failures up to the larger limit: when a client's limit-th newest
    failure lies beyond them, the address itself is locked at least as long.
    """
    now = now or utcnow()
    since = now - datetime.timedelta(seconds=limits.window)
    limit = max(limits.per_client, limits.per_address)
    rows = RECENT.rows(address=address, since=since, limit=limit)
    if not rows:
        return Verdict(0, 0)
    mine = [at for failed_id, at in rows if client_id is not None and failed_id == client_id]
    unlocks = [
        at
        for at in (
            _unlocked_at([at for _, at in rows], limits.per_address, limits.window),
            _unlocked_at(mine, limits.per_client, limits.window),
        )
        if at is not None
    ]
    if not unlocks:
        return Verdict(0, len(mine))
    return Verdict(max(1, math.ceil((max(unlocks) - now).total_seconds())), len(mine))


def record(client_id, address, window, now=None):
    """Count a failure; now and then, delete the failures that have left the window."""
    now = now or utcnow()
    TokenFailure.insert(client_id=client_id, address=address, failed_at=now).execute()
    if random.random() < PRUNE_CHANCE:
        prune(now - datetime.timedelta(seconds=window))


def prune(before):
    """Delete the failures made at or before `before` (they no longer count). A statement
    of its own, never in a transaction with an insert: on MariaDB their range locks could
    meet in opposite orders."""
    return TokenFailure.delete().where(TokenFailure.failed_at <= before).execute()


def clear(client_id=None, address=None):
    """Forget failures: a client's (from one address, or from all), or an address's (all of
    its clients'); the number of failures forgotten."""
    if client_id is None and address is None:
        raise ValueError("name a client id, an address or both")
    conditions = []
    if client_id is not None:
        conditions.append(TokenFailure.client_id == client_id)
    if address is not None:
        conditions.append(TokenFailure.address == address)
    return TokenFailure.delete().where(*conditions).execute()
