"""Concurrent stock adjustments through real HTTP on gunicorn: no update is ever lost."""

import http.client
import json
import threading
from decimal import Decimal
from urllib.parse import quote, urlsplit

import pytest

from models.catalog import Product, Variation
from models.events import Event
from tests import factories

CLIENTS = 8
REQUESTS_EACH = 50
START = Decimal(1000)
# As the official client sends it: raw JSON, no Content-Type.
ADJUSTMENT = b'{"data": {"stock_adjustment": -1}}'

pytestmark = pytest.mark.slow


def request(base, method, path, body=None, headers=None):
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def token(base):
    client_id, secret = factories.api_client()
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={quote(secret)}"
    status, raw = request(
        base,
        "POST",
        "/oauth/2.0/token",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, raw
    return json.loads(raw)["access_token"]


def hammer(base, paths, headers, body=lambda number, n: ADJUSTMENT, each=REQUESTS_EACH):
    """CLIENTS threads, each sending `each` PATCHes (`body(client number, n)`, by default
    an adjustment of -1) in turn over `paths`; every status seen (a failed connection shows
    as its error)."""
    statuses, lock = [], threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(number):
        start.wait()
        seen = []
        for n in range(each):
            path = paths[(number + n) % len(paths)]
            try:
                status, raw = request(base, "PATCH", path, body(number, n), headers)
            except (OSError, http.client.HTTPException) as error:
                status, raw = repr(error), b""
            seen.append((status, raw[:200]) if status != 200 else status)
        with lock:
            statuses.extend(seen)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return statuses


@pytest.fixture
def server(app, gunicorn_server):
    return gunicorn_server(workers=4).url


def test_concurrent_adjustments_of_a_product(server, app):
    made = factories.product(sku="RACE-P", stock_level=START)
    headers = {"Authorization": f"Bearer {token(server)}"}
    paths = ["/cs/api/v1/skus/RACE-P", f"/cs/api/v1/products/{made.id}"]

    statuses = hammer(server, paths, headers)

    assert statuses == [200] * CLIENTS * REQUESTS_EACH
    assert Product.get_by_id(made.id).stock_level == START - CLIENTS * REQUESTS_EACH
    status, raw = request(server, "GET", "/cs/api/v1/skus/RACE-P", headers=headers)
    assert json.loads(raw)["data"]["stock_level"] == 600


def test_concurrent_adjustments_of_a_variation(server, app):
    made = factories.product(sku="RACE")
    variation = factories.variation(made, sku="RACE-V", stock_level=START)
    headers = {"Authorization": f"Bearer {token(server)}"}
    paths = ["/cs/api/v1/skus/RACE-V", f"/cs/api/v1/variations/{variation.id}"]

    statuses = hammer(server, paths, headers)

    assert statuses == [200] * CLIENTS * REQUESTS_EACH
    assert Variation.get_by_id(variation.id).stock_level == START - CLIENTS * REQUESTS_EACH
    assert Product.get_by_id(made.id).date_updated > made.date_updated


def test_concurrent_level_sets_tell_each_level_before_them(server, app):
    """Levels set at once by many clients: each change's event names the level the one
    before it left, so the feed's stock.changed events chain from START to the level that
    stayed (the level before is read locked, in the same statement as the write where the
    database allows)."""
    made = factories.product(sku="RACE-L", stock_level=START)
    headers = {"Authorization": f"Bearer {token(server)}"}

    def level(number, n):
        # Every level differs from every other, so every request changes the stock.
        return json.dumps({"data": {"stock_level": number * 1000 + n + 1}}).encode()

    statuses = hammer(server, ["/cs/api/v1/skus/RACE-L"], headers, level, REQUESTS_EACH // 2)

    assert statuses == [200] * (CLIENTS * (REQUESTS_EACH // 2))
    changes = [
        json.loads(event.data)
        for event in Event.select().where(Event.type == "stock.changed").order_by(Event.id)
    ]
    changes = [change for change in changes if change["sku"] == "RACE-L"]
    assert len(changes) == CLIENTS * (REQUESTS_EACH // 2)
    levels = [START] + [change["stock_level"] for change in changes]
    assert [change["previous_stock_level"] for change in changes] == levels[:-1]
    assert Product.get_by_id(made.id).stock_level == levels[-1]
