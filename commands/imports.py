"""`cs import v1`: copy a live store into this one through its v1 API (import.md §2)."""

import json

import click
from flask import current_app
from tqdm import tqdm

import csclient
from commands.common import with_store
from config import EXTENSION
from store.imports import KINDS, import_v1


@click.group("import")
def group():
    """Copy another store's data into this one."""


def _kinds(context, parameter, text):
    kinds = [kind.strip() for kind in text.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise click.BadParameter(
            f"a comma-separated list of {', '.join(KINDS)}", context, parameter
        )
    return kinds


def _progress(kind, total):
    return tqdm(total=total, desc=kind, unit=kind.rstrip("s"), leave=True)


@group.command("v1")
@click.argument("url")
@click.option("--client-id", required=True, help="An integration of the source store.")
@click.option("--client-secret", required=True, help="Its secret.")
@click.option(
    "--only",
    default=",".join(KINDS),
    callback=_kinds,
    help="What to copy: statuses,products,orders.",
)
@click.option("--prune", is_flag=True, help="Delete copied products gone from the source.")
@click.option("--dry-run", is_flag=True, help="Read and compare; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_store
def v1_command(url, client_id, client_secret, only, prune, dry_run, as_json):
    """Copy a store through its v1 API: statuses, products and orders, ids kept."""
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("an http(s) URL", param_hint="URL")
    settings = current_app.extensions[EXTENSION].settings
    progress = None if as_json else _progress
    try:
        with csclient.Client(url, client_id, client_secret) as source:
            summary = import_v1(source, url, settings, only, prune, dry_run, progress)
    except csclient.ClientError as error:
        raise click.ClickException(f"reading the source failed: {error}") from None
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        for line in summary.lines():
            click.echo(line)
