"""`cs db`: create or upgrade the schema."""

import click

from commands.common import with_store
from models.base import db
from models.schema import known_migrations, pending_migrations, upgrade


@click.group("db")
def group():
    """Create or upgrade the database schema."""


@group.command("upgrade")
@click.option("--to", "target", default=None, help="Stop after this migration.")
@with_store
def upgrade_command(target):
    """Apply pending migrations and seed the default statuses (safe to run again)."""
    applied = upgrade(target=target)
    if applied:
        click.echo(f"applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        click.echo("schema already current")


@group.command("status")
@with_store
def status_command():
    """Show which migrations are applied."""
    with db.connection_context():
        pending = set(pending_migrations())
    for name in known_migrations():
        click.echo(f"{'pending' if name in pending else 'applied'}  {name}")
