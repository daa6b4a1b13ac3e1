"""What every `cs` command needs: the app context and the app's store database."""

import functools

import click
from flask import current_app
from flask.cli import with_appcontext
from peewee import InterfaceError, OperationalError

from config import EXTENSION
from models.base import db
from store.errors import StoreError


def _database():
    return current_app.extensions[EXTENSION].database


def bound_to_store(command):
    """Run a command inside the app context with the models bound to the app's database;
    the command opens the connections it needs."""

    @functools.wraps(command)
    def bound(*args, **kwargs):
        with db.bound(_database()):
            return command(*args, **kwargs)

    return with_appcontext(bound)


def with_store(command):
    """Run a command inside the app context, connected to the app's database; the store's
    errors, and an unreachable database, are the command's error message."""

    @functools.wraps(command)
    def connected(*args, **kwargs):
        database = _database()
        try:
            with db.bound(database), database.connection_context():
                return command(*args, **kwargs)
        except StoreError as error:
            raise click.ClickException(error.message) from None
        except (OperationalError, InterfaceError) as error:
            raise click.ClickException(f"the database cannot be reached: {error}") from None

    return with_appcontext(connected)
