"""`cs webhook`: subscriptions, redelivery, and the sender process."""

import logging
import signal
import threading

import click
from flask import current_app

from commands.common import bound_to_store, with_store
from config import EXTENSION
from store import actors, feed, webhooks
from store.webhooks.runner import Sender


def _settings():
    return current_app.extensions[EXTENSION].settings


@click.group("webhook")
def group():
    """Subscribe receivers to events, watch their health, and run the sender."""


@group.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True, help="Type or `order.*`.")
@click.option("--include-imported", is_flag=True, help="Also send events of imports.")
@with_store
def add_command(url, events, include_imported):
    """Subscribe URL to events; print its id and secret (shown only once)."""
    data = {"url": url, "events": list(events), "include_imported": include_imported}
    created = webhooks.add_subscription(data, _settings())
    click.echo(f"id: {created['id']}")
    click.echo(f"secret: {created['secret']}")
    click.echo("The secret is shown only now: give it to the receiver to verify signatures.")


def _when(moment):
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "never"


@group.command("list")
@with_store
def list_command():
    """One line per subscription: id, state, URL, events, last success, backlog."""
    for row, backlog in webhooks.health():
        state = "active" if row.active else f"disabled ({row.disabled_reason})"
        click.echo(
            f"{row.id}  {state}  {row.url}  {','.join(row.event_list)}  "
            f"last success: {_when(row.last_success_at)}  backlog: {backlog}"
        )


@group.command("disable")
@click.argument("subscription_id", type=int)
@with_store
def disable_command(subscription_id):
    """Stop sending to a subscription (what is pending is skipped)."""
    webhooks.disable(subscription_id, f"disabled by {actors.CLI}")
    click.echo(f"disabled {subscription_id}")


@group.command("enable")
@click.argument("subscription_id", type=int)
@with_store
def enable_command(subscription_id):
    """Send to a subscription again, from the next event on (no backfill)."""
    webhooks.enable(subscription_id)
    click.echo(f"enabled {subscription_id}")


@group.command("remove")
@click.argument("subscription_id", type=int)
@with_store
def remove_command(subscription_id):
    """Delete a subscription and its delivery log."""
    webhooks.remove_subscription(subscription_id)
    click.echo(f"removed {subscription_id}")


@group.command("rotate-secret")
@click.argument("subscription_id", type=int)
@with_store
def rotate_command(subscription_id):
    """Give a subscription a new secret; the old one also signs for 24 hours."""
    rotated = webhooks.rotate_secret(subscription_id, _settings())
    click.echo(f"id: {rotated['id']}")
    click.echo(f"secret: {rotated['secret']}")


@group.command("redeliver")
@click.argument("event_id", type=int)
@click.option("--subscription", "subscription_id", type=int, help="Only to this one.")
@with_store
def redeliver_command(event_id, subscription_id):
    """Queue an event again (same webhook-id) for a subscription, or every one sent it."""
    for queued in webhooks.redeliver(event_id, subscription_id):
        click.echo(f"queued event {event_id} for webhook {queued}")


def prune_feed(settings):
    """The sender's hourly upkeep: the event feed's retention (`cs events prune`)."""
    deleted, pruned = feed.prune(settings.event_retention_days)
    return f"pruned {deleted} events; events up to {pruned} are no longer kept"


@group.command("run")
@click.option("--workers", type=click.IntRange(1, 64), default=8, help="Parallel attempts.")
@bound_to_store
def run_command(workers):
    """Run the sender until SIGTERM: several may run at once, on any machines."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    state = current_app.extensions[EXTENSION]
    Sender(state.database, state.settings, stop, workers=workers, hourly=[prune_feed]).run()
