"""The order document, key for key and type for type, for every kind of order."""

import datetime
import json
from decimal import Decimal

import pytest

from models.orders import OrderAttribute, OrderItem
from tests import factories

ZONE = "America/Phoenix"
PLACED = datetime.datetime(2024, 3, 1, 15, 30, 0, 123456)
NO_ADDRESS = {f"{who}_{name}": None for who in ("billing", "shipping") for name in (
    "address1", "address2", "address3", "city", "state_province", "country", "postal_code"
)}  # fmt: skip


def when(text):
    return {"date": text, "timezone": ZONE}


def assert_same_document(actual_body, expected):
    """Equal values, and the same key order and JSON types (1 is not 1.0, null is not [])."""
    actual = json.loads(actual_body)
    assert actual == expected
    assert json.dumps(actual) == json.dumps(expected)


def address(address1, address2=None, address3=None):
    return {
        "address1": address1,
        "address2": address2,
        "address3": address3,
        "city": "Phoenix",
        "state_province": "AZ",
        "country": "US",
        "postal_code": "85001",
    }


def paid_shipped_order():
    """Paid, shipped, both addresses, items with options, attributes of every JSON type."""
    return factories.order(
        status_handle="shipped",
        placed_at=PLACED,
        paid_at=datetime.datetime(2024, 3, 1, 16, 0),
        payment_method="Credit card",
        payment_reference="ch_123",
        customer_email="joe@example.com",
        customer_username="joe",
        vat_number="IT12345678901",
        total=Decimal("100.505"),
        shipping_total=Decimal("5"),
        tracking_id="T-1",
        tracking_code="ABC1234",
        tracking_url="https://track.example.com/ABC1234",
        billing_company="ABC Company",
        billing_address2="",
        billing_postal_code="85001",
        shipping_address2="Suite 5",
        shipping_address3="Back door",
        shipping_postal_code="85001",
        items=[
            {
                "name": "T-shirt",
                "sku": "TS-L-RED",
                "quantity": Decimal("2"),
                "price": Decimal("10.5"),
                "options": [("Size", "size", "Large"), ("Colour", "colour", "Red")],
            },
            {
                "name": "Engraving",
                "sku": None,
                "quantity": Decimal("1.5"),
                "price": Decimal("3.3333"),
                "options": [("Text", "text", "")],
            },
            {"name": "Sticker", "sku": "ST", "quantity": Decimal("1"), "price": Decimal("0")},
        ],
        attributes=[
            ("gift_message", "Gift message", "Happy birthday"),
            ("gift_wrap", "Gift wrap", True),
            ("boxes", "Boxes", 3),
            ("weight", "Weight", 1.25),
            ("delivery_window", "Delivery window", ["09:00", "12:00"]),
            ("extra", "Extra", {"floor": 2, "lift": None}),
            ("referrer", "Referrer", None),
        ],
    )


