"""POST /products and PUT /products/{id} (manage.md §0, §3): strict bodies, defaults, SKUs
decided by the database, explicit ids, and nothing written on any error."""

import copy
import json
import re

import pytest

from api.product_examples import NEW_PRODUCT_EXAMPLE
from models.catalog import Brand, Product, ProductGroup
from store.products.bodies import MAX_CATALOG_ID
from tests import factories
from tests.servers import ROOT

URL = "/cs/api/v1/products"
MANAGE = ("cs:products:manage", "cs:products:read")
# The id columns of products and variations are 32-bit (store.products.bodies).
MAX_ID = 2**31 - 1


@pytest.fixture
def manager(auth):
    return auth(*MANAGE)


def post(client, headers, data, query=""):
    body = data if isinstance(data, (str, bytes)) else json.dumps({"data": data})
    return client.post(f"{URL}{query}", data=body, headers=headers)


def put(client, headers, product_id, data, query=""):
    return client.put(f"{URL}/{product_id}{query}", json={"data": data}, headers=headers)


def example():
    return copy.deepcopy(NEW_PRODUCT_EXAMPLE["data"])


def full_view(client, headers, product_id):
    reply = client.get(f"{URL}/{product_id}?view=full", headers=headers)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["data"]


def test_a_minimal_product_takes_the_defaults(client, manager):
    reply = post(client, manager, {"name": "Mug", "price": 9.5})
    assert reply.status_code == 201, reply.get_json()
    product = reply.get_json()["data"]
    assert reply.headers["Location"] == f"http://localhost{URL}/{product['id']}"
    assert client.get(f"{URL}/{product['id']}", headers=manager).get_json()["data"] == product
    assert product["date_added"] == product["date_updated"]
    expected = {
        "name": "Mug", "sku": None, "barcode": None, "active": True, "stock_unlimited": False,
        "stock_level": 0, "short_description": None, "description": None, "brand": None,
        "price": 9.5, "wholesale_price": None, "cost_price": None, "sale_price": None,
        "sale_start": None, "sale_end": None, "primary_image": None, "additional_images": [],
        "groups": [], "categories": [], "options": [], "variations": [],
        "shipping": {"shippable": True, "width": None, "height": None, "length": None,
                     "number_items": None, "stacked_height": None, "separate_ship": False},
    }  # fmt: skip
    assert {key: product[key] for key in expected} == expected
    assert "weight" not in product


def test_a_whole_product_reads_back_as_sent(client, manager):
    reply = post(client, manager, example(), "?view=full")
    assert reply.status_code == 201, reply.get_json()
    product = reply.get_json()["data"]
    assert product == full_view(client, manager, product["id"])
    assert (product["brand"], product["groups"], product["weight"]) == ("Acme", ["Summer"], 0.2)
    assert product["options"] == [
        {"name": "Size", "handle": "size", "type": "select", "required": True, "options": [
            {"name": "M", "price_adjustment": None, "weight_adjustment": None},
            {"name": "L", "price_adjustment": 2, "weight_adjustment": None}]},
        {"name": "Gift message", "handle": "gift_message", "type": "text", "required": False},
    ]  # fmt: skip
    assert [(v["sku"], v["stock_level"], v["options"]) for v in product["variations"]] == [
        ("TSHIRT-M", 10, [{"name": "Size", "value": "M"}]),
        ("TSHIRT-L", 4, [{"name": "Size", "value": "L"}]),
    ]
    # Brands, groups and categories are found by name (and URL) the second time.
    second = example() | {"sku": "TSHIRT-2", "variations": []}
    assert post(client, manager, second).status_code == 201
    assert (Brand.select().count(), ProductGroup.select().count()) == (1, 1)


