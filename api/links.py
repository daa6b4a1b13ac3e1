"""Absolute URLs as clients see them (pagination links, and later Location headers)."""

from urllib.parse import quote

from flask import request

from api.hooks import state
from config import DEFAULT_PORTS, split_host, valid_port, valid_scheme


def _forwarded(req, name):
    """The first (the client-side) value of a forwarded header."""
    return req.headers.get(name, "").split(",")[0].strip()


def _own_host(req):
    """(hostname, port) of the request's own Host header or, when it is missing or bad,
    of the address the server listens on (localhost if that is no host either)."""
    # Werkzeug leaves out the scheme's default port, and gives "" for a bad Host.
    host = split_host(req.host)
    if host:
        return host
    name, port = req.server or ("", None)
    if ":" in name:
        name = f"[{name}]"
    port = None if port is None or str(port) == DEFAULT_PORTS.get(req.scheme) else str(port)
    return split_host(f"{name}:{port}" if port else name) or ("localhost", None)


def request_origin(trust_proxy, req=None):
    """`scheme://host[:port]` of a request (by default the current one) as its client sent
    it; each forwarded header (trusted only behind a proxy that sets them) counts only when
    it is valid."""
    req = request if req is None else req
    scheme = valid_scheme(req.scheme) or "http"
    hostname, port = _own_host(req)
    if trust_proxy:
        scheme = valid_scheme(_forwarded(req, "X-Forwarded-Proto")) or scheme
        hostname, port = split_host(_forwarded(req, "X-Forwarded-Host")) or (hostname, port)
        forwarded_port = valid_port(_forwarded(req, "X-Forwarded-Port"))
        if forwarded_port:
            port = None if forwarded_port == DEFAULT_PORTS[scheme] else forwarded_port
    return f"{scheme}://{hostname}:{port}" if port else f"{scheme}://{hostname}"


def external_url(path, req=None, settings=None):
    """The absolute URL of a path of this app (`/cs/api/v1/orders`), no query string:
    under PUBLIC_BASE_URL when it is set, else under the origin of the request (by default
    the current one)."""
    settings = state().settings if settings is None else settings
    if settings.public_base_url:
        return settings.public_base_url + quote(path)
    req = request if req is None else req
    origin = request_origin(settings.trust_proxy_headers, req)
    return origin + quote(req.script_root + path)
