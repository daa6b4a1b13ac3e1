"""A new order's lines from the catalogue: SKUs resolved, names, prices and options
defaulted, stock taken and put back with single guarded UPDATEs (manage.md §4, §5)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from models.base import MAX_UNITS, for_update_if_supported
from models.catalog import (
    PRODUCT_SKU,
    VARIATION_SKU,
    Product,
    ProductOption,
    ProductOptionChoice,
    Variation,
    VariationChoice,
)
from models.orders import OrderItem
from store.errors import Conflict
from store.render import number


class Record(NamedTuple):
    """The product or variation behind a SKU, with what an order line takes from it."""

    kind: str
    id: int
    product_id: int
    name: str
    price: Decimal | None
    sale_price: Decimal | None
    sale_start: object
    sale_end: object
    unlimited: bool


def _searchable(sku):
    return "\x00" not in sku and 0 < len(sku) <= Product.sku.max_length


def find_records(skus):
    """{sku: Record} of the SKUs that exist: two queries on the unique SKU indexes."""
    wanted = sorted({sku for sku in skus if sku is not None and _searchable(sku)})
    if not wanted:
        return {}
    found = {}
    products = Product.select(
        Product.sku,
        Product.id,
        Product.name,
        Product.price,
        Product.sale_price,
        Product.sale_start,
        Product.sale_end,
        Product.stock_unlimited,
    ).where(Product.sku.in_(wanted))
    for sku, product_id, name, price, sale, start, end, unlimited in products.tuples():
        found[sku] = Record(PRODUCT_SKU, product_id, product_id, name, price, sale, start, end,
                            bool(unlimited))  # fmt: skip
    variations = (
        Variation.select(
            Variation.sku,
            Variation.id,
            Variation.product,
            Product.name,
            Variation.price,
            Variation.sale_price,
            Product.price,
            Product.sale_price,
            Product.sale_start,
            Product.sale_end,
            Variation.stock_unlimited,
        )
        .join(Product)
        .where(Variation.sku.in_(wanted))
    )
    for row in variations.tuples():
        sku, variation_id, product_id, name, price, sale, own_price, own_sale, start, end, unl = row
        # A variation with a price of its own has a sale price of its own too.
        if price is None:
            price, sale = own_price, sale if sale is not None else own_sale
        found[sku] = Record(VARIATION_SKU, variation_id, product_id, name, price, sale, start, end,
                            bool(unl))  # fmt: skip
    return found


def chosen_options(variation_ids):
    """{variation id: [{"name", "handle", "value"}, ...]} in the options' order."""
    if not variation_ids:
        return {}
    rows = (
        VariationChoice.select(
            VariationChoice.variation,
            ProductOption.name,
            ProductOption.handle,
            ProductOptionChoice.name,
        )
        .join(ProductOptionChoice)
        .join(ProductOption)
        .where(VariationChoice.variation.in_(sorted(variation_ids)))
        .order_by(VariationChoice.variation, ProductOption.sort_order, ProductOption.id)
    )
    chosen = {}
    for variation_id, name, handle, value in rows.tuples():
        chosen.setdefault(variation_id, []).append({"name": name, "handle": handle, "value": value})
    return chosen


def unit_price(record, now):
    """The catalogue's price of one unit now: the sale price while a sale is on."""
    sale_on = (
        record.sale_price is not None
        and (record.sale_start is None or record.sale_start <= now)
        and (record.sale_end is None or now <= record.sale_end)
    )
    return record.sale_price if sale_on else record.price


def order_lines(items, now):
    """(lines, problems): each item with its catalogue record and defaults filled in, and
    {dotted path: [message]} for items that cannot be ordered."""
    records = find_records(item["sku"] for item in items)
    variations = {r.id for r in records.values() if r.kind == VARIATION_SKU}
    options = chosen_options(variations)
    lines, problems = [], {}
    for index, item in enumerate(items):
        record = records.get(item["sku"])
        if record is None:
            problems[f"data.items.{index}.sku"] = ["SKU not found"]
            continue
        price = item.get("price", unit_price(record, now))
        if price is None:
            problems[f"data.items.{index}.price"] = ["The catalogue has no price: give one."]
            continue
        is_variation = record.kind == VARIATION_SKU
        lines.append(
            {
                "record": record,
                "product": record.product_id,
                "variation": record.id if is_variation else None,
                "name": item.get("name") or record.name,
                "sku": item["sku"],
                "quantity": item["quantity"],
                "price": price,
                "options": item.get("options", options.get(record.id, []) if is_variation else []),
            }
        )
    return lines, problems


