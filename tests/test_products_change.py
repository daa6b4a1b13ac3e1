"""PATCH /products/{id} and PATCH /variations/{id} with catalog keys (manage.md §1, §3): PATCH
semantics, scopes per key group, v1 tokens unchanged, If-Match, nothing written on errors."""

import json

import pytest

from models.catalog import Product, Sku, Variation
from tests import factories

URL = "/cs/api/v1/products"
MANAGE = ("cs:products:manage", "cs:products:read")
BOTH = ("cs:products:manage", "cs:products:write", "cs:products:read")
V1 = ("cs:products:write", "cs:products:read")


@pytest.fixture
def manager(auth):
    return auth(*BOTH)


@pytest.fixture
def shirt():
    """A product with two list options, a text option and four variations."""
    return factories.rich_product(size=2, name="Shirt", sku="SHIRT")


def patch(client, headers, product_id, data, query=""):
    body = data if isinstance(data, (str, bytes)) else json.dumps({"data": data})
    return client.patch(f"{URL}/{product_id}{query}", data=body, headers=headers)


def read(client, headers, product_id):
    reply = client.get(f"{URL}/{product_id}?view=full", headers=headers)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["data"], reply.headers["ETag"]


def test_scalars_replace_and_the_rest_stays(client, manager, shirt):
    before, _ = read(client, manager, shirt.id)
    reply = patch(
        client, manager, shirt.id, {"name": "Tee", "price": 12.5, "shipping": {"width": 3}}
    )
    assert reply.status_code == 200, reply.get_json()
    after, _ = read(client, manager, shirt.id)
    assert reply.get_json()["data"] == {k: v for k, v in after.items() if k != "weight"} | {
        "variations": reply.get_json()["data"]["variations"]
    }
    assert (after["name"], after["price"], after["shipping"]["width"]) == ("Tee", 12.5, 3)
    assert after["shipping"]["shippable"] == before["shipping"]["shippable"]
    unchanged = ("sku", "groups", "categories", "options", "variations", "additional_images")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after["date_updated"] != before["date_updated"]


def test_a_change_to_nothing_writes_nothing(client, manager, shirt):
    before, tag = read(client, manager, shirt.id)
    rows = factories.catalog_rows()
    same = {k: v for k, v in before.items() if k != "date_updated"}
    for data in ({"name": "Shirt"}, same, {}, {"variations": before["variations"]}):
        reply = patch(client, manager, shirt.id, data, "?view=full")
        assert reply.status_code == 200, reply.get_json()
        assert reply.get_json()["data"] == before
    assert factories.catalog_rows() == rows
    assert read(client, manager, shirt.id) == (before, tag)


def test_lists_replace_whole(client, manager, shirt):
    data = {
        "groups": ["Sale"],
        "categories": [{"name": "Tops", "url": None}],
        "additional_images": ["https://example.com/a.jpg"],
    }
    reply = patch(client, manager, shirt.id, data)
    assert reply.status_code == 200, reply.get_json()
    after, _ = read(client, manager, shirt.id)
    assert {key: after[key] for key in data} == data


def test_variations_keep_their_ids_and_stock_and_unlisted_ones_go(client, manager, shirt):
    before, _ = read(client, manager, shirt.id)
    first, second, third, fourth = before["variations"]
    # Sold meanwhile: the body's (stale) stock must not undo it.
    Variation.update(stock_level=1).where(Variation.id == first["id"]).execute()
    body = [
        first | {"price": 30, "stock_level": 99},
        {k: v for k, v in second.items() if k != "id"} | {"barcode": "123"},
    ]
    reply = patch(client, manager, shirt.id, {"variations": body})
    assert reply.status_code == 200, reply.get_json()
    after, _ = read(client, manager, shirt.id)
    kept = after["variations"]
    assert [v["id"] for v in kept] == [first["id"], second["id"]]
    assert (kept[0]["price"], kept[0]["stock_level"]) == (30, 1)
    assert (kept[1]["barcode"], kept[1]["stock_level"]) == ("123", second["stock_level"])
    gone = [third["id"], fourth["id"]]
    assert not Variation.select().where(Variation.id.in_(gone)).exists()
    assert not Sku.select().where(Sku.code.in_([third["sku"], fourth["sku"]])).exists()
    # A new one starts at stock 0, whatever the body says.
    added = {k: v for k, v in third.items() if k != "id"} | {"stock_level": 50}
    reply = patch(client, manager, shirt.id, {"variations": [*kept, added]})
    assert reply.status_code == 200, reply.get_json()
    new = read(client, manager, shirt.id)[0]["variations"][2]
    assert (
        new["id"] not in (first["id"], second["id"])
        and new["stock_level"] == 0
        and new["sku"] == third["sku"]
    )


