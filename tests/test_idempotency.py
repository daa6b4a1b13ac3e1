"""Idempotency-Key on every write (manage.md §6): at most once per client and key."""

import base64
import concurrent.futures
import datetime
import json
from decimal import Decimal

import pytest

from models.base import utcnow
from models.catalog import Product
from models.idempotency import IdempotencyKey
from store import idempotency
from tests import factories
from tests.servers import http_json

WRITE = "cs:products:write"
ADJUST = b'{"data": {"stock_adjustment": 1}}'


@pytest.fixture
def mug():
    return factories.product(sku="MUG", stock_level=Decimal(10))


def level(product):
    return Product.get_by_id(product.id).stock_level


def adjust(client, headers, key=None, body=ADJUST, path="/cs/api/v1/skus/MUG"):
    extra = {} if key is None else {"Idempotency-Key": key}
    return client.patch(path, data=body, headers={**headers, **extra})


def test_a_repeat_gets_the_first_response_and_changes_nothing(client, auth, mug):
    headers = auth(WRITE)
    first = adjust(client, headers, "order-1234")
    again = adjust(client, headers, "order-1234")
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Content-Type"] == "application/json"
    assert level(mug) == 11
    # Without the key, or with another one, the request runs again.
    assert adjust(client, headers).status_code == 200
    assert adjust(client, headers, "order-1235").status_code == 200
    assert level(mug) == 13


def test_the_same_key_for_another_request_is_refused(client, auth, mug):
    headers = auth(WRITE)
    adjust(client, headers, "k")
    for other in (
        {"body": b'{"data": {"stock_adjustment": 2}}'},
        {"path": "/cs/api/v1/skus/MUG?x=1"},
        {"path": f"/cs/api/v1/products/{mug.id}"},
    ):
        response = adjust(client, headers, "k", **other)
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["error"] is True
    assert level(mug) == 11


def test_keys_belong_to_one_integration(client, auth, mug):
    adjust(client, auth(WRITE), "shared")
    response = adjust(client, auth(WRITE), "shared")
    assert "Idempotent-Replayed" not in response.headers
    assert level(mug) == 12


def test_a_failed_request_leaves_the_key_free(client, auth, mug):
    headers = auth(WRITE)
    bad = b'{"data": {"stock_adjustment": "1"}}'
    assert adjust(client, headers, "retry-me", body=bad).status_code == 400
    assert adjust(client, headers, "retry-me", body=bad).status_code == 400
    missing = adjust(client, headers, "retry-me", path="/cs/api/v1/skus/NOPE")
    assert missing.status_code == 404
    assert adjust(client, headers, "retry-me").status_code == 200
    assert level(mug) == 11
    assert IdempotencyKey.select().count() == 1


def test_a_repeat_while_the_first_runs_is_a_conflict_until_it_died(client, auth, mug):
    headers = auth(WRITE)
    token_client = _client_of(headers)
    fingerprint = idempotency.fingerprint("PATCH", "/cs/api/v1/skus/MUG", ADJUST)
    assert idempotency.claim(token_client, "busy", fingerprint) is None
    response = adjust(client, headers, "busy")
    assert response.status_code == 409
    assert level(mug) == 10
    # The first attempt's process died: after IN_FLIGHT the key is free again.
    IdempotencyKey.update(locked_until=utcnow() - datetime.timedelta(seconds=1)).execute()
    assert adjust(client, headers, "busy").status_code == 200
    assert adjust(client, headers, "busy").headers["Idempotent-Replayed"] == "true"
    assert level(mug) == 11


def test_a_record_older_than_a_day_is_forgotten(client, auth, mug):
    headers = auth(WRITE)
    adjust(client, headers, "old")
    IdempotencyKey.update(created_at=utcnow() - datetime.timedelta(hours=25)).execute()
    assert "Idempotent-Replayed" not in adjust(client, headers, "old").headers
    assert level(mug) == 12


def test_pruning_forgets_only_expired_records(client, auth, mug):
    headers = auth(WRITE)
    adjust(client, headers, "expired")
    IdempotencyKey.update(created_at=utcnow() - datetime.timedelta(hours=25)).execute()
    adjust(client, headers, "recent")
    idempotency.prune()
    assert adjust(client, headers, "recent").headers["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.select().count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_refused(client, auth, mug, key):
    response = client.patch(
        "/cs/api/v1/skus/MUG",
        data=ADJUST,
        headers={**auth(WRITE), "Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["errors"][0]
    assert level(mug) == 10


def test_every_write_route_honours_the_key(app):
    prefix = "/cs/api/v1"
    writes = [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefix)
        for method in (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        if not rule.endpoint.startswith("cs_fallback")
    ]
    assert writes
    for path, method in writes:
        endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule == path)
        view_class = app.view_functions[endpoint].view_class
        view = getattr(view_class, method.lower())
        assert getattr(view, "idempotent", False) or _wraps_idempotent(view), (method, path)


def _wraps_idempotent(view):
    while view is not None:
        if getattr(view, "idempotent", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _client_of(headers):
    """The client_id in a bearer token's claims."""
    payload = headers["Authorization"].split()[1].split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["client_id"]


@pytest.mark.slow
def test_concurrent_repeats_through_gunicorn_apply_once(gunicorn_server, token, mug):
    server = gunicorn_server(workers=2)
    headers = {"Authorization": f"Bearer {token(WRITE)}", "Idempotency-Key": "race"}

    def send(_):
        status, response_headers, _ = http_json(
            "PATCH", f"{server.url}/cs/api/v1/skus/MUG", ADJUST, headers
        )
        return status, response_headers.get("Idempotent-Replayed")

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(16)))
    applied = [result for result in results if result == (200, None)]
    assert len(applied) == 1, results
    assert all(status in (200, 409) for status, _ in results), results
    assert level(mug) == 11
