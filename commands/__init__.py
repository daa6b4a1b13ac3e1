"""The `cs` command group: schema, integrations, statuses, the change feed, webhooks and
demo data."""

import click

from commands import clients, database, demo, events, statuses, webhooks


@click.group("cs")
def cli():
    """Manage the Community Store API."""


cli.add_command(database.group)
cli.add_command(clients.group)
cli.add_command(statuses.group)
cli.add_command(events.group)
cli.add_command(demo.demo)
cli.add_command(webhooks.group)
