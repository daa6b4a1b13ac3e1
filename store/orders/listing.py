"""Which orders a listing shows (orders.md): filters, the count and one page's ids."""

import datetime
import functools
from typing import NamedTuple

from peewee import SQL, Expression, MySQLDatabase, PostgresqlDatabase, Select, fn

from models.base import db
from models.compiled import CompiledQuery
from models.orders import VISIBLE_BLOCK, Order, OrderTally, OrderVisibleBlock
from store.render import day_bounds
from store.statuses import resolve_handle


def _absent(field):
    """`field IS NULL` for a timestamp most orders lack, written NOT (field IS NOT NULL).

    Same meaning everywhere, but SQLite then leaves the field's index alone: its statistics
    cannot tell NULL from a value, so it would take IS NULL for a rare value and read most of
    the table through that index (3-10 times slower than the plan it picks instead)."""
    return ~field.is_null(False)


# Waiting for an off-site payment: hidden from listings unless asked for.
HIDDEN = Order.external_payment_requested_at.is_null(False) & Order.paid_at.is_null()
VISIBLE = Order.external_payment_requested_at.is_null() | Order.paid_at.is_null(False)
PAID = Order.paid_at.is_null(False) & _absent(Order.refunded_at)
NOT_PAID = Order.paid_at.is_null() | Order.refunded_at.is_null(False)
SHIPPABLE = Order.shipping_method.is_null(False) & (Order.shipping_method != "")
NOT_SHIPPABLE = Order.shipping_method.is_null() | (Order.shipping_method == "")

PAYMENT_STATUSES = ("paid", "unpaid", "cancelled", "refunded", "incomplete")
PAYMENT_STATUS = {
    "paid": PAID,
    "unpaid": Order.paid_at.is_null()
    & _absent(Order.refunded_at)
    & _absent(Order.external_payment_requested_at),
    "cancelled": Order.cancelled_at.is_null(False),
    "refunded": Order.refunded_at.is_null(False),
    "incomplete": HIDDEN,
}
FLAGS = {
    "paid": (PAID, NOT_PAID),
    "cancelled": (Order.cancelled_at.is_null(False), _absent(Order.cancelled_at)),
    "refunded": (Order.refunded_at.is_null(False), _absent(Order.refunded_at)),
    "shippable": (SHIPPABLE, NOT_SHIPPABLE),
}

# Which orders a listing shows: the visible ones, or (paymentStatus=incomplete) the hidden.
SHOW_VISIBLE, SHOW_HIDDEN, FILTERS_EXCLUDE_HIDDEN = "visible", "hidden", "filtered"


class OrderFilters(NamedTuple):
    """The filters of an order listing, each None when not given (orders.md)."""

    status: str | None = None  # a fulfilment status handle, any case
    payment_status: str | None = None  # one of PAYMENT_STATUSES
    from_date: datetime.date | None = None  # placed on or after this day (store zone)
    to_date: datetime.date | None = None  # placed on or before this day (store zone)
    paid: bool | None = None
    cancelled: bool | None = None
    refunded: bool | None = None
    shippable: bool | None = None
    ids: tuple | None = None


class Selection(NamedTuple):
    """What a listing shows: `structure` names its conditions (and each flag's choice), which
    sets the SQL; `args` holds the values the SQL's placeholders take."""

    structure: tuple
    args: dict
    visibility: str


def _padded(ids):
    """The ids, the last repeated up to the next power of two: an IN's length sets its
    compiled statement, so lists of 1 to 250 ids share 9 statements, not 250."""
    if not ids:
        return ids
    size = 1 << (len(ids) - 1).bit_length()
    return ids + [ids[-1]] * (size - len(ids))


def select_orders(filters, zone):
    """The Selection for a listing's filters (an unknown status handle: Invalid)."""
    structure, args = [], {}
    if filters.from_date is not None:
        structure.append("from")
        args["placed_from"] = day_bounds(filters.from_date, zone)[0]
    if filters.to_date is not None and filters.to_date < datetime.date.max:
        structure.append("to")
        args["placed_before"] = day_bounds(filters.to_date, zone)[1]
    if filters.status is not None:
        structure.append("status")
        args["status"] = resolve_handle(filters.status, "status").id
    if filters.ids is not None:
        structure.append("ids")
        args["ids"] = _padded(list(filters.ids))
    for name in FLAGS:
        wanted = getattr(filters, name)
        if wanted is not None:
            structure.append((name, wanted))
    visibility = SHOW_VISIBLE
    payment = filters.payment_status
    if payment:
        structure.append(("payment", payment))
        if payment == "incomplete":
            visibility = SHOW_HIDDEN
        elif payment in ("paid", "unpaid"):
            visibility = FILTERS_EXCLUDE_HIDDEN
    elif filters.paid is True:
        visibility = FILTERS_EXCLUDE_HIDDEN
    return Selection(tuple(structure), args, visibility)


def _conditions(structure, p):
    """The WHERE conditions of a selection's structure, over the placeholders `p`."""
    conditions = []
    for part in structure:
        if part == "from":
            conditions.append(Order.placed_at >= p.placed_from)
        elif part == "to":
            conditions.append(Order.placed_at < p.placed_before)
        elif part == "status":
            conditions.append(Order.status == p.status)
        elif part == "ids":
            conditions.append(Order.id.in_(p.ids))
        elif part[0] == "payment":
            conditions.append(PAYMENT_STATUS[part[1]])
        else:
            name, wanted = part
            when_true, when_false = FLAGS[name]
            conditions.append(when_true if wanted else when_false)
    return conditions


