"""Absolute URLs as clients see them (pagination links, and later Location headers)."""

from urllib.parse import quote

from flask import request

from api.hooks import state
from config import DEFAULT_PORTS, split_host, valid_port, valid_scheme


def _forwarded(name):
    """The first (the client-side) value of a forwarded header."""
    return request.headers.get(name, "").split(",")[0].strip()


def _own_host():
    """(hostname, port) of the request's own Host header or, when it is missing or bad,
    of the address the server listens on (localhost if that is no host either)."""
    # Werkzeug leaves out the scheme's default port, and gives "" for a bad Host.
    host = split_host(request.host)
    if host:
        return host
    name, port = request.server or ("", None)
    if ":" in name:
        name = f"[{name}]"
    port = None if port is None or str(port) == DEFAULT_PORTS.get(request.scheme) else str(port)
    return split_host(f"{name}:{port}" if port else name) or ("localhost", None)


def request_origin(trust_proxy):
    """`scheme://host[:port]` of the current request as its client sent it; each forwarded
    header (trusted only behind a proxy that sets them) counts only when it is valid."""
    scheme = valid_scheme(request.scheme) or "http"
    hostname, port = _own_host()
    if trust_proxy:
        scheme = valid_scheme(_forwarded("X-Forwarded-Proto")) or scheme
        hostname, port = split_host(_forwarded("X-Forwarded-Host")) or (hostname, port)
        forwarded_port = valid_port(_forwarded("X-Forwarded-Port"))
        if forwarded_port:
            port = None if forwarded_port == DEFAULT_PORTS[scheme] else forwarded_port
    return f"{scheme}://{hostname}:{port}" if port else f"{scheme}://{hostname}"


def external_url(path):
    """The absolute URL of a path of this app (`/cs/api/v1/orders`), no query string:
    under PUBLIC_BASE_URL when it is set, else under the request's own origin."""
    settings = state().settings
    if settings.public_base_url:
        return settings.public_base_url + quote(path)
    origin = request_origin(settings.trust_proxy_headers)
    return origin + quote(request.script_root + path)
