"""The round-trip rule (manage.md §2) for products: every demo product's full view, PUT into
a second store with the same settings, reads back identical there (date_updated aside)."""

import pytest

from models.schema import upgrade
from tests.databases import SERVERS
from tests.test_orders_round_trip import bearer, without_date_updated

URL = "/cs/api/v1/products"
DEMO_PRODUCTS = 120


@pytest.fixture
def second_store(backend, make_app):
    """An app on a second, empty database on the same server, with the same settings."""
    server = SERVERS[backend]()
    url = server.create()
    copy = make_app(CS_DATABASE_URL=url)
    database = copy.extensions["community_store_api"].database
    upgrade(database)
    yield copy
    database.close_all()
    server.drop()


def plain(product):
    """The plain view of a full one, date_updated aside: without the weights."""
    document = {key: value for key, value in product.items() if key != "weight"}
    document["variations"] = [
        {key: value for key, value in variation.items() if key != "weight"}
        for variation in product["variations"]
    ]
    return without_date_updated(document)


def every_product(client, headers):
    products, page = [], 1
    while True:
        reply = client.get(f"{URL}?view=full&paging=100&page={page}", headers=headers)
        assert reply.status_code == 200, reply.get_json()
        products.extend(reply.get_json()["data"])
        if page >= reply.get_json()["meta"]["pagination"]["total_pages"]:
            return products
        page += 1


def test_full_views_put_into_another_store_read_back_the_same(app, client, second_store):
    demo = app.test_cli_runner().invoke(
        args=["cs", "demo", "--orders", "0", "--products", str(DEMO_PRODUCTS), "--no-progress"]
    )
    assert demo.exit_code == 0, demo.output
    source = bearer(app, "cs:products:read")
    target_client = second_store.test_client()
    target = bearer(second_store, "cs:products:read", "cs:products:manage")

    products = every_product(client, source)
    assert len(products) == DEMO_PRODUCTS
    # The demo has every kind: options with and without choices, variations, sales, images.
    assert any(p["variations"] for p in products) and any(p["sale_start"] for p in products)
    for product in products:
        body = {"data": without_date_updated(product)}
        reply = target_client.put(f"{URL}/{product['id']}", json=body, headers=target)
        assert reply.status_code == 201, (product["id"], reply.get_json())
        # Without view=full, the answer is the plain view.
        assert without_date_updated(reply.get_json()["data"]) == plain(product)

    copies = every_product(target_client, target)
    assert [without_date_updated(p) for p in copies] == [without_date_updated(p) for p in products]
    # Sending the copy's full view back changes nothing, not even date_updated.
    for copy in copies[:20]:
        tag = target_client.get(f"{URL}/{copy['id']}", headers=target).headers["ETag"]
        body = {"data": without_date_updated(copy)}
        reply = target_client.put(f"{URL}/{copy['id']}?view=full", json=body, headers=target)
        assert reply.status_code == 200, reply.get_json()
        assert reply.get_json()["data"] == copy
        assert target_client.get(f"{URL}/{copy['id']}", headers=target).headers["ETag"] == tag
