"""Per-request hooks shared by every blueprint of the API: request id, body limit, database."""

import re
import uuid

from flask import current_app, g, request
from peewee import InterfaceError, OperationalError

from api.errors import register_error_handlers
from models.base import db

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's own request id is echoed only when it is a sane token.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def state():
    return current_app.extensions["community_store_api"]


def start_request():
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.cs_request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    request.max_content_length = current_app.config["CS_MAX_BODY_SIZE"]


def bind_database():
    """Point the models' proxy at this app's database (several apps may share a process)."""
    database = state().database
    if db.obj is not database:
        db.initialize(database)
    return database


def connect_database():
    bind_database()
    try:
        db.connect(reuse_if_open=True)
    except (OperationalError, InterfaceError):
        g.cs_db_broken = True
        raise
    state().check_schema()


def finish_request(response):
    response.headers[REQUEST_ID_HEADER] = g.get("cs_request_id") or uuid.uuid4().hex
    client_id = g.get("cs_client_id")
    if client_id:
        # Read by the access log, which records which integration made each call.
        response.headers["X-Client-ID"] = client_id
    return response


def close_database(exc):
    if db.obj is None or db.is_closed():
        return
    if g.get("cs_db_broken") or isinstance(exc, (OperationalError, InterfaceError)):
        # A connection that failed may be dead: drop it rather than return it to the pool.
        try:
            db.manual_close()
        except (OperationalError, InterfaceError):
            pass
        return
    db.close()


def install(blueprint, database=True):
    """Give a blueprint the API's hooks and error handlers (its own, never the host app's)."""
    blueprint.before_request(start_request)
    if database:
        blueprint.before_request(connect_database)
        blueprint.teardown_request(close_database)
    blueprint.after_request(finish_request)
    register_error_handlers(blueprint)
    return blueprint
