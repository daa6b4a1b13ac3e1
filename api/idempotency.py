"""`Idempotency-Key` on the API's writes (manage.md §6): the HTTP side of store.idempotency."""

import functools

from flask import Response, g, make_response, request

from api.errors import ApiError
from api.openapi import IDEMPOTENCY_KEY
from store import events, idempotency

HEADER = IDEMPOTENCY_KEY
REPLAYED = "Idempotent-Replayed"
# What a replay gives again besides status and body.
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
MAX_KEY_LENGTH = 255

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "1-255 printable ASCII characters. The request is performed at most once "
    "per key and integration for 24 hours: a repeat with the same method, path, query and "
    "body gets the first response again, with `Idempotent-Replayed: true`; the same key "
    "with another request gets 422, and a repeat while the first still runs 409. A request "
    "that failed (any error) leaves the key free for a retry.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": "^[ -~]+$",
    },
}


def _key():
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        message = f"Must be 1-{MAX_KEY_LENGTH} printable ASCII characters."
        raise ApiError(400, f"Invalid {HEADER}: {message}", {HEADER: [message]})
    return key


def _target():
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def _replay(replay):
    response = Response(replay.body, replay.status, replay.headers)
    response.headers[REPLAYED] = "true"
    return response


def idempotent(view):
    """Let a write view honour `Idempotency-Key` (inside the scope check, which names the
    client the key belongs to)."""

    @functools.wraps(view)
    def once(*args, **kwargs):
        key = _key()
        if key is None:
            return view(*args, **kwargs)
        client_id = g.cs_client_id
        fingerprint = idempotency.fingerprint(
            request.method, _target(), request.get_data(cache=True)
        )
        replay = idempotency.claim(client_id, key, fingerprint)
        if replay is not None:
            return _replay(replay)
        try:
            # One transaction for the write, its events and its record: all commit, or
            # none; the events are numbered last, after the record is written.
            with events.transaction():
                response = make_response(view(*args, **kwargs))
                if response.status_code < 400:
                    kept = {
                        name: response.headers[name]
                        for name in KEPT_HEADERS
                        if name in response.headers
                    }
                    idempotency.complete(
                        client_id, key, response.status_code, kept, response.get_data()
                    )
        except BaseException:
            idempotency.release(client_id, key)
            raise
        if response.status_code >= 400:
            idempotency.release(client_id, key)
        return response

    once.idempotent = True
    apidoc = dict(getattr(view, "_apidoc", {}))
    manual = dict(apidoc.get("manual_doc", {}))
    manual["parameters"] = [*manual.get("parameters", []), PARAMETER]
    apidoc["manual_doc"] = manual
    once._apidoc = apidoc
    return once
