"""`cs import v1` from a server answering like the original PHP add-on: its quirky forms
are read, what it cannot show is listed as lost, and a re-run writes nothing."""

import pytest

from csclient import Client
from store import orders, products, statuses
from store.imports import ORIGINAL, import_v1
from tests import original_v1
from tests.import_servers import OriginalStore


@pytest.fixture
def original():
    with OriginalStore(original_v1) as server:
        yield server


@pytest.fixture
def settings(app):
    return app.extensions["community_store_api"].settings


def run(server, settings, **options):
    with Client(server.url, "anyone", "secret") as source:
        return import_v1(source, server.url, settings, **options).as_dict()


def test_the_original_is_copied_with_its_losses_listed(original, settings):
    summary = run(original, settings)
    assert summary["source_kind"] == ORIGINAL
    assert [(s.handle, s.name) for s in statuses.statuses()] == [
        (s["handle"], s["name"]) for s in original_v1.STATUSES
    ]
    assert summary["statuses"]["created"] == 1
    assert (summary["products"]["created"], summary["orders"]["created"]) == (3, 4)
    assert_refused_tracking_url(summary)
    losses = {loss["what"]: loss["records"] for loss in summary["products"]["losses"]}
    assert losses == {
        "weight": 3,
        "brand (shown as an object without a name)": 1,
        "options of products with variations (rebuilt from the variations)": 1,
    }
    order_losses = {loss["what"] for loss in summary["orders"]["losses"]}
    assert "shipping total, tax and discount" in order_losses
    assert any("incomplete never matches" in loss for loss in summary["losses"])

    tee = products.get_product(31, settings, full=True)
    assert tee["brand"] == "Acme" and tee["primary_image"] is None
    assert (tee["wholesale_price"], tee["cost_price"]) == (12.5, 9.95)
    assert tee["shipping"]["width"] == 10.5 and tee["shipping"]["length"] == 20.25
    assert [(o["name"], [c["name"] for c in o["options"]]) for o in tee["options"]] == [
        ("Size", ["Small", "Large"])
    ]
    assert [(v["id"], v["sku"], v["stock_level"], v["price"]) for v in tee["variations"]] == [
        (301, "TEE-S", 4, 27),
        (302, "TEE-L", 0, 27),
    ]
    mug = products.get_product(22, settings)
    assert (mug["brand"], mug["sale_price"], mug["stock_unlimited"]) == (None, 19.99, True)
    assert products.get_product(13, settings)["primary_image"].endswith("/poster.jpg")

    guest = orders.get_order(101, settings, full=True)
    assert (guest["payment_date"], guest["customer"]["username"]) == (None, None)
    assert [item["price"] for item in guest["items"]] == [27, 5.9]
    assert guest["cancelled"] is None
    assert orders.get_order(103, settings, full=True)["cancelled"] == {
        "date": original_v1.when("2021-04-03 09:00:00")
    }
    refunded = orders.get_order(102, settings, full=True)
    assert refunded["refunded"]["reason"] == "Damaged"
    assert refunded["fulfilment"]["handle"] == "awaiting_stock"


def assert_refused_tracking_url(summary):
    [refused] = summary["orders"]["skipped_reasons"]
    assert refused["ids"] == [100] and refused["reason"].startswith("refused: ")
    assert "tracking_url" in refused["reason"]


def test_pages_are_followed_by_their_count_and_a_rerun_writes_nothing(original, settings):
    run(original, settings)
    past_the_end = [
        path
        for _, path in original.requests
        if "page=4" in path or ("page=3" in path and "products" in path)
    ]
    assert past_the_end == []  # 3 products and 5 orders, 2 per page: 2 and 3 pages
    again = run(original, settings)
    for kind, total in (("statuses", 7), ("products", 3), ("orders", 4)):
        assert again[kind]["unchanged"] == total, kind
        assert again[kind]["created"] == again[kind]["replaced"] == 0


def test_a_dry_run_of_the_original_writes_nothing(original, settings):
    before = [(s.handle, s.name) for s in statuses.statuses()]
    summary = run(original, settings, dry_run=True)
    assert (summary["products"]["created"], summary["orders"]["created"]) == (3, 4)
    assert_refused_tracking_url(summary)
    assert [(s.handle, s.name) for s in statuses.statuses()] == before
    assert products.render_products([31, 22, 13], settings) == []


def test_the_text_summary_names_every_outcome(original, settings):
    with Client(original.url, "anyone", "secret") as source:
        lines = list(import_v1(source, original.url, settings).lines())
    assert lines[0] == f"Imported from {original.url} (community-store-api-php)"
    assert "products: 3 created, 0 replaced, 0 unchanged, 0 skipped" in lines
    assert "orders: 4 created, 0 replaced, 0 unchanged, 1 skipped" in lines
    assert "  lost: weight (3 records)" in lines
    assert any(line.startswith("lost: orders awaiting an external payment") for line in lines)