def test_ids_and_date_updated_in_a_new_product_are_ignored(client, manager):
    other = factories.product()
    data = example() | {"id": other.id, "date_updated": "2001-01-01T00:00:00Z"}
    data["variations"][0]["id"] = 1
    reply = post(client, manager, data)
    assert reply.status_code == 201, reply.get_json()
    product = reply.get_json()["data"]
    assert product["id"] > other.id
    assert product["date_updated"] == product["date_added"]


def test_a_retried_post_creates_one_product(client, manager):
    headers = {**manager, "Idempotency-Key": "new-mug-1"}
    first = post(client, headers, {"name": "Mug", "price": 9.5})
    again = post(client, headers, {"name": "Mug", "price": 9.5})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.data, again.headers["Location"]) == (first.data, first.headers["Location"])
    assert Product.select().count() == 1


def mug(**changes):
    return {"name": "Mug", "price": 1, **changes}


SIZE_M = {"name": "Size", "options": [{"name": "M"}]}
BAD_BODIES = [
    ({"price": 1}, "data.name"),
    (mug(name=""), "data.name"),
    (mug(name="x" * 256), "data.name"),
    (mug(shiping={}), "data.shiping"),
    ({"name": "Mug"}, "data.price"),
    (mug(price=-1), "data.price"),
    (mug(price=1.005), "data.price"),
    (mug(price="1"), "data.price"),
    (mug(sku=""), "data.sku"),
    (mug(active="yes"), "data.active"),
    (mug(primary_image="/mug.jpg"), "data.primary_image"),
    (mug(additional_images=["ftp://x/y.jpg"]), "data.additional_images.0"),
    (mug(categories=[{"name": "A", "url": "a"}]), "data.categories.0.url"),
    (mug(shipping={"number_items": -1}), "data.shipping.number_items"),
    (mug(shipping={"wide": 1}), "data.shipping.wide"),
    (mug(date_added="yesterday"), "data.date_added"),
    (mug(options=[{"name": "A", "type": "list"}]), "data.options.0.type"),
    (mug(options=[{"name": "A"}, {"name": "A"}]), "data.options.1.name"),
    (mug(options=[{"name": "A", "handle": "h"}, {"name": "B", "handle": "h"}]),
     "data.options.1.handle"),
    (mug(options=[{"name": "A", "options": [{"name": "x"}, {"name": "x"}]}]),
     "data.options.0.options.1.name"),
    (mug(options=[{"name": "A", "type": "text", "options": [{"name": "x"}]}]),
     "data.options.0.options"),
    (mug(variations=[{"options": [{"name": "Size", "value": "L"}]}]),
     "data.variations.0.options.0.name"),
    (mug(options=[SIZE_M], variations=[{"options": [{"name": "Size", "value": "L"}]}]),
     "data.variations.0.options.0.value"),
    (mug(options=[SIZE_M], variations=[{"options": [{"name": "Size", "value": "M"}]}] * 2),
     "data.variations.1.options"),
    (mug(options=[{"name": "A", "handle": "h"}, {"name": "B", "handle": "H "}]),
     "data.options.1.handle"),
    (mug(description="é" * 40_000), "data.description"),
    (mug(variations=[{"colour": "red"}]), "data.variations.0.colour"),
    (mug(variations=[{"stock_level": 0.00001}]), "data.variations.0.stock_level"),
]  # fmt: skip


@pytest.mark.parametrize("data, path", BAD_BODIES)
def test_bad_bodies_are_refused_and_write_nothing(client, manager, data, path):
    factories.product()
    before = factories.catalog_rows()
    reply = post(client, manager, data)
    assert reply.status_code == 400, reply.get_json()
    assert path in reply.get_json()["fields"], reply.get_json()
    assert factories.catalog_rows() == before


def test_every_problem_is_named_at_once(client, manager):
    reply = post(client, manager, {"name": "", "price": -1, "nope": 1})
    assert reply.status_code == 400
    assert set(reply.get_json()["fields"]) == {"data.name", "data.price", "data.nope"}


