"""`cs demo`: a realistic store, the same for the same seed, consistent order by order."""

import datetime
import json
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from peewee import fn

from models import ALL_MODELS
from models.catalog import Product, Sku, Variation
from models.events import seed_event_marks
from models.orders import Order, OrderAttribute, OrderItem, OrderStatusHistory
from models.statuses import FulfilmentStatus, seed_default_statuses
from tests import factories

SMALL = ("--products", "15", "--orders", "60", "--no-progress")
UNTIL = datetime.datetime(2026, 1, 1)
STATUS_PATHS = {
    ("incomplete",),
    ("incomplete", "processing"),
    ("incomplete", "processing", "shipped"),
    ("incomplete", "processing", "shipped", "delivered"),
    ("incomplete", "processing", "nodelivery"),
    ("incomplete", "processing", "shipped", "delivered", "returned"),
    # Downloads and gift cards are delivered (or not) without being shipped.
    ("incomplete", "delivered"),
    ("incomplete", "nodelivery"),
}


@pytest.fixture
def demo(app):
    runner = app.test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=["cs", "demo", *args])
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result.output

    return run


def dump():
    """Every row of every table, ids and all."""
    return {
        model.__name__: list(
            model.select().order_by(*model._meta.get_primary_keys()).tuples().iterator()
        )
        for model in ALL_MODELS
    }


def empty_store():
    for model in reversed(ALL_MODELS):
        model.delete().execute()
    seed_default_statuses()
    seed_event_marks()


def payment_state(order):
    """The paymentStatus filters of the order listing that match this order."""
    states = set()
    if order.paid_at and not order.refunded_at:
        states.add("paid")
    if not order.paid_at and not order.refunded_at and not order.external_payment_requested_at:
        states.add("unpaid")
    if order.cancelled_at:
        states.add("cancelled")
    if order.refunded_at:
        states.add("refunded")
    if order.external_payment_requested_at and not order.paid_at:
        states.add("incomplete")
    return states


def test_same_seed_gives_the_same_store(demo):
    demo(*SMALL, "--seed", "7")
    first = dump()
    assert len(first["Order"]) == 60 and len(first["Product"]) == 15
    empty_store()
    demo(*SMALL, "--seed", "7")
    assert dump() == first
    empty_store()
    demo(*SMALL, "--seed", "8")
    assert dump()["Order"] != first["Order"]


def test_every_status_and_payment_state_is_present(demo):
    demo(*SMALL)
    orders = list(Order.select())
    handles = {status.handle for status in FulfilmentStatus.select()}
    assert {order.status.handle for order in orders} == handles
    states = Counter(state for order in orders for state in payment_state(order))
    assert set(states) == {"paid", "unpaid", "cancelled", "refunded", "incomplete"}
    # Waiting for an off-site payment is rare, as in a real shop: such orders are hidden.
    assert states["incomplete"] < len(orders) / 5
    assert all(order.refund_reason for order in orders if order.refunded_at)


def test_shippable_and_not(demo):
    demo("--products", "20", "--orders", "120", "--no-progress")
    orders = list(Order.select())
    shippable = [order for order in orders if order.shipping_method]
    assert 0 < len(shippable) < len(orders)
    for order in orders:
        shipping = [getattr(order, f"shipping_{name}") for name in ("address1", "city", "country")]
        assert all(shipping) if order.shipping_method else not any(shipping), order.id
        assert order.billing_address1 and order.billing_country and order.customer_email
    assert any(order.customer_username for order in orders)
    assert any(order.customer_username is None for order in orders)
    assert any(order.vat_number for order in orders)


def test_every_order_has_a_history_ending_in_its_status(demo):
    demo(*SMALL)
    history = defaultdict(list)
    rows = OrderStatusHistory.select().order_by(
        OrderStatusHistory.changed_at, OrderStatusHistory.id
    )
    for row in rows:
        assert row.status.handle == row.handle
        history[row.order_id].append(row)
    for order in Order.select():
        rows = history[order.id]
        assert tuple(row.handle for row in rows) in STATUS_PATHS, order.id
        assert rows[-1].handle == order.status.handle
        assert rows[0].changed_at == order.placed_at
        assert all(order.placed_at <= row.changed_at <= UNTIL for row in rows)
        for moment in (order.paid_at, order.cancelled_at, order.refunded_at):
            assert moment is None or order.placed_at <= moment <= UNTIL
        if order.refunded_at:
            assert order.paid_at is not None and order.paid_at <= order.refunded_at


