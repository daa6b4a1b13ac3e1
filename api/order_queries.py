"""Order queries in one place: list filters, counts, the page's ids, and the order JSON."""

import datetime

import orjson
from peewee import SQL, fn

from api.values import StoreRenderer, number, to_utc
from models.base import for_update_if_supported, locking_atomic, utcnow
from models.orders import (
    ADDRESS_FIELDS,
    Order,
    OrderAttribute,
    OrderItem,
    OrderItemOption,
    OrderStatusHistory,
)
from models.prepared import Prepared
from models.statuses import FulfilmentStatus

# Shown when an option was left empty, as the original does.
EMPTY_OPTION_VALUE = "None"
# The earliest instant MariaDB's DATETIME holds: no order is older, and earlier bounds would
# not be written with four-digit years.
EARLIEST = datetime.datetime(1000, 1, 1)


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


def _day_start_utc(day, zone):
    """The first instant of a local calendar day, as naive UTC; None past year 9999."""
    try:
        start = to_utc(datetime.datetime.combine(day, datetime.time()), zone)
    except OverflowError:
        return None
    return max(start, EARLIEST)


def _date_conditions(args, zone):
    conditions = []
    if args.get("fromDate"):
        start = _day_start_utc(args["fromDate"], zone)
        if start is not None:
            conditions.append(Order.placed_at >= start)
    if args.get("toDate") and args["toDate"] < datetime.date.max:
        end = _day_start_utc(args["toDate"] + datetime.timedelta(days=1), zone)
        if end is not None:
            conditions.append(Order.placed_at < end)
    return conditions


def list_filter(args, zone):
    """(conditions, visibility) for the validated query arguments of GET /orders."""
    conditions = _date_conditions(args, zone)
    if "status" in args:
        conditions.append(Order.status == args["status"].id)
    if "id" in args:
        conditions.append(Order.id.in_(args["id"]))
    for name, (when_true, when_false) in FLAGS.items():
        if name in args:
            conditions.append(when_true if args[name] else when_false)
    visibility = SHOW_VISIBLE
    payment = args.get("paymentStatus")
    if payment:
        conditions.append(PAYMENT_STATUS[payment])
        if payment == "incomplete":
            visibility = SHOW_HIDDEN
        elif payment in ("paid", "unpaid"):
            visibility = FILTERS_EXCLUDE_HIDDEN
    elif args.get("paid") is True:
        visibility = FILTERS_EXCLUDE_HIDDEN
    return conditions, visibility


def _where(query, conditions):
    return query.where(*conditions) if conditions else query


def _count(conditions):
    return _where(Order.select(fn.COUNT(SQL("*"))), conditions).scalar()


def count_orders(conditions, visibility):
    """How many orders the listing shows. Hidden orders are few and indexed: counting all
    matching orders minus the hidden ones is far cheaper than testing every row."""
    if visibility == SHOW_VISIBLE:
        return _count(conditions) - _count([*conditions, HIDDEN])
    return _count(conditions)


