"""Per-request hooks shared by every blueprint of the API: request id, body limit, database."""

import io
import random
import re

from flask import Response, current_app, g, request
from gunicorn.http.errors import ParseException
from peewee import InterfaceError, OperationalError
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge, RequestTimeout

from api.errors import register_error_handlers
from api.routing import allowed_methods
from config import EXTENSION
from models.base import db

REQUEST_ID_HEADER = "X-Request-ID"
CLIENT_ID_HEADER = "X-Client-ID"
# What reading a body a client broke off or mangled raises: gunicorn's parse errors (a bad
# chunk size, ...), other servers' OSError or ValueError.
UNREADABLE_BODY = (OSError, ValueError, ParseException)
# What it raises when the client went silent for the server's timeout: a socket timeout, or
# EAGAIN from a blocking socket's receive timeout (the shipped gunicorn worker sets one).
SILENT_CLIENT = (TimeoutError, BlockingIOError)
# A caller's own request id is echoed only when it is a sane token.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def state():
    return current_app.extensions[EXTENSION]


def new_request_id():
    """32 random hex digits. Not a secret, so not os.urandom (a system call, slow in some
    virtual machines); `random` is reseeded in every forked worker."""
    return f"{random.getrandbits(128):032x}"


BODY_SIZE_SETTING = "CS_MAX_BODY_SIZE"


def start_request(body_size_setting=BODY_SIZE_SETTING):
    # The request itself, not its proxy: every request runs this, and each proxy access
    # is a context lookup.
    req = request._get_current_object()
    environ = req.environ
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    g.cs_request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
    limit = current_app.config[body_size_setting]
    req.max_content_length = limit
    length = req.content_length
    if length is None:
        if environ.get("HTTP_TRANSFER_ENCODING"):
            buffer_streamed_body(limit)
    elif length <= limit:
        read_body(req, length)
    if req.method == "OPTIONS" and getattr(req.url_rule, "provide_automatic_options", 0):
        return options_response()
    return None


def options_response():
    """204 with the methods this path's routes serve. Flask's own answer would be an empty
    HTML 200 listing every method, as our fallback route takes them all; and it would
    need the database first."""
    response = Response(status=204, headers={"Allow": ", ".join(allowed_methods())})
    del response.headers["Content-Type"]
    return response


class FailedBody:
    """A request body whose reading already failed: reading it again raises the same error
    at once, instead of waiting on the socket a second time."""

    def __init__(self, error):
        self.error = error

    def read(self, *args):
        raise self.error

    readline = readinto = read


def unreadable(error):
    """The answer to a body that could not be read: 408 when the client stopped sending it,
    else 400 (it left, or mangled the chunked coding). werkzeug reports a failed read as a
    disconnection, with what the socket raised as its context."""
    if isinstance(error, ClientDisconnected):
        error = error.__context__
    return RequestTimeout() if isinstance(error, SILENT_CLIENT) else ClientDisconnected()


def read_body(req, length):
    """Read a body sent with its length (at most the limit) before the route runs, so that a
    client that stalls or leaves halfway gets its answer here, whichever route it asked. A
    server that marks its input terminated (gunicorn) hands on a body cut short as it came,
    and werkzeug takes it for the whole: its length tells."""
    try:
        body = req.get_data(cache=True)
    except (ClientDisconnected, *UNREADABLE_BODY) as error:
        raise unreadable(error) from error
    if len(body) < length:
        raise ClientDisconnected()


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
        raise unreadable(error) from error
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


def start_database_request(body_size_setting=BODY_SIZE_SETTING):
    # One hook rather than two: each hook costs Flask a lookup and a call on every request.
    response = start_request(body_size_setting)
    if response is not None:
        return response
    connect_database()
    return None


def start_oauth_request():
    # First, so that even the database's errors come in the OAuth error shape.
    g.cs_oauth_route = True
    return start_database_request()


# On every response of ours unless its view chose otherwise: API answers carry personal data
# and tokens, which no cache may keep; and no browser may read a body as another type.
DEFAULT_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def finish_request(response):
    headers = response.headers
    # werkzeug compares header names case-insensitively one header at a time: the names
    # are read once, and the headers that are not there yet are appended.
    present = {name.lower() for name in headers.keys()}
    request_id = g.get("cs_request_id") or new_request_id()
    if "x-request-id" in present:
        headers[REQUEST_ID_HEADER] = request_id
    else:
        headers.add(REQUEST_ID_HEADER, request_id)
    for name, value in DEFAULT_HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    client_id = g.get("cs_client_id")
    if client_id:
        # Read by the access log, which records which integration made each call.
        headers[CLIENT_ID_HEADER] = client_id
    return response


def close_database(exc):
    """Return the request's connection to the pool (or drop it if it may be broken), and
    leave the thread bound to no app's database."""
    broken = g.get("cs_db_broken") or isinstance(exc, (OperationalError, InterfaceError))
    release_connection(state().database, broken)


def release_connection(database, broken):
    """Return this thread's connection to the pool, or drop it when it may be `broken`
    (or a transaction was left open), and leave the thread bound to no app's database."""
    try:
        if database.is_closed():
            return
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


def install(blueprint, database=True, oauth=False, body_size_setting=BODY_SIZE_SETTING):
    """Give a blueprint the API's hooks and error handlers (its own, never the host app's);
    `oauth`: its errors come in the OAuth error shape; `body_size_setting`: the config key
    of its largest request body."""
    if oauth:
        blueprint.before_request(start_oauth_request)
    elif database and body_size_setting != BODY_SIZE_SETTING:
        blueprint.before_request(lambda: start_database_request(body_size_setting))
    elif database:
        blueprint.before_request(start_database_request)
    else:
        blueprint.before_request(start_request)
    if database or oauth:
        blueprint.teardown_request(close_database)
    blueprint.after_request(finish_request)
    register_error_handlers(blueprint)
    return blueprint
