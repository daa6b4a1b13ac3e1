"""PATCH /stock (import.md §1): many lines, one transaction, every problem listed."""

import json
from decimal import Decimal

import pytest
from playhouse.test_utils import count_queries

from models.catalog import Product, Variation
from tests import factories

URL = "/cs/api/v1/stock"
WRITE = "cs:products:write"


@pytest.fixture
def store(app):
    """Two products, one with two variations: the records by SKU."""
    mug = factories.product(sku="MUG", name="Mug", stock_level=Decimal(10))
    shirt = factories.product(sku="SHIRT", name="Shirt", stock_level=Decimal(0))
    small = factories.variation(shirt, sku="SHIRT-S", stock_level=Decimal(3))
    large = factories.variation(shirt, sku="SHIRT-L", stock_level=Decimal(4))
    return {"MUG": mug, "SHIRT": shirt, "SHIRT-S": small, "SHIRT-L": large}


def patch(client, headers, data, **extra):
    body = data if isinstance(data, bytes) else json.dumps({"data": data})
    return client.patch(URL, data=body, headers={**headers, **extra})


def snapshot():
    """Every product's and variation's stock and date_updated, to compare."""
    products = Product.select(
        Product.id, Product.stock_level, Product.stock_unlimited, Product.date_updated
    )
    variations = Variation.select(Variation.id, Variation.stock_level, Variation.stock_unlimited)
    return list(products.order_by(Product.id).tuples()), list(
        variations.order_by(Variation.id).tuples()
    )


def test_lines_apply_together_and_answer_in_request_order(client, auth, store):
    before = {p.id: p.date_updated for p in Product.select()}
    reply = patch(
        client,
        auth(WRITE),
        [
            {"sku": "SHIRT-L", "stock_level": 12},
            {"sku": "MUG", "stock_adjustment": -3},
            {"sku": "SHIRT-S", "stock_unlimited": True, "stock_level": None},
        ],
    )
    assert reply.status_code == 200, reply.get_json()
    shirt, large, small = store["SHIRT"], store["SHIRT-L"], store["SHIRT-S"]
    assert reply.get_json() == {
        "data": [
            {"id": large.id, "product_id": shirt.id, "sku": "SHIRT-L", "name": "Shirt",
             "stock_level": 12, "stock_unlimited": False, "variation": True},
            {"id": store["MUG"].id, "sku": "MUG", "name": "Mug", "stock_level": 7,
             "stock_unlimited": False},
            {"id": small.id, "product_id": shirt.id, "sku": "SHIRT-S", "name": "Shirt",
             "stock_level": 3, "stock_unlimited": True, "variation": True},
        ],
        "meta": {"changed": 3, "unchanged": 0},
    }  # fmt: skip
    assert Variation.get_by_id(large.id).stock_level == 12
    assert Variation.get_by_id(small.id).stock_unlimited is True
    assert Product.get_by_id(store["MUG"].id).stock_level == 7
    # A variation's stock is part of its product's document.
    for product in (store["MUG"], shirt):
        assert Product.get_by_id(product.id).date_updated > before[product.id]
    # The same records as the single routes give.
    for line in reply.get_json()["data"]:
        single = client.get(f"/cs/api/v1/skus/{line['sku']}", headers=auth("cs:products:read"))
        assert single.get_json()["data"] == line


def test_lines_already_as_asked_change_nothing(client, auth, store):
    before = snapshot()
    reply = patch(
        client,
        auth(WRITE),
        [
            {"sku": "MUG", "stock_level": 10.0},
            {"sku": "SHIRT-S", "stock_unlimited": False},
            {"sku": "SHIRT-L", "stock_level": 4, "stock_unlimited": False},
        ],
    )
    assert reply.status_code == 200
    assert reply.get_json()["meta"] == {"changed": 0, "unchanged": 3}
    assert snapshot() == before


def test_meta_counts_changed_and_unchanged_lines(client, auth, store):
    shirt_updated = Product.get_by_id(store["SHIRT"].id).date_updated
    reply = patch(
        client,
        auth(WRITE),
        [{"sku": "MUG", "stock_adjustment": 1}, {"sku": "SHIRT-S", "stock_level": 3}],
    )
    assert reply.get_json()["meta"] == {"changed": 1, "unchanged": 1}
    # The unchanged variation leaves its product alone.
    assert Product.get_by_id(store["SHIRT"].id).date_updated == shirt_updated


GOOD = {"sku": "MUG", "stock_adjustment": 1}
BAD = {"sku": "NOPE", "stock_level": 1}


