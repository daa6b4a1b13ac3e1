"""Writing an order's rows from a loaded body: the order row, its items with their options,
its attributes and its status history, in a few batched statements."""

import orjson

from models.base import sync_id_sequence
from models.compiled import CompiledInsert, CompiledQuery
from models.orders import (
    ADDRESS_FIELDS,
    Order,
    OrderAttribute,
    OrderItem,
    OrderItemOption,
    OrderStatusHistory,
)
from store.actors import client_of

PERSON_FIELDS = ("first_name", "last_name", "company", "phone")
TRACKING_FIELDS = ("tracking_id", "tracking_code", "tracking_url")


def _person(prefix, person):
    columns = {f"{prefix}_{name}": person.get(name) for name in PERSON_FIELDS}
    address = person.get("address") or {}
    columns.update({f"{prefix}_{name}": address.get(name) for name in ADDRESS_FIELDS})
    return columns


def order_columns(data, status_id, total, now):
    """The order row's columns for a loaded body (a NewOrder's or a RecordedOrder's)."""
    customer = data.get("customer") or {}
    billing = customer.get("billing") or {}
    fulfilment = data.get("fulfilment") or {}
    refunded = data.get("refunded")
    cancelled = data.get("cancelled")
    return {
        "placed_at": data.get("date_placed") or now,
        "locale": data.get("locale"),
        "customer_email": customer.get("email"),
        "customer_username": customer.get("username"),
        "vat_number": billing.get("vat_number"),
        "payment_method": data.get("payment_method"),
        "payment_reference": data.get("payment_reference"),
        "paid_at": data.get("payment_date"),
        "cancelled_at": cancelled["date"] if cancelled else None,
        "refunded_at": refunded["date"] if refunded else None,
        "refund_reason": refunded.get("reason") if refunded else None,
        "external_payment_requested_at": data.get("external_payment_requested"),
        "shipping_method": data.get("shipping_method"),
        "shipping_total": data.get("shipping_total") or 0,
        "tax_total": data.get("tax") or 0,
        "discount_total": data.get("discount") or 0,
        "total": total,
        "status": status_id,
        # Empty tracking reads back as null: store it so.
        **{name: fulfilment.get(name) or None for name in TRACKING_FIELDS},
        "updated_at": now,
        **_person("billing", billing),
        **_person("shipping", customer.get("shipping") or {}),
    }


def _values(model, names, p):
    """{field: placeholder} for these columns, each converted as its field stores values."""
    return {getattr(model, name): getattr(p, name).of(getattr(model, name)) for name in names}


# What order_columns gives, in its order: the order row's columns but the id.
ORDER_FIELDS = tuple(order_columns({}, None, None, None))
ITEM_FIELDS = ("order", "product", "variation", "name", "sku", "quantity", "price", "sort_order")
HISTORY_FIELDS = ("order", "status", "handle", "changed_at", "client", "actor")
# A placed order's rows, compiled once: building a 45-column INSERT costs more than running it.
INSERT_ORDER = CompiledInsert(lambda p: Order.insert(_values(Order, ORDER_FIELDS, p)))
INSERT_ORDER_WITH_ID = CompiledInsert(
    lambda p: Order.insert(_values(Order, ("id", *ORDER_FIELDS), p))
)
INSERT_ITEM = CompiledInsert(lambda p: OrderItem.insert(_values(OrderItem, ITEM_FIELDS, p)))
INSERT_HISTORY = CompiledQuery(
    lambda p: OrderStatusHistory.insert(_values(OrderStatusHistory, HISTORY_FIELDS, p))
)


def insert_items(order_id, lines):
    """Insert an order's items in their order, then all their options at once.

    `lines`: dicts with name, sku, quantity, price, options and optionally id, product,
    variation. Items with an id are inserted together (a taken id raises IntegrityError);
    the others one by one, each getting the next id the database assigns, which is past
    every explicit one."""
    rows = [
        {
            "order": order_id,
            "product": line.get("product"),
            "variation": line.get("variation"),
            "name": line["name"],
            "sku": line.get("sku"),
            "quantity": line["quantity"],
            "price": line["price"],
            "sort_order": position,
            **({"id": line["id"]} if line.get("id") else {}),
        }
        for position, line in enumerate(lines)
    ]
    explicit = [row for row in rows if "id" in row]
    if explicit:
        OrderItem.insert_many(explicit).execute()
        # Ids assigned next (to this order's other items too) come after these.
        sync_id_sequence(OrderItem)
    ids = [row["id"] if "id" in row else INSERT_ITEM.insert(**row) for row in rows]
    options = [
        {
            "item": item_id,
            "name": option["name"],
            "handle": option["handle"],
            "value": option["value"],
            "sort_order": position,
        }
        for item_id, line in zip(ids, lines, strict=True)
        for position, option in enumerate(line.get("options") or ())
    ]
    if options:
        OrderItemOption.insert_many(options).execute()
    return ids


def insert_attributes(order_id, attributes):
    rows = [
        {
            "order": order_id,
            "handle": attribute["handle"],
            "name": attribute["name"],
            "value": orjson.dumps(attribute["value"]).decode(),
            "sort_order": position,
        }
        for position, attribute in enumerate(attributes)
    ]
    if rows:
        OrderAttribute.insert_many(rows).execute()


def insert_history(order_id, entries, known_clients=frozenset()):
    """Insert status history rows, oldest first: (status id, handle, date, actor) each.

    The client column (kept for older readers) names the actor's integration only when it
    exists in this store: a copied history may name integrations of another store."""
    rows = []
    for status_id, handle, changed_at, actor in entries:
        client = client_of(actor)
        rows.append(
            {
                "order": order_id,
                "status": status_id,
                "handle": handle,
                "changed_at": changed_at,
                "client": client if client in known_clients else None,
                "actor": actor,
            }
        )
    if len(rows) == 1:
        INSERT_HISTORY.execute(**rows[0])
    elif rows:
        OrderStatusHistory.insert_many(rows).execute()


def delete_children(order_id):
    """Remove an order's items (their options go with them), attributes and history."""
    # The ids first: MariaDB would run `IN (subquery)` of a DELETE over every option.
    item_ids = [
        i for (i,) in OrderItem.select(OrderItem.id).where(OrderItem.order == order_id).tuples()
    ]
    if item_ids:
        OrderItemOption.delete().where(OrderItemOption.item.in_(item_ids)).execute()
    OrderItem.delete().where(OrderItem.order == order_id).execute()
    OrderAttribute.delete().where(OrderAttribute.order == order_id).execute()
    OrderStatusHistory.delete().where(OrderStatusHistory.order == order_id).execute()


def insert_order(columns, order_id=None):
    """Insert the order row (with `order_id` when given); its id."""
    if order_id is not None:
        INSERT_ORDER_WITH_ID.insert(id=order_id, **columns)
        return order_id
    return INSERT_ORDER.insert(**columns)