def page_ids(conditions, visibility, page, per_page):
    """The ids of one page, newest first: only the id is sorted and skipped over."""
    if visibility == SHOW_VISIBLE:
        conditions = [*conditions, VISIBLE]
    query = (
        _where(Order.select(Order.id), conditions)
        .order_by(Order.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [order_id for (order_id,) in query.tuples()]


# --- rendering ---

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
BILLING_ADDRESS = tuple(f"billing_{name}" for name in ADDRESS_FIELDS)
SHIPPING_ADDRESS = tuple(f"shipping_{name}" for name in ADDRESS_FIELDS)


def _address(row, keys):
    values = [row[key] for key in keys]
    if all(value is None for value in values):
        return None
    return dict(zip(ADDRESS_FIELDS, values, strict=True))


def _attribute_value(text):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # Written by something other than this service: show the text as it is.
        return text


class Renderer(StoreRenderer):
    """Turns order rows into the contract's JSON, in the store's zone and currency."""

    def __init__(self, settings):
        super().__init__(settings)
        self.vat_number = settings.vat_number

    def order(self, row, items, attributes):
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
            "total": self.money(row["total"]),
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
        return order


# The per-page fetches by id list, compiled once per number of ids.
ORDERS_BY_IDS = Prepared(
    lambda ids: (
        Order.select(*ORDER_COLUMNS)
        .join(FulfilmentStatus, on=(Order.status == FulfilmentStatus.id))
        .where(Order.id.in_(ids))
    )
)
OPTIONS_BY_ORDER_IDS = Prepared(
    lambda ids: (
        OrderItemOption.select(
            OrderItemOption.item,
            OrderItemOption.name,
            OrderItemOption.handle,
            OrderItemOption.value,
        )
        .join(OrderItem)
        .where(OrderItem.order.in_(ids))
        .order_by(OrderItemOption.item, OrderItemOption.sort_order, OrderItemOption.id)
    )
)
ITEMS_BY_ORDER_IDS = Prepared(
    lambda ids: (
        OrderItem.select(
            OrderItem.id,
            OrderItem.order,
            OrderItem.name,
            OrderItem.sku,
            OrderItem.quantity,
            OrderItem.price,
        )
        .where(OrderItem.order.in_(ids))
        .order_by(OrderItem.order, OrderItem.sort_order, OrderItem.id)
    )
)
ATTRIBUTES_BY_ORDER_IDS = Prepared(
    lambda ids: (
        OrderAttribute.select(
            OrderAttribute.order, OrderAttribute.handle, OrderAttribute.name, OrderAttribute.value
        )
        .where(OrderAttribute.order.in_(ids))
        .order_by(OrderAttribute.order, OrderAttribute.sort_order, OrderAttribute.id)
    )
)


def _items_by_order(ids):
    """{order id: [item, ...]}, each item with its options, in two queries."""
    options = {}
    for item_id, name, handle, value in OPTIONS_BY_ORDER_IDS.rows(ids):
        options.setdefault(item_id, []).append(
            {"name": name, "handle": handle, "value": value or EMPTY_OPTION_VALUE}
        )
    items = {order_id: [] for order_id in ids}
    for item_id, order_id, name, sku, quantity, price in ITEMS_BY_ORDER_IDS.rows(ids):
        items[order_id].append(
            {
                "id": item_id,
                "name": name,
                "sku": sku,
                "quantity": number(quantity),
                "price": number(price),
                "options": options.get(item_id, []),
            }
        )
    return items


def _attributes_by_order(ids):
    attributes = {order_id: [] for order_id in ids}
    for order_id, handle, name, value in ATTRIBUTES_BY_ORDER_IDS.rows(ids):
        attributes[order_id].append(
            {"handle": handle, "name": name, "value": _attribute_value(value)}
        )
    return attributes


def render_orders(ids, settings):
    """The orders with these ids as JSON-ready dicts, in the order of `ids` (missing ones
    left out): four queries, however many orders, items, options and attributes."""
    if not ids:
        return []
    rows = {row["id"]: row for row in ORDERS_BY_IDS.dicts(ids)}
    found = [order_id for order_id in ids if order_id in rows]
    if not found:
        return []
    items = _items_by_order(found)
    attributes = _attributes_by_order(found)
    renderer = Renderer(settings)
    return [
        renderer.order(rows[order_id], items[order_id], attributes[order_id]) for order_id in found
    ]


def render_order(order_id, settings):
    """One order as JSON-ready dict, or None."""
    orders = render_orders([order_id], settings)
    return orders[0] if orders else None


# --- the fulfilment PATCH ---

TRACKING_FIELDS = ("tracking_id", "tracking_code", "tracking_url")


def _changes(current, fulfilment):
    """{field: new value} for what the PATCH changes; absent or null keys change nothing."""
    current_status, *tracking = current
    changes = {}
    for name, before in zip(TRACKING_FIELDS, tracking, strict=True):
        wanted = fulfilment.get(name)
        if wanted is not None and (wanted or None) != before:
            changes[name] = wanted or None
    status = fulfilment.get("handle")
    if status is not None and status.id != current_status:
        changes["status"] = status.id
    return changes


def update_fulfilment(order_id, fulfilment, client_id, settings):
    """Apply a fulfilment PATCH in one transaction and return the order as it then is, or
    None when there is no such order. The order row is locked before its status is compared,
    so concurrent PATCHes take turns and the status history stays consistent."""
    with locking_atomic():
        query = Order.select(
            Order.status, Order.tracking_id, Order.tracking_code, Order.tracking_url
        ).where(Order.id == order_id)
        current = list(for_update_if_supported(query).tuples())
        if not current:
            return None
        changes = _changes(current[0], fulfilment)
        if changes:
            now = utcnow()
            Order.update(**changes, updated_at=now).where(Order.id == order_id).execute()
            if "status" in changes:
                status = fulfilment["handle"]
                OrderStatusHistory.insert(
                    order=order_id,
                    status=status.id,
                    handle=status.handle,
                    changed_at=now,
                    client=client_id,
                ).execute()
        return render_order(order_id, settings)