def order_total(lines, data, digits):
    """Σ(unit price × quantity) + shipping + tax − discount, rounded half-up."""
    items = sum((line["price"] * line["quantity"] for line in lines), Decimal(0))
    raw = items + data.get("shipping_total", 0) + data.get("tax", 0) - data.get("discount", 0)
    return raw.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


# --- stock ---


def _in_range(model, change):
    # In stored units: the sum is an expression, not a field, so nothing converts the bounds.
    return (model.stock_level + change).between(-MAX_UNITS, MAX_UNITS)


def _move(changes, parents, now, guard):
    """Add each signed quantity of `changes` ({(kind, id): Decimal}) to that record's stock in
    one guarded UPDATE, and touch the `parents` products (a variation's stock is part of its
    product's document). Variations first, then products, each in id order: the order every
    stock write locks rows in, so concurrent writers wait for each other instead of
    deadlocking. The keys whose UPDATE matched nothing, in that order."""
    missed = []
    for record_id in sorted(rid for kind, rid in changes if kind == VARIATION_SKU):
        change = changes[(VARIATION_SKU, record_id)]
        updated = (
            Variation.update({Variation.stock_level: Variation.stock_level + change})
            .where(
                Variation.id == record_id, _in_range(Variation, change), *guard(Variation, change)
            )
            .execute()
        )
        if not updated:
            missed.append((VARIATION_SKU, record_id))
    products = {rid for kind, rid in changes if kind == PRODUCT_SKU}
    for product_id in sorted(products | parents):
        change = changes.get((PRODUCT_SKU, product_id))
        if change is None:
            Product.update(date_updated=now).where(Product.id == product_id).execute()
            continue
        values = {Product.stock_level: Product.stock_level + change, Product.date_updated: now}
        where = [Product.id == product_id, _in_range(Product, change), *guard(Product, change)]
        if not Product.update(values).where(*where).execute():
            missed.append((PRODUCT_SKU, product_id))
    return missed


def take_stock(lines, backorders, now):
    """Take each line's quantity from its product's or variation's stock (unless unlimited)
    with single guarded UPDATEs. A record without enough (unless `backorders`) raises
    Conflict listing every shortage; the caller's transaction then writes nothing."""
    changes, skus, parents = {}, {}, set()
    for line in lines:
        record = line["record"]
        if record.unlimited:
            continue
        key = (record.kind, record.id)
        changes[key] = changes.get(key, Decimal(0)) - line["quantity"]
        skus.setdefault(key, line["sku"])
        if record.kind == VARIATION_SKU:
            parents.add(record.product_id)

    def enough(model, change):
        return () if backorders else (model.stock_unlimited | (model.stock_level >= -change),)

    short = _move(changes, parents, now, enough)
    if short:
        raise _shortage([(key, skus[key], -changes[key]) for key in short])


def _shortage(short):
    levels = {}
    for kind, model in ((VARIATION_SKU, Variation), (PRODUCT_SKU, Product)):
        ids = sorted(rid for (k, rid), _, _ in short if k == kind)
        if ids:
            # A locking read sees the level that refused the UPDATE; MariaDB's plain reads
            # would show the transaction's older snapshot.
            query = model.select(model.id, model.stock_level).where(model.id.in_(ids))
            levels[kind] = dict(for_update_if_supported(query).tuples())
    shortages, messages = [], []
    for (kind, record_id), sku, quantity in short:
        available = number(levels[kind].get(record_id, Decimal(0)))
        requested = number(quantity)
        shortages.append({"sku": sku, "available": available, "requested": requested})
        messages.append(f"Not enough stock for {sku}: {available} left, {requested} ordered")
    # Every shortage has its message in `errors`, and its numbers in `shortages`.
    return Conflict(messages[0], details={"errors": messages, "shortages": shortages})


def restock(order_id, now):
    """Put an order's item quantities back into the stock of the products and variations
    that still exist (limited stock only), with single UPDATEs in take_stock's lock order."""
    items = OrderItem.select(OrderItem.product, OrderItem.variation, OrderItem.quantity).where(
        OrderItem.order == order_id
    )
    changes, parents = {}, set()
    for product_id, variation_id, quantity in items.tuples():
        if variation_id is not None:
            key = (VARIATION_SKU, variation_id)
            if product_id is not None:
                parents.add(product_id)
        elif product_id is not None:
            key = (PRODUCT_SKU, product_id)
        else:
            continue
        changes[key] = changes.get(key, Decimal(0)) + quantity
    _move(changes, parents, now, lambda model, change: (~model.stock_unlimited,))
