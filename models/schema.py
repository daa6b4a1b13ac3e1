"""Versioned schema migrations: upgrade a database, or tell how far behind it is."""

import os
from contextlib import contextmanager

from peewee import MySQLDatabase, PostgresqlDatabase
from playhouse.migrations import Runner

from models.base import db
from models.events import seed_event_marks
from models.statuses import seed_default_statuses

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")
HISTORY_TABLE = "schema_migration"
UPGRADE_COMMAND = "flask --app app cs db upgrade"
# Any fixed number: the key of the PostgreSQL advisory lock held while migrating.
PG_LOCK_KEY = 0x6373_6462  # "csdb"
MYSQL_LOCK_WAIT = 3600


class SchemaOutdated(RuntimeError):
    """The database's schema is older than this code needs."""


class SchemaError(RuntimeError):
    """The database cannot hold the store as it is set up (e.g. not utf8mb4 on MySQL)."""


def _runner(database=None):
    return Runner(database or db.obj, MIGRATIONS_DIR, table_name=HISTORY_TABLE)


def known_migrations():
    return [migration.name for migration in _runner().migrations()]


def pending_migrations(database=None):
    """Names of the migrations this code has and the database has not applied."""
    return [m.name for m in _runner(database).status() if m.path is not None and not m.applied]


@contextmanager
def _migration_lock(database):
    """Let one process at a time migrate: several app servers may run the upgrade at once
    when they are deployed together; the others wait, then find nothing left to do.
    SQLite lives on one machine, where the upgrade is run once."""
    if isinstance(database, PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_lock(%s)", (PG_LOCK_KEY,))
        try:
            yield
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (PG_LOCK_KEY,))
    elif isinstance(database, MySQLDatabase):
        # MySQL's named locks are server-wide: name the database.
        name = f"cs_schema_migration.{database.database}"
        got = database.execute_sql("SELECT GET_LOCK(%s, %s)", (name, MYSQL_LOCK_WAIT)).fetchone()
        if got[0] != 1:
            raise SchemaError(f"another schema upgrade held its lock for {MYSQL_LOCK_WAIT}s")
        try:
            yield
        finally:
            database.execute_sql("SELECT RELEASE_LOCK(%s)", (name,))
    else:
        yield


def _check_charset(database):
    """Refuse a MySQL/MariaDB database whose tables would not be utf8mb4: names, addresses
    and descriptions would lose every character outside its charset."""
    if not isinstance(database, MySQLDatabase):
        return
    (charset,) = database.execute_sql(
        "SELECT default_character_set_name FROM information_schema.schemata "
        "WHERE schema_name = DATABASE()"
    ).fetchone()
    if charset != "utf8mb4":
        raise SchemaError(
            f"the database's default character set is {charset}, not utf8mb4; run "
            f"ALTER DATABASE `{database.database}` CHARACTER SET utf8mb4 "
            "COLLATE utf8mb4_unicode_ci (before its tables exist)"
        )


@contextmanager
def _models_on(database):
    previous = db.obj
    db.initialize(database)
    try:
        yield
    finally:
        db.initialize(previous)


def upgrade(database=None, target=None):
    """Apply every pending migration (or up to `target`), then seed the default statuses
    and the event feed's marks.

    Idempotent: on a current database it changes nothing and returns [].
    """
    database = database or db.obj
    with database.connection_context(), _models_on(database):
        _check_charset(database)
        with _migration_lock(database):
            applied = _runner(database).up(target)
            if target is None:
                with database.atomic():
                    seed_default_statuses()
                    seed_event_marks()
    return applied


def ensure_current(database=None):
    pending = pending_migrations(database)
    if pending:
        raise SchemaOutdated(
            f"the database schema is behind this code ({len(pending)} migration(s) pending: "
            f"{', '.join(pending)}); run `{UPGRADE_COMMAND}` with the same DATABASE_URL"
        )
