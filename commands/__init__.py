"""The `cs` command group: schema, integrations, statuses, the change feed, webhooks, demo
data, stock and order CSV, imports."""

import click

from commands import clients, database, demo, events, imports, orders, statuses, stock, webhooks


@click.group("cs")
def cli():
    """Manage the Community Store API."""


cli.add_command(database.group)
cli.add_command(clients.group)
cli.add_command(statuses.group)
cli.add_command(events.group)
cli.add_command(demo.demo)
cli.add_command(stock.group)
cli.add_command(orders.group)
cli.add_command(webhooks.group)
cli.add_command(imports.group)
