"""Load a floor dataset (dataset.py's JSON lines) into the service's schema, so that the
service and the floor serve the same store and their bodies can be compared.

    DATABASE_URL=... python bench/floor_store.py DATA_DIR

The database must be upgraded and hold no products or orders. Ids are kept, money and
quantities become Decimals, instants naive UTC. What the dataset lacks (vat number,
phones of shipping addresses, histories beyond the current status) is left empty.
"""

import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path

from peewee import PostgresqlDatabase, SqliteDatabase

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from commands.demo import Rows  # noqa: E402
from config import EXTENSION  # noqa: E402
from models.base import db, locking_atomic, sync_id_sequence  # noqa: E402
from models.catalog import (  # noqa: E402
    Brand,
    Category,
    Product,
    ProductCategory,
    ProductGroup,
    ProductGroupLink,
    ProductImage,
    ProductOption,
    ProductOptionChoice,
    Sku,
    Variation,
    VariationChoice,
)
from models.orders import (  # noqa: E402
    ADDRESS_FIELDS,
    Order,
    OrderAttribute,
    OrderItem,
    OrderItemOption,
    OrderStatusHistory,
)
from models.statuses import FulfilmentStatus  # noqa: E402

BATCH = 2000


def instant(text):
    if text is None:
        return None
    parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(datetime.UTC).replace(tzinfo=None)


def money(text):
    return None if text is None else Decimal(text)


def number(value):
    return None if value is None else Decimal(str(value))


def full(model, **values):
    """A complete row of `model`: every column given, the rest None."""
    row = dict.fromkeys(field.name for field in model._meta.sorted_fields)
    row.update(values)
    return row