@pytest.mark.parametrize("where", [0, 2, 4])
def test_one_bad_line_anywhere_changes_nothing(client, auth, store, where):
    lines = [
        GOOD,
        {"sku": "SHIRT-S", "stock_level": 9},
        {"sku": "SHIRT-L", "stock_adjustment": -1},
        {"sku": "SHIRT", "stock_unlimited": True},
    ]
    lines.insert(where, BAD)
    before = snapshot()
    reply = patch(client, auth(WRITE), lines)
    assert reply.status_code == 400
    assert reply.get_json()["fields"] == {f"data.{where}.sku": ["SKU not found"]}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("lines", "fields"),
    [
        ({"sku": "MUG"}, {"data": ["Must be a JSON array of lines."]}),
        ([], {"data": ["At least 1 line."]}),
        ([3], {"data.0": ["Must be a JSON object."]}),
        ([{"sku": "MUG", "stock": 1}], {"data.0.stock": ["Unknown field."]}),
        ([{"stock_level": 1}], {"data.0.sku": ["Missing data for required field."]}),
        ([{"sku": 5, "stock_level": 1}], {"data.0.sku": ["Must be a string."]}),
        ([{"sku": "MUG", "stock_level": "5"}], {"data.0.stock_level": ["Must be a JSON number."]}),
        ([{"sku": "MUG", "stock_adjustment": True}],
         {"data.0.stock_adjustment": ["Must be a JSON number."]}),
        ([{"sku": "MUG", "stock_unlimited": "false"}],
         {"data.0.stock_unlimited": ["Must be a JSON boolean."]}),
        ([{"sku": "MUG", "stock_level": 1.00001}],
         {"data.0.stock_level": ["Must have at most 4 decimal places."]}),
        ([{"sku": "MUG", "stock_level": 1e9}],
         {"data.0.stock_level": ["Must be within -99999999.9999..99999999.9999."]}),
        ([{"sku": "MUG", "stock_adjustment": 0}],
         {"data.0.stock_adjustment": ["Must not be zero."]}),
        ([{"sku": "MUG", "stock_level": 1, "stock_adjustment": 1}],
         {"data.0.stock_adjustment": ["Cannot be sent together with stock_level."]}),
        ([{"sku": "MUG"}], {"data.0": [
            "Nothing to change: send stock_level, stock_adjustment or stock_unlimited."]}),
        ([{"sku": "MUG", "stock_level": None, "stock_unlimited": None}], {"data.0": [
            "Nothing to change: send stock_level, stock_adjustment or stock_unlimited."]}),
        ([{"sku": "mug", "stock_level": 1}], {"data.0.sku": ["SKU not found"]}),
        ([{"sku": "M" * 101, "stock_level": 1}], {"data.0.sku": ["SKU not found"]}),
        ([{"sku": "MUG\x00", "stock_level": 1}], {"data.0.sku": ["SKU not found"]}),
        ([GOOD, {"sku": "MUG", "stock_level": 2}], {"data.1.sku": ["The same SKU as data.0.sku."]}),
        ([{"sku": "MUG", "stock_adjustment": 99999999}], {"data.0.stock_adjustment": [
            "The adjusted stock level would be outside -99999999.9999..99999999.9999."]}),
    ],
)  # fmt: skip
def test_each_problem_is_a_400_naming_its_line(client, auth, store, lines, fields):
    before = snapshot()
    reply = patch(client, auth(WRITE), lines)
    assert reply.status_code == 400
    body = reply.get_json()
    assert body["fields"] == fields
    path, messages = next(iter(fields.items()))
    assert body["errors"] == [f"Invalid {path}: {messages[0]}"]
    assert snapshot() == before


def test_every_problem_is_listed_in_line_order(client, auth, store):
    lines = [
        {"sku": "NOPE", "stock_level": 1},
        GOOD,
        {"sku": "MUG", "stock_level": "x"},
        {"sku": "SHIRT-S", "stock_level": 1, "extra": True},
        {"sku": "GONE", "stock_adjustment": 0},
    ]
    reply = patch(client, auth(WRITE), lines)
    assert reply.status_code == 400
    assert list(reply.get_json()["fields"].items()) == [
        ("data.0.sku", ["SKU not found"]),
        ("data.2.stock_level", ["Must be a JSON number."]),
        ("data.2.sku", ["The same SKU as data.1.sku."]),
        ("data.3.extra", ["Unknown field."]),
        ("data.4.stock_adjustment", ["Must not be zero."]),
        ("data.4.sku", ["SKU not found"]),
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b"not json", {"body": ["The body is not valid JSON."]}),
        (b"[1]", {"body": ["Must be a JSON object."]}),
        (b"{}", {"data": ["Missing data for required field."]}),
        (b'{"data": [], "meta": 1}', {"meta": ["Unknown field."]}),
    ],
)
def test_the_envelope_is_strict(client, auth, store, body, fields):
    reply = patch(client, auth(WRITE), body)
    assert reply.status_code == 400
    assert reply.get_json()["fields"] == fields


