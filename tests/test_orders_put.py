"""PUT /orders/{id} (manage.md §4): the order as recorded, stored as given, stock untouched;
explicit ids kept when free."""

import datetime
import json
from decimal import Decimal

import pytest
from peewee import MySQLDatabase

from models.base import sync_id_sequence
from models.catalog import Product
from models.orders import Order, OrderItem, OrderItemOption
from store import orders
from tests import factories

URL = "/cs/api/v1/orders"
MANAGE = ("cs:orders:manage", "cs:orders:read")
MAX_ID = 10**15 - 1


@pytest.fixture
def manager(auth):
    return auth(*MANAGE)


def put(client, headers, order_id, data):
    body = data if isinstance(data, (str, bytes)) else json.dumps({"data": data})
    return client.put(f"{URL}/{order_id}", data=body, headers=headers)


def recorded(**changes):
    """A paid, refunded and cancelled order as a PUT body, with everything set."""
    address = {
        "address1": "1 Main St", "address2": "", "address3": None, "city": "Phoenix",
        "state_province": "AZ", "country": "US", "postal_code": "85001",
    }  # fmt: skip
    data = {
        "date_placed": {"date": "2024-03-01 15:30:00.123456", "timezone": "America/Phoenix"},
        "total": 1,  # as recorded: not recomputed
        "payment_method": "Card",
        "payment_date": {"date": "2024-03-01 15:31:00.000000", "timezone": "America/Phoenix"},
        "payment_reference": "ch_1",
        "shipping_method": "Ground",
        "fulfilment": {
            "status": "Shipped",
            "handle": "shipped",
            "tracking_id": "T1",
            "tracking_code": "1Z",
            "tracking_url": "https://track.example/1Z",
        },
        "locale": "en_US",
        "customer": {
            "email": "joe@example.com",
            "username": "joe",
            "billing": {
                "phone": "555",
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": address,
            },
            "shipping": {
                "first_name": "Ann",
                "last_name": "Smith",
                "company": "ACME",
                "address": address,
                "phone": "556",
            },
        },  # fmt: skip
        "items": [
            {
                "id": 501,
                "name": "Gone product",
                "sku": "NOT-IN-CATALOGUE",
                "quantity": 2,
                "price": 12.3456,
                "options": [{"name": "Size", "handle": "size", "value": "None"}],
            },
            {"name": "Gift card", "sku": None, "quantity": 0.5, "price": 5, "options": []},
        ],  # fmt: skip
        "attributes": [{"handle": "note", "name": "Note", "value": [1, {"a": None}]}],
        "refunded": {"date": "2024-03-02T10:00:00-07:00", "reason": ""},
        "shipping_total": 4.95,
        "tax": 0.1,
        "discount": 2,
        "cancelled": {"date": "2024-03-02T11:00:00-07:00"},
        "external_payment_requested": "2024-03-01T15:30:05-07:00",
        "status_history": [
            {"handle": "incomplete", "date": "2024-03-01T15:30:00-07:00", "actor": "app:checkout"},
            {"handle": "shipped", "date": "2024-03-01T16:00:00-07:00", "actor": "client:elsewhere"},
            {"handle": "shipped", "date": "2024-03-01T16:00:00-07:00", "actor": None},
        ],
    }
    data.update(changes)
    return data


