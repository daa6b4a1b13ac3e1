"""PATCH /orders/{id}: fulfilment status and tracking, strict input, one transaction."""

import datetime
import json

import pytest
from playhouse.test_utils import count_queries

from models.orders import Order, OrderStatusHistory
from models.statuses import FulfilmentStatus
from tests import factories

TRACKED = {"tracking_id": "T-1", "tracking_code": "CODE-1", "tracking_url": "https://t.example/1"}


@pytest.fixture
def writer(client):
    """(headers, client_id) of an integration allowed to read and write orders."""
    client_id, secret = factories.api_client(scopes=["cs:orders:read", "cs:orders:write"])
    response = client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}, client_id


@pytest.fixture
def order(app):
    return factories.order(**TRACKED)


def patch(client, headers, order_id, body, **kwargs):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.patch(f"/cs/api/v1/orders/{order_id}", headers=headers, data=data, **kwargs)


def fulfilment(client, headers, order_id):
    response = client.get(f"/cs/api/v1/orders/{order_id}", headers=headers)
    return response.get_json()["data"]["fulfilment"]


def snapshot(order_id):
    """Everything a PATCH could change: the order row and its status history."""
    row = Order.select().where(Order.id == order_id).dicts().get()
    history = list(OrderStatusHistory.select().where(OrderStatusHistory.order == order_id).dicts())
    return row, history


def test_status_change_adds_one_history_row_with_the_acting_client(client, writer, order):
    headers, client_id = writer
    response = patch(client, headers, order.id, {"data": {"fulfilment": {"handle": "shipped"}}})
    assert response.status_code == 200
    assert response.get_json()["data"]["fulfilment"] == {
        "status": "Shipped",
        "handle": "shipped",
        **TRACKED,
    }
    assert factories.status_history(order) == [("incomplete", None), ("shipped", client_id)]
    assert factories.status_history_actors(order)[-1][2] == f"client:{client_id}"


def test_the_response_is_the_order_as_get_shows_it(client, writer, order):
    headers, _ = writer
    body = {"data": {"fulfilment": {"handle": "delivered", "tracking_code": "NEW"}}}
    patched = patch(client, headers, order.id, body)
    shown = client.get(f"/cs/api/v1/orders/{order.id}", headers=headers)
    assert patched.data == shown.data


def test_setting_the_same_status_twice_adds_one_row(client, writer, order):
    headers, client_id = writer
    for handle in ("shipped", "SHIPPED", "Shipped"):
        response = patch(client, headers, order.id, {"data": {"fulfilment": {"handle": handle}}})
        assert response.status_code == 200
    assert factories.status_history(order) == [("incomplete", None), ("shipped", client_id)]


def test_setting_the_current_status_adds_no_row(client, writer, order):
    headers, _ = writer
    patch(client, headers, order.id, {"data": {"fulfilment": {"handle": "incomplete"}}})
    assert factories.status_history(order) == [("incomplete", None)]


def test_tracking_only_is_saved_without_a_history_row(client, writer, order):
    headers, _ = writer
    body = {"data": {"fulfilment": {"tracking_id": "T-2", "tracking_url": "http://t.example/2"}}}
    assert patch(client, headers, order.id, body).status_code == 200
    assert fulfilment(client, headers, order.id) == {
        "status": "Awaiting Processing",
        "handle": "incomplete",
        "tracking_id": "T-2",
        "tracking_code": "CODE-1",
        "tracking_url": "http://t.example/2",
    }
    assert factories.status_history(order) == [("incomplete", None)]


def test_tracking_and_status_together(client, writer, order):
    headers, client_id = writer
    body = {"data": {"fulfilment": {"handle": "shipped", "tracking_code": "Z9"}}}
    patch(client, headers, order.id, body)
    assert fulfilment(client, headers, order.id)["tracking_code"] == "Z9"
    assert factories.status_history(order)[-1] == ("shipped", client_id)


def test_empty_string_clears_and_null_or_absent_keeps(client, writer, order):
    headers, _ = writer
    body = {"data": {"fulfilment": {"tracking_id": "", "tracking_code": None}}}
    assert patch(client, headers, order.id, body).status_code == 200
    assert fulfilment(client, headers, order.id) == {
        "status": "Awaiting Processing",
        "handle": "incomplete",
        "tracking_id": None,
        "tracking_code": "CODE-1",
        "tracking_url": "https://t.example/1",
    }
    assert Order.get_by_id(order.id).tracking_id is None


def test_null_handle_keeps_the_status(client, writer, order):
    headers, _ = writer
    patch(client, headers, order.id, {"data": {"fulfilment": {"handle": "shipped"}}})
    before = snapshot(order.id)
    body = {"data": {"fulfilment": {"handle": None, "tracking_id": None}}}
    assert patch(client, headers, order.id, body).status_code == 200
    assert snapshot(order.id) == before


