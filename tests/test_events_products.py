"""Product writes emit their events (events.md §1) in their own transaction: created,
updated with the plain view's changed paths, deleted, and stock.changed for stock moved."""

from decimal import Decimal

import pytest

from api.product_examples import NEW_PRODUCT_EXAMPLE
from store import products
from store.actors import import_actor
from store.products.documents import plain_view
from tests import factories
from tests.test_events import _actor_of, _bearer, logged, stock_data

URL = "/cs/api/v1/products"
SCOPES = ("cs:products:read", "cs:products:write", "cs:products:manage")


@pytest.fixture
def manager(client, token):
    access = token(*SCOPES)
    return _bearer(access), _actor_of(access)


def shown(client, headers, product_id):
    reply = client.get(f"{URL}/{product_id}", headers=headers)
    assert reply.status_code == 200
    return reply.get_json()["data"]


def test_create_change_and_delete_emit_one_event_each(client, manager):
    headers, actor = manager
    created = client.post(URL, json=NEW_PRODUCT_EXAMPLE, headers=headers)
    assert created.status_code == 201, created.get_json()
    product = created.get_json()["data"]
    renamed = client.patch(f"{URL}/{product['id']}", json={"data": {"name": "Renamed"}},
                           headers=headers)  # fmt: skip
    assert renamed.status_code == 200, renamed.get_json()
    after = shown(client, headers, product["id"])
    assert client.delete(f"{URL}/{product['id']}", headers=headers).status_code == 204
    assert logged() == [
        ("product.created", actor, False, {"product": product, "changes": []}),
        ("product.updated", actor, False, {"product": after, "changes": ["name"]}),
        ("product.deleted", actor, False,
         {"product": {"id": product["id"], "sku": product["sku"]}}),
    ]  # fmt: skip


def test_stock_keys_beside_catalog_keys_emit_stock_changed(client, manager):
    headers, actor = manager
    product = factories.product(sku="MUG", name="Mug", stock_level=Decimal(4))
    body = {"data": {"name": "Big mug", "stock_adjustment": -1}}
    reply = client.patch(f"{URL}/{product.id}", json=body, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    after = shown(client, headers, product.id)
    assert logged() == [
        ("stock.changed", actor, False, stock_data("MUG", product.id, None, 3, 4, "patch")),
        ("product.updated", actor, False, {"product": after, "changes": ["name"]}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "body, status",
    [
        ({"name": "Mug"}, 200),  # what it already is
        ({"name": ""}, 400),
        ({"name": "Other", "sku": "TAKEN"}, 409),
    ],
)
def test_product_writes_that_change_nothing_emit_nothing(client, manager, body, status):
    headers, _ = manager
    product = factories.product(sku="MUG", name="Mug", price=Decimal(5))
    factories.product(sku="TAKEN")
    reply = client.patch(f"{URL}/{product.id}", json={"data": body}, headers=headers)
    assert reply.status_code == status, reply.get_json()
    assert logged() == []


def test_a_replacement_that_moves_stock_emits_stock_changed_and_an_import_is_imported(
    app, client, manager
):
    headers, _ = manager
    settings = app.extensions["community_store_api"].settings
    product = factories.product(sku="MUG", name="Mug", price=Decimal(5), stock_level=Decimal(4))
    full = shown(client, headers, product.id)
    body = {key: value for key, value in full.items() if key != "date_updated"}
    body["stock_level"] = 9
    actor = import_actor("shop.example.com")
    document, created = products.put_product(product.id, body, actor, settings)
    assert not created
    assert logged() == [
        ("stock.changed", actor, True, stock_data("MUG", product.id, None, 9, 4, "import")),
    ]
    # The same body again changes nothing, and emits nothing.
    products.put_product(product.id, body, actor, settings)
    assert len(logged()) == 1


def test_the_plain_view_is_the_full_view_less_its_weights(app):
    settings = app.extensions["community_store_api"].settings
    product = factories.product(sku="TEE", weight=Decimal("1.5"))
    factories.variation(product, sku="TEE-L", weight=Decimal(2))
    full = products.render_product(product.id, settings, full=True)
    assert full["weight"] == 1.5 and full["variations"][0]["weight"] == 2
    assert plain_view(full) == products.render_product(product.id, settings)
