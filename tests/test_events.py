"""Every write path emits its events (events.md §1), with exact `data` and `changes`, in the
write's own transaction; no-op, refused and rolled-back writes emit nothing."""

import base64
import json
from decimal import Decimal

import orjson
import pytest
from playhouse.test_utils import count_queries

from models.base import utcnow
from models.catalog import Product
from models.events import Event
from store import events, orders, products, stock, stock_bulk
from store.stock import StockChange
from tests import factories

ORDERS = "/cs/api/v1/orders"
EXPECTED_PLACE_QUERIES = 19
ALL = ("cs:orders:read", "cs:orders:write", "cs:orders:manage", "cs:products:read",
       "cs:products:write")  # fmt: skip


def logged():
    """The event log as stored: [(type, actor, imported, data)], in id order."""
    rows = Event.select().order_by(Event.id)
    return [(row.type, row.actor, row.imported, orjson.loads(row.data)) for row in rows]


def types():
    return [event_type for event_type, *_ in logged()]


@pytest.fixture
def everything(client, token):
    """(headers, actor) of an integration holding every scope the writes need."""
    access = token(*ALL)
    response = client.get("/cs/api/v1/fulfilmentstatuses", headers=_bearer(access))
    assert response.status_code == 200
    return _bearer(access), _actor_of(access)


def _bearer(access):
    return {"Authorization": f"Bearer {access}"}


def _actor_of(access):
    payload = access.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"client:{claims['client_id']}"


@pytest.fixture
def shirt(app):
    product = factories.product(sku="SHIRT", name="Shirt", stock_level=Decimal(10))
    variation = factories.variation(product, sku="SHIRT-L", stock_level=Decimal("3.5"))
    return product, variation


def stock_data(sku, product_id, variation_id, level, previous, reason, unlimited=False):
    return {
        "sku": sku,
        "product_id": product_id,
        "variation_id": variation_id,
        "stock_level": level,
        "previous_stock_level": previous,
        "stock_unlimited": unlimited,
        "reason": reason,
    }


# --- stock ---


