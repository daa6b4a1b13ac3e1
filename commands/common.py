"""What every `cs` command needs: the app context and the app's database."""

import functools

from flask.cli import with_appcontext

from api.hooks import bind_database


def with_store(command):
    """Run a command inside the app context, with the models bound to the app's database."""

    @functools.wraps(command)
    def bound(*args, **kwargs):
        bind_database()
        return command(*args, **kwargs)

    return with_appcontext(bound)
