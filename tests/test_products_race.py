"""Product writes through real gunicorn workers: the database decides who gets a SKU, and
concurrent changes of one product take turns (manage.md §3)."""

import pytest

from models.catalog import Product, Sku, Variation
from tests import factories
from tests.servers import http_json
from tests.test_orders_checkout_race import all_at_once, bearer

CLIENTS = 6
PATH = "/cs/api/v1/products"


@pytest.mark.slow
def test_a_sku_goes_to_exactly_one_product(app, gunicorn_server):
    server = gunicorn_server(workers=4)
    headers = bearer(server, ("cs:products:manage",))

    def send(n):
        body = {"data": {"name": f"Mug {n}", "price": 5, "variations": [{"sku": "MUG-RED"}]}}
        return http_json("POST", server.url + PATH, body, headers)

    results = all_at_once(CLIENTS, send)
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [201] + [409] * (CLIENTS - 1), (results, server.read_log()[-4000:])
    for status, _, reply in results:
        if status == 409:
            assert reply["fields"] == {
                "data.variations.0.sku": ["Already in use by another product or variation."]
            }
    assert (Product.select().count(), Variation.select().count(), Sku.select().count()) == (1, 1, 1)
    assert "Traceback" not in server.read_log()


@pytest.mark.slow
def test_concurrent_changes_of_one_product_all_land(app, gunicorn_server):
    shirt = factories.rich_product(size=2, sku="SHIRT")
    server = gunicorn_server(workers=4)
    headers = bearer(server, ("cs:products:manage", "cs:products:write"))

    def send(n):
        body = {"data": {"groups": [f"G{n}"], "stock_adjustment": 1}}
        return http_json("PATCH", f"{server.url}{PATH}/{shirt.id}", body, headers)

    results = all_at_once(CLIENTS, send)
    assert sorted(status for status, _, _ in results) == [200] * CLIENTS, results
    # Every adjustment counted; the groups are the last writer's, whole.
    assert Product.get_by_id(shirt.id).stock_level == 5 + CLIENTS
    product = factories.catalog_rows()["ProductGroupLink"]
    assert len([row for row in product if row[1] == shirt.id]) == 1
    assert "Traceback" not in server.read_log()