def expected_paid_shipped(order_id, items, vat_number=None):
    billing = {
        "phone": "123123123",
        "first_name": "Joe",
        "last_name": "Smith",
        "company": "ABC Company",
        "address": {**address("123 Street", address2=""), "postal_code": "85001"},
    }
    if vat_number is not None:
        billing["vat_number"] = vat_number
    return {
        "id": order_id,
        "date_placed": when("2024-03-01 08:30:00.123456"),
        "total": 100.51,
        "payment_method": "Credit card",
        "payment_date": when("2024-03-01 09:00:00.000000"),
        "payment_reference": "ch_123",
        "shipping_method": "Ground",
        "fulfilment": {
            "status": "Shipped",
            "handle": "shipped",
            "tracking_id": "T-1",
            "tracking_code": "ABC1234",
            "tracking_url": "https://track.example.com/ABC1234",
        },
        "locale": "en_US",
        "customer": {
            "email": "joe@example.com",
            "username": "joe",
            "billing": billing,
            "shipping": {
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": address("123 Street", "Suite 5", "Back door"),
            },
        },
        "items": [
            {
                "id": items[0],
                "name": "T-shirt",
                "sku": "TS-L-RED",
                "quantity": 2,
                "price": 10.5,
                "options": [
                    {"name": "Size", "handle": "size", "value": "Large"},
                    {"name": "Colour", "handle": "colour", "value": "Red"},
                ],
            },
            {
                "id": items[1],
                "name": "Engraving",
                "sku": None,
                "quantity": 1.5,
                "price": 3.3333,
                # The original shows an empty choice as "None": never an empty string.
                "options": [{"name": "Text", "handle": "text", "value": "None"}],
            },
            {
                "id": items[2],
                "name": "Sticker",
                "sku": "ST",
                "quantity": 1,
                "price": 0,
                "options": [],
            },
        ],
        "attributes": [
            {"handle": "gift_message", "name": "Gift message", "value": "Happy birthday"},
            {"handle": "gift_wrap", "name": "Gift wrap", "value": True},
            {"handle": "boxes", "name": "Boxes", "value": 3},
            {"handle": "weight", "name": "Weight", "value": 1.25},
            {"handle": "delivery_window", "name": "Delivery window", "value": ["09:00", "12:00"]},
            {"handle": "extra", "name": "Extra", "value": {"floor": 2, "lift": None}},
            {"handle": "referrer", "name": "Referrer", "value": None},
        ],
    }


def item_ids(order_):
    return [item.id for item in order_.items.order_by(OrderItem.sort_order)]


def test_paid_shippable_order_with_items_options_and_attributes(client, auth):
    order = paid_shipped_order()
    response = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    expected = expected_paid_shipped(order.id, item_ids(order))
    assert_same_document(response.data, {"data": expected})


def test_vat_number_key_only_when_the_store_collects_vat_numbers(make_app, app, auth):
    order = paid_shipped_order()
    headers = auth("cs:orders:read")
    for collects, expected_vat in ((True, "IT12345678901"), (False, None)):
        store = make_app(CS_STORE_VAT_NUMBER=collects).test_client()
        response = store.get(f"/cs/api/v1/orders/{order.id}", headers=headers)
        expected = expected_paid_shipped(order.id, item_ids(order), vat_number=expected_vat)
        assert_same_document(response.data, {"data": expected})
        listed = store.get("/cs/api/v1/orders", headers=headers).get_json()["data"][0]
        assert ("vat_number" in listed["customer"]["billing"]) is collects


def test_vat_number_is_null_when_collected_but_not_given(make_app, app, auth):
    order = factories.order(vat_number=None)
    store = make_app(CS_STORE_VAT_NUMBER=True).test_client()
    body = store.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read")).get_json()
    billing = body["data"]["customer"]["billing"]
    assert list(billing) == ["phone", "first_name", "last_name", "company", "address", "vat_number"]
    assert billing["vat_number"] is None


def minimal_expected(order_id, **changes):
    """An unpaid guest order of the default factory values, as the API shows it."""
    document = {
        "id": order_id,
        "date_placed": when("2024-03-01 08:30:00.123456"),
        "total": 0,
        "payment_method": "Invoice",
        "payment_date": None,
        "payment_reference": None,
        "shipping_method": "Ground",
        "fulfilment": {
            "status": "Awaiting Processing",
            "handle": "incomplete",
            "tracking_id": None,
            "tracking_code": None,
            "tracking_url": None,
        },
        "locale": "en_US",
        "customer": {
            "email": "joe@example.com",
            "username": None,
            "billing": {
                "phone": "123123123",
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": {**address("123 Street"), "postal_code": "55555"},
            },
            "shipping": {
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": {**address("123 Street"), "postal_code": "55555"},
            },
        },
        "items": [],
        "attributes": [],
    }
    document.update(changes)
    return document


