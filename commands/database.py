"""`cs db`: create or upgrade the schema."""

import click
from flask import current_app
from peewee import InterfaceError, OperationalError
from playhouse.migrations import MigrationError

from commands.common import bound_to_store
from commands.orders import refresh_kept_documents
from models.base import db, make_database
from models.orders import OrderDocument
from models.schema import SchemaError, known_migrations, pending_migrations, upgrade


@click.group("db")
def group():
    """Create or upgrade the database schema."""


@group.command("upgrade")
@click.option("--to", "target", default=None, help="Stop after this migration.")
@click.option(
    "--documents/--no-documents",
    default=True,
    help="Also bring the orders' kept documents up to date (cs orders refresh-documents).",
)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@bound_to_store
def upgrade_command(target, documents, progress):
    """Apply pending migrations and seed the default statuses, then render the kept
    document of every order that has none or an out-of-date one (safe to run again)."""
    config = current_app.config
    # A connection of its own without the per-statement time limit the service has:
    # building an index on a big table may rightly take minutes.
    database = make_database(
        config["CS_DATABASE_URL"],
        pool_size=1,
        timeout=config["CS_DATABASE_TIMEOUT"],
        statement_timeout=0,
    )
    try:
        applied = upgrade(database, target=target)
        if applied:
            click.echo(f"applied {len(applied)} migration(s): {', '.join(applied)}")
        else:
            click.echo("schema already current")
        if documents:
            with db.bound(database), database.connection_context():
                if database.table_exists(OrderDocument._meta.table_name):
                    written = refresh_kept_documents(progress)
                    click.echo(f"{written} order documents written")
    except (MigrationError, SchemaError, OperationalError, InterfaceError) as error:
        raise click.ClickException(f"the upgrade failed: {error}") from None
    finally:
        database.close_all()


@group.command("status")
@bound_to_store
def status_command():
    """Show which migrations are applied."""
    with db.connection_context():
        pending = set(pending_migrations())
    for name in known_migrations():
        click.echo(f"{'pending' if name in pending else 'applied'}  {name}")
