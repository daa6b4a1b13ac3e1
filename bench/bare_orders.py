"""The bare app's orders: the list (with the filters the benchmark uses) and one order."""

import datetime

import orjson

from bench.bare_base import (
    ZONE,
    Fail,
    date,
    db,
    marks,
    money,
    number,
    page_args,
    pagination,
)

# --- orders ---

HIDDEN = "(paid_at IS NULL AND external_payment_requested_at IS NOT NULL)"
VISIBLE = "(external_payment_requested_at IS NULL OR paid_at IS NOT NULL)"
ADDRESS = ("address1", "address2", "address3", "city", "state_province", "country", "postal_code")
ORDER_SQL = (
    "SELECT o.id, placed_at, total, payment_method, paid_at, payment_reference, "
    "shipping_method, s.name, s.handle, tracking_id, tracking_code, tracking_url, locale, "
    "customer_email, customer_username, refunded_at, refund_reason, billing_phone, "
    "billing_first_name, billing_last_name, billing_company, shipping_first_name, "
    "shipping_last_name, shipping_company, "
    + ", ".join(f"{who}_{name}" for who in ("billing", "shipping") for name in ADDRESS)
    + ' FROM "order" o JOIN fulfilment_status s ON o.status_id = s.id WHERE o.id IN ({})'
)


def midnight(day):
    """The stored (UTC) instant of midnight starting `day` in the store zone."""
    local = datetime.datetime.combine(day, datetime.time(), ZONE)
    return local.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def order_filters(params):
    """The list filters the benchmark uses: SQL conditions and arguments."""
    where, args, hidden_possible = [], [], True
    if params.get("fromDate"):
        where.append("placed_at >= ?")
        args.append(midnight(datetime.date.fromisoformat(params["fromDate"])))
    if params.get("toDate"):
        end = datetime.date.fromisoformat(params["toDate"]) + datetime.timedelta(days=1)
        where.append("placed_at < ?")
        args.append(midnight(end))
    if params.get("paymentStatus") == "paid":
        # As the service writes it: `NOT (... IS NOT NULL)` keeps SQLite off the
        # refunded_at index, which would match nearly every order.
        where.append("paid_at IS NOT NULL AND NOT (refunded_at IS NOT NULL)")
        hidden_possible = False
    return where, args, hidden_possible


def address(row, start):
    values = row[start : start + 7]
    return None if all(v is None for v in values) else dict(zip(ADDRESS, values, strict=True))


def render_orders(conn, ids):
    if not ids:
        return []
    items = {order_id: [] for order_id in ids}
    options, attributes = {}, {order_id: [] for order_id in ids}
    for item_id, name, handle, value in conn.execute(
        "SELECT o.item_id, o.name, o.handle, o.value FROM order_item_option o JOIN order_item i "
        f"ON o.item_id = i.id WHERE i.order_id IN ({marks(ids)}) "
        "ORDER BY o.item_id, o.sort_order, o.id",
        ids,
    ):
        options.setdefault(item_id, []).append(
            {"name": name, "handle": handle, "value": value or "None"}
        )
    for item_id, order_id, name, sku, quantity, price in conn.execute(
        "SELECT id, order_id, name, sku, quantity, price FROM order_item "
        f"WHERE order_id IN ({marks(ids)}) ORDER BY order_id, sort_order, id",
        ids,
    ):
        items[order_id].append({"id": item_id, "name": name, "sku": sku,
                                "quantity": number(quantity), "price": number(price),
                                "options": options.get(item_id, [])})  # fmt: skip
    for order_id, handle, name, value in conn.execute(
        "SELECT order_id, handle, name, value FROM order_attribute "
        f"WHERE order_id IN ({marks(ids)}) ORDER BY order_id, sort_order, id",
        ids,
    ):
        attributes[order_id].append({"handle": handle, "name": name, "value": orjson.loads(value)})
    rows = {row[0]: row for row in conn.execute(ORDER_SQL.format(marks(ids)), ids)}
    return [order(rows[i], items[i], attributes[i]) for i in ids if i in rows]


def order(r, items, attributes):
    body = {
        "id": r[0], "date_placed": date(r[1]), "total": money(r[2]), "payment_method": r[3],
        "payment_date": date(r[4]), "payment_reference": r[5], "shipping_method": r[6],
        "fulfilment": {"status": r[7], "handle": r[8], "tracking_id": r[9] or None,
                       "tracking_code": r[10] or None, "tracking_url": r[11] or None},
        "locale": r[12],
        "customer": {
            "email": r[13], "username": r[14],
            "billing": {"phone": r[17], "first_name": r[18], "last_name": r[19],
                        "company": r[20], "address": address(r, 24)},
            "shipping": {"first_name": r[21], "last_name": r[22], "company": r[23],
                         "address": address(r, 31)},
        },
        "items": items,
        "attributes": attributes,
    }  # fmt: skip
    if r[15] is not None:
        body["refunded"] = {"date": date(r[15]), "reason": r[16] or ""}
    return body


def list_orders(environ, params):
    conn = db()
    page, per_page = page_args(params)
    where, args, hidden_possible = order_filters(params)
    condition = " AND ".join(where) or "1"
    total = conn.execute(f'SELECT COUNT(*) FROM "order" WHERE {condition}', args).fetchone()[0]
    if hidden_possible:
        hidden = f'SELECT COUNT(*) FROM "order" WHERE {condition} AND {HIDDEN}'
        total -= conn.execute(hidden, args).fetchone()[0]
        condition += f" AND {VISIBLE}"
    ids = []
    if (page - 1) * per_page < total:
        sql = f'SELECT id FROM "order" WHERE {condition} ORDER BY id DESC LIMIT ? OFFSET ?'
        ids = [i for (i,) in conn.execute(sql, [*args, per_page, (page - 1) * per_page])]
    orders = render_orders(conn, ids)
    return {"data": orders, "meta": pagination(environ, total, len(orders), page, per_page)}


def one_order(order_id):
    orders = render_orders(db(), [order_id])
    if not orders:
        raise Fail("404 Not Found", {"error": True, "errors": ["Order not found"]})
    return {"data": orders[0]}
