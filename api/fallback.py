"""JSON 404 and 405 for any path under the API prefix that no route serves."""

from flask import Blueprint, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from api.errors import NO_STORE, ApiError
from api.hooks import install

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
FALLBACK_ENDPOINTS = (
    "cs_fallback.unrouted",
    "cs_fallback.unrouted_root",
    "cs_fallback.unrouted_token",
)

blp = install(Blueprint("cs_fallback", __name__), database=False)


def _allowed_methods():
    """The methods the real routes serve at this path (the fallback itself excluded)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ANY_METHOD:
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except (NotFound, MethodNotAllowed):
            continue
        if endpoint not in FALLBACK_ENDPOINTS:
            allowed.append(method)
    return allowed


def unrouted(rest=""):
    """Answer a path or method no route of the API serves."""
    allowed = _allowed_methods()
    # The token endpoint's answers are never cached, its 405s included.
    headers = dict(NO_STORE) if request.endpoint == "cs_fallback.unrouted_token" else {}
    if allowed:
        headers["Allow"] = ", ".join(allowed)
        raise ApiError(405, "Method Not Allowed", headers=headers)
    raise ApiError(404, "Not Found", headers=headers)


def register(app, api_prefix, token_path):
    """Route every unserved path under the prefix (and other methods on the token path)."""
    app.add_url_rule(
        f"{api_prefix}/<path:rest>",
        "cs_fallback.unrouted",
        unrouted,
        methods=ANY_METHOD,
        provide_automatic_options=False,
    )
    app.add_url_rule(
        api_prefix,
        "cs_fallback.unrouted_root",
        unrouted,
        methods=ANY_METHOD,
        provide_automatic_options=False,
    )
    app.add_url_rule(
        f"{api_prefix}/",
        "cs_fallback.unrouted_root",
        unrouted,
        methods=ANY_METHOD,
        provide_automatic_options=False,
    )
    app.add_url_rule(
        token_path,
        "cs_fallback.unrouted_token",
        unrouted,
        methods=[method for method in ANY_METHOD if method != "POST"],
        provide_automatic_options=False,
    )
    app.register_blueprint(blp)