def test_a_new_id_creates_the_order_as_recorded(client, manager):
    response = put(client, manager, 4242, recorded())
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == f"http://localhost{URL}/4242"
    order = response.get_json()["data"]
    assert client.get(f"{URL}/4242", headers=manager).data == response.data
    assert order["id"] == 4242 and order["total"] == 1
    assert order["date_placed"]["date"] == "2024-03-01 15:30:00.123456"
    assert order["fulfilment"] == {
        "status": "Shipped", "handle": "shipped", "tracking_id": "T1", "tracking_code": "1Z",
        "tracking_url": "https://track.example/1Z",
    }  # fmt: skip
    assert order["items"][0] == {
        "id": 501, "name": "Gone product", "sku": "NOT-IN-CATALOGUE", "quantity": 2,
        "price": 12.3456, "options": [{"name": "Size", "handle": "size", "value": "None"}],
    }  # fmt: skip
    assert order["items"][1]["id"] > 501 and order["items"][1]["sku"] is None
    assert order["refunded"] == {
        "date": {"date": "2024-03-02 10:00:00.000000", "timezone": "America/Phoenix"},
        "reason": "",
    }
    assert order["attributes"] == [{"handle": "note", "name": "Note", "value": [1, {"a": None}]}]
    row = Order.get_by_id(4242)
    assert (row.shipping_total, row.tax_total, row.discount_total) == (
        Decimal("4.95"), Decimal("0.1"), Decimal("2"),
    )  # fmt: skip
    assert row.cancelled_at == datetime.datetime(2024, 3, 2, 18, 0)
    assert row.external_payment_requested_at == datetime.datetime(2024, 3, 1, 22, 30, 5)
    assert row.shipping_phone == "556"
    # The history as given; an integration of another store is named by the actor only.
    assert factories.status_history_actors(4242) == [
        ("incomplete", None, "app:checkout"),
        ("shipped", None, "client:elsewhere"),
        ("shipped", None, None),
    ]


def test_replacing_keeps_the_id_and_replaces_everything(client, manager):
    put(client, manager, 7, recorded())
    replacement = {
        "items": [{"id": 501, "name": "Kept id", "sku": "K", "quantity": 1, "price": 3}],
        "fulfilment": {"handle": "delivered"},
    }
    response = put(client, manager, 7, replacement)
    assert response.status_code == 200, response.get_json()
    assert "Location" not in response.headers
    order = response.get_json()["data"]
    # Absent keys take their defaults; the order's own item id counts as free.
    assert order["items"] == [
        {"id": 501, "name": "Kept id", "sku": "K", "quantity": 1, "price": 3, "options": []}
    ]
    assert order["total"] == 3 and order["payment_date"] is None and "refunded" not in order
    assert order["attributes"] == [] and order["customer"]["email"] is None
    assert OrderItem.select().count() == 1 and OrderItemOption.select().count() == 0
    assert factories.status_history_actors(7) == []
    assert Order.get_by_id(7).cancelled_at is None


def test_stock_is_never_touched(client, manager):
    mug = factories.product(sku="MUG", stock_level=Decimal(1))
    line = {"name": "Mug", "sku": "MUG", "quantity": 5, "price": 1}
    assert put(client, manager, 8, {"items": [line]}).status_code == 201
    assert Product.get_by_id(mug.id).stock_level == 1
    # ...but the line is linked to the catalogue, so a refund can restock it.
    assert OrderItem.get(OrderItem.order == 8).product_id == mug.id


@pytest.fixture
def ids_reset(app):
    """Let the database assign small ids again after a test that used the largest ones."""
    yield
    database = app.extensions["community_store_api"].database
    for model in (OrderItem, Order):
        model.delete().execute()
    if isinstance(database, MySQLDatabase):
        for table in ("order_item", "order"):
            # Back to the largest id left, plus one (none are left).
            database.execute_sql(f"ALTER TABLE `{table}` AUTO_INCREMENT = 1")
    sync_id_sequence(Order)
    sync_id_sequence(OrderItem)


