"""The order writes' `view=full` and `If-Match` (manage.md §0, §3): the full view on
request, and 412 with nothing changed when the order is no longer as the client read it."""

from decimal import Decimal

import pytest

from tests import factories

URL = "/cs/api/v1/orders"
EVERYTHING = ("cs:orders:read", "cs:orders:write", "cs:orders:manage")
FULL_KEYS = (
    "shipping_total",
    "tax",
    "discount",
    "cancelled",
    "external_payment_requested",
    "status_history",
)


@pytest.fixture
def headers(auth):
    return auth(*EVERYTHING)


@pytest.fixture
def mug(app):
    return factories.product(sku="MUG", stock_level=Decimal(5), price=Decimal(3))


def etag(client, headers, order_id):
    return client.get(f"{URL}/{order_id}", headers=headers).headers["ETag"]


def test_each_write_answers_with_the_full_view_when_asked(client, headers, mug):
    line = {"data": {"items": [{"sku": "MUG", "quantity": 1}]}}
    created = client.post(f"{URL}?view=full", json=line, headers=headers)
    assert created.status_code == 201, created.get_json()
    order = created.get_json()["data"]
    assert list(order)[-len(FULL_KEYS) :] == list(FULL_KEYS)
    shown = client.get(f"{URL}/{order['id']}?view=full", headers=headers)
    assert shown.data == created.data
    writes = [
        ("put", f"{URL}/90?view=full", {"data": {"items": []}}),
        ("patch", f"{URL}/90?view=full", {"data": {"fulfilment": {"handle": "shipped"}}}),
        ("patch", f"{URL}/90?view=full", {"data": {"payment": {"paid": True}}}),
    ]
    for method, url, body in writes:
        reply = getattr(client, method)(url, json=body, headers=headers)
        assert reply.status_code in (200, 201), reply.get_json()
        assert "status_history" in reply.get_json()["data"], (method, body)
        plain = getattr(client, method)(url.split("?")[0], json=body, headers=headers)
        assert "status_history" not in plain.get_json()["data"]


def test_an_unknown_view_is_refused_before_anything_is_written(client, headers, mug):
    before = factories.store_rows()
    line = {"data": {"items": [{"sku": "MUG", "quantity": 1}]}}
    for method, url, body in [
        ("post", f"{URL}?view=fll", line),
        ("put", f"{URL}/5?view=FULL", {"data": {}}),
    ]:
        reply = getattr(client, method)(url, json=body, headers=headers)
        assert reply.status_code == 400
        assert list(reply.get_json()["fields"]) == ["view"]
    assert factories.store_rows() == before


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"items": [{"name": "A", "sku": None, "quantity": 1, "price": 1}]}},
        {"data": {"payment": {"cancelled": True}}},
        {"data": {"fulfilment": {"handle": "shipped"}}},
    ],
    ids=["put", "payment", "fulfilment"],
)
def test_a_stale_if_match_is_a_412_and_changes_nothing(client, headers, body):
    # An id a PUT may name, whatever ids earlier tests left the database assigning.
    order = factories.order(id=41, paid_at=None)
    stale = etag(client, headers, order.id)
    method = client.put if "items" in body["data"] else client.patch
    # Someone else changes the order after our read.
    other = {"data": {"fulfilment": {"tracking_code": "OTHER"}}}
    assert client.patch(f"{URL}/{order.id}", json=other, headers=headers).status_code == 200
    rows = factories.store_rows()
    refused = method(f"{URL}/{order.id}", json=body, headers={**headers, "If-Match": stale})
    assert refused.status_code == 412
    assert refused.get_json()["error"] is True
    assert factories.store_rows() == rows
    # A list naming the current tag lets the write through.
    condition = f'"nope", {etag(client, headers, order.id)}'
    done = method(f"{URL}/{order.id}", json=body, headers={**headers, "If-Match": condition})
    assert done.status_code == 200, done.get_json()
    assert etag(client, headers, order.id) != condition.split(", ")[1]


def test_if_match_star_needs_the_order_to_exist(client, headers):
    order = factories.order(id=42)
    body = {"data": {"fulfilment": {"handle": "shipped"}}}
    reply = client.patch(f"{URL}/{order.id}", json=body, headers={**headers, "If-Match": "*"})
    assert reply.status_code == 200


def test_if_match_on_an_order_that_does_not_exist_is_a_412(client, headers):
    body = {"data": {"items": []}}
    reply = client.put(f"{URL}/77", json=body, headers={**headers, "If-Match": "*"})
    assert reply.status_code == 412
    assert client.get(f"{URL}/77", headers=headers).status_code == 404
    assert client.put(f"{URL}/77", json=body, headers=headers).status_code == 201
