"""The live API docs: the OpenAPI document and a Swagger UI page whose assets we serve."""

import copy
import functools
import importlib.resources
import weakref

import orjson
from flask import Response, current_app, request, send_from_directory, url_for
from markupsafe import escape

from api.blueprints import Blueprint
from api.errors import ApiError
from api.hooks import install, state

blp = install(Blueprint("cs_docs", __name__), database=False)

# The files of the Swagger UI distribution the page loads (flask-swagger-ui ships them).
ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
        "oauth2-redirect.html",
        "oauth2-redirect.js",
    }
)
ASSET_MAX_AGE = 365 * 24 * 3600
# Everything the page needs comes from this service: no CDN, no validator badge, no fonts
# from elsewhere (servers are often offline). Swagger UI sets inline styles.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{favicon}">
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="swagger-ui" data-spec-url="{spec_url}" data-oauth2-redirect-url="{redirect_url}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""
# In a file of its own rather than inline, so the page's policy can forbid inline scripts.
INIT_SCRIPT = """\
(function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.specUrl,
    domNode: node,
    deepLinking: true,
    validatorUrl: null,
    displayRequestDuration: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    oauth2RedirectUrl: new URL(node.dataset.oauth2RedirectUrl, window.location.href).href,
  });
})();
"""


@functools.cache
def _dist():
    return importlib.resources.files("flask_swagger_ui") / "dist"


@functools.cache
def swagger_ui_version():
    return (_dist() / "VERSION").read_text().strip().lstrip("v")


def _asset(filename):
    return url_for("cs_docs.asset", version=swagger_ui_version(), filename=filename)


# Per Api object (an app each), per script root: the rendered document.
_documents = weakref.WeakKeyDictionary()


def _document(script_root):
    """The OpenAPI document as served under this script root."""
    api = state().api
    cache = _documents.setdefault(api, {})
    if script_root not in cache:
        document = copy.deepcopy(api.spec.to_dict())
        # Relative to where the service is mounted, so "Try it out" works behind a proxy
        # that serves it under a sub-path too.
        document["servers"] = [{"url": script_root or "/", "description": "This service"}]
        flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
        flow["tokenUrl"] = script_root + flow["tokenUrl"]
        cache[script_root] = orjson.dumps(document)
    return cache[script_root]


@blp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document."""
    return Response(_document(request.script_root), mimetype="application/json")


@blp.get("/docs")
def page():
    """Show the API docs (Swagger UI)."""
    html = PAGE.format(
        title=escape(current_app.config["CS_API_TITLE"]),
        favicon=_asset("favicon-32x32.png"),
        css=_asset("swagger-ui.css"),
        bundle=_asset("swagger-ui-bundle.js"),
        init=url_for("cs_docs.init_script"),
        spec_url=url_for("cs_docs.openapi_json"),
        redirect_url=_asset("oauth2-redirect.html"),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


@blp.get("/docs/init.js")
def init_script():
    """Start Swagger UI on the docs page."""
    return Response(INIT_SCRIPT, mimetype="text/javascript")


@blp.get("/docs/assets/<version>/<filename>")
def asset(version, filename):
    """Serve one file of the Swagger UI distribution."""
    if version != swagger_ui_version() or filename not in ASSETS:
        raise ApiError(404, "Not Found")
    return send_from_directory(str(_dist()), filename, max_age=ASSET_MAX_AGE)
