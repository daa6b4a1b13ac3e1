"""`cs status`: the fulfilment statuses of the store."""

import click

from commands.common import with_store
from store import statuses


@click.group("status")
def group():
    """List, add, rename and reorder fulfilment statuses; choose the starting one."""


@group.command("list")
@with_store
def list_command():
    """List statuses in their sort order."""
    for status in statuses.statuses():
        mark = "  (starting)" if status.is_starting else ""
        click.echo(f"{status.id:3}  {status.handle:20} {status.name}{mark}")


@group.command("add")
@click.argument("handle")
@click.argument("name")
@with_store
def add_command(handle, name):
    """Add a status at the end of the list."""
    status = statuses.add_status(handle, name)
    click.echo(f"added {status.handle} (id {status.id})")


@group.command("rename")
@click.argument("handle")
@click.argument("name")
@with_store
def rename_command(handle, name):
    """Change a status's display name (its handle stays)."""
    status = statuses.rename_status(handle, name)
    click.echo(f"renamed {status.handle} to {name}")


@group.command("reorder")
@click.argument("handles", nargs=-1, required=True)
@with_store
def reorder_command(handles):
    """Put statuses in this order; statuses not named keep their order after them."""
    ordered = statuses.reorder_statuses(handles)
    click.echo("order: " + " ".join(status.handle for status in ordered))


@group.command("starting")
@click.argument("handle")
@with_store
def starting_command(handle):
    """Make this the status new orders start in (exactly one is)."""
    status = statuses.set_starting_status(handle)
    click.echo(f"new orders start as {status.handle}")
