"""Entity tags: one short name for the stored state of an order or a product (manage.md §3).

A tag is a digest of the record's id and of the time of its last change (a product's
`date_updated`, an order's `updated_at`), with what else shapes its documents: an order's
current status handle and name (a status renamed from the command line touches no order), and
the settings every document is rendered with (time zone, currency digits, VAT numbers). So
it is the same for both views and every token, costs no query beyond the record's own row,
and changes with every write, because every write to a product or its variations sets
`date_updated`, and every write to an order sets `updated_at`.
"""

import hashlib

from store.errors import PreconditionFailed

# An If-Match or If-None-Match of `*`: any current state.
ANY = "*"


def entity_tag(settings, kind, record_id, *state):
    """The quoted, strong entity tag of one record's state, e.g. `"3f2a…"`."""
    parts = (
        kind,
        record_id,
        *state,
        settings.timezone_name,
        settings.currency_digits,
        settings.vat_number,
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def matches(condition, current):
    """Whether a precondition's tags name `current` (the record's tag, None when there is no
    record): `condition` is ANY or a collection of quoted tags."""
    if current is None:
        return False
    return condition == ANY or current in condition


def require_match(condition, current):
    """Refuse a write whose If-Match (`condition`, None when not sent) no longer names the
    record's current tag: raise PreconditionFailed. Call it inside the write's transaction,
    after reading `current` with the row locked, so no other write slips in between."""
    if condition is not None and not matches(condition, current):
        raise PreconditionFailed(
            "Precondition failed: the record has changed since it was read (If-Match)"
        )
