"""The one error path: exceptions views raise, and the handlers that render them."""

import logging

from flask import current_app, g, request
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from api.jsonio import json_response
from models.failures import is_unavailable
from models.schema import SchemaOutdated
from store.errors import (
    Conflict,
    Gone,
    Invalid,
    NotFound,
    PreconditionFailed,
    StoreError,
    Unprocessable,
)

log = logging.getLogger("community_store_api")

# Every answer of the token endpoint, errors included (RFC 6749 §5.1): no cache keeps it.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ApiError(Exception):
    """An error in the API shape: {"error": true, "errors": [...], "fields": {...}}."""

    def __init__(self, status, message, fields=None, headers=None, details=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers or {}
        # Extra top-level keys of the document (a conflict's `shortages`, say).
        self.details = details or {}


class OAuthError(Exception):
    """An error in the OAuth shape: {"error", "error_description", "hint", "message"}."""

    def __init__(self, status, error, description, hint=None, headers=None):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.hint = hint
        self.headers = headers or {}


def api_error_response(error):
    payload = {"error": True, "errors": [error.message]}
    if error.fields:
        payload["fields"] = error.fields
    payload.update(error.details)
    return json_response(payload, error.status, error.headers)


def oauth_error_response(error):
    payload = {"error": error.error, "error_description": error.description}
    if error.hint:
        payload["hint"] = error.hint
    payload["message"] = error.description
    headers = {**error.headers, **NO_STORE} if _oauth_route() else error.headers
    return json_response(payload, error.status, headers)


def _oauth_route():
    return getattr(g, "cs_oauth_route", False)


def render(error):
    """Render an ApiError in the shape the current route speaks."""
    if _oauth_route():
        code = "invalid_request" if error.status < 500 else "server_error"
        if error.status == 503:
            code = "temporarily_unavailable"
        return oauth_error_response(
            OAuthError(error.status, code, error.message, headers=error.headers)
        )
    return api_error_response(error)


def handle_api_error(error):
    return render(error)


# The store's domain errors, as statuses.
STORE_ERROR_STATUS = {
    NotFound: 404,
    Invalid: 400,
    Conflict: 409,
    Gone: 410,
    PreconditionFailed: 412,
    Unprocessable: 422,
}


def handle_store_error(error):
    status = STORE_ERROR_STATUS.get(type(error), 400)
    details = getattr(error, "details", None)
    return render(ApiError(status, error.message, fields=error.fields, details=details))


def handle_oauth_error(error):
    return oauth_error_response(error)


def handle_http_exception(error):
    if isinstance(error, InternalServerError):
        return handle_server_error(error)
    headers = {}
    if getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    message = {413: "Request body too large"}.get(error.code, error.name)
    return render(ApiError(error.code or 500, message, headers=headers))


def handle_database_error(error):
    """A 503 with Retry-After while the database is unavailable (locked, busy, unreachable,
    connection lost); any other database error is a bug in a statement: a logged 500."""
    # Set by connect_database: every failure to connect is unavailability.
    if not g.get("cs_db_broken") and not is_unavailable(error):
        return handle_server_error(error)
    g.cs_db_broken = True
    log.warning("database unavailable (request %s): %s", getattr(g, "cs_request_id", "-"), error)
    retry_after = str(current_app.config.get("CS_DATABASE_RETRY_AFTER", 5))
    return render(
        ApiError(
            503,
            "Service temporarily unavailable: the database cannot be reached",
            headers={"Retry-After": retry_after},
        )
    )


def handle_schema_outdated(error):
    log.error("refusing request %s: %s", getattr(g, "cs_request_id", "-"), error)
    retry_after = str(current_app.config.get("CS_DATABASE_RETRY_AFTER", 5))
    return render(
        ApiError(
            503,
            "Service unavailable: the database schema needs an upgrade",
            headers={"Retry-After": retry_after},
        )
    )


def handle_server_error(error):
    original = getattr(error, "original_exception", None) or error
    log.error(
        "unexpected error (request %s) on %s %s",
        getattr(g, "cs_request_id", "-"),
        request.method,
        request.path,
        exc_info=original,
    )
    return render(ApiError(500, "Internal server error"))


def register_error_handlers(blueprint):
    """Attach every handler to one blueprint, so a host app's own handlers stay untouched."""
    blueprint.register_error_handler(ApiError, handle_api_error)
    blueprint.register_error_handler(OAuthError, handle_oauth_error)
    blueprint.register_error_handler(StoreError, handle_store_error)
    blueprint.register_error_handler(HTTPException, handle_http_exception)
    blueprint.register_error_handler(OperationalError, handle_database_error)
    blueprint.register_error_handler(InterfaceError, handle_database_error)
    blueprint.register_error_handler(SchemaOutdated, handle_schema_outdated)
    blueprint.register_error_handler(InternalServerError, handle_server_error)
