"""Reading the change feed in id order, and pruning it (events.md §2)."""

import datetime

import orjson
from peewee import Case, fn

from models.base import for_update_if_supported, locking_atomic, utcnow
from models.compiled import CompiledQuery
from models.events import Event, EventMark
from store.errors import Gone, Invalid
from store.events import TYPES
from store.render import date_time_in

MAX_LIMIT = 1000
# How many events one answer may look at when some are skipped (by type or scope): bounded,
# so a rare type costs a reader a few more requests, never a long scan.
FILTERED_SCAN = MAX_LIMIT
COLUMNS = (Event.id, Event.type, Event.occurred_at, Event.actor, Event.imported)


def parse_types(values):
    """The event types named by `type=` values (repeated, comma-separated, `order.*`
    prefixes) as a set; Invalid naming `type` for an unknown one; None when none is named."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    if not names:
        return None
    wanted = set()
    for name in names:
        if name.endswith(".*") or name.endswith("."):
            prefix = name.rstrip("*")
            matching = {known for known in TYPES if known.startswith(prefix)}
        else:
            matching = {name} & set(TYPES)
        if not matching:
            known = ", ".join((*TYPES, "order.*", "product.*", "stock.*"))
            raise Invalid.field("type", f"Unknown event type {name[:50]!r}; known: {known}.")
        wanted |= matching
    return wanted


# Every type: the common read, compiled once.
ALL_ROWS = CompiledQuery(
    lambda p: (
        Event.select(*COLUMNS, Event.data.alias("data"))
        .where(Event.id >= p.after)
        .order_by(Event.id)
        .limit(p.scan)
    )
)
PRUNED_MARK = CompiledQuery(
    lambda p: EventMark.select(EventMark.value).where(EventMark.name == "pruned")
)


def _rows(after, wanted, scan):
    """At most `scan` events from id `after` on: the reader's last event comes first while
    it is kept, which shows that nothing after it was pruned."""
    if wanted is None:
        return ALL_ROWS.rows(after=after, scan=scan)
    # Skipped events are counted in the cursor but their documents are not fetched.
    data = Case(None, [(Event.type.in_(sorted(wanted)), Event.data)], None)
    query = (
        Event.select(*COLUMNS, data.alias("data"))
        .where(Event.id >= after)
        .order_by(Event.id)
        .limit(scan)
    )
    return query.tuples()


def _check_kept(after, first_id):
    """410 when events after `after` were pruned. Pruning takes every id up to its mark and
    ids have no gaps, so when the first id found is `after` itself (still kept) or after + 1
    nothing was; only otherwise is the mark read."""
    if after <= 0 or first_id in (after, after + 1):
        return
    pruned = PRUNED_MARK.first()[0]
    if after < pruned:
        raise Gone(f"Events up to {pruned} are no longer kept; resync")


def read_events(after, limit, wanted, settings):
    """(events as the feed shows them, next_after): at most `limit` events with ids above
    `after` and a type in `wanted` (None: every type), in id order. `next_after` is the
    highest id looked at; every id up to it is committed (store.events). Gone when events
    the reader has not seen were pruned."""
    if wanted is not None and wanted >= set(TYPES):
        wanted = None
    scan = limit if wanted is None else FILTERED_SCAN
    # One more than the scan: the reader's own last event, which a caught-up reader's poll
    # finds alone, and needs no second statement to know that it missed nothing.
    rows = list(_rows(after, wanted, scan + 1))
    first_id = rows[0][0] if rows else None
    _check_kept(after, first_id)
    rows = rows[1:] if first_id == after else rows[:scan]
    events, next_after = [], after
    date_time = date_time_in(settings.timezone, settings.timezone_name)
    for event_id, event_type, occurred_at, actor, imported, data in rows:
        next_after = event_id
        if wanted is not None and event_type not in wanted:
            continue
        events.append(
            {
                "id": event_id,
                "type": event_type,
                "occurred_at": date_time(occurred_at),
                "actor": actor,
                "imported": bool(imported),
                "data": orjson.Fragment(data),
            }
        )
        if len(events) == limit:
            break
    return events, next_after


def prune(retention_days=None, before_id=None, now=None):
    """Delete the events older than `retention_days` (or, with `before_id`, those with a
    lower id) and move the "pruned" mark to the highest id deleted; (how many were deleted,
    the mark). What is pruned is always every id up to the mark."""
    with locking_atomic():
        # Locked first: two prunes at once take turns.
        mark_query = EventMark.select(EventMark.value).where(EventMark.name == "pruned")
        mark = for_update_if_supported(mark_query).scalar()
        if before_id is not None:
            highest = Event.select(fn.MAX(Event.id)).where(Event.id < before_id).scalar()
        else:
            cutoff = (now or utcnow()) - datetime.timedelta(days=retention_days)
            highest = Event.select(fn.MAX(Event.id)).where(Event.occurred_at < cutoff).scalar()
        if highest is None or highest <= mark:
            return 0, mark
        deleted = Event.delete().where(Event.id <= highest).execute()
        EventMark.update(value=highest).where(EventMark.name == "pruned").execute()
        return deleted, highest