def test_skus_are_unique_and_copied_into_order_items(demo):
    demo(*SMALL)
    products = {p.id: p for p in Product.select()}
    variations = {v.id: v for v in Variation.select()}
    skus = [p.sku for p in products.values()] + [v.sku for v in variations.values()]
    assert len(skus) == len(set(skus)) and None not in skus
    assert sorted(code for (code,) in Sku.select(Sku.code).tuples()) == sorted(skus)
    assert variations
    for item in OrderItem.select():
        product = products[item.product_id]
        assert item.name == product.name
        expected = variations[item.variation_id].sku if item.variation_id else product.sku
        assert item.sku == expected
        assert item.price > 0 and item.quantity > 0


def test_totals_are_explainable(demo):
    demo("--products", "20", "--orders", "150", "--no-progress")
    lines = defaultdict(Decimal)
    for item in OrderItem.select():
        lines[item.order_id] += item.price * item.quantity
    for order in Order.select():
        explained = lines[order.id] + order.shipping_total + order.tax_total
        assert order.total == explained - order.discount_total, order.id
        assert isinstance(order.total, Decimal) and order.total > 0
    assert Order.select().where(Order.discount_total > 0).exists()
    assert Order.select().where(Order.tax_total > 0).exists()


def test_attributes_are_json(demo):
    demo(*SMALL)
    values = [
        json.loads(value) for (value,) in OrderAttribute.select(OrderAttribute.value).tuples()
    ]
    assert {type(value) for value in values} >= {str, bool}


def test_a_filled_store_is_refused_unless_appending(demo):
    demo(*SMALL)
    before = dump()
    output = demo(*SMALL, ok=False)
    assert "already has 15 product(s) and 60 order(s)" in output and "--append" in output
    assert dump() == before
    demo(*SMALL, "--append")
    assert Order.select().count() == 120 and Product.select().count() == 30
    skus = [code for (code,) in Sku.select(Sku.code).tuples()]
    assert len(skus) == len(set(skus))


def test_a_store_with_products_only_is_refused_too(demo):
    factories.product()
    assert "--append" in demo(*SMALL, ok=False)
    assert Order.select().count() == 0


def test_new_rows_get_new_ids_after_the_demo(demo, backend):
    """The ids were given explicitly: the databases' own id counters must be past them."""
    demo(*SMALL)
    if backend == "postgresql":
        # Whatever earlier tests left in the sequences, they now stand at the demo's ids.
        for table, last in (("order", 60), ("product", 15)):
            cursor = Order._meta.database.execute_sql(
                "SELECT last_value FROM pg_sequences WHERE sequencename = "
                f"(SELECT relname FROM pg_class WHERE oid = "
                f"pg_get_serial_sequence('\"{table}\"', 'id')::regclass)"
            )
            assert cursor.fetchone()[0] == last
    created = factories.order(items=[{"name": "Extra", "sku": "X", "quantity": 1, "price": 2}])
    assert created.id > 60
    assert factories.product().id > 15


def test_orders_need_products(demo):
    assert "--products" in demo("--products", "0", "--orders", "5", ok=False)
    assert Order.select().count() == 0


def test_dates_follow_the_reference_date(demo):
    demo(*SMALL, "--until", "2022-06-30")
    until = datetime.datetime(2022, 6, 30)
    first, last = Order.select(fn.MIN(Order.placed_at), fn.MAX(Order.placed_at)).scalar(
        as_tuple=True
    )
    assert until - datetime.timedelta(days=730) <= first < last <= until


def test_the_quickstart_demo(demo, client, auth):
    output = demo("--no-progress")
    assert "200 products" in output and "1000 orders" in output
    body = client.get("/cs/api/v1/orders", headers=auth("cs:orders:read")).get_json()
    hidden = Order.select().where(
        Order.external_payment_requested_at.is_null(False), Order.paid_at.is_null()
    )
    assert body["meta"]["pagination"]["total"] == 1000 - hidden.count()
    assert len(body["data"]) == 20 and body["data"][0]["id"] == 1000
    assert all(order["items"] for order in body["data"])