def _where(query, conditions):
    return query.where(*conditions) if conditions else query


def _count_query(conditions):
    return _where(Order.select(fn.COUNT(SQL("*"))), conditions)


# The unfiltered listing's count in one statement, compiled once: every order (the
# smallest index answers it) minus the hidden ones (few, and indexed).
# (Two subqueries, so that SQLite counts the whole table from its b-tree, not row by row.)
VISIBLE_COUNT = CompiledQuery(
    lambda p: Select(columns=[Expression(_count_query([]), "-", _count_query([HIDDEN]))]).bind(db)
)


# PostgreSQL and MySQL/MariaDB count a table by reading all of it (or a whole index): every
# order is counted by the tally row their triggers keep (migrations 0017 and 0018) instead,
# in the same statement and snapshot.
TALLIED_VISIBLE_COUNT = CompiledQuery(
    lambda p: Select(
        columns=[
            Expression(
                OrderTally.select(OrderTally.orders).where(OrderTally.id == 1),
                "-",
                _count_query([HIDDEN]),
            )
        ]
    ).bind(db)
)


def _block_of_offset(p):
    """The block (of VISIBLE_BLOCK order ids) the default listing's `p.offset`th visible
    order is in, newest first, with how many visible orders the newer blocks hold, and how
    many all blocks do: (block, before, total), or no row."""
    blocks = OrderVisibleBlock.select(
        OrderVisibleBlock.block,
        OrderVisibleBlock.orders,
        fn.SUM(OrderVisibleBlock.orders)
        .over(order_by=[OrderVisibleBlock.block.desc()])
        .alias("through"),
        fn.SUM(OrderVisibleBlock.orders).over().alias("total"),
    ).alias("blocks")
    return (
        Select(
            from_list=[blocks],
            columns=[
                blocks.c.block,
                (blocks.c.through - blocks.c.orders).alias("before"),
                blocks.c.total,
            ],
        )
        .where(blocks.c.through > p.offset)
        .order_by(blocks.c.block.desc())
        # Written into the SQL: with a LIMIT parameter PostgreSQL plans it at every run.
        .limit(SQL("1"))
        .bind(db)
    )


BLOCK_OF_OFFSET = CompiledQuery(_block_of_offset)


class Window(NamedTuple):
    """Where a page of the default listing is: the page's `offset` among the visible
    orders with ids below `below` (None: among all of them), and its `limit`."""

    offset: int
    limit: int
    below: int | None


def visible_window(offset, limit, total):
    """The window of the default listing's page at `offset`, `total` visible orders in all.

    A deep page skips to its block by the counts of migration 0021 (one small query: a row
    per 1,024 ids), then walks at most that block's visible orders, where skipping `offset`
    orders would step over each of them in an index. The counts are trusted only when they
    add up to `total`: if anything left them behind (a transaction's own writes before its
    commit on PostgreSQL, say), the page is skipped to the long way."""
    if offset < VISIBLE_BLOCK:
        return Window(offset, limit, None)
    found = BLOCK_OF_OFFSET.first(offset=offset)
    if found is None or found[2] != total:
        return Window(offset, limit, None)
    block, before, _ = found
    return Window(offset - int(before), limit, (block + 1) * VISIBLE_BLOCK)


def unfiltered(selection):
    """Whether a selection is the default listing's: every visible order."""
    return not selection.structure and selection.visibility == SHOW_VISIBLE


# Compiled per structure and visibility, each with a statement per id list length (9 at
# most); the 256 most recently used are kept (a structure is a set of filters: a client
# uses a handful).
@functools.lru_cache(maxsize=256)
def _filtered_count(structure, visibility):
    def build(p):
        conditions = _conditions(structure, p)
        if visibility != SHOW_VISIBLE:
            return _count_query(conditions)
        # All matching orders minus the hidden ones, in one statement (see count_orders).
        return Select(
            columns=[Expression(_count_query(conditions), "-", _count_query([*conditions, HIDDEN]))]
        ).bind(db)

    return CompiledQuery(build)


@functools.lru_cache(maxsize=256)
def _filtered_page(structure, visibility):
    def build(p):
        conditions = _conditions(structure, p)
        if visibility == SHOW_VISIBLE:
            conditions.append(VISIBLE)
        query = _where(Order.select(Order.id), conditions)
        return query.order_by(Order.id.desc()).limit(p.limit).offset(p.offset)

    # The page size is a parameter here, not written into the SQL as the default listing's
    # is: with the filters and the id lists' lengths, a plan per size could add up to
    # thousands of statements kept for a client that tries them all.
    return CompiledQuery(build)


def count_orders(selection):
    """How many orders the listing shows. Hidden orders are few and indexed: counting all
    matching orders minus the hidden ones is far cheaper than testing every row."""
    if unfiltered(selection):
        tallied = isinstance(db.obj, PostgresqlDatabase | MySQLDatabase)
        return (TALLIED_VISIBLE_COUNT if tallied else VISIBLE_COUNT).first()[0]
    query = _filtered_count(selection.structure, selection.visibility)
    return query.first(**selection.args)[0]


def page_ids(selection, offset, limit):
    """The ids of one page, newest first: only the id is sorted and skipped over."""
    query = _filtered_page(selection.structure, selection.visibility)
    rows = query.rows(**selection.args, offset=offset, limit=limit)
    return [order_id for (order_id,) in rows]
