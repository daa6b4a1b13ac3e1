"""The bare app's catalogue: the product list, and stock records read and adjusted by SKU."""

import datetime
import math
from decimal import Decimal

import orjson

from bench.bare_base import Fail, date, db, marks, money, number, page_args, pagination

MAX_UNITS = 999_999_999_999
PRODUCT_SQL = (
    "SELECT p.id, p.name, p.sku, p.barcode, p.active, p.stock_unlimited, p.stock_level, "
    "p.short_description, p.description, b.name, p.price, p.wholesale_price, p.cost_price, "
    "p.sale_price, p.sale_start, p.sale_end, p.primary_image, p.date_added, p.date_updated, "
    "p.shippable, p.width, p.height, p.length, p.number_items, p.stacked_height, "
    "p.separate_ship FROM product p LEFT JOIN brand b ON p.brand_id = b.id WHERE p.id IN ({})"
)
CHILDREN_SQL = {
    "images": "SELECT product_id, url FROM product_image WHERE product_id IN ({}) "
    "ORDER BY product_id, sort_order, id",
    "groups": "SELECT l.product_id, g.name FROM product_group_link l JOIN product_group g "
    "ON l.group_id = g.id WHERE l.product_id IN ({}) ORDER BY l.product_id, l.id",
    "categories": "SELECT pc.product_id, c.name, c.url FROM product_category pc JOIN category c "
    "ON pc.category_id = c.id WHERE pc.product_id IN ({}) "
    "ORDER BY pc.product_id, pc.sort_order, pc.id",
}
OPTIONS_SQL = (
    "SELECT o.product_id, o.id, o.name, o.handle, o.type, o.required, c.name, "
    "c.price_adjustment, c.weight_adjustment FROM product_option o "
    "LEFT JOIN product_option_choice c ON c.option_id = o.id WHERE o.product_id IN ({}) "
    "ORDER BY o.product_id, o.sort_order, o.id, c.sort_order, c.id"
)
VARIATIONS_SQL = (
    "SELECT product_id, id, sku, barcode, stock_unlimited, stock_level, price, "
    "wholesale_price, cost_price, sale_price, primary_image, width, height, length, "
    "number_items FROM variation WHERE product_id IN ({}) ORDER BY product_id, sort_order, id"
)
CHOSEN_SQL = (
    "SELECT vc.variation_id, o.name, c.name FROM product_option o "
    "JOIN product_option_choice c ON c.option_id = o.id "
    "JOIN variation_choice vc ON vc.choice_id = c.id WHERE o.product_id IN ({}) "
    "ORDER BY vc.variation_id, o.sort_order, o.id"
)
FIND_SKU_SQL = (
    "SELECT 'P', id, id, name, stock_level, stock_unlimited FROM product WHERE sku = ? "
    "UNION ALL SELECT 'V', v.id, v.product_id, p.name, v.stock_level, v.stock_unlimited "
    "FROM variation v JOIN product p ON v.product_id = p.id WHERE v.sku = ?"
)


def _options(conn, ids):
    options, by_id = {i: [] for i in ids}, {}
    for pid, oid, name, handle, kind, required, choice, price, weight in conn.execute(
        OPTIONS_SQL.format(marks(ids)), ids
    ):
        option = by_id.get(oid)
        if option is None:
            option = {"name": name, "handle": handle, "type": kind, "required": bool(required)}
            if kind in ("select", "radio"):
                option["options"] = []
            by_id[oid] = options[pid].append(option) or option
        if choice is not None and kind in ("select", "radio"):
            option["options"].append(
                {
                    "name": choice,
                    "price_adjustment": money(price),
                    "weight_adjustment": number(weight),
                }
            )
    return options


def _variations(conn, ids):
    rows = conn.execute(VARIATIONS_SQL.format(marks(ids)), ids).fetchall()
    variations = {i: [] for i in ids}
    if not rows:
        return variations
    chosen = {row[1]: [] for row in rows}
    for vid, name, value in conn.execute(CHOSEN_SQL.format(marks(ids)), ids):
        if vid in chosen:
            chosen[vid].append({"name": name, "value": value})
    for r in rows:
        variations[r[0]].append({
            "id": r[1], "sku": r[2], "barcode": r[3], "stock_unlimited": bool(r[4]),
            "stock_level": number(r[5]), "price": money(r[6]), "wholesale_price": money(r[7]),
            "cost_price": money(r[8]), "sale_price": money(r[9]), "primary_image": r[10] or None,
            "options": chosen[r[1]],
            "shipping": {"width": number(r[11]), "height": number(r[12]),
                         "length": number(r[13]), "number_items": r[14]},
        })  # fmt: skip
    return variations


