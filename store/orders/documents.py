"""Orders as the contract's documents (orders.md), and their full view (manage.md §2),
fetched by id in batched queries."""

import orjson
from peewee import PostgresqlDatabase, Select, SqliteDatabase

from models.base import db
from models.compiled import CompiledQuery, IndexedBy
from models.orders import (
    ADDRESS_FIELDS,
    VISIBLE_BLOCK,
    VISIBLE_IDS_INDEX,
    Order,
    OrderAttribute,
    OrderItem,
    OrderItemOption,
    OrderStatusHistory,
)
from models.statuses import FulfilmentStatus
from store.etags import entity_tag
from store.render import StoreRenderer, units_number

# Shown when an option was left empty, as the original does.
EMPTY_OPTION_VALUE = "None"

ORDER_COLUMNS = [
    Order.id,
    Order.placed_at,
    Order.total,
    Order.payment_method,
    Order.paid_at,
    Order.payment_reference,
    Order.shipping_method,
    FulfilmentStatus.name.alias("status_name"),
    FulfilmentStatus.handle.alias("status_handle"),
    Order.tracking_id,
    Order.tracking_code,
    Order.tracking_url,
    Order.locale,
    Order.customer_email,
    Order.customer_username,
    Order.vat_number,
    Order.refunded_at,
    Order.refund_reason,
    *(
        getattr(Order, f"{who}_{name}")
        for who in ("billing", "shipping")
        for name in ("first_name", "last_name", "company", "phone", *ADDRESS_FIELDS)
    ),
]
# Read only when needed: a plain page would convert them for nothing.
FULL_VIEW_COLUMNS = [
    Order.shipping_total,
    Order.tax_total,
    Order.discount_total,
    Order.cancelled_at,
    Order.external_payment_requested_at,
]
ETAG_COLUMNS = [Order.updated_at]
BILLING_ADDRESS = tuple(f"billing_{name}" for name in ADDRESS_FIELDS)
SHIPPING_ADDRESS = tuple(f"shipping_{name}" for name in ADDRESS_FIELDS)
_NO_ADDRESS = [None] * len(ADDRESS_FIELDS)


def _address(row, keys):
    values = [row[key] for key in keys]
    # Compared as a list: cheaper than all() over a generator, dozens of times a page.
    if values == _NO_ADDRESS:
        return None
    return dict(zip(ADDRESS_FIELDS, values, strict=True))


def _attribute_value(text):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # Written by something other than this service: show the text as it is.
        return text


def order_etag(settings, row):
    """The entity tag of an order row (ORDER_STATE's or STORED_ORDERS_BY_IDS')."""
    return entity_tag(
        settings, "order", row["id"], row["updated_at"], row["status_handle"], row["status_name"]
    )


