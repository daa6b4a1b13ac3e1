"""Writing the change feed (events.md §1): each write transaction collects its events and
numbers them from the locked "last" mark as its final statements, so ids follow commit order
with no gaps. Reading and pruning the feed: store.feed."""

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

import orjson
from peewee import MySQLDatabase, PostgresqlDatabase, Select, SqliteDatabase

from models.base import db, locking_atomic, utcnow
from models.compiled import CompiledQuery
from models.events import Event, EventMark
from store.actors import is_import
from store.changes import changed_paths

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
# Up to this many events a transaction's INSERT is compiled once per count (the common
# writes emit one to a few); more are inserted INSERT_BATCH rows at a time.
COMPILED_ROWS = 16
INSERT_BATCH = 1000
EVENT_FIELDS = (Event.id, Event.type, Event.occurred_at, Event.actor, Event.imported, Event.data)


class Batch:
    """The events of one write transaction, written when it is about to commit."""

    __slots__ = ("events",)

    def __init__(self):
        self.events = []


class Scope:
    """What a write holds of its transaction: it may roll its own part back (its writes
    and its events) and go on, e.g. when it turns out to have changed nothing."""

    __slots__ = ("_batch", "_kept", "_transaction")

    def __init__(self, batch, transaction, kept):
        self._batch, self._transaction, self._kept = batch, transaction, kept

    def rollback(self):
        self._transaction.rollback()
        del self._batch.events[self._kept :]


@contextmanager
def transaction():
    """A write transaction (SQLite's write lock taken at BEGIN) whose emitted events are
    written as its last statements; nested, a savepoint of the outer one, whose events it
    drops if it fails. A transaction that raises writes no event. Yields a Scope."""
    outer = _batch.get()
    if outer is not None:
        kept = len(outer.events)
        try:
            with db.atomic() as savepoint:
                yield Scope(outer, savepoint, kept)
        except BaseException:
            del outer.events[kept:]
            raise
        return
    batch = Batch()
    token = _batch.set(batch)
    try:
        with locking_atomic() as atomic:
            yield Scope(batch, atomic, 0)
            if batch.events:
                _write(batch.events)
    finally:
        _batch.reset(token)


def emit(event_type, data, actor, imported=False):
    """Record an event of the current write transaction (store.events.transaction);
    `data` is the event's JSON-ready `data` object, rendered now, inside the transaction.
    Events of an import's actor (store.actors.import_actor) are always `imported`."""
    batch = _batch.get()
    if batch is None:
        raise RuntimeError("store.events.emit outside store.events.transaction")
    imported = bool(imported) or is_import(actor)
    batch.events.append((event_type, actor, imported, orjson.dumps(data).decode()))


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

        def build(p):
            rows = [
                [
                    getattr(p, f"v{index}_{column}").of(field)
                    for column, field in enumerate(EVENT_FIELDS)
                ]
                for index in range(count)
            ]
            return Event.insert_many(rows, fields=EVENT_FIELDS)

        compiled = _INSERTS[count] = CompiledQuery(build)
    return compiled


def _insert_text(count):
    """INSERT INTO event (...) VALUES (...), ... of `count` rows, for the bound database."""
    database = db.obj
    open_quote, close_quote = database.quote[0], database.quote[1]
    columns = ", ".join(f"{open_quote}{field.column_name}{close_quote}" for field in EVENT_FIELDS)
    row = f"({', '.join([database.param] * len(EVENT_FIELDS))})"
    table = f"{open_quote}{Event._meta.table_name}{close_quote}"
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * count)}"


def _take_id_and_insert(p):
    mark = (
        EventMark.update({EventMark.value: EventMark.value + 1})
        .where(EventMark.name == "last")
        .returning(EventMark.value)
        .cte("mark")
    )
    row = [mark.c.value] + [
        getattr(p, field.name).of(field) for field in EVENT_FIELDS if field is not Event.id
    ]
    return (
        Event.insert_from(Select([mark], row), fields=EVENT_FIELDS)
        .with_cte(mark)
        .returning(Event.id)
    )


# PostgreSQL: a transaction's one event (most writes have one) takes its id and is inserted
# in one statement, a data-modifying WITH, instead of two.
TAKE_ID_AND_INSERT = CompiledQuery(_take_id_and_insert)


def _write(events):
    if len(events) == 1 and isinstance(db.obj, PostgresqlDatabase):
        event_type, actor, imported, data = events[0]
        (event_id,) = TAKE_ID_AND_INSERT.first(
            type=event_type, occurred_at=utcnow(), actor=actor, imported=imported, data=data
        )
        if before_commit is not None:
            before_commit(event_id, event_id)
        return
    last = _take_ids(len(events))
    first = last - len(events) + 1
    now = utcnow()
    rows = [
        (first + index, event_type, now, actor, imported, data)
        for index, (event_type, actor, imported, data) in enumerate(events)
    ]
    if len(rows) <= COMPILED_ROWS:
        values = {
            f"v{index}_{column}": value
            for index, row in enumerate(rows)
            for column, value in enumerate(row)
        }
        _insert(len(rows)).execute(**values)
    else:
        # A bulk write's many events: INSERTs of at most INSERT_BATCH rows, within every
        # database's limit on parameters, written as SQL text (peewee took ten times as
        # long to build a 100-row INSERT as the text takes to write).
        stored = Event.occurred_at.db_value(now)
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start : start + INSERT_BATCH]
            params = []
            for event_id, event_type, _, actor, imported, data in batch:
                params.extend((event_id, event_type, stored, actor, imported, data))
            db.obj.execute_sql(_insert_text(len(batch)), params)
    if before_commit is not None:
        before_commit(first, last)


# Paths a product event's `changes` leave out: stock has `stock.changed`, and the time of
# the change is not a change of its own.
_NOT_PRODUCT_CHANGES = frozenset(("stock_level", "stock_unlimited", "date_updated"))


def emit_product(event_type, product, actor, before=None, imported=False):
    """The one place product writes emit (call it in their events.transaction()):
    `product.created` (`product`: the plain GET document), `product.updated` (and `before`:
    the document before the write; nothing when only stock or the date changed), or
    `product.deleted` (`product`: the deleted document, of which `id` and `sku` are kept)."""
    if event_type == "product.deleted":
        data = {"product": {"id": product["id"], "sku": product["sku"]}}
    else:
        changes = [] if before is None else changed_paths(before, product)
        changes = [path for path in changes if path.split(".")[-1] not in _NOT_PRODUCT_CHANGES]
        if event_type == "product.updated" and not changes:
            return
        data = {"product": product, "changes": changes}
    emit(event_type, data, actor, imported)
