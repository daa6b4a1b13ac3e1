"""The `cs` command group: schema, integrations, statuses, demo data, stock and order CSV,
imports."""

import click

from commands import clients, database, demo, imports, orders, statuses, stock


@click.group("cs")
def cli():
    """Manage the Community Store API."""


cli.add_command(database.group)
cli.add_command(clients.group)
cli.add_command(statuses.group)
cli.add_command(demo.demo)
cli.add_command(stock.group)
cli.add_command(orders.group)
cli.add_command(imports.group)
