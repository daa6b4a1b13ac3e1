"""PATCH /orders/{id} with `payment` (manage.md §5): paid, unpaid, refunded, cancelled, with
restock; fulfilment alongside in one transaction; scopes per key group (§1)."""

import datetime
import json
from decimal import Decimal

import pytest

from models.catalog import Product, Variation
from models.orders import Order
from store import orders
from store.errors import Conflict, Invalid
from tests import factories

URL = "/cs/api/v1/orders"
EVERYTHING = ("cs:orders:read", "cs:orders:write", "cs:orders:manage")
PAID_AT = datetime.datetime(2024, 3, 1, 16, 0)
LATER = datetime.datetime(2024, 3, 5, 16, 0)
STATES = {
    "unpaid": {},
    "paid": {"paid_at": PAID_AT},
    "refunded": {"paid_at": PAID_AT, "refunded_at": LATER, "refund_reason": "Broken"},
    "cancelled": {"cancelled_at": LATER},
    "paid and cancelled": {"paid_at": PAID_AT, "cancelled_at": LATER},
}


def patch(client, headers, order_id, data):
    body = data if isinstance(data, (str, bytes)) else json.dumps({"data": data})
    return client.patch(f"{URL}/{order_id}", data=body, headers=headers)


def state(order_id):
    row = Order.get_by_id(order_id)
    return {
        "paid_at": row.paid_at,
        "refunded_at": row.refunded_at,
        "refund_reason": row.refund_reason,
        "cancelled_at": row.cancelled_at,
        "payment_reference": row.payment_reference,
    }


# (state, payment, expected changes or "409")
TRANSITIONS = [
    ("unpaid", {"paid": True, "reference": "TRF-1", "date": "2024-03-02T12:00:00Z"},
     {"paid_at": datetime.datetime(2024, 3, 2, 12), "payment_reference": "TRF-1"}),
    ("paid", {"paid": True, "reference": "other"}, {}),
    ("refunded", {"paid": True}, {}),
    ("cancelled", {"paid": True}, 409),
    ("paid and cancelled", {"paid": True}, 409),
    ("paid", {"paid": False}, {"paid_at": None}),
    ("unpaid", {"paid": False}, {}),
    ("paid and cancelled", {"paid": False}, {"paid_at": None}),
    ("refunded", {"paid": False}, 409),
    ("paid", {"refunded": True, "reason": "Damaged", "date": "2024-03-03T00:00:00Z"},
     {"refunded_at": datetime.datetime(2024, 3, 3), "refund_reason": "Damaged"}),
    ("paid and cancelled", {"refunded": True},
     {"refunded_at": "now", "refund_reason": None}),
    ("unpaid", {"refunded": True}, 409),
    ("cancelled", {"refunded": True}, 409),
    ("refunded", {"refunded": True}, 409),
    ("unpaid", {"cancelled": True, "date": "2024-03-04T00:00:00Z"},
     {"cancelled_at": datetime.datetime(2024, 3, 4)}),
    ("refunded", {"cancelled": True}, {"cancelled_at": "now"}),
    ("cancelled", {"cancelled": True}, 409),
]  # fmt: skip


@pytest.mark.parametrize(("start", "payment", "expected"), TRANSITIONS, ids=str)
def test_payment_transitions(client, auth, start, payment, expected):
    order = factories.order(payment_reference="REF-0", **STATES[start])
    before, rows = state(order.id), factories.store_rows()
    started = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    response = patch(client, auth(*EVERYTHING), order.id, {"payment": payment})
    if expected == 409:
        assert response.status_code == 409, response.get_json()
        reply = response.get_json()
        assert reply["error"] is True and list(reply["fields"]) == ["data.payment"]
        assert factories.store_rows() == rows
        return
    assert response.status_code == 200, response.get_json()
    after = state(order.id)
    changed = {key: value for key, value in after.items() if value != before[key]}
    for key, value in expected.items():
        if value == "now":
            assert changed.pop(key) >= started, key
        else:
            assert changed.pop(key, None) == value, key
    assert changed == {}
    if not expected:
        # Already so: nothing written at all.
        assert factories.store_rows() == rows
    assert client.get(f"{URL}/{order.id}", headers=auth("cs:orders:read")).data == response.data


