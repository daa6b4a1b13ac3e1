"""What the app's routes serve at the current path, our catch-all fallback routes aside."""

from flask import current_app, request
from werkzeug.exceptions import HTTPException

# The methods an Allow header may name, in the order it names them.
STANDARD_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
FALLBACK_BLUEPRINT = "cs_fallback"


def is_fallback(endpoint):
    return endpoint.startswith(FALLBACK_BLUEPRINT + ".")


def allowed_methods():
    """The methods the real routes at this path serve (none: no route serves the path)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in STANDARD_METHODS:
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            # No route for this method (or only a redirect, which we never answer with).
            continue
        if not is_fallback(endpoint):
            allowed.append(method)
    return allowed
