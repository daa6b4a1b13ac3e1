"""PostgreSQL and MariaDB keep the number of orders in a row (migrations 0017 and 0018),
moved by triggers with every order inserted or deleted, whatever the path; the default
listing's total reads it instead of counting the table."""

import datetime
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from models.base import db
from models.orders import Order, OrderTally
from tests import factories

URL = "/cs/api/v1/orders"


@pytest.fixture(autouse=True)
def servers_only(backend):
    if backend == "sqlite":
        pytest.skip("SQLite counts its orders from its b-tree, without a tally")


def tally():
    return OrderTally.get_by_id(1).orders


def test_the_tally_follows_every_way_orders_come_and_go(client, auth, app):
    assert tally() == Order.select().count() == 0
    factories.bare_orders(120)
    factories.order()
    assert tally() == 121
    factories.product(sku="MUG", name="Mug", price=Decimal("9.50"), stock_level=Decimal(5))
    body = {
        "data": {"customer": {"email": "a@example.com"}, "items": [{"sku": "MUG", "quantity": 1}]}
    }
    headers = auth("cs:orders:manage", "cs:orders:read")
    created = client.post(URL, data=json.dumps(body), headers=headers)
    assert created.status_code == 201
    put = client.put(f"{URL}/900001", data=json.dumps({"data": {"total": 5}}), headers=headers)
    assert put.status_code == 201, put.get_json()
    assert tally() == Order.select().count() == 123
    with db.atomic() as transaction:
        factories.bare_orders(5)
        transaction.rollback()
    assert tally() == 123
    Order.delete().where(
        Order.id < Order.select(Order.id).order_by(Order.id).offset(10).limit(1)
    ).execute()
    assert tally() == Order.select().count() == 113


def test_the_listing_total_is_the_tally_less_the_hidden_orders(client, auth, app):
    factories.bare_orders(30)
    factories.bare_orders(4, external_payment_requested_at=datetime.datetime(2024, 1, 2))
    headers = auth("cs:orders:read")
    meta = client.get(URL, headers=headers).get_json()["meta"]["pagination"]
    assert meta["total"] == 30
    # Read from the row, not counted: a tally moved by hand shows.
    OrderTally.update(orders=OrderTally.orders + 7).execute()
    meta = client.get(URL, headers=headers).get_json()["meta"]["pagination"]
    assert meta["total"] == 37
    OrderTally.update(orders=OrderTally.orders - 7).execute()
    filtered = client.get(f"{URL}?paymentStatus=incomplete", headers=headers).get_json()
    assert filtered["meta"]["pagination"]["total"] == 4


def write_concurrently(database, also=None):
    """Six writers at once, each its own connection, ten transactions each: three orders
    placed, the first of them deleted by every other writer, then `also(n, ids)` (writer n,
    the three ids) in the same transaction."""
    values = {
        "status": factories.status("incomplete").id,
        "total": Decimal("1.00"),
        "placed_at": datetime.datetime(2024, 1, 1),
    }

    def write(n):
        with db.bound(database), database.connection_context():
            for _ in range(10):
                with database.atomic():
                    ids = [Order.create(**values).id for _ in range(3)]
                    if n % 2:
                        Order.delete().where(Order.id == ids[0]).execute()
                    if also is not None:
                        also(n, ids)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(6)))


def test_concurrent_writers_keep_the_tally_exact(app):
    write_concurrently(app.extensions["community_store_api"].database)
    assert tally() == Order.select().count() == 6 * 10 * 3 - 3 * 10 * 1
