"""`cs stock`: every SKU's stock as CSV, and a CSV applied with the bulk stock rules."""

import csv
import sys

import click
from flask import current_app
from tqdm import tqdm

from commands.common import with_store
from config import EXTENSION
from store import csv_io
from store.actors import CLI
from store.errors import Invalid


@click.group("stock")
def group():
    """Export and import stock levels as CSV."""


@group.command("export")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Default: stdout.")
@with_store
def export_command(out):
    """Write sku,stock_level,stock_unlimited,product_id,variation_id,name for every SKU."""
    if out is None:
        csv_io.export_stock(sys.stdout)
        return
    with open(out, "w", encoding="utf-8", newline="") as stream:
        count = csv_io.export_stock(stream)
    click.echo(f"{count} SKUs written to {out}", err=True)


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@with_store
def import_command(file, dry_run, progress):
    """Apply a stock CSV (sku, and stock_level and/or stock_unlimited) in one transaction:
    all of it, or nothing if any line is wrong."""
    settings = current_app.extensions[EXTENSION].settings
    # utf-8-sig: a byte-order mark, as spreadsheets write, is read as none.
    with open(file, encoding="utf-8-sig", newline="") as stream:
        rows = tqdm(csv.reader(stream), desc="reading", unit=" rows", disable=not progress)
        try:
            result = csv_io.import_stock(rows, CLI, settings, dry_run=dry_run)
        except Invalid as error:
            problems = (error.fields or {}).get("lines") or [error.message]
            raise click.ClickException(
                f"{file}: nothing changed, {len(problems)} problem(s):\n  " + "\n  ".join(problems)
            ) from None
    meta = result.meta
    done = "would change" if dry_run else "changed"
    click.echo(
        f"{len(result.records)} lines: {meta['changed']} {done}, {meta['unchanged']} unchanged"
        + (" (dry run: nothing written)" if dry_run else "")
    )