def test_unpaid_guest_order_without_items(client, auth):
    order = factories.order(customer_username=None)
    response = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    assert_same_document(response.data, {"data": minimal_expected(order.id)})


def test_non_shippable_order_has_a_null_shipping_address(client, auth):
    no_shipping = {key: None for key in NO_ADDRESS if key.startswith("shipping_")}
    order = factories.order(
        shipping_method=None, shipping_first_name=None, shipping_last_name=None, **no_shipping
    )
    response = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    expected = minimal_expected(order.id, shipping_method=None)
    expected["customer"]["shipping"] = {
        "first_name": None,
        "last_name": None,
        "company": None,
        "address": None,
    }
    assert_same_document(response.data, {"data": expected})


def test_order_without_any_customer_details_keeps_every_object(client, auth):
    empty = {
        key: None
        for key in (
            "customer_email",
            "locale",
            "payment_method",
            "billing_first_name",
            "billing_last_name",
            "billing_phone",
            "shipping_first_name",
            "shipping_last_name",
            *NO_ADDRESS,
        )
    }
    order = factories.order(**empty)
    response = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    expected = minimal_expected(order.id, locale=None, payment_method=None)
    expected["customer"] = {
        "email": None,
        "username": None,
        "billing": {
            "phone": None,
            "first_name": None,
            "last_name": None,
            "company": None,
            "address": None,
        },
        "shipping": {"first_name": None, "last_name": None, "company": None, "address": None},
    }
    assert_same_document(response.data, {"data": expected})


@pytest.mark.parametrize(
    "reason, shown", [("Damaged in transit", "Damaged in transit"), (None, ""), ("", "")]
)
def test_refunded_order_has_a_refunded_object_last(client, auth, reason, shown):
    order = factories.order(
        paid_at=datetime.datetime(2024, 3, 2, 7, 0),
        refunded_at=datetime.datetime(2024, 3, 4, 6, 59, 59, 999999),
        refund_reason=reason,
    )
    response = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    expected = minimal_expected(order.id, payment_date=when("2024-03-02 00:00:00.000000"))
    expected["refunded"] = {"date": when("2024-03-03 23:59:59.999999"), "reason": shown}
    assert_same_document(response.data, {"data": expected})


def test_cancelled_order_has_no_extra_key(client, auth):
    order = factories.order(cancelled_at=datetime.datetime(2024, 3, 2))
    response = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    assert_same_document(response.data, {"data": minimal_expected(order.id)})


def test_order_awaiting_an_external_payment_is_shown_by_id(client, auth):
    order = factories.order(external_payment_requested_at=datetime.datetime(2024, 3, 1, 15, 31))
    response = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read"))
    assert_same_document(response.data, {"data": minimal_expected(order.id)})


def test_every_kind_of_order_in_the_list_is_the_same_document_as_by_id(client, auth):
    headers = auth("cs:orders:read")
    orders = [
        paid_shipped_order(),
        factories.order(customer_username=None),
        factories.order(shipping_method=None),
        factories.order(paid_at=PLACED, refunded_at=PLACED, refund_reason="Damaged"),
        factories.order(cancelled_at=PLACED),
    ]
    listed = client.get("/cs/api/v1/orders", headers=headers).get_json()["data"]
    assert [order["id"] for order in listed] == [order.id for order in reversed(orders)]
    for document in listed:
        single = client.get(f"/cs/api/v1/orders/{document['id']}", headers=headers)
        assert json.dumps(single.get_json()["data"]) == json.dumps(document)


