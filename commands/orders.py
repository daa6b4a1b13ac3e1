"""`cs orders export`: order items as CSV for operators; `cs orders refresh-documents`: the
orders' kept documents brought up to date."""

import sys

import click
from flask import current_app
from tqdm import tqdm

from commands.common import with_store
from config import EXTENSION
from models.orders import Order
from store.orders import refresh_documents
from store.orders.export import export_orders

DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("orders")
def group():
    """Export orders; refresh their kept documents."""


def refresh_kept_documents(progress=True):
    """Bring every order's kept document up to date (store.orders.kept), with a progress
    bar; how many were rendered. Needs the store's connection."""
    settings = current_app.extensions[EXTENSION].settings
    total = Order.select().count() if progress else 0
    shown = progress and total > 0
    with tqdm(total=total, desc="order documents", unit=" orders", disable=not shown) as bar:
        return refresh_documents(settings, progress=bar.update)


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


@group.command("refresh-documents")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@with_store
def refresh_command(progress):
    """Render and keep the document of every order whose kept one is missing or out of
    date: after orders were written by plain SQL, or the time zone, currency or VAT
    setting changed (reads are right meanwhile, only slower). `cs db upgrade` does it too."""
    written = refresh_kept_documents(progress)
    click.echo(f"{written} order documents written")