class OrderRenderer(StoreRenderer):
    """Turns order rows into the contract's JSON, in the store's zone and currency; with
    `full`, into the full view: the plain document with more keys at the ends."""

    def __init__(self, settings, full=False):
        super().__init__(settings)
        self.vat_number = settings.vat_number
        self.full = full

    def history(self, handle, changed_at, actor):
        return {"handle": handle, "date": self.date(changed_at), "actor": actor}

    def order(self, row, items, attributes, history=None):
        billing = {
            "phone": row["billing_phone"],
            "first_name": row["billing_first_name"],
            "last_name": row["billing_last_name"],
            "company": row["billing_company"],
            "address": _address(row, BILLING_ADDRESS),
        }
        if self.vat_number:
            billing["vat_number"] = row["vat_number"]
        order = {
            "id": row["id"],
            "date_placed": self.date(row["placed_at"]),
            "total": self.money_units(row["total"]),
            "payment_method": row["payment_method"],
            "payment_date": self.date(row["paid_at"]),
            "payment_reference": row["payment_reference"],
            "shipping_method": row["shipping_method"],
            "fulfilment": {
                "status": row["status_name"],
                "handle": row["status_handle"],
                "tracking_id": row["tracking_id"] or None,
                "tracking_code": row["tracking_code"] or None,
                "tracking_url": row["tracking_url"] or None,
            },
            "locale": row["locale"],
            "customer": {
                "email": row["customer_email"],
                "username": row["customer_username"],
                "billing": billing,
                "shipping": {
                    "first_name": row["shipping_first_name"],
                    "last_name": row["shipping_last_name"],
                    "company": row["shipping_company"],
                    "address": _address(row, SHIPPING_ADDRESS),
                },
            },
            "items": items,
            "attributes": attributes,
        }
        if row["refunded_at"] is not None:
            order["refunded"] = {
                "date": self.date(row["refunded_at"]),
                "reason": row["refund_reason"] or "",
            }
        if self.full:
            self._full_view(order, row, history)
        return order

    def _full_view(self, order, row, history):
        """Append what the full view adds, after every key of the plain document."""
        order["customer"]["shipping"]["phone"] = row["shipping_phone"]
        order["shipping_total"] = self.money_units(row["shipping_total"])
        order["tax"] = self.money_units(row["tax_total"])
        order["discount"] = self.money_units(row["discount_total"])
        cancelled = row["cancelled_at"]
        order["cancelled"] = None if cancelled is None else {"date": self.date(cancelled)}
        order["external_payment_requested"] = self.date(row["external_payment_requested_at"])
        order["status_history"] = history


def _orders_by_ids(columns):
    return CompiledQuery(
        lambda p: (
            Order.select(*columns)
            .join(FulfilmentStatus, on=(Order.status == FulfilmentStatus.id))
            .where(Order.id.in_(p.ids))
        ),
        units=True,
    )


# The shapes of a page of the default listing's statement: from the newest visible order
# (page 1: no parameter at all, so that PostgreSQL plans its prepared statement once, where
# with an OFFSET parameter it plans it again at every execution, which cost three times
# running it), `offset` orders on, or `offset` orders on among the ids below `below`.
NEWEST, SKIP, BELOW = "newest", "skip", "below"
SHAPES = (NEWEST, SKIP, BELOW)


def visible_page_ids(p, shape=SKIP):
    """The ids of one page of the default listing, newest first (`p.limit` of them, from
    `p.offset` unless NEWEST; BELOW: among the ids below `p.below` only), as a derived
    table "page" (MariaDB takes no LIMIT in an IN subquery): skipped to on the visible
    orders' ids alone (SQLite and PostgreSQL: their partial index, migration 0020)."""
    source = Order
    if isinstance(db.obj, SqliteDatabase):
        source = IndexedBy(Order, VISIBLE_IDS_INDEX)
    query = (
        Order.select(Order.id)
        .from_(source)
        .where(Order.external_payment_requested_at.is_null() | Order.paid_at.is_null(False))
    )
    if shape == BELOW:
        query = query.where(Order.id < p.below)
    query = query.order_by(Order.id.desc())
    if shape == BELOW and isinstance(db.obj, PostgresqlDatabase):
        # The page is within a block's orders (`p.bound`: a block and a page). Said in the
        # SQL, PostgreSQL prices the OFFSET parameter by that bound rather than by a tenth
        # of the table, and so plans the statement once instead of at every execution.
        bounded = query.limit(p.bound).alias("bounded")
        query = Select(from_list=[bounded], columns=[bounded.c.id]).order_by(bounded.c.id.desc())
    query = query.limit(p.limit)
    if shape != NEWEST:
        query = query.offset(p.offset)
    return query.alias("page")


def _visible_page(columns, shape):
    """One page of the default listing's orders, newest first, in one statement: the page
    is skipped to and cut on the ids alone, then only its rows are read."""

    def build(p):
        page = visible_page_ids(p, shape)
        return (
            Order.select(*columns)
            .join(page, on=(Order.id == page.c.id))
            .join(FulfilmentStatus, on=(Order.status == FulfilmentStatus.id))
            .order_by(Order.id.desc())
        )

    # The page size is written into the SQL (a plan per size): see CompiledQuery.
    return CompiledQuery(build, units=True, literal=("limit", "bound"))


