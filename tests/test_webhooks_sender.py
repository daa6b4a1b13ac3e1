"""The sender's steps against a real receiver on 127.0.0.1: signatures (checked with the
`standardwebhooks` package), retries, redirects, SSRF at delivery time, truncation,
imported events, rotation, and disabling after days of failures on a controlled clock."""

import dataclasses
import datetime
import uuid

import orjson
import pytest

from config import Config, WebhookSettings, load_webhook_settings
from models.base import utcnow
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription
from store import webhooks
from store.webhooks.documents import MAX_BODY
from store.webhooks.sender import claim, fan_out, prepare, record, send
from tests import factories
from tests.webhook_receiver import Receiver

HOOK_SETTINGS = WebhookSettings(
    allowed_hosts=frozenset({"127.0.0.1"}), retry_schedule=(0.2, 0.2, 0.2), timeout=2, lease=4
)


@pytest.fixture
def settings(app):
    base = app.extensions["community_store_api"].settings
    return dataclasses.replace(base, webhooks=HOOK_SETTINGS)


def subscribe(settings, url, events=("order.*",), **fields):
    data = {"url": url, "events": list(events), **fields}
    return webhooks.add_subscription(data, settings)


def deliver(settings, now=None):
    """One round of the sender, in this process: fan out, claim, send, record."""
    fan_out(now)
    owner = f"test:{uuid.uuid4().hex}"
    claimed = claim(owner, settings.webhooks.lease, now)
    for request in prepare(claimed, settings, now):
        outcome = send(request, settings.webhooks)
        record(request, outcome, owner, settings.webhooks, utcnow(), now)
    return len(claimed)


def deliveries():
    return list(WebhookDelivery.select().order_by(WebhookDelivery.id))


def test_a_delivery_is_signed_as_standard_webhooks_says(settings):
    factories.event("order.created")  # before the subscription: not sent
    with Receiver() as receiver:
        hook = subscribe(settings, receiver.url, ["order.*"])
        sent = factories.event(
            "order.updated",
            {"order": {"id": 5}, "changes": ["fulfilment.handle"]},
            actor="client:abc",
        )
        factories.event("stock.changed", {"sku": "A"})
        assert deliver(settings) == 1
        (got,) = receiver.requests
    payload = got.verify(hook["secret"])
    assert payload == {
        "id": sent.id,
        "type": "order.updated",
        "occurred_at": {
            "date": payload["occurred_at"]["date"],
            "timezone": "America/Phoenix",
        },
        "actor": "client:abc",
        "imported": False,
        "data": {"order": {"id": 5}, "changes": ["fulfilment.handle"]},
    }
    assert got.headers["webhook-id"] == f"msg_{sent.id}_{hook['id']}"
    assert got.headers["Content-Type"] == "application/json"
    (delivery,) = deliveries()
    assert delivery.state == "succeeded" and delivery.lease_owner is None
    assert WebhookSubscription.get_by_id(hook["id"]).last_success_at is not None


def test_failures_are_retried_with_the_same_webhook_id(settings, client, auth):
    with Receiver(statuses=[500, 500, 200]) as receiver:
        hook = subscribe(settings, receiver.url)
        factories.event()
        start = utcnow()
        for step in range(3):
            deliver(settings, now=start + datetime.timedelta(seconds=step))
        received = receiver.wait_for(3, timeout=1)
    assert len({request.headers["webhook-id"] for request in received}) == 1
    for request in received:
        request.verify(hook["secret"])
    assert [d.state for d in deliveries()] == ["succeeded"]
    log = client.get(
        f"/cs/api/v1/webhooks/{hook['id']}/deliveries", headers=auth("cs:webhooks:manage")
    ).get_json()
    assert [(a["attempt"], a["status_code"]) for a in log["data"]] == [(3, 200), (2, 500), (1, 500)]
    assert log["data"][1]["error"] == "HTTP 500" and log["data"][0]["response_body"] == "ok"


