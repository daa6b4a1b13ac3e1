"""Idempotency keys (manage.md §6): a write request carrying one is performed at most once
per (client, key) for 24 hours, and a repeat gets the first response again.

The key is claimed in a transaction of its own before the request runs, so a concurrent
repeat (another worker, another server) sees it taken; the response is recorded in the
request's own transaction, so a write and its record commit together, or neither does. A
request that fails gives the key back: nothing was written, and a retry runs it anew. A
request whose process died leaves the key taken for IN_FLIGHT at most.
"""

import datetime
import hashlib
import random
from typing import NamedTuple

import orjson
from peewee import IntegrityError

from models.base import db, utcnow
from models.idempotency import IdempotencyKey
from store.errors import Conflict, Unprocessable

RETENTION = datetime.timedelta(hours=24)
IN_FLIGHT = datetime.timedelta(seconds=60)
# Old records are pruned by about one claim in this many (an expired record of the key
# being claimed is taken over in any case).
PRUNE_CHANCE = 1 / 100


class Replay(NamedTuple):
    """The response the first request with this key got."""

    status: int
    headers: dict
    body: bytes


def _sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def fingerprint(method, target, body):
    """What makes two requests the same: method, path with query string, body bytes."""
    return _sha256(method, target, body)


def _digest(client_id, key):
    return _sha256(client_id, key)


def _in_flight():
    return Conflict("A request with this Idempotency-Key is still being processed; retry later")


def _take_over(row, fingerprint_, now, expired):
    """Claim a key whose first request died (or whose record expired), unless another
    request claims it first."""
    values = {IdempotencyKey.locked_until: now + IN_FLIGHT}
    if expired:
        values.update(
            {
                IdempotencyKey.fingerprint: fingerprint_,
                IdempotencyKey.created_at: now,
                IdempotencyKey.status: None,
                IdempotencyKey.headers: None,
                IdempotencyKey.body: None,
            }
        )
    # Compare-and-set on what was read: of two requests taking over, one wins.
    claimed = (
        IdempotencyKey.update(values)
        .where(
            IdempotencyKey.id == row.id,
            IdempotencyKey.created_at == row.created_at,
            (IdempotencyKey.locked_until == row.locked_until)
            if row.locked_until is not None
            else IdempotencyKey.locked_until.is_null(),
        )
        .execute()
    )
    if not claimed:
        raise _in_flight()


def claim(client_id, key, fingerprint_):
    """Claim `key` for a request: None when the request is to run, or the Replay of the
    first request's response. Conflict while the first request still runs; Unprocessable
    when the key was used for another request."""
    now = utcnow()
    digest = _digest(client_id, key)
    if random.random() < PRUNE_CHANCE:
        prune(now)
    try:
        with db.atomic():
            IdempotencyKey.insert(
                key_digest=digest,
                fingerprint=fingerprint_,
                created_at=now,
                locked_until=now + IN_FLIGHT,
            ).execute()
        return None
    except IntegrityError:
        pass
    row = IdempotencyKey.get_or_none(IdempotencyKey.key_digest == digest)
    if row is None:
        # Deleted as expired between the two statements: a fresh claim decides.
        return claim(client_id, key, fingerprint_)
    if row.created_at < now - RETENTION:
        _take_over(row, fingerprint_, now, expired=True)
        return None
    if row.fingerprint != fingerprint_:
        raise Unprocessable(
            "This Idempotency-Key was used for another request (method, path or body differ)"
        )
    if row.status is not None:
        return Replay(row.status, orjson.loads(row.headers), row.body.encode("utf-8"))
    if row.locked_until is not None and row.locked_until > now:
        raise _in_flight()
    _take_over(row, fingerprint_, now, expired=False)
    return None


def prune(now=None):
    """Forget records older than RETENTION. A statement of its own: in the claim's
    transaction, its range locks and a concurrent claim's insert would deadlock MariaDB."""
    cutoff = (now or utcnow()) - RETENTION
    with db.atomic():
        IdempotencyKey.delete().where(IdempotencyKey.created_at < cutoff).execute()


def complete(client_id, key, status, headers, body):
    """Record the response of the request that claimed `key` (in its transaction)."""
    IdempotencyKey.update(
        status=status,
        headers=orjson.dumps(headers).decode(),
        body=body.decode("utf-8"),
        locked_until=None,
    ).where(IdempotencyKey.key_digest == _digest(client_id, key)).execute()


def release(client_id, key):
    """Give back the key of a request that failed: a retry runs it anew."""
    with db.atomic():
        IdempotencyKey.delete().where(
            IdempotencyKey.key_digest == _digest(client_id, key),
            IdempotencyKey.status.is_null(),
        ).execute()
