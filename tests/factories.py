"""Build test data directly in the database (never through other endpoints)."""

import datetime
import itertools
import json
from decimal import Decimal

from peewee import fn

from models.catalog import (
    Brand,
    Category,
    ProductCategory,
    ProductGroup,
    ProductGroupLink,
    ProductImage,
    ProductOption,
    ProductOptionChoice,
    VariationChoice,
    create_product,
    create_variation,
)
from models.clients import DEFAULT_SCOPES
from models.orders import Order, OrderAttribute, OrderItem, OrderItemOption, OrderStatusHistory
from models.statuses import FulfilmentStatus
from store.clients import create_client

_sequence = itertools.count(1)


def api_client(name="Test integration", scopes=None):
    client, secret = create_client(name, list(scopes or DEFAULT_SCOPES))
    return client.client_id, secret


def product(**fields):
    n = next(_sequence)
    values = {
        "name": f"Product {n}",
        "sku": f"SKU-{n}",
        "price": Decimal("10.00"),
        "stock_level": Decimal("5"),
        "date_added": datetime.datetime(2024, 1, 1, 12, 0) + datetime.timedelta(minutes=n),
    }
    values.update(fields)
    values.setdefault("date_updated", values["date_added"])
    return create_product(**values)


def option(product_, name="Size", handle=None, kind="select", required=True, choices=()):
    opt = ProductOption.create(
        product=product_, name=name, handle=handle or name.lower(), kind=kind, required=required
    )
    created = [
        ProductOptionChoice.create(option=opt, name=choice, sort_order=i)
        for i, choice in enumerate(choices)
    ]
    return opt, created


def variation(product_, choices=(), **fields):
    n = next(_sequence)
    values = {"product": product_, "sku": f"VAR-{n}", "stock_level": Decimal("3")}
    values.update(fields)
    var = create_variation(**values)
    for choice in choices:
        VariationChoice.create(variation=var, choice=choice)
    return var


def brand(name="Acme"):
    return Brand.create(name=name)


def image(product_, url, sort_order=0):
    return ProductImage.create(product=product_, url=url, sort_order=sort_order)


def group(product_, name):
    grp, _ = ProductGroup.get_or_create(name=name)
    ProductGroupLink.create(product=product_, group=grp)
    return grp


def category(product_, name, url=None):
    cat = Category.create(name=name, url=url)
    ProductCategory.create(product=product_, category=cat)
    return cat


def status(handle):
    return FulfilmentStatus.get(FulfilmentStatus.handle == handle)


def order(items=(), attributes=(), status_handle="incomplete", **fields):
    """An order; `items` are dicts (name, sku, quantity, price, options=[(name, handle, value)])."""
    values = {
        "placed_at": datetime.datetime(2024, 3, 1, 15, 30, 0, 123456),
        "locale": "en_US",
        "customer_email": "joe@example.com",
        "payment_method": "Invoice",
        "shipping_method": "Ground",
        "billing_first_name": "Joe",
        "billing_last_name": "Smith",
        "billing_phone": "123123123",
        "billing_address1": "123 Street",
        "billing_city": "Phoenix",
        "billing_state_province": "AZ",
        "billing_country": "US",
        "billing_postal_code": "55555",
        "shipping_first_name": "Joe",
        "shipping_last_name": "Smith",
        "shipping_address1": "123 Street",
        "shipping_city": "Phoenix",
        "shipping_state_province": "AZ",
        "shipping_country": "US",
        "shipping_postal_code": "55555",
        "status": status(status_handle),
    }
    values.update(fields)
    lines = [dict(item) for item in items]
    if "total" not in fields:
        values["total"] = sum(
            (Decimal(str(line["price"])) * Decimal(str(line["quantity"])) for line in lines),
            Decimal(0),
        ) + Decimal(str(values.get("shipping_total", 0)))
    created = Order.create(**values)
    for position, line in enumerate(lines):
        options = line.pop("options", ())
        item = OrderItem.create(order=created, sort_order=position, **line)
        for opt_position, (name, handle, value) in enumerate(options):
            OrderItemOption.create(
                item=item, name=name, handle=handle, value=value, sort_order=opt_position
            )
    for position, (handle, name, value) in enumerate(attributes):
        OrderAttribute.create(
            order=created, handle=handle, name=name, value=json.dumps(value), sort_order=position
        )
    OrderStatusHistory.create(
        order=created,
        status=values["status"],
        handle=values["status"].handle,
        changed_at=values["placed_at"],
    )
    return created


def bare_orders(count, **fields):
    """`count` orders without items, inserted in batches; their ids, oldest first."""
    start = datetime.datetime(2024, 1, 1, 12, 0)
    values = {"status": status("incomplete").id, "total": Decimal("1.00"), **fields}
    before = Order.select(fn.MAX(Order.id)).scalar() or 0
    rows = [{"placed_at": start + datetime.timedelta(minutes=n), **values} for n in range(count)]
    for batch in range(0, count, 500):
        Order.insert_many(rows[batch : batch + 500]).execute()
    created = Order.select(Order.id).where(Order.id > before).order_by(Order.id)
    return [order_id for (order_id,) in created.tuples()]


