"""Every database keeps how many visible orders each block of 1,024 order ids holds
(migration 0021), moved by triggers whatever the path; a deep page of the default listing
skips to its block by those counts instead of stepping over every order before it."""

import datetime
import importlib
import json
from decimal import Decimal

import pytest
from playhouse.test_utils import count_queries

from models.base import db
from models.orders import VISIBLE_BLOCK, Order, OrderVisibleBlock
from store.orders import refresh_documents
from tests import factories
from tests.test_order_tally import write_concurrently
from tests.test_orders_pagination import KEPT_LIST_QUERIES, walk

URL = "/cs/api/v1/orders"
PENDING = datetime.datetime(2024, 2, 1)
MIGRATION = importlib.import_module("models.migrations.0021_order_visible_blocks")


def kept_counts():
    rows = OrderVisibleBlock.select(OrderVisibleBlock.block, OrderVisibleBlock.orders).tuples()
    return {block: orders for block, orders in rows if orders}


def true_counts():
    """The visible orders per block, counted from the orders themselves."""
    counts = {}
    visible = Order.external_payment_requested_at.is_null() | Order.paid_at.is_null(False)
    for (order_id,) in Order.select(Order.id).where(visible).tuples():
        counts[order_id // VISIBLE_BLOCK] = counts.get(order_id // VISIBLE_BLOCK, 0) + 1
    return counts


def test_the_counts_follow_every_way_orders_come_and_go(client, auth):
    assert kept_counts() == {}
    factories.bare_orders(1500)
    hidden = factories.bare_orders(700, external_payment_requested_at=PENDING)
    factories.bare_orders(300)
    factories.order()
    assert kept_counts() == true_counts()
    assert sum(kept_counts().values()) == 1801
    factories.product(sku="MUG", name="Mug", price=Decimal("9.50"), stock_level=Decimal(5))
    body = {
        "data": {"customer": {"email": "a@example.com"}, "items": [{"sku": "MUG", "quantity": 1}]}
    }
    headers = auth("cs:orders:manage", "cs:orders:read")
    assert client.post(URL, data=json.dumps(body), headers=headers).status_code == 201
    put = client.put(f"{URL}/900001", data=json.dumps({"data": {"total": 5}}), headers=headers)
    assert put.status_code == 201, put.get_json()
    assert kept_counts() == true_counts()
    assert kept_counts()[900001 // VISIBLE_BLOCK] == 1
    # Paid at last: visible. Waiting for an off-site payment again: hidden.
    Order.update(paid_at=datetime.datetime(2024, 3, 1)).where(Order.id.in_(hidden[:50])).execute()
    Order.update(external_payment_requested_at=PENDING, paid_at=None).where(
        Order.id.in_(hidden[:10] + [hidden[-1] + 1, hidden[-1] + 2])
    ).execute()
    # Changes that leave visibility alone move nothing.
    Order.update(total=Decimal("2.00")).execute()
    Order.update(paid_at=datetime.datetime(2024, 3, 2)).where(
        Order.paid_at.is_null(False)
    ).execute()
    assert kept_counts() == true_counts()
    assert sum(kept_counts().values()) == 1803 + 40 - 2
    # A new id, in another block (one no order has: ids carry on from earlier tests where
    # emptying the tables leaves the counter alone).
    moved = hidden[-1] + 3
    free = moved // VISIBLE_BLOCK * VISIBLE_BLOCK + 2 * VISIBLE_BLOCK
    assert not Order.select().where(Order.id == free).exists()
    Order.update(id=free).where(Order.id == moved).execute()
    assert kept_counts() == true_counts()
    with db.atomic() as transaction:
        factories.bare_orders(5)
        Order.delete().where(Order.id < 600).execute()
        transaction.rollback()
    assert kept_counts() == true_counts()
    Order.delete().where(Order.id < hidden[100]).execute()
    assert kept_counts() == true_counts()
    total = client.get(URL, headers=headers).get_json()["meta"]["pagination"]["total"]
    assert sum(kept_counts().values()) == total > 200


def test_deep_pages_are_the_pages_skipped_to_the_long_way(app, client, auth):
    visible = factories.bare_orders(1100)
    factories.bare_orders(900, external_payment_requested_at=PENDING)
    visible += factories.bare_orders(1500)
    factories.bare_orders(30, external_payment_requested_at=PENDING)
    visible += factories.bare_orders(400)
    newest_first = sorted(visible, reverse=True)
    headers = auth("cs:orders:read")
    for refresh in (False, True):
        if refresh:
            refresh_documents(app.extensions["community_store_api"].settings)
        pages = walk(client, headers, f"{URL}?paging=100")
        assert [order["id"] for body in pages for order in body["data"]] == newest_first
        # Pages that start a few orders either side of where blocks meet.
        for per_page, page in ((7, 147), (7, 148), (9, 114), (9, 115), (13, 202), (11, 355)):
            body = client.get(f"{URL}?paging={per_page}&page={page}", headers=headers).get_json()
            offset = (page - 1) * per_page
            assert [order["id"] for order in body["data"]] == newest_first[
                offset : offset + per_page
            ], (per_page, page)
            assert body["meta"]["pagination"]["total"] == len(visible)
    full = client.get(f"{URL}?paging=50&page=40&view=full", headers=headers).get_json()
    assert [order["id"] for order in full["data"]] == newest_first[1950:2000]


def test_a_deep_page_costs_one_query_more_whatever_its_depth(app, client, auth):
    factories.bare_orders(4000)
    refresh_documents(app.extensions["community_store_api"].settings)
    headers = auth("cs:orders:read")
    for page, queries in ((1, KEPT_LIST_QUERIES), (52, KEPT_LIST_QUERIES), (53, 4), (199, 4)):
        client.get(f"{URL}?page={page}", headers=headers)
        with count_queries() as counted:
            response = client.get(f"{URL}?page={page}", headers=headers)
        assert response.status_code == 200
        assert (counted.count, len(response.get_json()["data"])) == (queries, 20), page


def test_counts_that_do_not_add_up_are_not_trusted(client, auth):
    visible = factories.bare_orders(3000)
    newest_first = sorted(visible, reverse=True)
    headers = auth("cs:orders:read")
    block = visible[-1] // VISIBLE_BLOCK
    OrderVisibleBlock.update(orders=OrderVisibleBlock.orders + 5).where(
        OrderVisibleBlock.block == block
    ).execute()
    body = client.get(f"{URL}?paging=100&page=25", headers=headers).get_json()
    assert [order["id"] for order in body["data"]] == newest_first[2400:2500]
    assert body["meta"]["pagination"]["total"] == 3000


def test_the_migration_counts_the_orders_already_there(app, backend):
    factories.bare_orders(1300)
    factories.bare_orders(200, external_payment_requested_at=PENDING)
    factories.bare_orders(1000)
    expected = true_counts()
    database = db.obj
    with database.atomic():
        MIGRATION.down(None, database)
    with database.atomic():
        MIGRATION.up(None, database)
    assert kept_counts() == expected
    factories.bare_orders(10)
    assert kept_counts() == true_counts()


def test_concurrent_writers_keep_the_counts_exact(app, backend):
    if backend == "sqlite":
        pytest.skip("SQLite runs one writer at a time")

    def hide_the_second(n, ids):
        if n % 3 == 0:
            Order.update(external_payment_requested_at=PENDING).where(Order.id == ids[1]).execute()

    write_concurrently(app.extensions["community_store_api"].database, hide_the_second)
    assert kept_counts() == true_counts()
    assert sum(kept_counts().values()) == 6 * 10 * 3 - 3 * 10 - 2 * 10
