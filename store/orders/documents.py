"""Orders as the contract's documents (orders.md), fetched by id in batched queries."""

import orjson

from models.compiled import CompiledQuery
from models.orders import ADDRESS_FIELDS, Order, OrderAttribute, OrderItem, OrderItemOption
from models.statuses import FulfilmentStatus
from store.render import StoreRenderer, number

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


class OrderRenderer(StoreRenderer):
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
ORDERS_BY_IDS = CompiledQuery(
    lambda p: (
        Order.select(*ORDER_COLUMNS)
        .join(FulfilmentStatus, on=(Order.status == FulfilmentStatus.id))
        .where(Order.id.in_(p.ids))
    )
)
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
    )
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
                "quantity": number(quantity),
                "price": number(price),
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


def render_orders(ids, settings):
    """The orders with these ids as JSON-ready dicts, in the order of `ids` (missing ones
    left out): four queries, however many orders, items, options and attributes."""
    if not ids:
        return []
    rows = {row["id"]: row for row in ORDERS_BY_IDS.dicts(ids=ids)}
    found = [order_id for order_id in ids if order_id in rows]
    if not found:
        return []
    items = _items_by_order(found)
    attributes = _attributes_by_order(found)
    renderer = OrderRenderer(settings)
    return [
        renderer.order(rows[order_id], items[order_id], attributes[order_id]) for order_id in found
    ]


def render_order(order_id, settings):
    """One order as JSON-ready dict, or None."""
    orders = render_orders([order_id], settings)
    return orders[0] if orders else None