def test_types_the_official_client_is_strict_about(client, auth):
    paid_shipped_order()
    factories.order(paid_at=PLACED, refunded_at=PLACED, refund_reason=None, total=Decimal("7"))
    body = client.get("/cs/api/v1/orders", headers=auth("cs:orders:read")).get_json()
    for order in body["data"]:
        assert type(order["id"]) is int
        assert type(order["total"]) in (int, float)
        assert type(order["fulfilment"]["status"]) is str
        assert type(order["fulfilment"]["handle"]) is str
        for stamp in (order["date_placed"], order["payment_date"]):
            assert list(stamp) == ["date", "timezone"]
        for item in order["items"]:
            assert type(item["id"]) is int
            assert type(item["quantity"]) in (int, float)
            assert type(item["price"]) in (int, float)
            for option in item["options"]:
                assert all(type(option[key]) is str for key in ("name", "handle", "value"))
                assert option["value"] != ""
        for attribute in order["attributes"]:
            assert type(attribute["handle"]) is str and type(attribute["name"]) is str
        if "refunded" in order:
            assert type(order["refunded"]["reason"]) is str
            assert list(order["refunded"]["date"]) == ["date", "timezone"]
    pagination = body["meta"]["pagination"]
    for key in ("total", "count", "per_page", "current_page", "total_pages"):
        assert type(pagination[key]) is int


@pytest.mark.parametrize(
    "currency, total, shown",
    [
        ("USD", Decimal("10.005"), 10.01),
        ("USD", Decimal("10.0049"), 10),
        ("JPY", Decimal("1234.5"), 1235),
        ("BHD", Decimal("1.0005"), 1.001),
        ("EUR", Decimal("99.9999"), 100),
    ],
)
def test_total_is_rounded_half_up_to_the_currency_digits(
    make_app, app, auth, currency, total, shown
):
    order = factories.order(total=total)
    store = make_app(CS_STORE_CURRENCY=currency).test_client()
    body = store.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read")).get_json()
    assert body["data"]["total"] == shown
    assert type(body["data"]["total"]) is type(shown)


def test_attribute_text_that_is_not_json_is_shown_as_text(client, auth):
    order = factories.order()
    OrderAttribute.create(order=order, handle="legacy", name="Legacy", value="not json")
    body = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read")).get_json()
    assert body["data"]["attributes"] == [
        {"handle": "legacy", "name": "Legacy", "value": "not json"}
    ]


def test_items_keep_what_was_ordered_after_the_product_is_gone(client, auth):
    product = factories.product(name="Lamp", sku="LAMP-1")
    order = factories.order(
        items=[{"name": "Lamp", "sku": "LAMP-1", "quantity": Decimal(1), "price": Decimal(9)}]
    )
    OrderItem.update(product=product).execute()
    product.delete_instance(recursive=False)
    body = client.get(f"/cs/api/v1/orders/{order.id}", headers=auth("cs:orders:read")).get_json()
    assert [(item["name"], item["sku"], item["price"]) for item in body["data"]["items"]] == [
        ("Lamp", "LAMP-1", 9)
    ]


def test_missing_order_is_404_after_the_token_and_scope_checks(client, auth):
    missing = "/cs/api/v1/orders/424242"
    response = client.get(missing)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    response = client.get(missing, headers=auth("cs:orders:write", "cs:products:read"))
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    response = client.get(missing, headers=auth("cs:orders:read"))
    assert response.status_code == 404
    assert response.get_json() == {"error": True, "errors": ["Order not found"]}


@pytest.mark.parametrize(
    "path", ["/cs/api/v1/orders/0", "/cs/api/v1/orders/1x", "/cs/api/v1/orders/" + "9" * 19]
)
def test_paths_that_are_not_order_ids_miss_the_route(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json() == {"error": True, "errors": ["Not Found"]}


def test_the_largest_order_id_is_looked_up_not_refused(client, auth):
    response = client.get("/cs/api/v1/orders/" + "9" * 18, headers=auth("cs:orders:read"))
    assert response.status_code == 404
    assert response.get_json() == {"error": True, "errors": ["Order not found"]}


def test_list_needs_the_read_scope(client, auth):
    assert client.get("/cs/api/v1/orders").status_code == 401
    response = client.get("/cs/api/v1/orders", headers=auth("cs:orders:write"))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="cs:orders:read"'
    )