def _product(r, images, groups, categories, options, variations):
    return {
        "id": r[0], "name": r[1], "sku": r[2], "barcode": r[3], "active": bool(r[4]),
        "stock_unlimited": bool(r[5]), "stock_level": number(r[6]), "short_description": r[7],
        "description": r[8], "brand": r[9], "price": money(r[10]),
        "wholesale_price": money(r[11]), "cost_price": money(r[12]), "sale_price": money(r[13]),
        "sale_start": date(r[14]), "sale_end": date(r[15]), "primary_image": r[16] or None,
        "additional_images": images, "groups": groups, "categories": categories,
        "options": options, "variations": variations,
        "date_added": date(r[17]), "date_updated": date(r[18]),
        "shipping": {"shippable": bool(r[19]), "width": number(r[20]), "height": number(r[21]),
                     "length": number(r[22]), "number_items": r[23],
                     "stacked_height": number(r[24]), "separate_ship": bool(r[25])},
    }  # fmt: skip


def render_products(conn, ids):
    if not ids:
        return []
    rows = {row[0]: row for row in conn.execute(PRODUCT_SQL.format(marks(ids)), ids)}
    children = {}
    for part, sql in CHILDREN_SQL.items():
        grouped = children[part] = {i: [] for i in ids}
        for pid, *values in conn.execute(sql.format(marks(ids)), ids):
            grouped[pid].append(
                values[0] if part != "categories" else {"name": values[0], "url": values[1]}
            )
    options, variations = _options(conn, ids), _variations(conn, ids)
    return [
        _product(rows[i], children["images"][i], children["groups"][i],
                 children["categories"][i], options[i], variations[i])
        for i in ids if i in rows
    ]  # fmt: skip


def list_products(environ, params):
    conn = db()
    page, per_page = page_args(params)
    total = conn.execute("SELECT COUNT(*) FROM product").fetchone()[0]
    ids = []
    if (page - 1) * per_page < total:
        sql = "SELECT id FROM product ORDER BY date_added DESC, id DESC LIMIT ? OFFSET ?"
        ids = [i for (i,) in conn.execute(sql, (per_page, (page - 1) * per_page))]
    products = render_products(conn, ids)
    return {"data": products, "meta": pagination(environ, total, len(products), page, per_page)}


def _find(conn, sku):
    for kind, rid, pid, name, level, unlimited in conn.execute(FIND_SKU_SQL, (sku, sku)):
        if kind == "P":
            record = {"id": rid, "sku": sku, "name": name, "stock_level": number(level),
                      "stock_unlimited": bool(unlimited)}  # fmt: skip
        else:
            record = {"id": rid, "product_id": pid, "sku": sku, "name": name,
                      "stock_level": number(level), "stock_unlimited": bool(unlimited),
                      "variation": True}  # fmt: skip
        return kind, rid, record
    return None


def sku_record(sku):
    found = _find(db(), sku)
    if found is None:
        raise Fail("404 Not Found", {"error": True, "errors": ["SKU not found"]})
    return {"data": found[2]}


def _adjustment(body):
    data = body.get("data") if isinstance(body, dict) else None
    value = data.get("stock_adjustment") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Fail("400 Bad Request", {"error": True, "errors": ["Bad Request"]})
    if isinstance(value, float) and not math.isfinite(value):
        raise Fail("400 Bad Request", {"error": True, "errors": ["Bad Request"]})
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    units = exact * 10_000
    if units != units.to_integral_value() or not exact or abs(units) > MAX_UNITS:
        raise Fail("400 Bad Request", {"error": True, "errors": ["Bad Request"]})
    return int(units)


def patch_sku(sku, raw):
    """Adjust the stock of a product or variation in one atomic UPDATE."""
    try:
        units = _adjustment(orjson.loads(raw))
    except orjson.JSONDecodeError:
        raise Fail("400 Bad Request", {"error": True, "errors": ["Bad Request"]}) from None
    conn = db()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = _find(conn, sku)
        if found is not None:
            kind, rid, _ = found
            table = "product" if kind == "P" else "variation"
            touch = ", date_updated = ?" if kind == "P" else ""
            changed = conn.execute(
                f"UPDATE {table} SET stock_level = stock_level + ?{touch} WHERE id = ? "
                "AND stock_level + ? BETWEEN ? AND ?",
                (units, *([now] if touch else []), rid, units, -MAX_UNITS, MAX_UNITS),
            ).rowcount
            if changed and kind == "V":
                conn.execute(
                    "UPDATE product SET date_updated = ? WHERE id IN "
                    "(SELECT product_id FROM variation WHERE id = ?)",
                    (now, rid),
                )
            found = _find(conn, sku)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if found is None:
        raise Fail("404 Not Found", {"error": True, "errors": ["Product not found"]})
    return {"data": found[2]}
