"""/webhooks over the API: shapes, scopes, strict bodies, refused URLs, the attempt log."""

import pytest

from models.webhooks import WebhookSubscription
from tests import factories
from tests.test_openapi import check

BASE = "/cs/api/v1/webhooks"
MANAGE = "cs:webhooks:manage"
PUBLIC_URL = "https://93.184.215.14/hooks"
SECRET = r"^whsec_[A-Za-z0-9+/]{43}=$"


@pytest.fixture
def manage(auth):
    return auth(MANAGE, "cs:orders:read", "cs:products:read")


@pytest.fixture
def document(client):
    return client.get("/cs/api/v1/openapi.json").get_json()


def create(client, headers, **data):
    body = {"data": {"url": PUBLIC_URL, "events": ["order.*"], **data}}
    return client.post(BASE, json=body, headers=headers)


def test_create_shows_the_secret_once(client, manage, document):
    reply = create(client, manage, events=["order.*", "stock.changed"])
    assert reply.status_code == 201, reply.get_json()
    check(document, "/cs/api/v1/webhooks", "post", reply)
    hook = reply.get_json()["data"]
    assert reply.headers["Location"] == f"http://localhost{BASE}/{hook['id']}"
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) == 50
    assert hook["events"] == ["order.*", "stock.changed"]
    assert (hook["active"], hook["include_imported"], hook["disabled_reason"]) == (
        True,
        False,
        None,
    )
    assert set(hook["created_at"]) == {"date", "timezone"}
    shown = client.get(f"{BASE}/{hook['id']}", headers=manage).get_json()["data"]
    assert "secret" not in shown and shown == {k: v for k, v in hook.items() if k != "secret"}
    listed = client.get(BASE, headers=manage).get_json()["data"]
    assert listed == [shown]


def test_change_rotate_and_delete(client, manage, document):
    hook = create(client, manage).get_json()["data"]
    url = f"{BASE}/{hook['id']}"
    changed = client.patch(
        url, json={"data": {"active": False, "include_imported": True}}, headers=manage
    )
    assert changed.status_code == 200
    data = changed.get_json()["data"]
    assert data["active"] is False and data["include_imported"] is True
    assert data["disabled_reason"].startswith("disabled by client:")
    again = client.patch(url, json={"data": {"active": True}}, headers=manage).get_json()["data"]
    assert again["active"] is True and again["disabled_reason"] is None
    rotated = client.post(f"{url}/rotate-secret", headers=manage)
    assert rotated.status_code == 200
    check(document, "/cs/api/v1/webhooks/{webhook_id}/rotate-secret", "post", rotated)
    assert rotated.get_json()["data"]["secret"] != hook["secret"]
    row = WebhookSubscription.get_by_id(hook["id"])
    assert row.previous_secret == hook["secret"]
    deleted = client.delete(url, headers=manage)
    assert deleted.status_code == 204 and deleted.data == b""
    assert client.get(url, headers=manage).status_code == 404


def test_the_attempt_log_is_newest_first_and_paginated(client, manage):
    hook = factories.webhook()
    other = factories.webhook()
    for event_id in range(1, 6):
        factories.webhook_attempt(hook, event_id=event_id)
    factories.webhook_attempt(other)
    reply = client.get(f"{BASE}/{hook.id}/deliveries?paging=2&page=2", headers=manage)
    body = reply.get_json()
    assert [attempt["event_id"] for attempt in body["data"]] == [3, 2]
    assert body["meta"]["pagination"]["total"] == 5
    assert body["meta"]["pagination"]["links"]["next"].endswith("paging=2&page=3")
    assert set(body["data"][0]) == {
        "id",
        "event_id",
        "webhook_id",
        "attempt",
        "attempted_at",
        "status_code",
        "latency_ms",
        "error",
        "response_body",
    }


def test_allowed_hosts_may_be_plain_http(make_app, auth):
    app = make_app(CS_WEBHOOK_ALLOWED_HOSTS="127.0.0.1")
    client = app.test_client()
    reply = create(client, auth(MANAGE, "cs:orders:read"), url="http://127.0.0.1:9/hook")
    assert reply.status_code == 201


