"""Orders, their items, chosen options, extra attributes and status history."""

from peewee import (
    BigAutoField,
    BigIntegerField,
    CharField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
    TextField,
)

from models.base import BaseModel, Fixed4Field, SkuField, UTCDateTimeField, utcnow
from models.catalog import Product, Variation
from models.clients import ApiClient
from models.idempotency import DocumentField
from models.statuses import FulfilmentStatus

ADDRESS_FIELDS = (
    "address1",
    "address2",
    "address3",
    "city",
    "state_province",
    "country",
    "postal_code",
)


# What most order listings filter on, carried by two indexes (migration 0002).
LISTING_STATE = (
    "external_payment_requested_at",
    "paid_at",
    "refunded_at",
    "cancelled_at",
    "placed_at",
)


def _address(prefix):
    return {f"{prefix}_{name}": TextField(null=True) for name in ADDRESS_FIELDS}


def _person(prefix):
    return {
        f"{prefix}_first_name": CharField(max_length=255, null=True),
        f"{prefix}_last_name": CharField(max_length=255, null=True),
        f"{prefix}_company": CharField(max_length=255, null=True),
        f"{prefix}_phone": CharField(max_length=100, null=True),
    }


class Order(BaseModel):
    # 64-bit (migration 0008): an order recorded by PUT keeps its id, up to 10^15 - 1.
    id = BigAutoField()
    placed_at = UTCDateTimeField(default=utcnow, index=True)
    locale = CharField(max_length=20, null=True)
    customer_email = CharField(max_length=255, null=True, index=True)
    customer_username = CharField(max_length=255, null=True)
    vat_number = CharField(max_length=100, null=True)
    payment_method = CharField(max_length=255, null=True)
    payment_reference = CharField(max_length=255, null=True)
    # Indexed with external_payment_requested_at (migration 0002).
    paid_at = UTCDateTimeField(null=True)
    cancelled_at = UTCDateTimeField(null=True, index=True)
    refunded_at = UTCDateTimeField(null=True, index=True)
    refund_reason = TextField(null=True)
    # When a refund or cancellation put the items back into stock: a second one does not.
    restocked_at = UTCDateTimeField(null=True)
    # Set when the customer was sent to an off-site payment page; such an order stays
    # hidden from listings until it is paid.
    external_payment_requested_at = UTCDateTimeField(null=True, index=True)
    # No shipping method means the order is not shippable.
    shipping_method = CharField(max_length=255, null=True, index=True)
    shipping_total = Fixed4Field(default=0)
    tax_total = Fixed4Field(default=0)
    discount_total = Fixed4Field(default=0)
    total = Fixed4Field(default=0)
    # The current fulfilment status; the history table keeps how it got there.
    # Indexed first in the status page index (migration 0002).
    status = ForeignKeyField(FulfilmentStatus, on_delete="RESTRICT", index=False)
    tracking_id = CharField(max_length=100, null=True)
    tracking_code = TextField(null=True)
    tracking_url = TextField(null=True)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = (
            # The order listing's (migration 0002).
            (("paid_at", "external_payment_requested_at"), False),
            (("status", "id", *LISTING_STATE), False),
            (("id", *LISTING_STATE), False),
            # The default listing's pages (migration 0012).
            (("id", "external_payment_requested_at", "paid_at"), False),
        )


for _name, _field in {
    **_person("billing"),
    **_address("billing"),
    **_person("shipping"),
    **_address("shipping"),
}.items():
    Order._meta.add_field(_name, _field)


class OrderItem(BaseModel):
    """A line of an order, keeping name, SKU and price as they were when ordered."""

    id = BigAutoField()
    order = ForeignKeyField(Order, backref="items", on_delete="CASCADE")
    product = ForeignKeyField(Product, null=True, on_delete="SET NULL")
    variation = ForeignKeyField(Variation, null=True, on_delete="SET NULL")
    name = CharField(max_length=255)
    # Compared exactly, as every SKU (migration 0004).
    sku = SkuField(null=True)
    quantity = Fixed4Field()
    price = Fixed4Field()
    sort_order = IntegerField(default=0)


class OrderItemOption(BaseModel):
    item = ForeignKeyField(OrderItem, backref="options", on_delete="CASCADE")
    name = CharField(max_length=255)
    handle = CharField(max_length=255)
    value = TextField()
    sort_order = IntegerField(default=0)


class OrderAttribute(BaseModel):
    order = ForeignKeyField(Order, backref="attributes", on_delete="CASCADE")
    handle = CharField(max_length=255)
    name = CharField(max_length=255)
    # JSON text: an attribute's value may be any JSON value.
    value = TextField()
    sort_order = IntegerField(default=0)


class OrderStatusHistory(BaseModel):
    order = ForeignKeyField(Order, backref="history", on_delete="CASCADE")
    status = ForeignKeyField(FulfilmentStatus, on_delete="RESTRICT")
    handle = CharField(max_length=100)
    changed_at = UTCDateTimeField(default=utcnow)
    # The integration that made the change, when an API call did (kept for old readers).
    client = ForeignKeyField(ApiClient, field="client_id", null=True, on_delete="SET NULL")
    # Who made it (events.md): `client:<client_id>`, `cli`, `app` or `app:<label>`, or
    # `import:<host>`; null when unknown (rows older than the column).
    actor = CharField(max_length=255, null=True)


# The ids of the orders the default listing shows (SQLite and PostgreSQL, migration 0020).
VISIBLE_IDS_INDEX = "order_visible_id"


class OrderDocument(BaseModel):
    """An order's plain document (the `data` of a v1 `GET /orders/{id}`) as JSON text,
    written with every change to the order (migration 0019). It is served only while it is
    current: `updated_at` equal to the order's, and `key` naming what else shapes the
    document (status handle and name, store settings, renderer) as they are now."""

    order = ForeignKeyField(Order, primary_key=True, on_delete="CASCADE")
    updated_at = UTCDateTimeField()
    key = CharField(max_length=32)
    body = DocumentField()

    class Meta:
        table_name = "order_document"


class OrderTally(BaseModel):
    """PostgreSQL (migration 0017) and MySQL/MariaDB (0018) only, not in ALL_MODELS: one
    row holding the number of orders, moved by triggers with every order inserted or
    deleted."""

    id = SmallIntegerField(primary_key=True)
    orders = BigIntegerField()

    class Meta:
        table_name = "order_tally"


# As migration 0021: a block is the order ids from `block * VISIBLE_BLOCK` on.
VISIBLE_BLOCK = 1024


class OrderVisibleBlock(BaseModel):
    """Migration 0021, not in ALL_MODELS: how many visible orders (the default listing's)
    each block of VISIBLE_BLOCK order ids holds, moved by triggers with every order
    inserted, deleted, made visible or hidden."""

    block = BigIntegerField(primary_key=True)
    orders = BigIntegerField()

    class Meta:
        table_name = "order_visible_block"