@pytest.fixture
def stocked():
    """A paid order of a product, a variation, an unlimited product, a product since
    deleted and a line outside the catalogue; and those records."""
    mug = factories.product(sku="MUG", stock_level=Decimal(1))
    shirt = factories.product(sku="TEE", date_updated=datetime.datetime(2024, 1, 1))
    small = factories.variation(shirt, sku="TEE-S", stock_level=Decimal(0))
    free = factories.product(sku="FREE", stock_unlimited=True, stock_level=Decimal(3))
    gone = factories.product(sku="GONE")
    lines = [
        {"product": mug, "name": "Mug", "sku": "MUG", "quantity": Decimal(2), "price": 1},
        {"product": shirt, "variation": small, "name": "Tee", "sku": "TEE-S",
         "quantity": Decimal("1.5"), "price": 1},
        {"product": free, "name": "Free", "sku": "FREE", "quantity": Decimal(4), "price": 1},
        {"product": gone, "name": "Gone", "sku": "GONE", "quantity": Decimal(1), "price": 1},
        {"product": None, "name": "Gift", "sku": None, "quantity": Decimal(1), "price": 1},
        {"product": mug, "name": "Mug again", "sku": "MUG", "quantity": Decimal(1), "price": 1},
    ]  # fmt: skip
    order = factories.order(items=lines, paid_at=PAID_AT)
    Product.delete().where(Product.id == gone.id).execute()
    return order, mug, shirt, small, free


@pytest.mark.parametrize("payment", [{"refunded": True, "restock": True},
                                     {"cancelled": True, "restock": True}], ids=str)  # fmt: skip
def test_restock_puts_the_quantities_back(client, auth, stocked, payment):
    order, mug, shirt, small, free = stocked
    response = patch(client, auth(*EVERYTHING), order.id, {"payment": payment})
    assert response.status_code == 200, response.get_json()
    assert Product.get_by_id(mug.id).stock_level == 4
    assert Variation.get_by_id(small.id).stock_level == Decimal("1.5")
    assert Product.get_by_id(free.id).stock_level == 3
    assert Product.get_by_id(shirt.id).date_updated > datetime.datetime(2024, 1, 1)


def test_items_go_back_into_stock_once(client, auth, stocked):
    order, mug, shirt, small, free = stocked
    headers = auth(*EVERYTHING)
    refund = {"payment": {"refunded": True, "reason": "Damaged", "restock": True}}
    assert patch(client, headers, order.id, refund).status_code == 200
    cancel = patch(client, headers, order.id, {"payment": {"cancelled": True, "restock": True}})
    # The cancellation is recorded; the stock, already back, does not move again.
    assert cancel.status_code == 200, cancel.get_json()
    assert patch(client, headers, order.id, {"payment": {"cancelled": True}}).status_code == 409
    assert Product.get_by_id(mug.id).stock_level == 4
    assert Variation.get_by_id(small.id).stock_level == Decimal("1.5")


def test_without_restock_or_change_the_stock_stays(client, auth, stocked):
    order, mug, *_ = stocked
    headers = auth(*EVERYTHING)
    assert patch(client, headers, order.id, {"payment": {"refunded": True}}).status_code == 200
    assert Product.get_by_id(mug.id).stock_level == 1
    # Refused (already refunded): no restock either.
    again = patch(client, headers, order.id, {"payment": {"refunded": True, "restock": True}})
    assert again.status_code == 409
    assert Product.get_by_id(mug.id).stock_level == 1


def test_fulfilment_and_payment_change_in_one_transaction(client, auth):
    order = factories.order(paid_at=PAID_AT)
    headers = auth(*EVERYTHING)
    body = {"fulfilment": {"handle": "returned", "tracking_id": "R1"},
            "payment": {"refunded": True, "reason": "Returned"}}  # fmt: skip
    response = patch(client, headers, order.id, body)
    assert response.status_code == 200, response.get_json()
    reply = response.get_json()["data"]
    assert reply["fulfilment"]["handle"] == "returned"
    assert reply["refunded"]["reason"] == "Returned"
    rows = factories.store_rows()
    # Refunding again is refused, and the fulfilment change with it.
    body["fulfilment"] = {"handle": "delivered", "tracking_id": "R2"}
    assert patch(client, headers, order.id, body).status_code == 409
    assert factories.store_rows() == rows