def test_stock_patches_emit_stock_changed_on_every_route(client, everything, shirt):
    headers, actor = everything
    product, variation = shirt
    patches = [
        ("/cs/api/v1/skus/SHIRT", {"stock_adjustment": -2}),
        ("/cs/api/v1/skus/SHIRT-L", {"stock_level": 7}),
        (f"/cs/api/v1/variations/{variation.id}", {"stock_unlimited": True}),
        (f"/cs/api/v1/products/{product.id}", {"stock_level": 1.25, "stock_unlimited": True}),
    ]
    for path, body in patches:
        response = client.patch(path, json={"data": body}, headers=headers)
        assert response.status_code == 200, response.get_json()
    assert logged() == [
        ("stock.changed", actor, False, stock_data("SHIRT", product.id, None, 8, 10, "patch")),
        ("stock.changed", actor, False,
         stock_data("SHIRT-L", product.id, variation.id, 7, 3.5, "patch")),
        ("stock.changed", actor, False,
         stock_data("SHIRT-L", product.id, variation.id, 7, 7, "patch", unlimited=True)),
        ("stock.changed", actor, False,
         stock_data("SHIRT", product.id, None, 1.25, 8, "patch", unlimited=True)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "body, status",
    [
        ({"stock_level": 10}, 200),  # what it already is
        ({"stock_unlimited": False}, 200),
        ({}, 200),
        ({"stock_level": "ten"}, 400),
        ({"stock_adjustment": 999_999_999}, 400),  # would leave the range: rolled back
    ],
)
def test_stock_writes_that_change_nothing_emit_nothing(client, everything, shirt, body, status):
    headers, _ = everything
    response = client.patch("/cs/api/v1/skus/SHIRT", json={"data": body}, headers=headers)
    assert response.status_code == status, response.get_json()
    assert logged() == []


def test_python_stock_writes_name_the_app(app, shirt):
    product, _ = shirt
    stock.set_stock_by_sku("SHIRT", StockChange.of(adjustment=Decimal(1)))
    stock.set_stock_by_sku("SHIRT", StockChange.of(adjustment=Decimal(1)), actor="app:pos")
    assert [(event_type, actor) for event_type, actor, *_ in logged()] == [
        ("stock.changed", "app"),
        ("stock.changed", "app:pos"),
    ]


def test_an_idempotent_replay_emits_nothing_more(client, everything, shirt):
    headers = {**everything[0], "Idempotency-Key": "k1"}
    for _ in range(2):
        body = {"data": {"stock_adjustment": 1}}
        assert client.patch("/cs/api/v1/skus/SHIRT", json=body, headers=headers).status_code == 200
    assert types() == ["stock.changed"]


def test_occurred_at_is_when_the_transaction_wrote_it(client, everything, shirt):
    before = utcnow()
    body = {"data": {"stock_adjustment": 1}}
    client.patch("/cs/api/v1/skus/SHIRT", json=body, headers=everything[0])
    occurred = Event.get().occurred_at
    assert before <= occurred <= utcnow()


# --- orders ---


def place(client, headers, items, **extra):
    body = {"data": {"items": items, **extra}}
    return client.post(ORDERS, json=body, headers=headers)


def test_placing_an_order_emits_order_created_then_the_stock_it_moved(client, everything, shirt):
    headers, actor = everything
    product, variation = shirt
    factories.product(sku="EBOOK", stock_unlimited=True)
    items = [{"sku": "SHIRT-L", "quantity": 1.5}, {"sku": "EBOOK", "quantity": 1},
             {"sku": "SHIRT", "quantity": 2}, {"sku": "SHIRT", "quantity": 1}]  # fmt: skip
    response = place(client, headers, items)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()["data"]
    shown = client.get(f"{ORDERS}/{order['id']}", headers=headers).get_json()["data"]
    assert logged() == [
        ("order.created", actor, False, {"order": shown}),
        ("stock.changed", actor, False,
         stock_data("SHIRT-L", product.id, variation.id, 2, 3.5, "order")),
        ("stock.changed", actor, False, stock_data("SHIRT", product.id, None, 7, 10, "order")),
    ]  # fmt: skip


def test_the_event_holds_the_plain_view_whatever_view_the_response_has(client, everything, shirt):
    headers, _ = everything
    response = client.post(
        f"{ORDERS}?view=full",
        json={"data": {"items": [{"sku": "SHIRT", "quantity": 1}]}},
        headers=headers,
    )
    assert response.status_code == 201
    order_id = response.get_json()["data"]["id"]
    shown = client.get(f"{ORDERS}/{order_id}", headers=headers).get_json()["data"]
    assert "status_history" in response.get_json()["data"]
    assert logged()[0][3] == {"order": shown}


@pytest.mark.parametrize(
    "items, status",
    [
        ([{"sku": "SHIRT", "quantity": 1}, {"sku": "SHIRT-L", "quantity": 4}], 409),
        ([{"sku": "SHIRT", "quantity": 1}, {"sku": "NOPE", "quantity": 1}], 400),
        ([{"sku": "SHIRT", "quantity": -1}], 400),
    ],
)
def test_refused_orders_emit_nothing(client, everything, shirt, items, status):
    assert place(client, everything[0], items).status_code == status
    assert logged() == []


def test_python_orders_name_the_app(app, shirt):
    settings = app.extensions["community_store_api"].settings
    order = orders.create_order({"items": [{"sku": "SHIRT", "quantity": 1}]}, "app:shop", settings)
    assert [(t, actor) for t, actor, *_ in logged()] == [
        ("order.created", "app:shop"),
        ("stock.changed", "app:shop"),
    ]
    assert logged()[0][3] == {"order": orders.get_order(order["id"], settings)}


def test_put_creates_then_replaces_naming_what_changed(client, everything):
    headers, actor = everything
    body = {"data": {"customer": {"email": "a@example.com"}, "payment_method": "Card",
                     "date_placed": "2026-03-01T15:30:00Z",
                     "items": [{"id": 501, "name": "Gift", "sku": "G", "quantity": 1,
                                "price": 5}]}}  # fmt: skip
    assert client.put(f"{ORDERS}/77", json=body, headers=headers).status_code == 201
    assert client.put(f"{ORDERS}/77", json=body, headers=headers).status_code == 200
    body["data"]["customer"]["email"] = "b@example.com"
    body["data"]["items"][0]["price"] = 6
    assert client.put(f"{ORDERS}/77", json=body, headers=headers).status_code == 200
    shown = client.get(f"{ORDERS}/77", headers=headers).get_json()["data"]
    events = logged()
    assert [(t, a) for t, a, *_ in events] == [("order.created", actor), ("order.updated", actor)]
    assert events[1][3] == {
        "order": shown,
        "changes": ["total", "customer.email", "items.0.price"],
    }


@pytest.fixture
def placed(app, shirt):
    """An order of two SHIRT-L and one SHIRT, placed from Python (its events cleared)."""
    settings = app.extensions["community_store_api"].settings
    items = [{"sku": "SHIRT-L", "quantity": 2}, {"sku": "SHIRT", "quantity": 1}]
    order = orders.create_order({"items": items}, "app", settings)
    Event.delete().execute()
    return order["id"]


def patch(client, headers, order_id, data):
    return client.patch(f"{ORDERS}/{order_id}", json={"data": data}, headers=headers)


def test_fulfilment_changes_emit_order_updated_with_their_paths(client, everything, placed):
    headers, actor = everything
    change = {"fulfilment": {"handle": "shipped", "tracking_code": "1Z", "tracking_url": ""}}
    assert patch(client, headers, placed, change).status_code == 200
    assert patch(client, headers, placed, change).status_code == 200  # the same again: no-op
    change = {"fulfilment": {"tracking_url": "https://t.example/1Z", "tracking_id": None}}
    assert patch(client, headers, placed, change).status_code == 200
    shown = client.get(f"{ORDERS}/{placed}", headers=headers).get_json()["data"]
    events = logged()
    assert [(t, a) for t, a, *_ in events] == [("order.updated", actor)] * 2
    assert events[0][3]["changes"] == [
        "fulfilment.status",
        "fulfilment.handle",
        "fulfilment.tracking_code",
    ]
    assert events[1][3] == {"order": shown, "changes": ["fulfilment.tracking_url"]}


def test_payment_changes_emit_their_event_and_a_restock_its_stock(
    client, everything, placed, shirt
):
    headers, actor = everything
    product, variation = shirt
    steps = [
        {"payment": {"paid": True, "reference": "R1"}},
        {"payment": {"paid": True}},  # already paid: nothing
        {"payment": {"paid": False}},
        {"payment": {"paid": True}},
        {"payment": {"refunded": True, "reason": "Broken", "restock": True}},
        {"payment": {"refunded": True}},  # 409: nothing
        {"payment": {"cancelled": True}, "fulfilment": {"handle": "nodelivery"}},
    ]
    statuses = [patch(client, headers, placed, step).status_code for step in steps]
    assert statuses == [200, 200, 200, 200, 200, 409, 200]
    events = logged()
    assert [t for t, *_ in events] == [
        "order.paid",
        "order.unpaid",
        "order.paid",
        "order.refunded",
        "stock.changed",
        "stock.changed",
        "order.updated",
        "order.cancelled",
    ]
    assert {actor} == {a for _, a, *_ in events}
    assert events[4][3] == stock_data("SHIRT-L", product.id, variation.id, 3.5, 1.5, "restock")
    assert events[5][3] == stock_data("SHIRT", product.id, None, 10, 9, "restock")
    shown = client.get(f"{ORDERS}/{placed}", headers=headers).get_json()["data"]
    assert events[6][3] == {"order": shown, "changes": ["fulfilment.status", "fulfilment.handle"]}
    assert events[7][3] == {"order": shown}


def test_a_rolled_back_write_emits_nothing(app, shirt, monkeypatch):
    def fail(first, last):
        raise RuntimeError("after the events, before the commit")

    monkeypatch.setattr("store.events.before_commit", fail)
    with pytest.raises(RuntimeError):
        stock.set_stock_by_sku("SHIRT", StockChange.of(adjustment=Decimal(1)))
    monkeypatch.setattr("store.events.before_commit", None)
    assert logged() == []
    assert Product.get_by_id(shirt[0].id).stock_level == 10
    # The mark was rolled back with the write: the next event takes id 1.
    stock.set_stock_by_sku("SHIRT", StockChange.of(adjustment=Decimal(1)))
    assert [row.id for row in Event.select()] == [1]


def test_placing_an_order_costs_a_fixed_number_of_queries(app, shirt):
    settings = app.extensions["community_store_api"].settings
    items = [{"sku": "SHIRT", "quantity": 1}, {"sku": "SHIRT-L", "quantity": 1}]
    with count_queries() as counted:
        orders.create_order({"items": items}, "app", settings)
    # The order's own statements (the catalogue, statuses, two stock UPDATEs, the order's
    # rows, the order in four, its document kept), then its three events: the new levels
    # (one read per kind of record moved), the mark moved, one INSERT.
    assert counted.count == EXPECTED_PLACE_QUERIES


def test_sqlite_without_returning_takes_ids_in_two_statements(app, backend, shirt, monkeypatch):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setattr("store.events._SQLITE_RETURNING", False)
    for _ in range(2):
        stock.set_stock_by_sku("SHIRT", StockChange.of(adjustment=Decimal(1)))
    assert [row.id for row in Event.select().order_by(Event.id)] == [1, 2]


def test_product_writes_have_one_hook_that_names_what_changed(app, shirt):
    settings = app.extensions["community_store_api"].settings
    product = products.get_product(shirt[0].id, settings)
    renamed = {**product, "name": "Tee", "stock_level": 1, "date_updated": "later"}
    renamed["variations"] = [{**product["variations"][0], "price": 99, "stock_level": 0}]
    with events.transaction():
        events.emit_product("product.created", product, "app")
        events.emit_product("product.updated", renamed, "app", before=product)
        only_stock = {**product, "stock_level": 3}
        events.emit_product("product.updated", only_stock, "app", before=product)
        events.emit_product("product.deleted", product, "app")
    assert logged() == [
        ("product.created", "app", False, {"product": product, "changes": []}),
        ("product.updated", "app", False,
         {"product": renamed, "changes": ["name", "variations.0.price"]}),
        ("product.deleted", "app", False, {"product": {"id": product["id"], "sku": "SHIRT"}}),
    ]  # fmt: skip


def test_bulk_stock_emits_one_stock_changed_per_changed_line(client, everything, shirt):
    headers, actor = everything
    product, variation = shirt
    lines = [
        {"sku": "SHIRT-L", "stock_adjustment": -1},
        {"sku": "NOTE", "stock_level": 5},  # as it is: nothing
        {"sku": "SHIRT", "stock_unlimited": True},
    ]
    factories.product(sku="NOTE", stock_level=Decimal(5))
    reply = client.patch("/cs/api/v1/stock", json={"data": lines}, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    assert logged() == [
        ("stock.changed", actor, False,
         stock_data("SHIRT-L", product.id, variation.id, 2.5, 3.5, "bulk")),
        ("stock.changed", actor, False,
         stock_data("SHIRT", product.id, None, 10, 10, "bulk", unlimited=True)),
    ]  # fmt: skip


def test_a_bulk_dry_run_or_refusal_emits_nothing(app, client, everything, shirt):
    settings = app.extensions["community_store_api"].settings
    lines = [{"sku": "SHIRT", "stock_adjustment": 1}]
    stock_bulk.apply_stock_lines(lines, "cli", settings, dry_run=True)
    refused = [*lines, {"sku": "NOPE", "stock_level": 1}]
    reply = client.patch("/cs/api/v1/stock", json={"data": refused}, headers=everything[0])
    assert reply.status_code == 400
    assert logged() == []