@pytest.mark.parametrize(
    "body",
    [
        '{"data": []}',
        '{"data": {}}',
        '{"data": {"fulfilment": []}}',
        '{"data": {"fulfilment": {}}}',
        '{"data": {"fulfilment": null}}',
        '{"data": {"other": 1}, "meta": {}}',
        '{"data": {"fulfilment": {"colour": "red", "handle": null}}}',
    ],
)
def test_empty_patches_change_nothing_and_return_the_order(client, writer, order, body):
    headers, _ = writer
    before = snapshot(order.id)
    response = patch(client, headers, order.id, body)
    assert response.status_code == 200
    assert response.data == client.get(f"/cs/api/v1/orders/{order.id}", headers=headers).data
    assert snapshot(order.id) == before


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_is_json_whatever_the_content_type(client, writer, order, content_type):
    headers, _ = writer
    body = json.dumps({"data": {"fulfilment": {"handle": "processing", "tracking_id": "X"}}})
    response = client.patch(
        f"/cs/api/v1/orders/{order.id}", headers=headers, data=body, content_type=content_type
    )
    assert response.status_code == 200
    assert response.get_json()["data"]["fulfilment"]["handle"] == "processing"
    assert response.get_json()["data"]["fulfilment"]["tracking_id"] == "X"


def test_unknown_keys_are_ignored(client, writer, order):
    headers, _ = writer
    body = {
        "extra": True,
        "data": {"id": 99, "total": 0, "fulfilment": {"handle": "returned", "status": "Nope"}},
    }
    response = patch(client, headers, order.id, body)
    assert response.status_code == 200
    assert response.get_json()["data"]["fulfilment"]["status"] == "Returned"
    assert response.get_json()["data"]["id"] == order.id


def test_a_status_added_by_the_store_can_be_set(client, writer, order):
    headers, client_id = writer
    FulfilmentStatus.create(handle="packed", name="Packed", sort_order=9)
    response = patch(client, headers, order.id, {"data": {"fulfilment": {"handle": "PACKED"}}})
    assert response.get_json()["data"]["fulfilment"]["status"] == "Packed"
    assert factories.status_history(order)[-1] == ("packed", client_id)


def test_longest_allowed_tracking_values_are_kept_exactly(client, writer, order):
    headers, _ = writer
    values = {
        "tracking_id": "é" * 100,
        "tracking_code": "😀" * 2000,
        "tracking_url": "https://t.example/" + "a" * (2000 - 18),
    }
    response = patch(client, headers, order.id, {"data": {"fulfilment": values}})
    assert response.status_code == 200
    shown = fulfilment(client, headers, order.id)
    assert {key: shown[key] for key in values} == values


