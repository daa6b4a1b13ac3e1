"""`cs events`: the change feed's retention."""

import click
from flask import current_app

from commands.common import with_store
from config import EXTENSION
from store import feed


@click.group("events")
def group():
    """Manage the change feed (GET /events)."""


@group.command("prune")
@click.option(
    "--before-id",
    type=click.IntRange(min=1),
    default=None,
    help="Delete the events with a lower id instead of those older than EVENT_RETENTION_DAYS.",
)
@with_store
def prune_command(before_id):
    """Delete events older than EVENT_RETENTION_DAYS (or below an id)."""
    days = current_app.extensions[EXTENSION].settings.event_retention_days
    deleted, pruned = feed.prune(days, before_id)
    click.echo(f"deleted {deleted} events; events up to {pruned} are no longer kept")