@pytest.mark.parametrize(
    "data, field",
    [
        ({"url": "https://127.0.0.1/hook"}, "data.url"),
        ({"url": "https://localhost/hook"}, "data.url"),
        ({"url": "https://169.254.169.254/latest"}, "data.url"),
        ({"url": "http://93.184.215.14/hook"}, "data.url"),
        ({"url": 7}, "data.url"),
        ({"events": []}, "data.events"),
        ({"events": ["order.shipped"]}, "data.events.0"),
        ({"events": "order.*"}, "data.events"),
        ({"active": "yes"}, "data.active"),
        ({"include_imported": 1}, "data.include_imported"),
        ({"secret": "whsec_x"}, "data.secret"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(client, manage, data, field):
    reply = create(client, manage, **data)
    assert reply.status_code == 400, reply.get_json()
    assert field in reply.get_json()["fields"]
    assert WebhookSubscription.select().count() == 0


@pytest.mark.parametrize("body", [None, [], {"url": PUBLIC_URL}, {"data": {}, "x": 1}, "[1]"])
def test_bad_envelopes_are_400(client, manage, body):
    reply = client.post(BASE, json=body, headers=manage)
    assert reply.status_code == 400


def test_a_refused_url_on_patch_changes_nothing(client, manage):
    hook = create(client, manage).get_json()["data"]
    reply = client.patch(
        f"{BASE}/{hook['id']}",
        json={"data": {"url": "https://10.0.0.1/x", "active": False}},
        headers=manage,
    )
    assert reply.status_code == 400 and "data.url" in reply.get_json()["fields"]
    row = WebhookSubscription.get_by_id(hook["id"])
    assert row.url == PUBLIC_URL and row.active


@pytest.mark.parametrize(
    "scopes, events, missing",
    [
        ((MANAGE,), ["order.*"], "cs:orders:read"),
        ((MANAGE, "cs:products:read"), ["order.paid", "stock.changed"], "cs:orders:read"),
        ((MANAGE, "cs:orders:read"), ["stock.*"], "cs:products:read"),
        ((MANAGE, "cs:orders:read"), ["product.deleted"], "cs:products:read"),
    ],
)
def test_subscribing_needs_the_read_scope_of_the_events(client, auth, scopes, events, missing):
    reply = create(client, auth(*scopes), events=events)
    assert reply.status_code == 403
    assert f'scope="{missing}"' in reply.headers["WWW-Authenticate"]


def test_changing_events_needs_their_read_scope(client, auth):
    hook = factories.webhook(events="order.*")
    reply = client.patch(
        f"{BASE}/{hook.id}",
        json={"data": {"events": ["stock.changed"]}},
        headers=auth(MANAGE, "cs:orders:read"),
    )
    assert reply.status_code == 403
    assert WebhookSubscription.get_by_id(hook.id).events == "order.*"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", BASE),
        ("POST", BASE),
        ("GET", f"{BASE}/1"),
        ("PATCH", f"{BASE}/1"),
        ("DELETE", f"{BASE}/1"),
        ("POST", f"{BASE}/1/rotate-secret"),
        ("GET", f"{BASE}/1/deliveries"),
    ],
)
def test_every_route_needs_the_manage_scope(client, auth, method, path):
    headers = auth("cs:orders:read", "cs:products:read", "cs:orders:manage")
    reply = client.open(path, method=method, json={"data": {}}, headers=headers)
    assert reply.status_code == 403
    assert 'scope="cs:webhooks:manage"' in reply.headers["WWW-Authenticate"]
    assert client.open(path, method=method).status_code == 401


@pytest.mark.parametrize(
    "method, suffix",
    [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("GET", "/deliveries"),
    ],
)
def test_unknown_subscriptions_are_404(client, manage, method, suffix):
    reply = client.open(
        f"{BASE}/999999{suffix}", method=method, json={"data": {"active": False}}, headers=manage
    )
    assert reply.status_code == 404
    assert reply.get_json() == {"error": True, "errors": ["Webhook 999999 not found"]}


def test_the_manage_scope_is_never_granted_by_default(client, token):
    from models.clients import DEFAULT_SCOPES

    assert MANAGE not in DEFAULT_SCOPES


def test_a_repeated_create_with_an_idempotency_key_is_replayed(client, manage):
    headers = {**manage, "Idempotency-Key": "hook-1"}
    first = create(client, headers)
    second = create(client, headers)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert WebhookSubscription.select().count() == 1
