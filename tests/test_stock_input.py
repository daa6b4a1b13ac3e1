"""Bad stock PATCH bodies on every write route: a 400 that names the problem, nothing changed."""

import io
from decimal import Decimal

import pytest

from models.catalog import Product, Sku, Variation
from tests import factories
from tests.test_stock import OLD, sku_path

WRITE = "cs:products:write"
ROUTES = ["product", "product sku", "variation sku", "variation"]

# (raw body, the start of the first error message)
BAD_BODIES = [
    (b"", "Bad Request"),
    (b"   ", "Bad Request"),
    (b"not json", "Bad Request"),
    (b'{"data": {"stock_level": 5}', "Bad Request"),
    (b"\xff\xfe", "Bad Request"),
    (b"[]", "Bad Request"),
    (b"null", "Bad Request"),
    (b"5", "Bad Request"),
    (b'"data"', "Bad Request"),
    (b"{}", "Bad Request"),
    (b'{"stock_level": 5}', "Bad Request"),
    (b'{"data": null}', "Bad Request"),
    (b'{"data": 5}', "Bad Request"),
    (b'{"data": "stock"}', "Bad Request"),
    (b'{"data": [5]}', "Bad Request"),
    (b'{"data": {"stock_level": NaN}}', "Bad Request"),
    (b'{"data": {"stock_level": Infinity}}', "Bad Request"),
    (b'{"data": {"stock_level": 1e400}}', "Bad Request"),
    (b'{"data": {"stock_level": "5"}}', "Invalid data.stock_level: Must be a JSON number."),
    (b'{"data": {"stock_level": ""}}', "Invalid data.stock_level: Must be a JSON number."),
    (b'{"data": {"stock_level": true}}', "Invalid data.stock_level: Must be a JSON number."),
    (b'{"data": {"stock_level": [5]}}', "Invalid data.stock_level: Must be a JSON number."),
    (b'{"data": {"stock_level": {"v": 5}}}', "Invalid data.stock_level: Must be a JSON number."),
    (b'{"data": {"stock_level": 1.23456}}', "Invalid data.stock_level: Must have at most 4"),
    (b'{"data": {"stock_level": 1e-5}}', "Invalid data.stock_level: Must have at most 4"),
    (b'{"data": {"stock_level": 100000000}}', "Invalid data.stock_level: Must be within"),
    (b'{"data": {"stock_level": -100000000}}', "Invalid data.stock_level: Must be within"),
    (b'{"data": {"stock_level": 99999999.99995}}', "Invalid data.stock_level: Must be within"),
    (b'{"data": {"stock_level": 1e300}}', "Invalid data.stock_level: Must be within"),
    (b'{"data": {"stock_level": 100000000000000000000000000000}}', "Invalid data.stock_level"),
    (b'{"data": {"stock_unlimited": "false"}}', "Invalid data.stock_unlimited: Must be a JSON"),
    (b'{"data": {"stock_unlimited": "true"}}', "Invalid data.stock_unlimited: Must be a JSON"),
    (b'{"data": {"stock_unlimited": 0}}', "Invalid data.stock_unlimited: Must be a JSON"),
    (b'{"data": {"stock_unlimited": 1}}', "Invalid data.stock_unlimited: Must be a JSON"),
    (b'{"data": {"stock_unlimited": []}}', "Invalid data.stock_unlimited: Must be a JSON"),
    (b'{"data": {"stock_adjustment": 0}}', "Invalid data.stock_adjustment: Must not be zero."),
    (b'{"data": {"stock_adjustment": -0.0}}', "Invalid data.stock_adjustment: Must not be zero."),
    (b'{"data": {"stock_adjustment": "-1"}}', "Invalid data.stock_adjustment: Must be a JSON"),
    (b'{"data": {"stock_adjustment": false}}', "Invalid data.stock_adjustment: Must be a JSON"),
    (b'{"data": {"stock_adjustment": 0.00001}}', "Invalid data.stock_adjustment: Must have"),
    (b'{"data": {"stock_adjustment": 200000000}}', "Invalid data.stock_adjustment: Must be"),
    (
        b'{"data": {"stock_adjustment": 1, "stock_level": 5}}',
        "Invalid data.stock_adjustment: Cannot be sent together with stock_level.",
    ),
    (
        b'{"data": {"stock_adjustment": -1, "stock_level": 0}}',
        "Invalid data.stock_adjustment: Cannot be sent together with stock_level.",
    ),
    # One bad field spoils the whole body: the good one is not applied either.
    (b'{"data": {"stock_unlimited": true, "stock_level": "9"}}', "Invalid data.stock_level"),
    (b'{"data": {"stock_level": 9, "stock_unlimited": "yes"}}', "Invalid data.stock_unlimited"),
]


