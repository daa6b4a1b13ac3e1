"""`cs webhook`: add, list, disable, enable, remove, rotate-secret, redeliver."""

import re

import pytest

from models.webhooks import WebhookDelivery, WebhookSubscription
from tests import factories


@pytest.fixture
def cli(make_app, app):
    runner = make_app(CS_WEBHOOK_ALLOWED_HOSTS="hooks.internal,127.0.0.1").test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=["cs", "webhook", *args])
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    return run


def test_add_prints_the_id_and_secret(cli):
    output = cli("add", "https://93.184.215.14/h", "--event", "order.*", "--event", "stock.changed")
    hook_id = int(re.search(r"^id: (\d+)$", output, re.M).group(1))
    secret = re.search(r"^secret: (whsec_\S+)$", output, re.M).group(1)
    row = WebhookSubscription.get_by_id(hook_id)
    assert row.secret == secret and row.event_list == ["order.*", "stock.changed"]
    assert not row.include_imported
    listing = cli("list")
    assert re.search(
        rf"^{hook_id}  active  https://93.184.215.14/h  order.\*,stock.changed  "
        r"last success: never  backlog: 0$",
        listing,
        re.M,
    )
    assert secret not in listing


def test_add_with_imported_events_and_an_allowed_host(cli):
    output = cli("add", "http://127.0.0.1:9/h", "--event", "product.*", "--include-imported")
    hook_id = int(re.search(r"^id: (\d+)$", output, re.M).group(1))
    assert WebhookSubscription.get_by_id(hook_id).include_imported


@pytest.mark.parametrize(
    "url, message",
    [
        ("https://localhost/h", "which is not public (loopback)"),
        ("https://10.0.0.5/h", "which is not public (private)"),
        ("http://93.184.215.14/h", "Must use https"),
    ],
)
def test_add_refuses_urls(cli, url, message):
    output = cli("add", url, "--event", "order.*", ok=False)
    assert message in output
    assert WebhookSubscription.select().count() == 0


def test_add_refuses_unknown_events(cli):
    assert "Unknown event type" in cli("add", "https://93.184.215.14/", "--event", "x", ok=False)


def test_disable_enable_remove(cli):
    hook = factories.webhook()
    factories.event()
    assert "backlog: 1" in cli("list")
    cli("disable", str(hook.id))
    assert f"{hook.id}  disabled (disabled by cli)" in cli("list")
    cli("enable", str(hook.id))
    row = WebhookSubscription.get_by_id(hook.id)
    # No backfill: the cursor moved to the newest event.
    assert row.active and row.cursor == factories.event().id - 1
    assert "backlog: 1" in cli("list")
    cli("remove", str(hook.id))
    assert cli("list") == ""
    assert "Webhook 12345 not found" in cli("disable", "12345", ok=False)


def test_rotate_secret(cli):
    hook = factories.webhook()
    output = cli("rotate-secret", str(hook.id))
    secret = re.search(r"^secret: (whsec_\S+)$", output, re.M).group(1)
    row = WebhookSubscription.get_by_id(hook.id)
    assert row.secret == secret and row.previous_secret == hook.secret


def test_redeliver(cli):
    one, two = factories.webhook(), factories.webhook()
    event = factories.event()
    assert "was not sent to any active webhook" in cli("redeliver", str(event.id), ok=False)
    output = cli("redeliver", str(event.id), "--subscription", str(one.id))
    assert f"queued event {event.id} for webhook {one.id}" in output
    delivery = WebhookDelivery.get(WebhookDelivery.subscription == one.id)
    assert delivery.state == "pending" and delivery.webhook_id == f"msg_{event.id}_{one.id}"
    WebhookDelivery.update(state="failed").execute()
    assert f"for webhook {one.id}" in cli("redeliver", str(event.id))
    assert WebhookDelivery.get_by_id(delivery.id).state == "pending"
    assert "not found" in cli("redeliver", "999999", "--subscription", str(two.id), ok=False)
    cli("disable", str(two.id))
    assert "is disabled" in cli("redeliver", str(event.id), "--subscription", str(two.id), ok=False)
