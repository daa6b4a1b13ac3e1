"""Versioned schema migrations: upgrade a database, or tell how far behind it is."""

import os

from playhouse.migrations import Runner

from models.base import db
from models.statuses import seed_default_statuses

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")
HISTORY_TABLE = "schema_migration"


class SchemaOutdated(RuntimeError):
    """The database's schema is older than this code needs."""


def _runner(database=None):
    return Runner(database or db.obj, MIGRATIONS_DIR, table_name=HISTORY_TABLE)


def known_migrations():
    return [migration.name for migration in _runner().migrations()]


def pending_migrations(database=None):
    """Names of the migrations this code has and the database has not applied."""
    return [m.name for m in _runner(database).status() if m.path is not None and not m.applied]


def upgrade(database=None, target=None):
    """Apply every pending migration (or up to `target`), then seed the default statuses.

    Idempotent: on a current database it changes nothing and returns [].
    """
    database = database or db.obj
    with database.connection_context():
        applied = _runner(database).up(target)
        if target is None:
            with database.atomic():
                seed_default_statuses()
    return applied


def ensure_current(database=None):
    pending = pending_migrations(database)
    if pending:
        raise SchemaOutdated(
            f"the database schema is behind this code ({len(pending)} migration(s) pending: "
            f"{', '.join(pending)}); run `flask --app wsgi cs db upgrade`"
        )
