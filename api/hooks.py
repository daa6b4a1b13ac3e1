"""Per-request hooks shared by every blueprint of the API: request id, body limit, database."""

import random
import re

from flask import current_app, g, request
from peewee import InterfaceError, OperationalError
from playhouse.pool import MaxConnectionsExceeded

from api.errors import register_error_handlers
from config import EXTENSION
from models.base import db

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's own request id is echoed only when it is a sane token.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def state():
    return current_app.extensions[EXTENSION]


def new_request_id():
    """32 random hex digits. Not a secret, so not os.urandom (a system call, slow in some
    virtual machines); `random` is reseeded in every forked worker."""
    return f"{random.getrandbits(128):032x}"


def start_request():
    environ = request.environ
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    g.cs_request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
    request.max_content_length = current_app.config["CS_MAX_BODY_SIZE"]


def bind_database():
    """Bind this app's database for the request: several apps with their own store
    databases may share a process, and each thread sees only its own binding."""
    database = state().database
    db.bind(database)
    return database


def connect_database():
    database = bind_database()
    try:
        database.connect(reuse_if_open=True)
    except (OperationalError, InterfaceError):
        g.cs_db_broken = True
        raise
    except MaxConnectionsExceeded as error:
        # Every pooled connection stayed busy for DATABASE_TIMEOUT: as unavailable as a
        # database that does not answer, and answered the same way (503, Retry-After).
        raise OperationalError(str(error)) from error
    state().check_schema()


def start_database_request():
    # One hook rather than two: each hook costs Flask a lookup and a call on every request.
    start_request()
    connect_database()


def start_oauth_request():
    # First, so that even the database's errors come in the OAuth error shape.
    g.cs_oauth_route = True
    start_database_request()


def finish_request(response):
    response.headers[REQUEST_ID_HEADER] = g.get("cs_request_id") or new_request_id()
    client_id = g.get("cs_client_id")
    if client_id:
        # Read by the access log, which records which integration made each call.
        response.headers["X-Client-ID"] = client_id
    return response


def close_database(exc):
    """Return the request's connection to the pool (or drop it if it may be broken), and
    leave the thread bound to no app's database."""
    database = state().database
    try:
        if database.is_closed():
            return
        broken = g.get("cs_db_broken") or isinstance(exc, (OperationalError, InterfaceError))
        if not broken and not database.in_transaction():
            database.close()
            return
        discard_connection(database)
    finally:
        db.bind(None)


def discard_connection(database):
    """Close this thread's connection for good: a connection that failed may be dead, and
    handing it to the next request would fail that request too."""
    while database.in_transaction():
        # Left open only by a failure; the server ends it with the connection.
        database.pop_transaction()
    database.manual_close()


def install(blueprint, database=True, oauth=False):
    """Give a blueprint the API's hooks and error handlers (its own, never the host app's);
    `oauth`: its errors come in the OAuth error shape."""
    if oauth:
        blueprint.before_request(start_oauth_request)
    elif database:
        blueprint.before_request(start_database_request)
    else:
        blueprint.before_request(start_request)
    if database or oauth:
        blueprint.teardown_request(close_database)
    blueprint.after_request(finish_request)
    register_error_handlers(blueprint)
    return blueprint