def test_explicit_ids_up_to_the_limit_are_kept_and_new_ids_come_after_them(
    client, manager, ids_reset
):
    factories.product(sku="MUG", stock_level=Decimal(5))
    line = {"id": MAX_ID - 1, "name": "Mug", "sku": "MUG", "quantity": 1, "price": 1}
    response = put(client, manager, MAX_ID, {"items": [line]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["items"][0]["id"] == MAX_ID - 1
    factories.order()  # not the maximum any more...
    put(client, manager, 1_000_000, {"items": []})
    created = client.post(
        URL, json={"data": {"items": [{"sku": "MUG", "quantity": 1}]}}, headers=manager
    )
    assert created.status_code == 201, created.get_json()
    # ...but new ids are still past every id in the table.
    assert created.get_json()["data"]["items"][0]["id"] == MAX_ID


def test_an_item_id_of_another_order_is_a_conflict(client, manager):
    put(
        client,
        manager,
        1,
        {"items": [{"id": 5, "name": "A", "sku": None, "quantity": 1, "price": 1}]},
    )
    before = factories.store_rows()
    lines = [
        {"id": 6, "name": "B", "sku": None, "quantity": 1, "price": 1},
        {"id": 5, "name": "B", "sku": None, "quantity": 1, "price": 1},
    ]
    response = put(client, manager, 2, {"items": lines})
    assert response.status_code == 409
    assert response.get_json() == {
        "error": True,
        "errors": ["Item id 5 is used by another order"],
        "fields": {"data.items.1.id": ["Used by another order."]},
    }
    assert factories.store_rows() == before


@pytest.mark.parametrize(
    ("order_id", "data", "path"),
    [
        (MAX_ID + 1, {}, "id"),
        (1, {"id": 2}, "data.id"),
        (1, {"items": [{"id": 0, "name": "A", "quantity": 1, "price": 1}]}, "data.items.0.id"),
        (1, {"items": [{"id": MAX_ID + 1, "name": "A", "quantity": 1, "price": 1}]},
         "data.items.0.id"),
        (1, {"items": [{"id": "5", "name": "A", "quantity": 1, "price": 1}]}, "data.items.0.id"),
        (1, {"items": [{"id": 1.5, "name": "A", "quantity": 1, "price": 1}]}, "data.items.0.id"),
        (1, {"items": [{"id": 3, "name": "A", "quantity": 1, "price": 1},
                       {"id": 3, "name": "B", "quantity": 1, "price": 1}]}, "data.items"),
        (1, {"items": [{"name": "A", "quantity": 1}]}, "data.items.0.price"),
        (1, {"items": [{"name": "A", "sku": "é" * 51, "quantity": 1, "price": 1}]},
         "data.items.0.sku"),
        (1, {"fulfilment": {"handle": "lost"}}, "data.fulfilment.handle"),
        (1, {"status_history": [{"handle": "lost", "date": "2024-01-01T00:00:00Z"}]},
         "data.status_history.0.handle"),
        (1, {"status_history": [{"handle": "shipped"}]}, "data.status_history.0.date"),
        (1, {"total": 1.001}, "data.total"),
        (1, {"cancelled": {"date": None}}, "data.cancelled.date"),
        (1, {"date_placed": None}, "data.date_placed"),
        (1, {"shipping_phone": "1"}, "data.shipping_phone"),
    ],
    ids=lambda value: str(value)[:40],
)  # fmt: skip
def test_bad_bodies_are_refused_and_write_nothing(client, manager, order_id, data, path):
    factories.order(id=1)
    before = factories.store_rows()
    # Replacing an order or creating one: either way, nothing changes.
    for target in (order_id, order_id + 100):
        response = put(client, manager, target, data)
        assert response.status_code == 400, response.get_json()
        assert path in response.get_json()["fields"], response.get_json()
    assert factories.store_rows() == before


def test_replacing_needs_the_manage_scope(client, auth):
    response = put(client, auth("cs:orders:write", "cs:orders:read"), 3, {})
    assert response.status_code == 403
    assert 'scope="cs:orders:manage"' in response.headers["WWW-Authenticate"]
    assert Order.select().count() == 0


def test_python_callers_record_orders_too(app):
    settings = app.extensions["community_store_api"].settings
    order, created = orders.put_order(
        12, {"items": [], "total": Decimal("3.5")}, actor="app:import", settings=settings
    )
    assert created and order["id"] == 12 and order["total"] == 3.5
    order, created = orders.put_order(12, {}, actor="app:import", settings=settings)
    assert not created and order["total"] == 0
