"""JSON answers for any path or method under our paths that no route of ours serves."""

from flask import g
from werkzeug.routing import Rule

from api.blueprints import Blueprint
from api.errors import ApiError
from api.hooks import install
from api.routing import FALLBACK_BLUEPRINT, allowed_methods

blp = install(Blueprint(FALLBACK_BLUEPRINT, __name__), database=False)


def unrouted(rest=""):
    """Answer a path or method no route of the API serves."""
    allowed = allowed_methods()
    if allowed:
        raise ApiError(405, "Method Not Allowed", headers={"Allow": ", ".join(allowed)})
    raise ApiError(404, "Not Found")


def unrouted_token(rest=""):
    """Answer, in the OAuth error shape, what the token endpoint does not serve."""
    g.cs_oauth_route = True
    return unrouted()


def _catch_all(app, path, endpoint, view):
    """Route every method at `path` and under it. The rules take any method (methods=None,
    which Flask's add_url_rule cannot express) and are added after ours, so a route of ours
    for the same path and method comes first."""
    for rule in (path, f"{path}/", f"{path}/<cs_rest:rest>"):
        app.url_map.add(Rule(rule, endpoint=endpoint, merge_slashes=False))
    app.view_functions[endpoint] = view


def register(app, api_prefix, token_path, health_checks=True):
    """Route every unserved path under the prefix and the token path, and every method no
    route of ours serves there (and at the health checks)."""
    _catch_all(app, api_prefix, f"{FALLBACK_BLUEPRINT}.unrouted", unrouted)
    _catch_all(app, token_path, f"{FALLBACK_BLUEPRINT}.unrouted_token", unrouted_token)
    if health_checks:
        for path in ("/healthz", "/readyz"):
            app.url_map.add(
                Rule(path, endpoint=f"{FALLBACK_BLUEPRINT}.unrouted", merge_slashes=False)
            )
    app.register_blueprint(blp)