def window_args(offset, limit, below):
    """(the shape, the arguments) of a page of the default listing's statement, from its
    window (listing.visible_window)."""
    if below is not None:
        bound = VISIBLE_BLOCK + limit
        return BELOW, {"offset": offset, "limit": limit, "below": below, "bound": bound}
    if offset:
        return SKIP, {"offset": offset, "limit": limit}
    return NEWEST, {"limit": limit}


# The per-page fetches by id list, compiled once per number of ids: the plain view's, and
# the one that also reads what the full view and the entity tag need.
ORDERS_BY_IDS = _orders_by_ids(ORDER_COLUMNS)
STORED_ORDERS_BY_IDS = _orders_by_ids(ORDER_COLUMNS + FULL_VIEW_COLUMNS + ETAG_COLUMNS)
# The default listing's page, by shape.
VISIBLE_PAGE = {shape: _visible_page(ORDER_COLUMNS, shape) for shape in SHAPES}
STORED_VISIBLE_PAGE = {
    shape: _visible_page(ORDER_COLUMNS + FULL_VIEW_COLUMNS + ETAG_COLUMNS, shape)
    for shape in SHAPES
}
OPTIONS_BY_ORDER_IDS = CompiledQuery(
    lambda p: (
        OrderItemOption.select(
            OrderItemOption.item,
            OrderItemOption.name,
            OrderItemOption.handle,
            OrderItemOption.value,
        )
        .join(OrderItem)
        .where(OrderItem.order.in_(p.ids))
        .order_by(OrderItemOption.item, OrderItemOption.sort_order, OrderItemOption.id)
    )
)
ITEMS_BY_ORDER_IDS = CompiledQuery(
    lambda p: (
        OrderItem.select(
            OrderItem.id,
            OrderItem.order,
            OrderItem.name,
            OrderItem.sku,
            OrderItem.quantity,
            OrderItem.price,
        )
        .where(OrderItem.order.in_(p.ids))
        .order_by(OrderItem.order, OrderItem.sort_order, OrderItem.id)
    ),
    units=True,
)
ATTRIBUTES_BY_ORDER_IDS = CompiledQuery(
    lambda p: (
        OrderAttribute.select(
            OrderAttribute.order, OrderAttribute.handle, OrderAttribute.name, OrderAttribute.value
        )
        .where(OrderAttribute.order.in_(p.ids))
        .order_by(OrderAttribute.order, OrderAttribute.sort_order, OrderAttribute.id)
    )
)


HISTORY_BY_ORDER_IDS = CompiledQuery(
    lambda p: (
        OrderStatusHistory.select(
            OrderStatusHistory.order,
            OrderStatusHistory.handle,
            OrderStatusHistory.changed_at,
            OrderStatusHistory.actor,
        )
        .where(OrderStatusHistory.order.in_(p.ids))
        .order_by(OrderStatusHistory.order, OrderStatusHistory.changed_at, OrderStatusHistory.id)
    )
)
# What an order's entity tag is made of, without the rest of the order.
ORDER_STATE = CompiledQuery(
    lambda p: (
        Order.select(
            Order.id,
            Order.updated_at,
            FulfilmentStatus.handle.alias("status_handle"),
            FulfilmentStatus.name.alias("status_name"),
        )
        .join(FulfilmentStatus, on=(Order.status == FulfilmentStatus.id))
        .where(Order.id == p.id)
    )
)