BAD = [
    ({"payment": {}}, "data.payment"),
    ({"payment": {"paid": True, "refunded": True}}, "data.payment"),
    ({"payment": {"refunded": False}}, "data.payment.refunded"),
    ({"payment": {"cancelled": "yes"}}, "data.payment.cancelled"),
    ({"payment": {"paid": True, "reason": "x"}}, "data.payment.reason"),
    ({"payment": {"paid": False, "date": "2024-01-01T00:00:00Z"}}, "data.payment.date"),
    ({"payment": {"paid": True, "restock": True}}, "data.payment.restock"),
    ({"payment": {"cancelled": True, "date": "soon"}}, "data.payment.date"),
    ({"payment": {"refunded": True, "amount": 5}}, "data.payment.amount"),
    ({"payment": {"paid": True}, "shiping": 1}, "data.shiping"),
    ({"payment": {"paid": True}, "fulfilment": {"handle": "nope"}}, "data.fulfilment.handle"),
    ({"payment": {"paid": True}, "fulfilment": {"trackingid": "x"}},
     "data.fulfilment.trackingid"),
    ({"payment": []}, "data.payment"),
    ({"payment": "paid"}, "data.payment"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "path"), BAD, ids=str)
def test_a_body_with_payment_is_strict(client, auth, data, path):
    order = factories.order(paid_at=PAID_AT)
    rows = factories.store_rows()
    response = patch(client, auth(*EVERYTHING), order.id, data)
    assert response.status_code == 400, response.get_json()
    assert path in response.get_json()["fields"], response.get_json()
    assert factories.store_rows() == rows


def test_another_top_level_key_beside_payment_is_refused(client, auth):
    order = factories.order()
    body = {"data": {"payment": {"paid": True}}, "meta": {}}
    response = patch(client, auth(*EVERYTHING), order.id, json.dumps(body))
    assert response.status_code == 400
    assert response.get_json()["fields"] == {"meta": ["Unknown field."]}
    assert state(order.id)["paid_at"] is None


def test_a_v1_token_keeps_v1_behaviour(client, auth):
    order = factories.order()
    headers = auth("cs:orders:read", "cs:orders:write")
    body = {"fulfilment": {"handle": "shipped"}, "payment": {"paid": True}, "whatever": 1}
    response = patch(client, headers, order.id, body)
    assert response.status_code == 200
    assert response.get_json()["data"]["fulfilment"]["handle"] == "shipped"
    assert state(order.id)["paid_at"] is None
    # Even a malformed payment is an unknown key to it.
    assert patch(client, headers, order.id, {"payment": "x"}).status_code == 200


# (token scopes, body keys, status, scope named by the 403)
SCOPE_CASES = [
    (("cs:orders:manage",), ("payment",), 200, None),
    (("cs:orders:manage",), (), 200, None),
    (("cs:orders:manage",), ("fulfilment", "payment"), 403, "cs:orders:write"),
    (("cs:orders:manage",), ("fulfilment",), 403, "cs:orders:write"),
    (("cs:orders:write", "cs:products:manage"), ("payment",), 403, "cs:orders:manage"),
    (("cs:orders:write", "cs:products:manage"), ("fulfilment",), 200, None),
    (("cs:orders:write",), ("fulfilment", "payment"), 200, None),
    (("cs:orders:read",), ("fulfilment",), 403, "cs:orders:write"),
    (("cs:products:manage",), ("payment",), 403, "cs:orders:write cs:orders:manage"),
]


@pytest.mark.parametrize(("scopes", "keys", "status", "named"), SCOPE_CASES, ids=str)
def test_each_key_group_needs_its_scope(client, auth, scopes, keys, status, named):
    order = factories.order()
    values = {"fulfilment": {"handle": "shipped"}, "payment": {"cancelled": True}}
    rows = factories.store_rows()
    response = patch(client, auth(*scopes), order.id, {key: values[key] for key in keys})
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert response.get_json()["error"] == "insufficient_scope"
        assert response.headers["WWW-Authenticate"] == (
            f'Bearer error="insufficient_scope", scope="{named}"'
        )
        assert factories.store_rows() == rows


def test_python_callers_set_payments(app):
    settings = app.extensions["community_store_api"].settings
    order = factories.order()
    paid = orders.set_payment(order.id, {"paid": True, "reference": "R"}, "app:till", settings)
    assert paid["payment_reference"] == "R" and paid["payment_date"] is not None
    with pytest.raises(Invalid) as invalid:
        orders.set_payment(order.id, {"paid": False, "x": 1}, "app:till", settings)
    assert invalid.value.fields == {"data.payment.x": ["Unknown field."]}
    orders.set_payment(order.id, {"refunded": True}, "app:till", settings)
    with pytest.raises(Conflict) as refused:
        orders.set_payment(order.id, {"paid": False}, "app:till", settings)
    assert refused.value.message == "The order is refunded: its payment cannot be cleared"