def test_options_changed_under_kept_variations_are_refused(client, manager, shirt):
    before, _ = read(client, manager, shirt.id)
    rows = factories.catalog_rows()
    options = [dict(option) for option in before["options"]]
    options[0] = options[0] | {"options": options[0]["options"][:1]}
    reply = patch(client, manager, shirt.id, {"options": options})
    assert reply.status_code == 400
    assert list(reply.get_json()["fields"]) == ["data.variations"]
    assert factories.catalog_rows() == rows
    # With the variations that remain, it is a change.
    keep = [v for v in before["variations"] if v["options"][0]["value"] == "S0"]
    reply = patch(client, manager, shirt.id, {"options": options, "variations": keep})
    assert reply.status_code == 200, reply.get_json()
    after, _ = read(client, manager, shirt.id)
    assert [v["id"] for v in after["variations"]] == [v["id"] for v in keep]


def test_a_variation_id_of_another_product_is_refused(client, manager, shirt):
    other = factories.variation(factories.product())
    rows = factories.catalog_rows()
    reply = patch(client, manager, shirt.id, {"variations": [{"id": other.id}]})
    assert reply.status_code == 400
    assert reply.get_json()["fields"] == {
        "data.variations.0.id": ["Not a variation of this product."]
    }
    assert factories.catalog_rows() == rows


def test_a_sku_in_use_is_a_conflict_and_a_freed_one_is_not(client, manager, shirt):
    other = factories.product(sku="OTHER")
    rows = factories.catalog_rows()
    reply = patch(client, manager, shirt.id, {"sku": "OTHER"})
    assert reply.status_code == 409
    assert reply.get_json()["fields"] == {
        "data.sku": ["Already in use by another product or variation."]
    }
    assert factories.catalog_rows() == rows
    assert patch(client, manager, other.id, {"sku": "FREED"}).status_code == 200
    assert patch(client, manager, shirt.id, {"sku": "OTHER"}).status_code == 200
    # A product's SKU may move to one of its variations in one change.
    variations = read(client, manager, shirt.id)[0]["variations"]
    variations[0]["sku"] = "OTHER"
    reply = patch(client, manager, shirt.id, {"sku": None, "variations": variations})
    assert reply.status_code == 200, reply.get_json()


def test_an_active_product_keeps_a_price(client, manager, shirt):
    reply = patch(client, manager, shirt.id, {"price": None})
    assert reply.status_code == 400
    assert reply.get_json()["fields"] == {"data.price": ["Required while the product is active."]}
    assert patch(client, manager, shirt.id, {"price": None, "active": False}).status_code == 200


@pytest.mark.parametrize(
    "data, path",
    [
        ({"name": "x", "nmae": "x"}, "data.nmae"),
        ({"name": "x", "stock_level": "5"}, "data.stock_level"),
        ({"name": "x", "stock_level": 1, "stock_adjustment": 1}, "data.stock_adjustment"),
        ({"name": "x", "stock_adjustment": 0}, "data.stock_adjustment"),
        ({"name": "x", "id": 10**6}, "data.id"),
        ({"name": "x", "variations": [{"options": [], "id": 5}] * 2}, "data.variations"),
    ],
)
def test_bad_changes_are_refused_and_write_nothing(client, manager, shirt, data, path):
    rows = factories.catalog_rows()
    reply = patch(client, manager, shirt.id, data)
    assert reply.status_code == 400, reply.get_json()
    assert path in reply.get_json()["fields"], reply.get_json()
    assert factories.catalog_rows() == rows


def test_stock_keys_beside_catalog_keys_need_the_write_scope(client, auth, shirt):
    rows = factories.catalog_rows()
    reply = patch(client, auth(*MANAGE), shirt.id, {"name": "Tee", "stock_level": 7})
    assert reply.status_code == 403
    assert reply.get_json()["error"] == "insufficient_scope"
    assert 'scope="cs:products:write"' in reply.headers["WWW-Authenticate"]
    reply = patch(client, auth(*MANAGE), shirt.id, {"stock_level": 7})
    assert reply.status_code == 403
    assert factories.catalog_rows() == rows
    reply = patch(client, auth(*BOTH), shirt.id, {"name": "Tee", "stock_adjustment": -2})
    assert reply.status_code == 200
    assert (reply.get_json()["data"]["name"], reply.get_json()["data"]["stock_level"]) == ("Tee", 3)
    assert patch(client, auth(*MANAGE), shirt.id, {"name": "Top"}).status_code == 200