def test_a_delivery_fails_after_the_last_retry(settings):
    with Receiver(default=503) as receiver:
        subscribe(settings, receiver.url)
        factories.event()
        start = utcnow()
        for step in range(5):
            deliver(settings, now=start + datetime.timedelta(seconds=step))
        assert len(receiver.requests) == 4
    (delivery,) = deliveries()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 4, None)


def test_the_production_schedule_is_the_configured_default():
    production = load_webhook_settings(Config().as_dict() | {"CS_WEBHOOK_RETRY_SCHEDULE": None})
    assert production.retry_schedule == (5, 300, 1800, 7200, 18000, 36000, 36000)
    # "About 28 h in all."
    assert sum(production.retry_schedule) / 3600 == pytest.approx(28, abs=0.5)
    assert load_webhook_settings({}) == WebhookSettings()
    assert (production.timeout, production.disable_after) == (10, 3 * 86400)


def test_a_redirect_is_not_followed(settings):
    with Receiver(statuses=[302], location="/elsewhere") as receiver:
        subscribe(settings, receiver.url)
        factories.event()
        deliver(settings)
        assert [request.path for request in receiver.requests] == ["/hook"]
    (attempt,) = WebhookAttempt.select()
    assert (attempt.status_code, attempt.error) == (302, "redirect not followed")
    assert deliveries()[0].state == "pending"


def test_an_address_refused_at_delivery_time_is_not_contacted(settings):
    with Receiver() as receiver:
        subscribe(settings, receiver.url)
        factories.event()
        # The operator no longer allows the host: the sender checks again.
        deliver(dataclasses.replace(settings, webhooks=WebhookSettings()))
        assert receiver.requests == []
    (attempt,) = WebhookAttempt.select()
    assert attempt.status_code is None and attempt.error.startswith("refused: ")
    assert "WEBHOOK_ALLOWED_HOSTS" in attempt.error


def test_a_large_event_is_sent_thin(settings):
    big = {"order": {"id": 77, "note": "x" * MAX_BODY}}
    with Receiver() as receiver:
        hook = subscribe(settings, receiver.url, ["order.*", "stock.*"])
        factories.event("order.created", big)
        factories.event(
            "stock.changed",
            {"sku": "S", "product_id": 3, "variation_id": None, "reason": "x" * MAX_BODY},
        )
        deliver(settings)
        order, stock = receiver.requests
    for got in (order, stock):
        assert len(got.body) < 1024
    payload = order.verify(hook["secret"])
    assert payload["data"] == {"order": {"id": 77}} and payload["truncated"] is True
    assert set(payload) == {"id", "type", "occurred_at", "actor", "imported", "data", "truncated"}
    thin = stock.verify(hook["secret"])["data"]
    assert thin == {"sku": "S", "product_id": 3, "variation_id": None}


def test_imported_events_go_only_to_subscriptions_that_asked(settings):
    with Receiver() as plain, Receiver() as wants:
        subscribe(settings, plain.url)
        subscribe(settings, wants.url, include_imported=True)
        imported = factories.event("order.created", imported=True, actor="import:old.shop")
        live = factories.event("order.created")
        deliver(settings)
        ids = {
            name: [orjson.loads(r.body)["id"] for r in receiver.requests]
            for name, receiver in (("plain", plain), ("wants", wants))
        }
    assert ids == {"plain": [live.id], "wants": [imported.id, live.id]}


def test_during_a_rotation_both_secrets_sign(settings):
    with Receiver() as receiver:
        hook = subscribe(settings, receiver.url)
        rotated = webhooks.rotate_secret(hook["id"], settings)
        factories.event()
        deliver(settings)
        (got,) = receiver.requests
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    got.verify(hook["secret"])
    got.verify(rotated["secret"])
    # A day later the old secret no longer signs.
    later = utcnow() + datetime.timedelta(hours=25)
    with Receiver() as receiver:
        WebhookSubscription.update(url=receiver.url).execute()
        factories.event()
        deliver(settings, now=later)
        (got,) = receiver.requests
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    got.verify(rotated["secret"])