@pytest.mark.parametrize("body", ["", "[1]", "{}", '{"data": 1}', '{"data": {}, "x": 1}', "{"])
def test_bad_envelopes_are_refused(client, manager, body):
    reply = post(client, manager, body)
    assert reply.status_code == 400
    assert reply.get_json()["error"] is True


def test_an_inactive_product_needs_no_price(client, manager):
    reply = post(client, manager, {"name": "Draft", "active": False})
    assert reply.status_code == 201, reply.get_json()


def test_descriptions_fill_their_columns(client, manager):
    long = "<p>" + "x" * 65_528 + "</p>"
    reply = post(client, manager, mug(description=long, short_description="é" * 30_000))
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["data"]["description"] == long


def test_a_sku_in_use_anywhere_is_a_conflict(client, manager):
    taken = factories.product(sku="MUG")
    factories.variation(taken, sku="MUG-RED")
    before = factories.catalog_rows()
    reply = post(client, manager, {"name": "Mug", "price": 1, "sku": "MUG"})
    assert reply.status_code == 409
    assert reply.get_json() == {
        "error": True,
        "errors": ["SKU already in use: MUG"],
        "fields": {"data.sku": ["Already in use by another product or variation."]},
    }
    data = example() | {"sku": "NEW"}
    data["variations"][1]["sku"] = "MUG-RED"
    reply = post(client, manager, data)
    assert reply.status_code == 409
    assert list(reply.get_json()["fields"]) == ["data.variations.1.sku"]
    # Twice in one body, or in another case (SKUs are exact).
    data["variations"][1]["sku"] = "TSHIRT"
    reply = post(client, manager, data | {"sku": "TSHIRT"})
    assert reply.status_code == 409
    assert list(reply.get_json()["fields"]) == ["data.variations.1.sku"]
    assert factories.catalog_rows() == before
    assert post(client, manager, {"name": "Mug", "price": 1, "sku": "mug"}).status_code == 201


def test_put_creates_the_product_with_its_id_then_replaces_it(client, manager):
    reply = put(client, manager, 4321, example())
    assert reply.status_code == 201, reply.get_json()
    assert reply.headers["Location"] == f"http://localhost{URL}/4321"
    created = reply.get_json()["data"]
    assert created["id"] == 4321
    replaced = put(client, manager, 4321, {"name": "Plain", "price": 3, "id": 4321})
    assert replaced.status_code == 200, replaced.get_json()
    product = replaced.get_json()["data"]
    # Absent keys take their defaults: the lists are empty, the SKUs released.
    assert (product["sku"], product["groups"], product["variations"]) == (None, [], [])
    assert product["date_updated"] != created["date_updated"]
    assert post(client, manager, example()).status_code == 201


def test_put_keeps_variation_ids_given_or_matched_and_takes_stock_as_given(client, manager):
    data = example()
    data["variations"][0]["id"] = 700
    created = put(client, manager, 70, data).get_json()["data"]
    ids = [v["id"] for v in created["variations"]]
    assert ids[0] == 700
    data = example()
    data["variations"].reverse()
    data["variations"][0]["stock_level"] = 99
    replaced = put(client, manager, 70, data).get_json()["data"]
    # Matched by their choices: the same ids, in the new order, with the stock given.
    assert [v["id"] for v in replaced["variations"]] == ids[::-1]
    assert replaced["variations"][0]["stock_level"] == 99


def test_explicit_ids_within_the_id_columns_range_are_kept(client, manager):
    # Ids the service assigns follow explicit ones, so a test database that is kept
    # between tests takes none near the top of the range.
    data = example()
    data["variations"][0]["id"] = 10**9 - 1
    assert put(client, manager, 10**9, data).status_code == 201
    assert MAX_ID == MAX_CATALOG_ID
    for product_id in (MAX_ID + 1, 10**15 - 1, 0):
        reply = put(client, manager, product_id, example())
        assert reply.status_code in (400, 404), reply.get_json()
    for variation_id in (0, MAX_ID + 1):
        data["variations"][0]["id"] = variation_id
        reply = put(client, manager, 5, data)
        assert reply.status_code == 400 and "data.variations.0.id" in reply.get_json()["fields"]


