"""Per-request hooks shared by every blueprint of the API: request id, body limit, database."""

import io
import random
import re

from flask import current_app, g, request
from gunicorn.http.errors import ParseException
from peewee import InterfaceError, OperationalError
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from api.errors import register_error_handlers
from config import EXTENSION
from models.base import db

REQUEST_ID_HEADER = "X-Request-ID"
# What reading a body a client broke off or mangled raises: gunicorn's parse errors (a bad
# chunk size, ...), other servers' OSError or ValueError.
UNREADABLE_BODY = (OSError, ValueError, ParseException)
# A caller's own request id is echoed only when it is a sane token.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def state():
    return current_app.extensions[EXTENSION]


def new_request_id():
    """32 random hex digits. Not a secret, so not os.urandom (a system call, slow in some
    virtual machines); `random` is reseeded in every forked worker."""
    return f"{random.getrandbits(128):032x}"


def start_request():
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.cs_request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
    limit = current_app.config["CS_MAX_BODY_SIZE"]
    request.max_content_length = limit
    if request.content_length is None and request.headers.get("Transfer-Encoding"):
        buffer_streamed_body(limit)


def buffer_streamed_body(limit, step=64 * 1024):
    """Read a body sent without a length (chunked) whole, or refuse it past `limit`.

    werkzeug stops reading such a body at max_content_length without an error, so what fits
    would be taken for the whole body (and applied); one byte past the limit tells."""
    stream, chunks, size = request.environ["wsgi.input"], [], 0
    try:
        while size <= limit:
            chunk = stream.read(min(step, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except UNREADABLE_BODY as error:
        raise ClientDisconnected() from error
    if size > limit:
        raise RequestEntityTooLarge()
    # The server still marks the input as terminated, so werkzeug reads this to its end.
    request.environ["wsgi.input"] = io.BytesIO(b"".join(chunks))


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


def finish_request(response):
    response.headers[REQUEST_ID_HEADER] = g.get("cs_request_id") or new_request_id()
    client_id = g.get("cs_client_id")
    if client_id:
        # Read by the access log, which records which integration made each call.
        response.headers["X-Client-ID"] = client_id
    return response


def allow_served_methods(response):
    """Flask's OPTIONS answer lists what werkzeug finds for the path among all its rules,
    the ones that only refuse methods (api.fallback, the health checks' JSON 405) included:
    list the methods of the route that serves the path instead."""
    rule = request.url_rule
    automatic = rule is not None and getattr(rule, "provide_automatic_options", False)
    if request.method == "OPTIONS" and automatic and response.status_code == 200:
        response.headers["Allow"] = ", ".join(sorted(rule.methods))
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


def install(blueprint, database=True):
    """Give a blueprint the API's hooks and error handlers (its own, never the host app's)."""
    blueprint.before_request(start_request)
    if database:
        blueprint.before_request(connect_database)
        blueprint.teardown_request(close_database)
    blueprint.after_request(finish_request)
    blueprint.after_request(allow_served_methods)
    register_error_handlers(blueprint)
    return blueprint
