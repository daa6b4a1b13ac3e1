"""A new order's lines from the catalogue: SKUs resolved, names, prices and options
defaulted, stock taken and put back with single guarded UPDATEs (manage.md §4, §5)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from peewee import MySQLDatabase

from models.base import MAX_UNITS, db
from models.catalog import (
    PRODUCT_SKU,
    VARIATION_SKU,
    Product,
    ProductOption,
    ProductOptionChoice,
    Variation,
    VariationChoice,
)
from models.compiled import CompiledQuery
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


# The catalogue lookups of a new order, compiled once per number of SKUs.
PRODUCTS_BY_SKUS = CompiledQuery(
    lambda p: Product.select(
        Product.sku,
        Product.id,
        Product.name,
        Product.price,
        Product.sale_price,
        Product.sale_start,
        Product.sale_end,
        Product.stock_unlimited,
    ).where(Product.sku.in_(p.skus))
)
VARIATIONS_BY_SKUS = CompiledQuery(
    lambda p: (
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
        .where(Variation.sku.in_(p.skus))
    )
)
CHOICES_BY_VARIATIONS = CompiledQuery(
    lambda p: (
        VariationChoice.select(
            VariationChoice.variation,
            ProductOption.name,
            ProductOption.handle,
            ProductOptionChoice.name,
        )
        .join(ProductOptionChoice)
        .join(ProductOption)
        .where(VariationChoice.variation.in_(p.ids))
        .order_by(VariationChoice.variation, ProductOption.sort_order, ProductOption.id)
    )
)


def find_records(skus):
    """{sku: Record} of the SKUs that exist: two queries on the unique SKU indexes."""
    wanted = sorted({sku for sku in skus if sku is not None and _searchable(sku)})
    if not wanted:
        return {}
    found = {}
    for sku, product_id, name, price, sale, start, end, unl in PRODUCTS_BY_SKUS.rows(skus=wanted):
        found[sku] = Record(PRODUCT_SKU, product_id, product_id, name, price, sale, start, end,
                            bool(unl))  # fmt: skip
    for row in VARIATIONS_BY_SKUS.rows(skus=wanted):
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
    chosen = {}
    for variation_id, name, handle, value in CHOICES_BY_VARIATIONS.rows(ids=sorted(variation_ids)):
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


def _update(model, guarded):
    """One stock record's UPDATE: its level moved by `change` while it stays in range (and,
    when `guarded`, while it has enough); a product's date_updated set too."""
    level = model.stock_level

    def build(p):
        values = {level: level + p.change.of(level)}
        if model is Product:
            values[Product.date_updated] = p.now.of(Product.date_updated)
        where = [model.id == p.id, _in_range(model, p.change.of(level))]
        if guarded:
            where.append(model.stock_unlimited | (level >= p.need.of(level)))
        return model.update(values).where(*where)

    return CompiledQuery(build)


# Taking stock, compiled once: {(model, whether short stock refuses): statement}.
TAKE = {(model, guarded): _update(model, guarded) for model in (Product, Variation)
        for guarded in (True, False)}  # fmt: skip
TOUCH_PRODUCT = CompiledQuery(
    lambda p: Product.update({Product.date_updated: p.now.of(Product.date_updated)}).where(
        Product.id == p.id
    )
)


def _move(changes, parents, now, update):
    """Add each signed quantity of `changes` ({(kind, id): Decimal}) to that record's stock
    with `update(model, id, change)` (one guarded UPDATE: rows changed), and touch the
    `parents` products (a variation's stock is part of its product's document). Variations
    first, then products, each in id order: the order every stock write locks rows in, so
    concurrent writers wait for each other instead of deadlocking. The keys whose UPDATE
    matched nothing, in that order."""
    missed = []
    for record_id in sorted(rid for kind, rid in changes if kind == VARIATION_SKU):
        if not update(Variation, record_id, changes[(VARIATION_SKU, record_id)]):
            missed.append((VARIATION_SKU, record_id))
    products = {rid for kind, rid in changes if kind == PRODUCT_SKU}
    for product_id in sorted(products | parents):
        change = changes.get((PRODUCT_SKU, product_id))
        if change is None:
            # Pointless once something is short (all is rolled back), and a lock less.
            if not missed:
                TOUCH_PRODUCT.execute(now=now, id=product_id)
        elif not update(Product, product_id, change):
            missed.append((PRODUCT_SKU, product_id))
    return missed


def take_stock(lines, backorders, now):
    """Take each line's quantity from its product's or variation's stock (unless unlimited)
    with single guarded UPDATEs; {(kind, id): signed change} of the records moved, in the
    order of the lines. A record without enough (unless `backorders`) raises Conflict
    listing every shortage; the caller's transaction then writes nothing."""
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

    def take(model, record_id, change):
        args = {"change": change, "id": record_id}
        if model is Product:
            args["now"] = now
        if not backorders:
            args["need"] = -change
        return TAKE[(model, not backorders)].execute(**args)

    short = _move(changes, parents, now, take)
    if short:
        raise _shortage([(key, skus[key], -changes[key]) for key in short])
    return changes


def _current(query):
    """`query` reading the latest committed rows. MariaDB's plain reads show the
    transaction's snapshot (repeatable read), older than the level that refused the
    UPDATE: read with FOR UPDATE there, on rows the failed UPDATE has locked already.
    PostgreSQL's plain reads see that level (read committed), and a lock taken now, after
    the products', could deadlock with a writer that locks the variation first."""
    return query.for_update() if isinstance(db.obj, MySQLDatabase) else query


def _shortage(short):
    levels = {}
    for kind, model in ((VARIATION_SKU, Variation), (PRODUCT_SKU, Product)):
        ids = sorted(rid for (k, rid), _, _ in short if k == kind)
        if ids:
            query = model.select(model.id, model.stock_level).where(model.id.in_(ids))
            levels[kind] = dict(_current(query).tuples())
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
    that still exist (limited stock only), with single UPDATEs in take_stock's lock order;
    {(kind, id): change} of the records moved."""
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

    def put_back(model, record_id, change):
        values = {model.stock_level: model.stock_level + change}
        if model is Product:
            values[Product.date_updated] = now
        where = [model.id == record_id, ~model.stock_unlimited, _in_range(model, change)]
        return model.update(values).where(*where).execute()

    missed = set(_move(changes, parents, now, put_back))
    return {key: change for key, change in changes.items() if key not in missed}