def test_new_ids_follow_explicit_ones(client, manager):
    data = example()
    data["variations"][0]["id"] = 10**9 - 10
    assert put(client, manager, 10**9 - 5, data).status_code == 201
    other = example() | {"sku": "OTHER"}
    for variation in other["variations"]:
        variation["sku"] = None
    created = post(client, manager, other)
    for index, variation in enumerate(created.get_json()["data"]["variations"]):
        assert variation["id"] > 10**9 - 10, index
    assert created.get_json()["data"]["id"] > 10**9 - 5


def test_a_variation_id_of_another_product_is_a_conflict(client, manager):
    other = factories.product()
    taken = factories.variation(other)
    before = factories.catalog_rows()
    data = example()
    data["variations"][1]["id"] = taken.id
    reply = put(client, manager, 80, data)
    assert reply.status_code == 409
    assert reply.get_json()["fields"] == {"data.variations.1.id": ["Used by another product."]}
    assert factories.catalog_rows() == before


def test_put_with_another_id_in_the_body_is_refused(client, manager):
    reply = put(client, manager, 5, {"name": "A", "price": 1, "id": 6})
    assert reply.status_code == 400
    assert reply.get_json()["fields"] == {"data.id": ["Must be the id of the path, 5."]}


def test_put_honours_if_match(client, manager):
    created = put(client, manager, 9, {"name": "A", "price": 1})
    tag = client.get(f"{URL}/9", headers=manager).headers["ETag"]
    assert created.status_code == 201
    changed = put(client, manager, 9, {"name": "B", "price": 1})
    assert changed.status_code == 200
    before = factories.catalog_rows()
    stale = client.put(
        f"{URL}/9", json={"data": {"name": "C", "price": 1}}, headers={**manager, "If-Match": tag}
    )
    assert stale.status_code == 412
    assert stale.get_json()["error"] is True
    absent = client.put(
        f"{URL}/10", json={"data": {"name": "C", "price": 1}}, headers={**manager, "If-Match": "*"}
    )
    assert absent.status_code == 412
    assert factories.catalog_rows() == before
    current = client.get(f"{URL}/9", headers=manager).headers["ETag"]
    fresh = client.put(
        f"{URL}/9",
        json={"data": {"name": "C", "price": 1}},
        headers={**manager, "If-Match": current},
    )
    assert fresh.status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_creating_replacing_and_deleting_need_the_manage_scope(client, auth, method):
    product = factories.product()
    before = factories.catalog_rows()
    path = URL if method == "post" else f"{URL}/{product.id}"
    for scopes in ((), ("cs:products:write", "cs:products:read", "cs:orders:manage")):
        reply = client.open(
            path, method=method.upper(), json={"data": {"name": "A", "price": 1}},
            headers=auth(*scopes),
        )  # fmt: skip
        assert reply.status_code == 403, reply.get_json()
        assert reply.get_json()["error"] == "insufficient_scope"
        assert 'scope="cs:products:manage"' in reply.headers["WWW-Authenticate"]
    assert factories.catalog_rows() == before


def test_the_demo_scripts_product_example_is_accepted(client, manager):
    script = (ROOT / "scripts" / "demo").read_text()
    example_text = script[script.index("demo-product-1") :]
    body = re.search(r"-d '(.*?)'\n", example_text, re.DOTALL).group(1)
    reply = post(client, manager, body)
    assert reply.status_code == 201, reply.get_json()
    assert [v["sku"] for v in reply.get_json()["data"]["variations"]] == [
        "DEMO-TEE-M",
        "DEMO-TEE-L",
    ]
