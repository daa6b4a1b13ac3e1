"""URL converters of the API's routes: record ids, SKUs and the fallback's rest of a path."""

from urllib.parse import unquote_to_bytes, urlsplit

from flask import request
from werkzeug.routing import IntegerConverter, PathConverter


class RecordIdConverter(IntegerConverter):
    """A positive id of at most 18 digits: anything else (0, -1, 30 digits) misses the route
    and gets the API's JSON 404, like any path that is not an id. A converter that matched
    and then refused the value would end routing with the host app's HTML 404 instead."""

    regex = r"0*[1-9][0-9]{0,17}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1)


def _raw_path():
    """The request's path exactly as sent (still percent-encoded), or None if unknown."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return None
    if not raw.startswith("/"):
        # An absolute-form request target (through some proxies).
        raw = urlsplit(raw).path
    return raw.split("?", 1)[0].split("#", 1)[0]


# A SKU path of several segments (`/skus/a/b`): no route serves it.
SEVERAL_SEGMENTS = object()


class SkuConverter(PathConverter):
    """One path segment, percent-decoded as UTF-8: `a%2Fb` is the SKU "a/b".

    The server decodes `%2F` into `/` before routing, so the segment is read again from the
    raw request target. A path of several segments loads as SEVERAL_SEGMENTS, which the
    view answers with the routing 404 (a converter that refused the value would end routing
    with the host app's HTML 404). A segment that is not UTF-8 loads as None, a SKU that
    exists nowhere.
    """

    def to_python(self, value):
        raw = _raw_path()
        if raw is None:
            return SEVERAL_SEGMENTS if "/" in value else value
        segment = unquote_to_bytes(raw.rsplit("/", 1)[-1])
        if segment.decode("utf-8", "replace") != value:
            return SEVERAL_SEGMENTS
        try:
            return segment.decode("utf-8")
        except UnicodeDecodeError:
            return None


class RestConverter(PathConverter):
    """The rest of the path, whatever it holds: leading or doubled slashes, a newline (the
    fallback routes' catch-all, where `path` would miss these)."""

    regex = "(?s:.+)"
    part_isolating = False


CONVERTERS = {"cs_record_id": RecordIdConverter, "cs_sku": SkuConverter, "cs_rest": RestConverter}


def register(app):
    """Make the converters known to `app` before the API's routes are added."""
    for name, converter in CONVERTERS.items():
        app.url_map.converters.setdefault(name, converter)