def test_three_days_of_failures_disable_the_subscription(settings, app):
    start = utcnow()
    with Receiver(default=500) as receiver:
        hook = subscribe(settings, receiver.url)
        factories.event()
        deliver(settings, now=start)
        assert WebhookSubscription.get_by_id(hook["id"]).active
        factories.event()
        deliver(settings, now=start + datetime.timedelta(days=2))
        assert WebhookSubscription.get_by_id(hook["id"]).active
        factories.event()
        fan_out(start + datetime.timedelta(days=3))
        deliver(settings, now=start + datetime.timedelta(days=3, seconds=1))
        row = WebhookSubscription.get_by_id(hook["id"])
        assert not row.active and row.disabled_reason.startswith("no successful delivery for 3")
        assert {d.state for d in deliveries()} == {"skipped"}
        sent = len(receiver.requests)
        # Enabling does not backfill what happened while disabled.
        factories.event()
        webhooks.enable(hook["id"])
        after = factories.event()
        deliver(settings, now=start + datetime.timedelta(days=4))
        assert len(receiver.requests) == sent + 1
        assert orjson.loads(receiver.requests[-1].body)["id"] == after.id
    listing = app.test_cli_runner().invoke(args=["cs", "webhook", "list"]).output
    assert "active" in listing and "backlog: 1" in listing


def test_a_success_clears_the_failing_clock(settings):
    start = utcnow()
    with Receiver(statuses=[500], default=200) as receiver:
        hook = subscribe(settings, receiver.url)
        factories.event()
        deliver(settings, now=start)
        deliver(settings, now=start + datetime.timedelta(days=2))
        factories.event()
        with Receiver(default=500) as failing:
            WebhookSubscription.update(url=failing.url).execute()
            deliver(settings, now=start + datetime.timedelta(days=4))
        assert len(receiver.requests) == 2
    row = WebhookSubscription.get_by_id(hook["id"])
    assert row.active and row.failing_since == start + datetime.timedelta(days=4)


def test_redelivery_keeps_the_webhook_id(settings):
    with Receiver() as receiver:
        hook = subscribe(settings, receiver.url)
        event = factories.event()
        deliver(settings)
        assert webhooks.redeliver(event.id) == [hook["id"]]
        deliver(settings)
        first, again = receiver.requests
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert [a.attempt for a in WebhookAttempt.select().order_by(WebhookAttempt.id)] == [1, 2]


def test_fan_out_reads_few_queries(settings):
    from playhouse.test_utils import count_queries

    for _ in range(3):
        factories.webhook(url="https://93.184.215.14/a")
    for _ in range(50):
        factories.event()
    with count_queries() as counted:
        made = fan_out()
    assert made == 150
    # Subscriptions, events, then per subscription: move the cursor, insert.
    assert counted.count <= 2 + 3 * 2 + 6


def test_a_subscription_removed_during_an_attempt_is_not_logged(settings):
    with Receiver() as receiver:
        hook = subscribe(settings, receiver.url)
        factories.event()
        fan_out()
        claimed = claim("test:removed", settings.webhooks.lease)
        (request,) = prepare(claimed, settings)
        outcome = send(request, settings.webhooks)
        webhooks.remove_subscription(hook["id"])
        assert record(request, outcome, "test:removed", settings.webhooks, utcnow()) is False
        assert prepare(claimed, settings) == []
    assert WebhookAttempt.select().count() == 0 and WebhookDelivery.select().count() == 0


def test_https_names_the_host_and_verifies_its_certificate(settings, tmp_path):
    """The sender connects to the checked address but sends the URL's host as the TLS
    server name, and refuses a certificate no authority signed."""
    import socket
    import ssl
    import subprocess
    import threading

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    allowed = dataclasses.replace(
        settings,
        webhooks=dataclasses.replace(HOOK_SETTINGS, allowed_hosts=frozenset({"localhost"})),
    )
    subscribe(allowed, f"https://localhost:{listener.getsockname()[1]}/hook")
    factories.event()
    deliver(allowed)
    thread.join(10)
    listener.close()
    (attempt,) = WebhookAttempt.select()
    assert names == ["localhost"]
    assert attempt.status_code is None and attempt.error.startswith("TLS failed")
    assert "CERTIFICATE_VERIFY_FAILED" in attempt.error
