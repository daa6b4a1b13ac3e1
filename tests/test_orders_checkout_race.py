"""POST /orders through real gunicorn workers: the last unit goes to exactly one order, and a
retried order whose first answer was lost is placed once (manage.md §4, §6)."""

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from models.catalog import Product, Variation
from models.orders import Order, OrderItem
from tests import factories
from tests.servers import http_json

CLIENTS = 8
# The user agent of the request whose connection drops, to find it in the access log.
DROPPED = "dropped-connection-test"
PATH = "/cs/api/v1/orders"


def bearer(server, scopes=("cs:orders:manage",)):
    client_id, secret = factories.api_client(scopes=list(scopes))
    status, _, body = http_json(
        "POST",
        f"{server.url}/oauth/2.0/token",
        f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}".encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}


def all_at_once(count, send):
    """Run send(n) for n in range(count) from as many threads, released together."""
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait(timeout=30)
        return send(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.slow
def test_the_last_unit_goes_to_exactly_one_order(app, gunicorn_server):
    mug = factories.product(sku="MUG", stock_level=Decimal(1))
    shirt = factories.product(sku="TEE", stock_level=Decimal(50))
    small = factories.variation(shirt, sku="TEE-S", stock_level=Decimal(1))
    server = gunicorn_server(workers=4)
    headers = bearer(server)
    for sku, model, record in (("MUG", Product, mug), ("TEE-S", Variation, small)):
        body = {"data": {"items": [{"sku": sku, "quantity": 1}]}}

        def send(n, body=body):
            return http_json("POST", server.url + PATH, body, headers)

        results = all_at_once(CLIENTS, send)
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [201] + [409] * (CLIENTS - 1), (results, server.read_log()[-4000:])
        for status, _, reply in results:
            if status == 409:
                assert reply["shortages"] == [{"sku": sku, "available": 0, "requested": 1}]
        assert model.get_by_id(record.id).stock_level == 0
        assert OrderItem.select().where(OrderItem.sku == sku).count() == 1
    assert Order.select().count() == 2
    assert Product.get_by_id(shirt.id).stock_level == 50
    assert "Traceback" not in server.read_log()


@pytest.mark.slow
def test_many_orders_at_once_take_exactly_their_stock(app, gunicorn_server):
    """Concurrent orders of several SKUs in different orders: no lost update, no deadlock."""
    skus = ["A", "B", "C"]
    products = [factories.product(sku=sku, stock_level=Decimal(100)) for sku in skus]
    server = gunicorn_server(workers=4)
    headers = bearer(server)

    def send(n):
        lines = [{"sku": sku, "quantity": 1 + n % 2} for sku in (skus if n % 2 else skus[::-1])]
        return http_json("POST", server.url + PATH, {"data": {"items": lines}}, headers)[0]

    assert all_at_once(CLIENTS, send) == [201] * CLIENTS
    taken = sum(1 + n % 2 for n in range(CLIENTS))
    for product in products:
        assert Product.get_by_id(product.id).stock_level == 100 - taken


def _send_and_hang_up(url, headers, body):
    """Send a whole request on a raw socket and close it without reading the answer: a
    client whose connection dropped before the response came."""
    parts = urlsplit(url)
    request = "\r\n".join(
        [
            f"POST {parts.path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in headers.items()),
            "",
            "",
        ]
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request + body)


@pytest.mark.slow
def test_a_retry_after_a_dropped_connection_places_one_order(app, gunicorn_server):
    factories.product(sku="MUG", stock_level=Decimal(10))
    server = gunicorn_server(workers=2)
    headers = {**bearer(server), "Idempotency-Key": "checkout-5f2a"}
    body = json.dumps({"data": {"items": [{"sku": "MUG", "quantity": 3}]}}).encode()
    _send_and_hang_up(server.url + PATH, {**headers, "User-Agent": DROPPED}, body)
    # Retry as a client does: while the first attempt still runs the key is busy (409).
    deadline = time.monotonic() + 30
    while True:
        status, reply_headers, reply = http_json(
            "POST", server.url + PATH, body, {**headers, "Content-Type": "application/json"}
        )
        if status != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 201, reply
    order_id = reply["data"]["id"]
    assert reply_headers["Location"].endswith(f"{PATH}/{order_id}")
    # The dropped attempt has been served too (the access log names it). Usually it placed
    # the order and the retry got its answer again; on a busy server the retry may come
    # first, and the dropped attempt then finds the key busy (409) or answered. One order.
    deadline = time.monotonic() + 30
    while DROPPED not in server.read_log() and time.monotonic() < deadline:
        time.sleep(0.1)
    served = server.read_log().split(DROPPED)[0].rsplit("\n", 1)[-1]
    assert '" 201 ' in served or '" 409 ' in served, server.read_log()
    again = http_json("POST", server.url + PATH, body, headers)
    assert again[0] == 201 and again[2]["data"]["id"] == order_id
    assert again[1]["Idempotent-Replayed"] == "true"
    assert Order.select().count() == 1
    assert Product.get(Product.sku == "MUG").stock_level == 7
