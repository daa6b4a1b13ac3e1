"""Concurrent PATCHes of one order through real gunicorn workers keep the history consistent."""

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from models.orders import Order
from tests import factories

WORKERS = 4
THREADS = 8
ROUNDS = 6


def request(url, method="GET", data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def token(base, client_id, secret):
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    status, body = request(base + "/oauth/2.0/token", "POST", form)
    assert status == 200, body
    return body["access_token"]


def patch_all_at_once(url, headers, bodies):
    """Send every body as a PATCH (raw JSON, no Content-Type, as the official client does),
    released together from a barrier; the (status, response) of each."""
    barrier = threading.Barrier(len(bodies))

    def send(body):
        barrier.wait(timeout=30)
        return request(url, "PATCH", json.dumps(body).encode(), headers)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, bodies))


def assert_consistent(order, handles_sent):
    """No two consecutive rows with the same status, and the last row is the current one."""
    handles = [handle for handle, _ in factories.status_history(order)]
    assert all(a != b for a, b in zip(handles, handles[1:], strict=False)), handles
    current = Order.get_by_id(order.id).status.handle
    assert handles[-1] == current
    assert set(handles[1:]) <= set(handles_sent)
    return handles


@pytest.mark.slow
def test_concurrent_patches_of_one_order_take_turns(app, gunicorn_server):
    order = factories.order()
    client_id, secret = factories.api_client(scopes=["cs:orders:read", "cs:orders:write"])
    server = gunicorn_server(workers=WORKERS)
    headers = {"Authorization": f"Bearer {token(server.url, client_id, secret)}"}
    url = f"{server.url}/cs/api/v1/orders/{order.id}"

    # Every round, all requests ask for the same new status at the same moment: exactly one
    # of them changes it, so each round adds exactly one history row.
    targets = ["shipped", "processing"] * (ROUNDS // 2)
    for number, target in enumerate(targets, start=1):
        bodies = [
            {"data": {"fulfilment": {"handle": target, "tracking_id": f"R{number}-{n}"}}}
            for n in range(THREADS)
        ]
        results = patch_all_at_once(url, headers, bodies)
        assert [status for status, _ in results] == [200] * THREADS, results
        assert all(body["data"]["fulfilment"]["handle"] == target for _, body in results)
        history = factories.status_history(order)
        assert len(history) == number + 1, history
        assert history[-1] == (target, client_id)
        # The last writer's tracking id is the one kept: one of this round's.
        tracking_id = Order.get_by_id(order.id).tracking_id
        assert tracking_id.startswith(f"R{number}-")

    # Then different statuses at once: any order of arrival, never a duplicate row.
    mixed = ["delivered", "returned", "shipped", "delivered"] * 2
    results = patch_all_at_once(
        url, headers, [{"data": {"fulfilment": {"handle": handle}}} for handle in mixed]
    )
    assert [status for status, _ in results] == [200] * len(mixed), results
    handles = assert_consistent(order, targets + mixed)
    assert len(handles) <= 1 + ROUNDS + len(mixed)
    assert "Traceback" not in server.read_log()