def _items_by_order(ids):
    """{order id: [item, ...]}, each item with its options, in two queries."""
    options = {}
    for item_id, name, handle, value in OPTIONS_BY_ORDER_IDS.rows(ids=ids):
        options.setdefault(item_id, []).append(
            {"name": name, "handle": handle, "value": value or EMPTY_OPTION_VALUE}
        )
    items = {order_id: [] for order_id in ids}
    for item_id, order_id, name, sku, quantity, price in ITEMS_BY_ORDER_IDS.rows(ids=ids):
        items[order_id].append(
            {
                "id": item_id,
                "name": name,
                "sku": sku,
                "quantity": units_number(quantity),
                "price": units_number(price),
                "options": options.get(item_id, []),
            }
        )
    return items


def _attributes_by_order(ids):
    attributes = {order_id: [] for order_id in ids}
    for order_id, handle, name, value in ATTRIBUTES_BY_ORDER_IDS.rows(ids=ids):
        attributes[order_id].append(
            {"handle": handle, "name": name, "value": _attribute_value(value)}
        )
    return attributes


def _history_by_order(ids, renderer):
    history = {order_id: [] for order_id in ids}
    for order_id, handle, changed_at, actor in HISTORY_BY_ORDER_IDS.rows(ids=ids):
        history[order_id].append(renderer.history(handle, changed_at, actor))
    return history


def _render(ids, settings, full, tagged=False):
    """(row, document) of each order with these ids, in the order of `ids` (missing ones
    left out): four queries (the full view: five), however many orders and children. With
    `full` or `tagged`, the rows hold what order_etag needs."""
    if not ids:
        return []
    query = STORED_ORDERS_BY_IDS if full or tagged else ORDERS_BY_IDS
    rows = {row["id"]: row for row in query.dicts(ids=ids)}
    return _documents(rows, [order_id for order_id in ids if order_id in rows], settings, full)


def _documents(rows, found, settings, full):
    """(row, document) of the orders `found` (ids, in order) of `rows` (by id): three
    queries for their items, options and attributes (the full view: four)."""
    if not found:
        return []
    items = _items_by_order(found)
    attributes = _attributes_by_order(found)
    renderer = OrderRenderer(settings, full)
    history = _history_by_order(found, renderer) if full else {}
    return [
        (
            rows[order_id],
            renderer.order(
                rows[order_id], items[order_id], attributes[order_id], history.get(order_id)
            ),
        )
        for order_id in found
    ]


def render_orders(ids, settings, full=False):
    """The orders with these ids as JSON-ready dicts (with `full`, their full view), in the
    order of `ids`, missing ones left out."""
    return [document for _, document in _render(ids, settings, full)]


def render_pairs(ids, settings):
    """(order id, plain document) of the orders with these ids, in the order of `ids`."""
    return [(row["id"], document) for row, document in _render(ids, settings, False)]


def render_tagged_pairs(ids, settings):
    """(row, plain document) of the orders with these ids, the rows holding what
    order_etag needs."""
    return _render(ids, settings, False, tagged=True)


def render_visible_page(offset, limit, below, settings, full=False):
    """One page of the default listing (every visible order, newest first; with `below`,
    of those with lower ids) as JSON-ready dicts: four queries (the full view: five), the
    page's rows read in the first."""
    shape, args = window_args(offset, limit, below)
    query = (STORED_VISIBLE_PAGE if full else VISIBLE_PAGE)[shape]
    rows = {row["id"]: row for row in query.dicts(**args)}
    return [document for _, document in _documents(rows, list(rows), settings, full)]


def render_order(order_id, settings, full=False):
    """One order as JSON-ready dict, or None."""
    orders = render_orders([order_id], settings, full)
    return orders[0] if orders else None


def render_tagged_order(order_id, settings, full=False):
    """(document, entity tag) of one order, or None: no query more than the document."""
    found = _render([order_id], settings, full, tagged=True)
    if not found:
        return None
    row, document = found[0]
    return document, order_etag(settings, row)


def order_state_etag(order_id, settings):
    """An order's entity tag in one query; None when there is no such order."""
    rows = ORDER_STATE.dicts(id=order_id)
    return order_etag(settings, rows[0]) if rows else None
