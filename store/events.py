"""Writing the change feed (events.md §1): each write transaction collects its events and
numbers them from the locked "last" mark as its final statements, so ids follow commit order
with no gaps. Reading and pruning the feed: store.feed."""

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

import orjson
from peewee import MySQLDatabase, SqliteDatabase

from models.base import db, locking_atomic, utcnow
from models.compiled import CompiledQuery
from models.events import Event

ORDER_TYPES = (
    "order.created",
    "order.updated",
    "order.paid",
    "order.unpaid",
    "order.refunded",
    "order.cancelled",
)
PRODUCT_TYPES = ("product.created", "product.updated", "product.deleted")
STOCK_TYPES = ("stock.changed",)
TYPES = (*ORDER_TYPES, *PRODUCT_TYPES, *STOCK_TYPES)

# Test-only: when set, called with (first id, last id) after a transaction has written its
# events and before it commits, while it holds the "last" mark's lock. Production never
# sets it.
before_commit = None

_batch = ContextVar("cs_event_batch", default=None)

# Taking n ids in one statement where the database can answer with the new value: RETURNING
# on PostgreSQL and SQLite (3.35+); on MySQL/MariaDB, LAST_INSERT_ID(expr) hands the value to
# the driver with the UPDATE's own reply.
_TAKE_IDS = {
    "returning": "UPDATE event_mark SET value = value + {p} WHERE name = 'last' RETURNING value",
    "mysql": "UPDATE event_mark SET value = LAST_INSERT_ID(value + %s) WHERE name = 'last'",
    # SQLite before 3.35: the UPDATE, then its own value (the write lock is held anyway).
    "update": "UPDATE event_mark SET value = value + ? WHERE name = 'last'",
    "read": "SELECT value FROM event_mark WHERE name = 'last'",
}
_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
_INSERTS = {}
INSERT_BATCH = 100


class Batch:
    """The events of one write transaction, written when it is about to commit."""

    __slots__ = ("events",)

    def __init__(self):
        self.events = []


@contextmanager
def transaction():
    """A write transaction (SQLite's write lock taken at BEGIN) whose emitted events are
    written as its last statements; nested, a savepoint of the outer one, whose events it
    drops if it fails. A transaction that raises writes no event."""
    outer = _batch.get()
    if outer is not None:
        kept = len(outer.events)
        try:
            with db.atomic():
                yield outer
        except BaseException:
            del outer.events[kept:]
            raise
        return
    batch = Batch()
    token = _batch.set(batch)
    try:
        with locking_atomic():
            yield batch
            if batch.events:
                _write(batch.events)
    finally:
        _batch.reset(token)


def emit(event_type, data, actor, imported=False):
    """Record an event of the current write transaction (store.events.transaction);
    `data` is the event's JSON-ready `data` object, rendered now, inside the transaction."""
    batch = _batch.get()
    if batch is None:
        raise RuntimeError("store.events.emit outside store.events.transaction")
    batch.events.append((event_type, actor, bool(imported), orjson.dumps(data).decode()))


def _take_ids(count):
    """Move the "last" mark by `count` and return its new value; the row stays locked by
    this transaction until it ends, so the next writer numbers its events after ours."""
    database = db.obj
    if isinstance(database, MySQLDatabase):
        cursor = database.execute_sql(_TAKE_IDS["mysql"], (count,))
        return cursor.lastrowid
    if isinstance(database, SqliteDatabase) and not _SQLITE_RETURNING:
        database.execute_sql(_TAKE_IDS["update"], (count,))
        return database.execute_sql(_TAKE_IDS["read"]).fetchone()[0]
    sql = _TAKE_IDS["returning"].format(p=database.param)
    return database.execute_sql(sql, (count,)).fetchone()[0]


def _insert(count):
    """The INSERT of `count` events, compiled once per count."""
    compiled = _INSERTS.get(count)
    if compiled is None:
        fields = (Event.id, Event.type, Event.occurred_at, Event.actor, Event.imported, Event.data)

        def build(p):
            rows = [
                [getattr(p, f"v{index}_{column}").of(field) for column, field in enumerate(fields)]
                for index in range(count)
            ]
            return Event.insert_many(rows, fields=fields)

        compiled = _INSERTS[count] = CompiledQuery(build)
    return compiled


def _write(events):
    last = _take_ids(len(events))
    first = last - len(events) + 1
    now = utcnow()
    # In INSERTs of at most INSERT_BATCH rows: few statement shapes to compile and keep,
    # and within every database's limit on parameters.
    for start in range(0, len(events), INSERT_BATCH):
        values = {}
        for index, (event_type, actor, imported, data) in enumerate(
            events[start : start + INSERT_BATCH]
        ):
            row = (first + start + index, event_type, now, actor, imported, data)
            values.update({f"v{index}_{column}": value for column, value in enumerate(row)})
        _insert(len(values) // len(row)).execute(**values)
    if before_commit is not None:
        before_commit(first, last)


def changed_paths(before, after, prefix=""):
    """The dotted paths, in document order, where two JSON documents differ (a list whose
    length changed is named whole)."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths = []
        for key in dict.fromkeys([*before, *after]):
            if key not in before or key not in after:
                paths.append(f"{prefix}{key}")
            else:
                paths.extend(changed_paths(before[key], after[key], f"{prefix}{key}."))
        return paths
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        paths = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            paths.extend(changed_paths(old, new, f"{prefix}{index}."))
        return paths
    if before == after and type(before) is type(after):
        return []
    return [prefix[:-1]]
