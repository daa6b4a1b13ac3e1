"""`cs status`: the fulfilment statuses of the store."""

import re

import click
from peewee import IntegrityError, fn

from commands.common import with_store
from models.base import db
from models.statuses import FulfilmentStatus

HANDLE = re.compile(r"[a-z0-9_]{1,100}")


def _get(handle):
    status = FulfilmentStatus.get_or_none(FulfilmentStatus.handle == handle.lower())
    if status is None:
        raise click.ClickException(f"no status with handle {handle}")
    return status


@click.group("status")
def group():
    """List, add, rename and reorder fulfilment statuses; choose the starting one."""


@group.command("list")
@with_store
def list_command():
    """List statuses in their sort order."""
    with db.connection_context():
        query = FulfilmentStatus.select().order_by(FulfilmentStatus.sort_order, FulfilmentStatus.id)
        for status in query:
            mark = "  (starting)" if status.is_starting else ""
            click.echo(f"{status.id:3}  {status.handle:20} {status.name}{mark}")


@group.command("add")
@click.argument("handle")
@click.argument("name")
@with_store
def add_command(handle, name):
    """Add a status at the end of the list."""
    if not HANDLE.fullmatch(handle):
        raise click.BadParameter("a handle is 1-100 characters of a-z, 0-9 and _")
    with db.connection_context(), db.atomic():
        last = FulfilmentStatus.select(fn.MAX(FulfilmentStatus.sort_order)).scalar() or 0
        try:
            status = FulfilmentStatus.create(handle=handle, name=name, sort_order=last + 1)
        except IntegrityError:
            raise click.ClickException(f"a status with handle {handle} exists") from None
    click.echo(f"added {status.handle} (id {status.id})")


@group.command("rename")
@click.argument("handle")
@click.argument("name")
@with_store
def rename_command(handle, name):
    """Change a status's display name (its handle stays)."""
    with db.connection_context(), db.atomic():
        status = _get(handle)
        FulfilmentStatus.update(name=name).where(FulfilmentStatus.id == status.id).execute()
    click.echo(f"renamed {status.handle} to {name}")


@group.command("reorder")
@click.argument("handles", nargs=-1, required=True)
@with_store
def reorder_command(handles):
    """Put statuses in this order; statuses not named keep their order after them."""
    with db.connection_context(), db.atomic():
        named = [_get(handle) for handle in handles]
        named_ids = {status.id for status in named}
        rest = [
            status
            for status in FulfilmentStatus.select().order_by(
                FulfilmentStatus.sort_order, FulfilmentStatus.id
            )
            if status.id not in named_ids
        ]
        for position, status in enumerate(named + rest, start=1):
            FulfilmentStatus.update(sort_order=position).where(
                FulfilmentStatus.id == status.id
            ).execute()
    click.echo("order: " + " ".join(status.handle for status in named + rest))


@group.command("starting")
@click.argument("handle")
@with_store
def starting_command(handle):
    """Make this the status new orders start in (exactly one is)."""
    with db.connection_context(), db.atomic():
        status = _get(handle)
        FulfilmentStatus.update(is_starting=(FulfilmentStatus.id == status.id)).execute()
    click.echo(f"new orders start as {status.handle}")
