"""Concurrent bulk and single stock writes through real HTTP on gunicorn: every adjustment
counts once, and no request fails (no deadlock reaches a client)."""

import random
import threading
from decimal import Decimal

import pytest

from models.catalog import Product, Variation
from tests import factories
from tests.servers import http_json
from tests.test_stock_concurrency import token

BULK_CLIENTS = 8
BULK_REQUESTS_EACH = 8
SINGLE_CLIENTS = 2
SINGLE_REQUESTS_EACH = 30
START = Decimal(10_000)

pytestmark = pytest.mark.slow


@pytest.fixture
def skus(app):
    """20 products with a variation each, all with START units: their 40 SKUs."""
    codes = []
    for n in range(20):
        product = factories.product(sku=f"RACE-{n}", stock_level=START)
        factories.variation(product, sku=f"RACE-{n}-V", stock_level=START)
        codes += [product.sku, f"RACE-{n}-V"]
    return codes


def levels():
    found = dict(Product.select(Product.sku, Product.stock_level).tuples())
    found.update(Variation.select(Variation.sku, Variation.stock_level).tuples())
    return found


def test_bulk_and_single_adjustments_all_count(app, gunicorn_server, skus):
    base = gunicorn_server(workers=4).url
    headers = {"Authorization": f"Bearer {token(base)}"}
    taken = {sku: 0 for sku in skus}
    failures, lock = [], threading.Lock()
    start = threading.Barrier(BULK_CLIENTS + SINGLE_CLIENTS)

    def record(counts, status, body):
        with lock:
            if status != 200:
                failures.append((status, body))
                return
            for sku, count in counts.items():
                taken[sku] += count

    def bulk_client(number):
        rng = random.Random(number)
        start.wait()
        for _ in range(BULK_REQUESTS_EACH):
            # Overlapping sets of SKUs, each request in its own order.
            chosen = rng.sample(skus, 30)
            lines = [{"sku": sku, "stock_adjustment": -1} for sku in chosen]
            status, _, body = http_json(
                "PATCH", base + "/cs/api/v1/stock", {"data": lines}, headers
            )
            record(dict.fromkeys(chosen, 1), status, body)

    def single_client(number):
        rng = random.Random(100 + number)
        start.wait()
        for _ in range(SINGLE_REQUESTS_EACH):
            sku = rng.choice(skus[:6])
            body = {"data": {"stock_adjustment": -1}}
            status, _, reply = http_json("PATCH", f"{base}/cs/api/v1/skus/{sku}", body, headers)
            record({sku: 1}, status, reply)

    threads = [threading.Thread(target=bulk_client, args=(n,)) for n in range(BULK_CLIENTS)]
    threads += [threading.Thread(target=single_client, args=(n,)) for n in range(SINGLE_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert failures == []
    assert sum(taken.values()) == BULK_CLIENTS * BULK_REQUESTS_EACH * 30 + (
        SINGLE_CLIENTS * SINGLE_REQUESTS_EACH
    )
    assert levels() == {sku: START - count for sku, count in taken.items()}