class Loader:
    def __init__(self):
        self.rows = Rows()
        self.ids = {}
        self.named = {Brand: {}, ProductGroup: {}, Category: {}}
        self.choices = {}

    def add(self, model, **values):
        if "id" not in values and model._meta.primary_key.name == "id":
            values["id"] = self.ids[model] = self.ids.get(model, 0) + 1
        self.rows.add(model, **full(model, **values))

    def lookup(self, model, name, **extra):
        known = self.named[model]
        if name not in known:
            known[name] = len(known) + 1
            self.add(model, id=known[name], name=name, **extra)
        return known[name]

    def statuses(self, path):
        for status in json.loads(path.read_text()):
            self.add(
                FulfilmentStatus,
                id=status["id"],
                handle=status["handle"],
                name=status["name"],
                sort_order=status["sort_order"],
                is_starting=status["is_start"],
            )
        self.rows.write()

    def product(self, p):
        shipping = p["shipping"]
        self.add(Sku, code=p["sku"], kind="P")
        self.add(
            Product,
            id=p["id"],
            name=p["name"],
            sku=p["sku"],
            sku_kind="P",
            barcode=p["barcode"],
            active=p["active"],
            stock_level=number(p["stock_level"]),
            stock_unlimited=p["stock_unlimited"],
            short_description=p["short_description"],
            description=p["description"],
            brand=self.lookup(Brand, p["brand"]) if p["brand"] else None,
            price=money(p["price"]),
            wholesale_price=money(p["wholesale_price"]),
            cost_price=money(p["cost_price"]),
            sale_price=money(p["sale_price"]),
            sale_start=instant(p["sale_start"]),
            sale_end=instant(p["sale_end"]),
            primary_image=p["primary_image"],
            shippable=shipping["shippable"],
            width=number(shipping["width"]),
            height=number(shipping["height"]),
            length=number(shipping["length"]),
            number_items=shipping["number_items"],
            stacked_height=number(shipping["stacked_height"]),
            separate_ship=shipping["separate_ship"],
            date_added=instant(p["date_added"]),
            date_updated=instant(p["date_updated"]),
        )
        for position, url in enumerate(p["additional_images"]):
            self.add(ProductImage, product=p["id"], url=url, sort_order=position)
        for name in p["groups"]:
            self.add(ProductGroupLink, product=p["id"], group=self.lookup(ProductGroup, name))
        for position, category in enumerate(p["categories"]):
            category_id = self.lookup(Category, category["name"], url=category["url"])
            self.add(ProductCategory, product=p["id"], category=category_id, sort_order=position)
        for position, option in enumerate(p["options"]):
            self.add(
                ProductOption,
                product=p["id"],
                name=option["name"],
                handle=option["handle"],
                kind=option["type"],
                required=option["required"],
                sort_order=position,
            )
            option_id = self.ids[ProductOption]
            for rank, choice in enumerate(option["options"]):
                self.add(
                    ProductOptionChoice,
                    option=option_id,
                    name=choice["name"],
                    price_adjustment=money(choice["price_adjustment"]),
                    weight_adjustment=number(choice["weight_adjustment"]),
                    sort_order=rank,
                )
                self.choices[(p["id"], option["name"], choice["name"])] = self.ids[
                    ProductOptionChoice
                ]
        for position, v in enumerate(p["variations"]):
            shipping = v["shipping"]
            self.add(Sku, code=v["sku"], kind="V")
            self.add(
                Variation,
                id=v["id"],
                product=p["id"],
                sku=v["sku"],
                sku_kind="V",
                barcode=v["barcode"],
                stock_level=number(v["stock_level"]),
                stock_unlimited=v["stock_unlimited"],
                price=money(v["price"]),
                wholesale_price=money(v["wholesale_price"]),
                cost_price=money(v["cost_price"]),
                sale_price=money(v["sale_price"]),
                primary_image=v["primary_image"],
                width=number(shipping["width"]),
                height=number(shipping["height"]),
                length=number(shipping["length"]),
                number_items=shipping["number_items"],
                sort_order=position,
            )
            for chosen in v["options"]:
                choice = self.choices[(p["id"], chosen["name"], chosen["value"])]
                self.add(VariationChoice, variation=v["id"], choice=choice)

    def order(self, o, statuses):
        customer, fulfilment = o["customer"], o["fulfilment"]
        refunded = o["refunded"] or {}
        row = dict(
            id=o["id"],
            placed_at=instant(o["date_placed"]),
            locale=o["locale"],
            customer_email=customer["email"],
            customer_username=customer["username"],
            payment_method=o["payment_method"],
            payment_reference=o["payment_reference"],
            paid_at=instant(o["payment_date"]),
            cancelled_at=instant(o["cancelled"]),
            refunded_at=instant(refunded.get("date")),
            refund_reason=refunded.get("reason"),
            external_payment_requested_at=instant(o["external_payment_requested"]),
            shipping_method=o["shipping_method"],
            shipping_total=money(o["shipping_total"]),
            tax_total=money(o["tax_total"]),
            discount_total=money(o["discount_total"]),
            total=money(o["total"]),
            status=statuses[fulfilment["handle"]],
            tracking_id=fulfilment["tracking_id"],
            tracking_code=fulfilment["tracking_code"],
            tracking_url=fulfilment["tracking_url"],
            updated_at=instant(o["date_placed"]),
        )
        for prefix, who in (("billing", customer["billing"]), ("shipping", customer["shipping"])):
            who = who or {}
            address = who.get("address") or {}
            for key in ("first_name", "last_name", "company", "phone"):
                row[f"{prefix}_{key}"] = who.get(key)
            for key in ADDRESS_FIELDS:
                row[f"{prefix}_{key}"] = address.get(key)
        self.add(Order, **row)
        self.add(
            OrderStatusHistory,
            order=o["id"],
            status=statuses[fulfilment["handle"]],
            handle=fulfilment["handle"],
            changed_at=instant(o["date_placed"]),
        )
        for position, item in enumerate(o["items"]):
            self.add(
                OrderItem,
                id=item["id"],
                order=o["id"],
                product=item["product_id"],
                variation=item["variation_id"],
                name=item["name"],
                sku=item["sku"],
                quantity=number(item["quantity"]),
                price=money(item["price"]),
                sort_order=position,
            )
            for rank, option in enumerate(item["options"]):
                self.add(OrderItemOption, item=item["id"], sort_order=rank, **option)
        for position, attribute in enumerate(o["attributes"]):
            self.add(
                OrderAttribute,
                order=o["id"],
                handle=attribute["handle"],
                name=attribute["name"],
                value=json.dumps(attribute["value"], ensure_ascii=False, separators=(",", ":")),
                sort_order=position,
            )


def lines(path):
    with path.open(encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def load(data):
    loader = Loader()
    if Product.select().exists() or Order.select().exists():
        raise SystemExit("the store is not empty")
    FulfilmentStatus.delete().execute()  # the default statuses, replaced by the dataset's
    loader.statuses(data / "statuses.json")
    statuses = dict(FulfilmentStatus.select(FulfilmentStatus.handle, FulfilmentStatus.id).tuples())
    for count, product in enumerate(lines(data / "products.jsonl"), 1):
        loader.product(product)
        if count % 500 == 0:
            loader.rows.write()
    loader.rows.write()
    for count, order in enumerate(lines(data / "orders.jsonl"), 1):
        loader.order(order, statuses)
        if count % BATCH == 0:
            loader.rows.write()
    loader.rows.write()
    for model in (*loader.ids, Product, Variation, Order, OrderItem, FulfilmentStatus):
        sync_id_sequence(model)
    return loader.rows.written


def main():
    data = Path(sys.argv[1])
    app = create_app()
    with app.app_context():
        database = app.extensions[EXTENSION].database
        with db.bound(database), database.connection_context():
            with locking_atomic():
                written = load(data)
            # Statistics, as the floor gathers for its own store; MariaDB's InnoDB keeps
            # its own as rows change.
            if isinstance(database, PostgresqlDatabase | SqliteDatabase):
                db.execute_sql("ANALYZE")
    print(json.dumps({model.__name__: count for model, count in written.items()}))


if __name__ == "__main__":
    main()