def snapshot():
    """Every product, variation and SKU row, date_updated included."""
    return (
        list(Product.select().order_by(Product.id).tuples()),
        list(Variation.select().order_by(Variation.id).tuples()),
        list(Sku.select().order_by(Sku.kind, Sku.code).tuples()),
    )


@pytest.fixture
def paths():
    made = factories.product(sku="SHIRT", stock_level=Decimal(10), date_added=OLD)
    variation = factories.variation(made, sku="SHIRT-L", stock_level=Decimal(10))
    return {
        "product": f"/cs/api/v1/products/{made.id}",
        "product sku": sku_path("SHIRT"),
        "variation sku": sku_path("SHIRT-L"),
        "variation": f"/cs/api/v1/variations/{variation.id}",
    }


@pytest.mark.parametrize(("raw", "message"), BAD_BODIES)
@pytest.mark.parametrize("route", ROUTES)
def test_bad_bodies(client, auth, paths, route, raw, message):
    headers = auth(WRITE)
    before = snapshot()
    response = client.patch(paths[route], data=raw, headers=headers)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] is True
    assert body["errors"][0].startswith(message)
    assert snapshot() == before


@pytest.mark.parametrize("route", ROUTES)
def test_a_body_cut_short_is_refused_even_when_what_came_parses(client, auth, paths, route):
    # A server that marks its input terminated (gunicorn does) hands on what came before
    # the client left; here that is a whole JSON object, ten bytes short of its length.
    raw = b'{"data": {"stock_level": 5}}'
    before = snapshot()
    response = client.patch(
        paths[route],
        input_stream=io.BytesIO(raw),
        headers=auth(WRITE),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": str(len(raw) + 10)},
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": True, "errors": ["Bad Request"]}
    assert snapshot() == before


EDGE = Decimal("99999999.9999")


@pytest.mark.parametrize(
    ("level", "adjustment"),
    [(EDGE, 1), (EDGE, 0.0001), (-EDGE, -0.0001), (-EDGE + 1, -2), (-EDGE, 199999999.9998)],
)
@pytest.mark.parametrize("route", ROUTES)
def test_an_adjustment_out_of_range_changes_nothing(client, auth, paths, route, level, adjustment):
    Product.update(stock_level=level).execute()
    Variation.update(stock_level=level).execute()
    before = snapshot()
    response = client.patch(
        paths[route], json={"data": {"stock_adjustment": adjustment}}, headers=auth(WRITE)
    )
    assert response.status_code == 400
    body = response.get_json()
    message = body["errors"][0]
    assert message.startswith("Invalid data.stock_adjustment: ")
    # Keyed by the dotted path, like every other validation error.
    assert list(body["fields"]) == ["data.stock_adjustment"]
    if abs(adjustment) <= EDGE:
        assert "the adjusted stock level would be outside" in message
    assert snapshot() == before


def test_bad_input_comes_before_the_missing_record(client, auth):
    headers = auth(WRITE)
    for path in (
        "/cs/api/v1/products/999999",
        "/cs/api/v1/variations/999999",
        sku_path("NOPE"),
    ):
        response = client.patch(path, data=b'{"data": {"stock_level": "1"}}', headers=headers)
        assert response.status_code == 400, path


def test_an_out_of_range_adjustment_of_a_missing_record_is_not_found(client, auth):
    response = client.patch(
        "/cs/api/v1/variations/999999",
        json={"data": {"stock_adjustment": 1}},
        headers=auth(WRITE),
    )
    assert response.status_code == 404
    assert response.get_json()["errors"] == ["Variation not found"]


def test_scope_before_input(client, auth, paths):
    headers = auth("cs:products:read")
    for path in paths.values():
        response = client.patch(path, data=b"not json", headers=headers)
        assert response.status_code == 403
    assert client.patch(paths["variation"], data=b"not json").status_code == 401


def test_field_errors_are_keyed_by_their_path(client, auth, paths):
    response = client.patch(
        paths["product sku"],
        json={"data": {"stock_level": "5", "stock_unlimited": "false"}},
        headers=auth(WRITE),
    )
    assert response.status_code == 400
    assert response.get_json()["fields"] == {
        "data.stock_level": ["Must be a JSON number."],
        "data.stock_unlimited": ["Must be a JSON boolean."],
    }