def test_too_many_lines(client, auth, store):
    lines = [{"sku": f"S{n}", "stock_level": 1} for n in range(10_001)]
    reply = patch(client, auth(WRITE), lines)
    assert reply.status_code == 400
    assert reply.get_json()["fields"] == {"data": ["At most 10000 lines."]}


def test_the_line_limit_is_a_setting(make_app, store):
    app = make_app(CS_MAX_BULK_LINES=2)
    client = app.test_client()
    client_id, secret = factories.api_client(scopes=[WRITE])
    token = client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    three = [GOOD, {"sku": "SHIRT", "stock_level": 1}, {"sku": "SHIRT-S", "stock_level": 1}]
    assert patch(client, headers, three).get_json()["fields"] == {"data": ["At most 2 lines."]}
    assert patch(client, headers, three[:2]).status_code == 200


def test_ten_thousand_lines(client, auth):
    factories.bulk_products(5_000, variations_each=1)
    codes = [p.sku for p in Product.select(Product.sku)] + [
        v.sku for v in Variation.select(Variation.sku)
    ]
    assert len(codes) == 10_000
    lines = [{"sku": sku, "stock_adjustment": 2} for sku in codes]
    reply = patch(client, auth(WRITE), lines)
    assert reply.status_code == 200
    assert reply.get_json()["meta"] == {"changed": 10_000, "unchanged": 0}
    assert [line["sku"] for line in reply.get_json()["data"]] == codes
    assert {p.stock_level for p in Product.select()} == {7}
    assert {v.stock_level for v in Variation.select()} == {5}


def test_statements_grow_by_the_thousand_lines_not_by_the_line(client, auth):
    factories.bulk_products(1_000, variations_each=1)
    codes = [p.sku for p in Product.select(Product.sku).order_by(Product.id)] + [
        v.sku for v in Variation.select(Variation.sku).order_by(Variation.id)
    ]
    headers = auth(WRITE)

    def statements(count):
        lines = [{"sku": sku, "stock_adjustment": 1} for sku in codes[:count]]
        with count_queries() as counter:
            assert patch(client, headers, lines).status_code == 200
        return counter.count

    few, thousand, two_thousand = statements(10), statements(1_000), statements(2_000)
    assert few == thousand
    assert two_thousand < 2 * few


def test_an_idempotent_repeat_changes_nothing_more(client, auth, store):
    headers = auth(WRITE)
    lines = [{"sku": "MUG", "stock_adjustment": 5}]
    first = patch(client, headers, lines, **{"Idempotency-Key": "sync-1"})
    again = patch(client, headers, lines, **{"Idempotency-Key": "sync-1"})
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Product.get_by_id(store["MUG"].id).stock_level == 15


def test_a_failed_request_leaves_its_key_free(client, auth, store):
    headers = {**auth(WRITE), "Idempotency-Key": "sync-2"}
    assert patch(client, headers, [BAD]).status_code == 400
    assert patch(client, headers, [GOOD]).status_code == 200


def test_the_write_scope_is_needed(client, auth, store):
    reply = patch(client, auth("cs:products:read"), [GOOD])
    assert reply.status_code == 403
    assert Product.get_by_id(store["MUG"].id).stock_level == 10


def test_only_patch_is_served(client, auth):
    reply = client.get(URL, headers=auth(WRITE))
    assert reply.status_code == 405
    assert "PATCH" in reply.headers["Allow"]


def test_the_bulk_body_limit_is_its_own(make_app, store):
    app = make_app(CS_MAX_BULK_BODY_SIZE=2048, CS_MAX_BODY_SIZE=1024)
    client = app.test_client()
    client_id, secret = factories.api_client(scopes=[WRITE])
    token = client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    padded = json.dumps({"data": [GOOD]}).encode()
    fits = padded + b" " * (1500 - len(padded))
    assert patch(client, headers, fits).status_code == 200
    too_large = padded + b" " * (2049 - len(padded))
    reply = patch(client, headers, too_large)
    assert reply.status_code == 413
    assert reply.get_json()["error"] is True
    # The other routes keep MAX_BODY_SIZE.
    single = b'{"data": {"stock_adjustment": 1}}' + b" " * 1100
    assert client.patch("/cs/api/v1/skus/MUG", data=single, headers=headers).status_code == 413
    assert Product.get_by_id(store["MUG"].id).stock_level == 11
