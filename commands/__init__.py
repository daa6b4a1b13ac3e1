"""The `cs` command group: schema, integrations, statuses, the change feed and demo data."""

import click

from commands import clients, database, demo, events, statuses


@click.group("cs")
def cli():
    """Manage the Community Store API."""


cli.add_command(database.group)
cli.add_command(clients.group)
cli.add_command(statuses.group)
cli.add_command(events.group)
cli.add_command(demo.demo)
