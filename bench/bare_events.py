"""The bare app's change feed: GET /events with `after` and `limit` (no `type` filter)."""

import orjson

from bench.bare_base import Fail, date, db

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_EVENT_ID = 2**63 - 1
ORDER_TYPES = ("order.created", "order.updated", "order.paid", "order.unpaid",
               "order.refunded", "order.cancelled")  # fmt: skip
CATALOGUE_TYPES = ("product.created", "product.updated", "product.deleted", "stock.changed")
# The types each read scope shows; a token with both sees every event.
SCOPE_TYPES = {"cs:orders:read": ORDER_TYPES, "cs:products:read": CATALOGUE_TYPES}
EVENTS_SQL = (
    "SELECT id, type, occurred_at, actor, imported, {data} FROM event WHERE id >= ? "
    "ORDER BY id LIMIT ?"
)
# A token that sees some types only: skipped events move the cursor, their documents are
# not read, and one answer looks at no more than MAX_LIMIT events.
SOME_TYPES_DATA = "CASE WHEN type IN ({}) THEN data END"


def _digits(params, key, default, least, most):
    text = params.get(key) or ""
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(most)):
        raise Fail("400 Bad Request", {"error": True, "errors": [f"Bad {key}"]})
    value = int(text)
    if not least <= value <= most:
        raise Fail("400 Bad Request", {"error": True, "errors": [f"Bad {key}"]})
    return value


def _check_kept(conn, after, first_id):
    """410 when events after `after` were pruned (ids have no gaps and pruning takes every
    id up to its mark: only a first id other than after or after + 1 makes the mark worth
    reading)."""
    if after <= 0 or first_id in (after, after + 1):
        return
    pruned = conn.execute("SELECT value FROM event_mark WHERE name = 'pruned'").fetchone()[0]
    if after < pruned:
        raise Fail("410 Gone", {"error": True, "errors": ["Events were pruned; resync"]})


def list_events(params, scopes):
    """The events after `after`, oldest first, of the types the token's scopes show."""
    if params.get("type"):
        raise Fail("400 Bad Request", {"error": True, "errors": ["No type filter here"]})
    after = _digits(params, "after", 0, 0, MAX_EVENT_ID)
    limit = _digits(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    visible = [kind for scope, kinds in SCOPE_TYPES.items() if scope in scopes for kind in kinds]
    conn = db()
    if len(visible) == len(ORDER_TYPES) + len(CATALOGUE_TYPES):
        wanted = None
        scan = limit
        rows = conn.execute(EVENTS_SQL.format(data="data"), (after, scan + 1)).fetchall()
    else:
        wanted, scan = frozenset(visible), MAX_LIMIT
        data = SOME_TYPES_DATA.format(",".join("?" * len(visible)))
        rows = conn.execute(EVENTS_SQL.format(data=data), (*sorted(visible), after, scan + 1))
        rows = rows.fetchall()
    # The reader's last event first, while kept: nothing after it was pruned.
    first_id = rows[0][0] if rows else None
    _check_kept(conn, after, first_id)
    rows = rows[1:] if first_id == after else rows[:scan]
    events, next_after = [], after
    for event_id, kind, occurred_at, actor, imported, document in rows:
        next_after = event_id
        if wanted is not None and kind not in wanted:
            continue
        events.append({"id": event_id, "type": kind, "occurred_at": date(occurred_at),
                       "actor": actor, "imported": bool(imported),
                       "data": orjson.Fragment(document)})  # fmt: skip
        if len(events) == limit:
            break
    return {"data": events, "meta": {"next_after": next_after}}
