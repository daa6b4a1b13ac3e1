"""Stock records by SKU and by variation, and stock writes on all three routes."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from peewee import IntegrityError
from playhouse.test_utils import count_queries

from models.base import utcnow
from models.catalog import Product, Sku, Variation
from tests import factories
from tests.test_products import assert_json

READ, WRITE = "cs:products:read", "cs:products:write"
OLD = datetime.datetime(2024, 1, 1, 12, 0)


def sku_path(sku):
    return "/cs/api/v1/skus/" + quote(sku, safe="")


def stored(model, record_id):
    return model.get_by_id(record_id)


@pytest.fixture
def shirt():
    """A product with one variation, both last changed long ago."""
    made = factories.product(name="Shirt", sku="SHIRT", stock_level=Decimal(10), date_added=OLD)
    _, (large,) = factories.option(made, choices=["Large"])
    variation = factories.variation(made, (large,), sku="SHIRT-L", stock_level=Decimal("3.5"))
    return made, variation


# --- reading ---


def test_sku_of_a_product(client, auth, shirt):
    made, _ = shirt
    response = client.get(sku_path("SHIRT"), headers=auth(READ))
    assert response.status_code == 200
    assert_json(
        response.get_json(),
        {
            "data": {
                "id": made.id,
                "sku": "SHIRT",
                "name": "Shirt",
                "stock_level": 10,
                "stock_unlimited": False,
            }
        },
    )


def test_sku_of_a_variation_and_the_variation_by_id(client, auth, shirt):
    made, variation = shirt
    expected = {
        "data": {
            "id": variation.id,
            "product_id": made.id,
            "sku": "SHIRT-L",
            "name": "Shirt",
            "stock_level": 3.5,
            "stock_unlimited": False,
            "variation": True,
        }
    }
    headers = auth(READ)
    for path in (sku_path("SHIRT-L"), f"/cs/api/v1/variations/{variation.id}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert_json(response.get_json(), expected)


def test_not_found(client, auth, shirt):
    headers = auth(READ, WRITE)
    body = {"data": {"stock_level": 1}}
    for method, path, message in [
        (client.get, sku_path("NOPE"), "SKU not found"),
        (client.patch, sku_path("NOPE"), "Product not found"),
        (client.get, "/cs/api/v1/variations/999999", "Variation not found"),
        (client.patch, "/cs/api/v1/variations/999999", "Variation not found"),
        (client.patch, "/cs/api/v1/products/999999", "Product not found"),
    ]:
        response = method(path, json=body, headers=headers)
        assert response.status_code == 404, path
        assert response.get_json() == {"error": True, "errors": [message]}


def test_skus_are_case_sensitive_and_exact(client, auth):
    lower = factories.product(sku="abc")
    upper = factories.product(sku="ABC")
    mixed = factories.variation(factories.product(sku=None), sku="Abc")
    headers = auth(READ, WRITE)
    for sku, record_id in (("abc", lower.id), ("ABC", upper.id), ("Abc", mixed.id)):
        response = client.get(sku_path(sku), headers=headers)
        assert response.status_code == 200
        assert response.get_json()["data"]["id"] == record_id
    # MySQL/MariaDB's usual collations call all of these equal to 'abc'.
    for other in ("aBC", "abc ", "ábc", "ABC\t"):
        assert client.get(sku_path(other), headers=headers).status_code == 404, other
    response = client.patch(sku_path("ABC"), json={"data": {"stock_level": 42}}, headers=headers)
    assert response.get_json()["data"]["id"] == upper.id
    assert stored(Product, lower.id).stock_level == Decimal(5)
    assert stored(Product, upper.id).stock_level == Decimal(42)


@pytest.mark.parametrize(
    "sku",
    [
        "a/b",
        "with space",
        "größe-ß",
        "日本語-1",
        "100%",
        "a%2Fb",
        "a?b#c",
        "x+y&z=1",
        "..x",
        "é" * 50,
        "line\nbreak",
        "\n",
    ],
)
def test_any_segment_is_a_sku(client, auth, sku):
    made = factories.product(sku=sku)
    headers = auth(READ, WRITE)
    response = client.get(sku_path(sku), headers=headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {
        "id": made.id,
        "sku": sku,
        "name": made.name,
        "stock_level": 5,
        "stock_unlimited": False,
    }
    response = client.patch(sku_path(sku), json={"data": {"stock_adjustment": 1}}, headers=headers)
    assert response.get_json()["data"]["stock_level"] == 6


def test_longest_sku(client, auth):
    longest = "L" * 100
    made = factories.product(sku=longest)
    headers = auth(READ)
    assert client.get(sku_path(longest), headers=headers).get_json()["data"]["id"] == made.id
    response = client.get(sku_path(longest + "L"), headers=headers)
    assert response.status_code == 404
    assert response.get_json()["errors"] == ["SKU not found"]


@pytest.mark.parametrize("raw", ["%00", "a%00b", "%FF", "%C3", "%20", "x" * 300, "a%0Ab"])
def test_skus_that_cannot_exist_are_not_found(client, auth, raw):
    factories.product(sku="x")
    headers = auth(READ, WRITE)
    response = client.get("/cs/api/v1/skus/" + raw, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["errors"] == ["SKU not found"]
    response = client.patch(
        "/cs/api/v1/skus/" + raw, json={"data": {"stock_level": 1}}, headers=headers
    )
    assert response.status_code == 404
    assert response.get_json()["errors"] == ["Product not found"]


@pytest.mark.parametrize("path", ["/skus/a/b", "/skus/", "/skus", "/skus/a/", "/variations/0"])
def test_paths_no_route_serves(client, path):
    factories.product(sku="a/b")
    response = client.get("/cs/api/v1" + path)
    assert response.status_code == 404
    assert response.get_json() == {"error": True, "errors": ["Not Found"]}


def test_one_sku_for_one_product_or_variation(app):
    made = factories.product(sku="TAKEN")
    var = factories.variation(made, sku="TAKEN-V")
    with pytest.raises(IntegrityError):
        factories.product(sku="TAKEN")
    with pytest.raises(IntegrityError):
        factories.variation(made, sku="TAKEN")
    with pytest.raises(IntegrityError):
        factories.product(sku="TAKEN-V")
    with pytest.raises(IntegrityError):
        factories.variation(made, sku="TAKEN-V")
    # The SKU table is the only way in: an owner of the wrong kind is refused too.
    with pytest.raises(IntegrityError):
        Product.update(sku="TAKEN-V").where(Product.id == made.id).execute()
    with pytest.raises(IntegrityError):
        Variation.update(sku="UNCLAIMED").where(Variation.id == var.id).execute()
    assert Sku.select().count() == 2
    # Case matters: these are new SKUs.
    factories.product(sku="taken")
    factories.variation(made, sku="Taken-v")


# --- writing ---


def test_product_patch_answers_the_whole_product(client, auth, shirt):
    made, _ = shirt
    before = utcnow()
    response = client.patch(
        f"/cs/api/v1/products/{made.id}",
        json={"data": {"stock_level": 7.25, "stock_unlimited": True}},
        headers=auth(WRITE),
    )
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["id"] == made.id
    assert data["stock_level"] == 7.25 and data["stock_unlimited"] is True
    assert len(data["variations"]) == 1 and "shipping" in data
    row = stored(Product, made.id)
    assert (row.stock_level, row.stock_unlimited) == (Decimal("7.25"), True)
    assert row.date_updated >= before - datetime.timedelta(seconds=1)
    assert row.date_added == OLD


@pytest.mark.parametrize(
    ("body", "level", "unlimited"),
    [
        ({"stock_level": 0}, 0, False),
        ({"stock_level": -3}, -3, False),
        ({"stock_level": 99999999.9999}, Decimal("99999999.9999"), False),
        ({"stock_level": -99999999.9999}, Decimal("-99999999.9999"), False),
        ({"stock_level": 0.0001, "stock_unlimited": True}, Decimal("0.0001"), True),
        ({"stock_level": 12.5, "unknown": "ignored"}, Decimal("12.5"), False),
        ({"stock_adjustment": -2.5}, Decimal("7.5"), False),
        ({"stock_adjustment": 0.0001}, Decimal("10.0001"), False),
        ({"stock_adjustment": -10}, 0, False),
        ({"stock_adjustment": -20, "stock_unlimited": True}, -10, True),
        ({"stock_adjustment": 99999989.9999}, Decimal("99999999.9999"), False),
        ({"stock_unlimited": True}, 10, True),
        ({"stock_level": 10, "stock_unlimited": True}, 10, True),
        ({"stock_level": 4, "stock_adjustment": None}, 4, False),
    ],
)
@pytest.mark.parametrize("route", ["product", "product sku", "variation sku", "variation"])
def test_stock_writes(client, auth, shirt, route, body, level, unlimited):
    made, variation = shirt
    Variation.update(stock_level=Decimal(10)).execute()
    other = factories.product(date_added=OLD)
    path, model, record_id = {
        "product": (f"/cs/api/v1/products/{made.id}", Product, made.id),
        "product sku": (sku_path("SHIRT"), Product, made.id),
        "variation sku": (sku_path("SHIRT-L"), Variation, variation.id),
        "variation": (f"/cs/api/v1/variations/{variation.id}", Variation, variation.id),
    }[route]
    before = utcnow() - datetime.timedelta(seconds=1)

    response = client.patch(path, json={"data": body}, headers=auth(WRITE))

    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["id"] == record_id
    assert_json(data["stock_level"], float(level) if level % 1 else int(level))
    assert data["stock_unlimited"] is unlimited
    row = stored(model, record_id)
    assert (row.stock_level, row.stock_unlimited) == (Decimal(level), unlimited)
    # The product's date_updated moves, whichever of its rows changed; other products stay.
    assert stored(Product, made.id).date_updated >= before
    assert stored(Product, other.id).date_updated == other.date_updated


NO_OPS = [
    b'{"data": {}}',
    b'{"data": []}',
    b'{"data": {"stock_level": null, "stock_unlimited": null, "stock_adjustment": null}}',
    b'{"data": {"price": 1, "name": "ignored"}, "meta": 1}',
    # Already as asked: nothing changes, so date_updated stays.
    b'{"data": {"stock_level": 3.5}}',
    b'{"data": {"stock_level": 3.5, "stock_unlimited": false}}',
    b'{"data": {"stock_unlimited": false}}',
]


def snapshot():
    """Every product, variation and SKU row, date_updated included."""
    return (
        list(Product.select().order_by(Product.id).tuples()),
        list(Variation.select().order_by(Variation.id).tuples()),
        list(Sku.select().order_by(Sku.kind, Sku.code).tuples()),
    )


@pytest.mark.parametrize("raw", NO_OPS)
@pytest.mark.parametrize("route", ["product", "product sku", "variation sku", "variation"])
def test_no_op_bodies_change_nothing(client, auth, shirt, route, raw):
    made, variation = shirt
    Product.update(stock_level=Decimal("3.5")).execute()
    path = {
        "product": f"/cs/api/v1/products/{made.id}",
        "product sku": sku_path("SHIRT"),
        "variation sku": sku_path("SHIRT-L"),
        "variation": f"/cs/api/v1/variations/{variation.id}",
    }[route]
    headers = auth(WRITE)
    before = snapshot()
    # No Content-Type at all, as the official client sends it.
    response = client.patch(path, data=raw, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["stock_level"] == 3.5
    assert snapshot() == before


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_is_json_whatever_the_content_type(client, auth, shirt, content_type):
    made, _ = shirt
    headers = auth(WRITE)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.patch(sku_path("SHIRT"), data=b'{"data":{"stock_level":2}}', headers=headers)
    assert response.status_code == 200
    assert stored(Product, made.id).stock_level == Decimal(2)


def test_sku_reads_and_writes_cost_few_queries(client, auth, shirt, backend):
    headers = auth(READ, WRITE)
    counts = {}
    for sku in ("SHIRT", "SHIRT-L"):
        with count_queries() as read:
            assert client.get(sku_path(sku), headers=headers).status_code == 200
        with count_queries() as write:
            body = {"data": {"stock_adjustment": -1}}
            assert client.patch(sku_path(sku), json=body, headers=headers).status_code == 200
        counts[sku] = (read.count, write.count)
    # Read: the token check and one lookup. Write: the token check, the lookup, the UPDATE,
    # (a variation's product's date_updated,) the record as it then is, and its event: the
    # feed's mark moved (its new value in the same statement) and the event inserted, in one
    # statement on PostgreSQL. On SQLite the lookup is made under the write lock, so the
    # record after follows from it; on PostgreSQL a product's UPDATE answers with it.
    expected = {
        "sqlite": {"SHIRT": (2, 5), "SHIRT-L": (2, 6)},
        "postgresql": {"SHIRT": (2, 4), "SHIRT-L": (2, 6)},
        "mariadb": {"SHIRT": (2, 6), "SHIRT-L": (2, 7)},
    }
    assert counts == expected[backend]
