"""`cs orders export`: order items as CSV for operators."""

import sys

import click
from flask import current_app

from commands.common import with_store
from config import EXTENSION
from store.orders.export import export_orders

DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("orders")
def group():
    """Export orders."""


@group.command("export")
@click.option("--from", "from_day", type=DAY, required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "to_day", type=DAY, required=True, help="Last day, YYYY-MM-DD.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Default: stdout.")
@with_store
def export_command(from_day, to_day, out):
    """Write one row per order item of every order (hidden ones too) placed on these days
    in the store time zone."""
    settings = current_app.extensions[EXTENSION].settings
    if out is None:
        export_orders(sys.stdout, from_day.date(), to_day.date(), settings)
        return
    with open(out, "w", encoding="utf-8", newline="") as stream:
        count = export_orders(stream, from_day.date(), to_day.date(), settings)
    click.echo(f"{count} orders written to {out}", err=True)