def test_a_v1_client_sending_the_product_back_changes_only_its_stock(client, auth, shirt):
    v1 = auth(*V1)
    shown = client.get(f"{URL}/{shirt.id}", headers=v1).get_json()["data"]
    body = shown | {"stock_level": 9, "name": "Ignored", "unknown": 1}
    body["variations"] = [v | {"stock_level": 0} for v in shown["variations"]]
    reply = patch(client, v1, shirt.id, body)
    assert reply.status_code == 200, reply.get_json()
    after = client.get(f"{URL}/{shirt.id}", headers=v1)
    # The answer is the product exactly as GET shows it: the v1 answer.
    assert reply.data == after.data
    product = after.get_json()["data"]
    assert (product["name"], product["stock_level"]) == ("Shirt", 9)
    assert [v["stock_level"] for v in product["variations"]] == [
        v["stock_level"] for v in shown["variations"]
    ]
    # Still lax about unknown keys, and as strict as before about stock values.
    assert patch(client, v1, shirt.id, {"stock_level": "9"}).status_code == 400
    assert patch(client, auth("cs:products:read"), shirt.id, {"name": "x"}).status_code == 403


def test_a_stock_only_body_from_a_manage_token_is_a_v1_body(client, auth, shirt):
    reply = patch(client, auth(*BOTH), shirt.id, {"stock_level": 2, "unknown": 1})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["data"]["stock_level"] == 2


def test_changes_honour_if_match(client, manager, shirt):
    _, tag = read(client, manager, shirt.id)
    assert patch(client, manager, shirt.id, {"name": "Tee"}).status_code == 200
    rows = factories.catalog_rows()
    for data in ({"name": "Top"}, {"stock_level": 1}):
        headers = {**manager, "If-Match": tag}
        reply = patch(client, headers, shirt.id, data)
        assert reply.status_code == 412, reply.get_json()
    assert factories.catalog_rows() == rows
    _, current = read(client, manager, shirt.id)
    reply = patch(client, {**manager, "If-Match": current}, shirt.id, {"name": "Top"})
    assert reply.status_code == 200


def test_a_missing_product_is_not_found(client, manager):
    assert patch(client, manager, 999, {"name": "x"}).status_code == 404


def vpatch(client, headers, variation_id, data):
    return client.patch(
        f"/cs/api/v1/variations/{variation_id}", json={"data": data}, headers=headers
    )


def test_a_variation_changes_its_own_fields(client, auth, manager, shirt):
    variation = shirt.variations[1]
    other = factories.product(sku="TAKEN")
    reply = vpatch(client, manager, variation.id, {"price": 22, "sku": "NEW-SKU", "stock_level": 4})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["data"] == {
        "id": variation.id, "product_id": shirt.id, "sku": "NEW-SKU", "name": "Shirt",
        "stock_level": 4, "stock_unlimited": False, "variation": True,
    }  # fmt: skip
    product, _ = read(client, manager, shirt.id)
    assert product["variations"][1]["price"] == 22
    rows = factories.catalog_rows()
    for data, status, path in (
        ({"sku": other.sku}, 409, "data.sku"),
        ({"price": 1, "colour": "red"}, 400, "data.colour"),
        ({"options": [{"name": "Size", "value": "S0"}, {"name": "Colour", "value": "C0"}]},
         400, "data.options"),
    ):  # fmt: skip
        reply = vpatch(client, manager, variation.id, data)
        assert reply.status_code == status, reply.get_json()
        assert list(reply.get_json()["fields"]) == [path]
    assert (
        vpatch(client, auth(*MANAGE), variation.id, {"price": 1, "stock_level": 1}).status_code
        == 403
    )
    assert factories.catalog_rows() == rows
    # A v1 token's catalog keys are unknown keys: ignored.
    reply = vpatch(client, auth(*V1), variation.id, {"price": 1, "stock_level": 6})
    assert reply.status_code == 200
    assert reply.get_json()["data"]["stock_level"] == 6
    assert read(client, manager, shirt.id)[0]["variations"][1]["price"] == 22
    assert vpatch(client, manager, 999_999, {"price": 1}).status_code == 404


def test_python_callers_change_products(app, shirt):
    from store import products
    from store.errors import Conflict, Invalid

    settings = app.extensions["community_store_api"].settings
    changed = products.update_product(shirt.id, {"name": "Tee"}, "app", settings, full=True)
    assert changed["name"] == "Tee" and "weight" in changed
    factories.product(sku="TAKEN")
    with pytest.raises(Conflict) as conflict:
        products.update_product(shirt.id, {"sku": "TAKEN"}, "app", settings)
    assert conflict.value.fields == {
        "data.sku": ["Already in use by another product or variation."]
    }
    with pytest.raises(Invalid):
        products.update_variation(shirt.variations[0].id, {"price": -1}, "app", settings)
    assert Product.get_by_id(shirt.id).sku == "SHIRT"