def status_history(order_):
    """(handle, client_id) of each status history row of an order, oldest first."""
    return [(handle, client) for handle, client, _ in status_history_actors(order_)]


def status_history_actors(order_):
    """(handle, client_id, actor) of each status history row of an order, oldest first."""
    return list(
        OrderStatusHistory.select(
            OrderStatusHistory.handle, OrderStatusHistory.client, OrderStatusHistory.actor
        )
        .where(OrderStatusHistory.order == order_)
        .order_by(OrderStatusHistory.changed_at, OrderStatusHistory.id)
        .tuples()
    )


def choice(option_, name, price_adjustment=None, weight_adjustment=None, sort_order=0):
    return ProductOptionChoice.create(
        option=option_,
        name=name,
        price_adjustment=price_adjustment,
        weight_adjustment=weight_adjustment,
        sort_order=sort_order,
    )


def rich_product(size=2, **fields):
    """A product with `size` of everything: images, groups, categories, two list options of
    `size` choices each, one text option, and a variation for every pair of choices."""
    made = product(**fields)
    for n in range(size):
        image(made, f"https://example.com/p{made.id}/{n}.jpg", sort_order=n)
        group(made, f"Group {n}")
        category(made, f"Category {made.id}-{n}", f"https://example.com/c/{made.id}/{n}")
    _, sizes = option(made, "Size", choices=[f"S{n}" for n in range(size)])
    _, colours = option(made, "Colour", choices=[f"C{n}" for n in range(size)])
    option(made, "Engraving", kind="text", required=False)
    for left in sizes:
        for right in colours:
            variation(made, choices=(left, right))
    return made


def store_rows():
    """Every row an order write could change: orders and their children, and the stock,
    prices and dates of products and variations. Compare two to prove nothing changed."""
    from models.catalog import Product, Variation

    tables = (Order, OrderItem, OrderItemOption, OrderAttribute, OrderStatusHistory)
    rows = {model.__name__: list(model.select().order_by(model.id).tuples()) for model in tables}
    rows["Product"] = list(
        Product.select(Product.id, Product.stock_level, Product.date_updated)
        .order_by(Product.id)
        .tuples()
    )
    rows["Variation"] = list(
        Variation.select(Variation.id, Variation.stock_level).order_by(Variation.id).tuples()
    )
    return rows


def catalog_rows():
    """Every row of every catalogue table. Compare two to prove nothing changed."""
    from models import catalog

    tables = (
        catalog.Sku, catalog.Brand, catalog.Product, catalog.ProductImage,
        catalog.ProductGroup, catalog.ProductGroupLink, catalog.Category,
        catalog.ProductCategory, catalog.ProductOption, catalog.ProductOptionChoice,
        catalog.Variation, catalog.VariationChoice,
    )  # fmt: skip
    return {
        model.__name__: list(model.select().order_by(*model._meta.get_primary_keys()).tuples())
        for model in tables
    }


def bulk_products(count, variations_each=0, stock_level=Decimal(5)):
    """`count` products (SKU `BULK-n`, stock 5) with `variations_each` variations each (SKU
    `BULK-n-m`, stock 3), inserted in batches."""
    from models.catalog import PRODUCT_SKU, VARIATION_SKU, Product, Sku, Variation

    start = next(_sequence) * 1_000_000
    stamp = datetime.datetime(2024, 1, 1, 12, 0)
    codes = [f"BULK-{start + n}" for n in range(count)]
    for batch in range(0, count, 500):
        chunk = codes[batch : batch + 500]
        Sku.insert_many([(code, PRODUCT_SKU) for code in chunk], [Sku.code, Sku.kind]).execute()
        Product.insert_many(
            [
                {"name": f"Bulk {code}", "sku": code, "stock_level": stock_level,
                 "date_added": stamp, "date_updated": stamp}
                for code in chunk
            ]
        ).execute()  # fmt: skip
    if not variations_each:
        return
    ids = dict(Product.select(Product.sku, Product.id).where(Product.sku.in_(codes)).tuples())
    rows = [(f"{code}-{m}", ids[code]) for code in codes for m in range(variations_each)]
    for batch in range(0, len(rows), 500):
        chunk = rows[batch : batch + 500]
        Sku.insert_many(
            [(code, VARIATION_SKU) for code, _ in chunk], [Sku.code, Sku.kind]
        ).execute()
        Variation.insert_many(
            [{"product": product_id, "sku": code, "stock_level": Decimal(3)}
             for code, product_id in chunk]
        ).execute()  # fmt: skip