BODY_ERRORS = [
    ("", "Bad Request"),
    ("   ", "Bad Request"),
    ("not json", "Bad Request"),
    ('{"data": {"fulfilment": {"handle": "shipped"}}', "Bad Request"),
    ("[]", "Bad Request"),
    ("null", "Bad Request"),
    ("3", "Bad Request"),
    ('"data"', "Bad Request"),
    ('[{"data": {}}]', "Bad Request"),
    ("{}", "Bad Request"),
    ('{"nodata": {}}', "Bad Request"),
    ('{"data": null}', "Bad Request"),
    ('{"data": 3}', "Bad Request"),
    ('{"data": "shipped"}', "Bad Request"),
    ('{"data": [1]}', "Bad Request"),
    ('{"data": {"fulfilment": {"handle": NaN}}}', "Bad Request"),
    ('{"data": {"fulfilment": {"tracking_id": "\\ud800"}}}', "Bad Request"),
    (b'{"data": {"fulfilment": {"tracking_id": "\xff"}}}', "Bad Request"),
    ('{"data": {"fulfilment": "shipped"}}', "fulfilment"),
    ('{"data": {"fulfilment": [1]}}', "fulfilment"),
    ('{"data": {"fulfilment": {"handle": "nope"}}}', "handle"),
    ('{"data": {"fulfilment": {"handle": ""}}}', "handle"),
    ('{"data": {"fulfilment": {"handle": " shipped"}}}', "handle"),
    ('{"data": {"fulfilment": {"handle": 3}}}', "handle"),
    ('{"data": {"fulfilment": {"handle": true}}}', "handle"),
    ('{"data": {"fulfilment": {"handle": ["shipped"]}}}', "handle"),
    ('{"data": {"fulfilment": {"handle": {"handle": "shipped"}}}}', "handle"),
    ('{"data": {"fulfilment": {"tracking_id": 123}}}', "tracking_id"),
    ('{"data": {"fulfilment": {"tracking_id": false}}}', "tracking_id"),
    ('{"data": {"fulfilment": {"tracking_id": ["a"]}}}', "tracking_id"),
    ('{"data": {"fulfilment": {"tracking_id": "%s"}}}' % ("x" * 101), "tracking_id"),
    ('{"data": {"fulfilment": {"tracking_id": "a\\u0000b"}}}', "tracking_id"),
    ('{"data": {"fulfilment": {"tracking_code": 1.5}}}', "tracking_code"),
    ('{"data": {"fulfilment": {"tracking_code": "%s"}}}' % ("x" * 2001), "tracking_code"),
    ('{"data": {"fulfilment": {"tracking_url": "ftp://t.example/1"}}}', "tracking_url"),
    ('{"data": {"fulfilment": {"tracking_url": "javascript:alert(1)"}}}', "tracking_url"),
    ('{"data": {"fulfilment": {"tracking_url": "t.example/1"}}}', "tracking_url"),
    ('{"data": {"fulfilment": {"tracking_url": "https://"}}}', "tracking_url"),
    ('{"data": {"fulfilment": {"tracking_url": "https://t.example/a b"}}}', "tracking_url"),
    ('{"data": {"fulfilment": {"tracking_url": "https://[::1/x"}}}', "tracking_url"),
    ('{"data": {"fulfilment": {"tracking_url": 7}}}', "tracking_url"),
    (
        '{"data": {"fulfilment": {"tracking_url": "https://t.example/%s"}}}' % ("a" * 1990),
        "tracking_url",
    ),
    # One bad field spoils the whole PATCH: the valid status is not saved either.
    ('{"data": {"fulfilment": {"handle": "shipped", "tracking_url": "x"}}}', "tracking_url"),
    ('{"data": {"fulfilment": {"handle": "shipped", "tracking_id": 5}}}', "tracking_id"),
]


@pytest.mark.parametrize("body, names", BODY_ERRORS, ids=[str(b)[:50] for b, _ in BODY_ERRORS])
def test_bad_bodies_are_400_and_change_nothing(client, writer, order, body, names):
    headers, _ = writer
    before = snapshot(order.id)
    response = patch(client, headers, order.id, body)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["error"] is True
    assert len(payload["errors"]) == 1 and names in payload["errors"][0]
    assert snapshot(order.id) == before


def test_unknown_handle_lists_the_valid_ones(client, writer, order):
    headers, _ = writer
    response = patch(client, headers, order.id, {"data": {"fulfilment": {"handle": "sent"}}})
    message = response.get_json()["errors"][0]
    for handle in ("incomplete", "processing", "shipped", "delivered", "nodelivery", "returned"):
        assert handle in message


def test_check_order_token_scope_input_then_record(client, auth, writer):
    headers, _ = writer
    missing = "/cs/api/v1/orders/987654"
    good = json.dumps({"data": {"fulfilment": {"handle": "shipped"}}})
    response = client.patch(missing, data=good)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    response = client.patch(missing, data="not json", headers=auth("cs:orders:read"))
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    assert client.patch(missing, data="not json", headers=headers).status_code == 400
    response = client.patch(missing, data=good, headers=headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": True, "errors": ["Order not found"]}


def test_write_scope_alone_is_enough_to_patch(client, auth, order):
    headers = auth("cs:orders:write")
    response = patch(client, headers, order.id, {"data": {"fulfilment": {"handle": "shipped"}}})
    assert response.status_code == 200
    assert client.get(f"/cs/api/v1/orders/{order.id}", headers=headers).status_code == 403


def test_a_hidden_order_can_be_patched(client, writer):
    headers, _ = writer
    hidden = factories.order(external_payment_requested_at=datetime.datetime(2024, 1, 1))
    response = patch(client, headers, hidden.id, {"data": {"fulfilment": {"handle": "shipped"}}})
    assert response.status_code == 200


def test_a_patch_costs_a_fixed_number_of_queries(client, writer, order, backend):
    headers, _ = writer
    body = {"data": {"fulfilment": {"handle": "shipped", "tracking_id": "Q"}}}
    patch(client, headers, order.id, {"data": {}})  # the app's first request checks the schema
    with count_queries() as counted:
        assert patch(client, headers, order.id, body).status_code == 200
    # Token, status handle, locked read, update, history row, then the order in four and
    # its document kept, and its event: the feed's mark moved (its new value in the same
    # statement), the insert (PostgreSQL: both in one statement).
    assert counted.count == (11 if backend == "postgresql" else 12)
