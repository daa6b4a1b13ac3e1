"""deploy/nginx.conf in a real nginx in front of a real gunicorn: the whole path, end to end."""

import base64
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from models.catalog import Product
from tests import factories
from tests.conftest import TEST_SECRET
from tests.databases import IN_CI
from tests.servers import (
    ROOT,
    Gunicorn,
    chunked,
    free_port,
    php_id_filter,
    raw_exchange,
    stop_process_group,
)

pytestmark = pytest.mark.slow

SITE_CONFIG = ROOT / "deploy" / "nginx.conf"
MIB = 1024 * 1024
APP_BODY_LIMIT = 4096


def require(path, what, package):
    """The tool's path; a clear skip without it, a failure under CI=true."""
    if path:
        return path
    message = f"{what} is not installed (Debian package `{package}`)"
    if IN_CI:
        pytest.fail(message + ": CI=true runs every end-to-end test", pytrace=False)
    pytest.skip(message)


def nginx_path():
    found = shutil.which("nginx")
    if not found and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    return found


def wait_until(check, timeout=15.0, what="condition"):
    """Poll `check` until it returns a truthy value (logs are written after the reply)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"{what} not seen in {timeout}s"
            return value
        time.sleep(0.05)


class Nginx:
    """nginx with its own prefix, pid, temp paths and logs in a temp dir, `daemon off`."""

    def __init__(self, binary, upstream_port, tls, edits=()):
        self.binary = binary
        # Under /tmp rather than pytest's 0700 tmp_path: nginx's workers may drop to an
        # unprivileged user, which must reach its temp paths.
        self.dir = Path(tempfile.mkdtemp(prefix="cs-nginx-"))
        self.dir.chmod(0o755)
        self.port, self.tls_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tls_url = f"https://127.0.0.1:{self.tls_port}"
        self.access_log = self.dir / "access.log"
        self.error_log = self.dir / "error.log"
        cert, key = tls
        site = render_site(
            SITE_CONFIG.read_text(),
            [
                ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{upstream_port} "),
                (
                    "    listen 80;\n",
                    f"    listen 127.0.0.1:{self.port};\n"
                    f"    listen 127.0.0.1:{self.tls_port} ssl;\n"
                    f"    ssl_certificate {cert};\n"
                    f"    ssl_certificate_key {key};\n",
                ),
                ("/var/log/nginx/community-store-api.access.log", str(self.access_log)),
                ("/var/log/nginx/community-store-api.error.log", str(self.error_log)),
                *edits,
            ],
        )
        (self.dir / "site.conf").write_text(site)
        temp_paths = "\n".join(
            f"    {name}_temp_path {self.dir / name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.dir / "nginx.conf").write_text(
            f"daemon off;\n"
            f"worker_processes 1;\n"
            f"pid {self.dir / 'nginx.pid'};\n"
            f"error_log {self.error_log} warn;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{\n{temp_paths}\n"
            f"    access_log {self.dir / 'other-access.log'};\n"
            f"    include {self.dir / 'site.conf'};\n}}\n"
        )
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "-p",
                str(self.dir),
                "-c",
                str(self.dir / "nginx.conf"),
                "-e",
                str(self.error_log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("nginx did not listen") from None
                time.sleep(0.05)

    def stop(self):
        stop_process_group(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def render_site(text, edits):
    """The deployed file with the machine-specific lines swapped: each must be there once."""
    for old, new in edits:
        assert text.count(old) == 1, f"deploy/nginx.conf should contain {old!r} once"
        text = text.replace(old, new)
    return text


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        assert self.headers.get("Content-Type", "").startswith("application/json"), (
            self.status,
            self.headers.get("Content-Type"),
            self.body[:200],
        )
        assert b"<html" not in self.body.lower()
        return json.loads(self.body)


def call(base, method, path, body=None, headers=None, tls=None):
    parts = urlsplit(base)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=tls[0])
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=30, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def raw_request(port, data):
    """Send bytes nginx must refuse itself; the whole reply, headers and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


@pytest.fixture(scope="session")
def nginx_binary():
    return require(nginx_path(), "nginx", "nginx")


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, so the https scheme is tested too."""
    openssl = require(shutil.which("openssl"), "openssl", "openssl")
    folder = tmp_path_factory.mktemp("tls")
    folder.chmod(0o755)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o644)
    return cert, key


class Stack:
    def __init__(self, gunicorn, nginx):
        self.gunicorn, self.nginx = gunicorn, nginx

    def gunicorn_log(self):
        return self.gunicorn.read_log()

    def nginx_log(self):
        return self.nginx.access_log.read_text() if self.nginx.access_log.exists() else ""


def _stack(database_url, nginx_binary, tls, log_dir, **env):
    gunicorn = Gunicorn(
        {"DATABASE_URL": database_url, "TOKEN_SECRET": TEST_SECRET, "LOG_JSON": "0", **env},
        workers=2,
        extra_args=("-c", "gunicorn.conf.py"),
        log_path=log_dir / "gunicorn.log",
    ).start()
    try:
        nginx = Nginx(nginx_binary, gunicorn.port, tls).start()
    except BaseException:
        gunicorn.stop()
        raise
    return Stack(gunicorn, nginx)


@pytest.fixture(scope="module")
def trusted(database_url, nginx_binary, tls, tmp_path_factory):
    """TRUST_PROXY_HEADERS=1 and a small MAX_BODY_SIZE, so the service's own limit shows."""
    stack = _stack(
        database_url,
        nginx_binary,
        tls,
        tmp_path_factory.mktemp("trusted"),
        TRUST_PROXY_HEADERS="1",
        MAX_BODY_SIZE=str(APP_BODY_LIMIT),
    )
    yield stack
    stack.nginx.stop()
    stack.gunicorn.stop()


@pytest.fixture(scope="module")
def untrusted(database_url, nginx_binary, tls, tmp_path_factory):
    """Default settings: forwarded headers ignored, 1 MiB body limit on both sides."""
    stack = _stack(
        database_url,
        nginx_binary,
        tls,
        tmp_path_factory.mktemp("untrusted"),
        TRUST_PROXY_HEADERS="0",
    )
    yield stack
    stack.nginx.stop()
    stack.gunicorn.stop()


def get_token(base, tls, scopes=None, basic=False):
    client_id, secret = factories.api_client(scopes=scopes)
    if basic:
        credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        body = "grant_type=client_credentials"
        headers = {"Authorization": f"Basic {credentials}"}
    else:
        body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        headers = {}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    reply = call(base, "POST", "/oauth/2.0/token", body, headers, tls)
    assert reply.status == 200, reply.body
    assert reply.headers["Cache-Control"] == "no-store"
    return client_id, reply.json()["access_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_and_bearer_pass_through_nginx(app, trusted, tls):
    nginx = trusted.nginx
    for base in (nginx.url, nginx.tls_url):
        _, token = get_token(base, tls)
        reply = call(base, "GET", "/cs/api/v1/config", headers=bearer(token), tls=tls)
        assert reply.status == 200
        assert reply.json()["data"]["system"]["time_zone"] == "UTC"
    # HTTP Basic client authentication reaches the token endpoint unchanged too.
    _, token = get_token(nginx.url, tls, scopes=["cs:config:read"], basic=True)
    assert call(nginx.url, "GET", "/cs/api/v1/config", headers=bearer(token)).status == 200
    refused = call(nginx.url, "GET", "/cs/api/v1/config", headers=bearer(token + "x"))
    assert refused.status == 401
    assert refused.json()["error"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    missing = call(nginx.url, "GET", "/cs/api/v1/config")
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def _next_link(base, token, tls, headers=()):
    reply = call(
        base,
        "GET",
        "/cs/api/v1/orders?paging=1&foo=bar",
        headers={**bearer(token), **dict(headers)},
        tls=tls,
    )
    assert reply.status == 200, reply.body
    pagination = reply.json()["meta"]["pagination"]
    assert pagination["total"] == 3
    return pagination["links"]["next"]


def test_links_carry_the_external_origin_when_trusted(app, trusted, tls):
    factories.bare_orders(3)
    nginx = trusted.nginx
    _, token = get_token(nginx.url, tls, scopes=["cs:orders:read"])
    path = "/cs/api/v1/orders?paging=1&foo=bar&page=2"
    assert _next_link(nginx.url, token, tls) == f"http://127.0.0.1:{nginx.port}{path}"
    assert _next_link(nginx.tls_url, token, tls) == f"https://127.0.0.1:{nginx.tls_port}{path}"
    # nginx replaces whatever the client claims: the links cannot be forged.
    forged = {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "444",
    }
    assert _next_link(nginx.url, token, tls, forged) == f"http://127.0.0.1:{nginx.port}{path}"
    # The link works as given.
    followed = call(nginx.tls_url, "GET", path, headers=bearer(token), tls=tls)
    assert followed.json()["meta"]["pagination"]["current_page"] == 2


def test_links_ignore_forwarded_headers_when_untrusted(app, untrusted, tls):
    factories.bare_orders(3)
    nginx = untrusted.nginx
    _, token = get_token(nginx.url, tls, scopes=["cs:orders:read"])
    # The service sees only what gunicorn sees: nginx's Host header, plain http.
    expected = "http://127.0.0.1/cs/api/v1/orders?paging=1&foo=bar&page=2"
    assert _next_link(nginx.url, token, tls) == expected
    assert _next_link(nginx.tls_url, token, tls) == expected


def assert_our_headers(headers):
    """What every error carries, whether nginx or the service answered."""
    assert headers["X-Request-ID"]
    assert headers.get_all("Cache-Control") == ["no-store"]
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]


def api_error(reply, status, message):
    assert reply.status == status, reply.body
    assert reply.json() == {"error": True, "errors": [message]}
    assert_our_headers(reply.headers)


def oauth_error(reply, status, code):
    assert reply.status == status, reply.body
    body = reply.json()
    assert body["error"] == code
    assert body["message"] == body["error_description"]
    assert_our_headers(reply.headers)


def test_nginx_refuses_bodies_over_its_limit_in_json(app, untrusted, tls):
    base = untrusted.nginx.url
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # Exactly the limit: nginx and the service both accept it (the grant is what is wrong).
    at_limit = call(base, "POST", "/oauth/2.0/token", b"x" * MIB, form)
    oauth_error(at_limit, 400, "unsupported_grant_type")
    over = call(base, "POST", "/oauth/2.0/token", b"x" * (MIB + 1), form)
    oauth_error(over, 413, "invalid_request")
    patch = call(base, "PATCH", "/cs/api/v1/orders/1", b"{" + b" " * (2 * MIB) + b"}")
    api_error(patch, 413, "Request body too large")
    # nginx answered these itself: gunicorn never saw them.
    rid = patch.headers["X-Request-ID"]
    wait_until(lambda: rid in untrusted.nginx_log(), what="nginx log line")
    assert rid not in untrusted.gunicorn_log()


def test_bulk_stock_has_its_own_body_limit(app, untrusted, tls):
    factories.product(sku="BULK-MUG", stock_level=Decimal(1))
    _, token = get_token(untrusted.nginx.url, tls, scopes=["cs:products:write"])
    line = b'{"data": [{"sku": "BULK-MUG", "stock_adjustment": 1}]'
    # Past the 1 MiB of the other routes, within the 4 MiB of PATCH /stock.
    fits = line + b" " * (4 * MIB - len(line) - 1) + b"}"
    reply = call(untrusted.nginx.url, "PATCH", "/cs/api/v1/stock", fits, bearer(token))
    assert reply.status == 200, reply.body
    assert reply.json()["meta"] == {"changed": 1, "unchanged": 0}
    over = line + b" " * (4 * MIB - len(line)) + b"}"
    api_error(
        call(untrusted.nginx.url, "PATCH", "/cs/api/v1/stock", over, bearer(token)),
        413,
        "Request body too large",
    )
    assert Product.get(Product.sku == "BULK-MUG").stock_level == 2


def test_service_refuses_bodies_over_max_body_size_in_json(app, trusted, tls):
    base = trusted.nginx.url
    order_id = factories.bare_orders(1)[0]
    _, token = get_token(base, tls, scopes=["cs:orders:write"])
    body = json.dumps({"data": {"fulfilment": {"tracking_code": "x" * APP_BODY_LIMIT}}})
    patch = call(base, "PATCH", f"/cs/api/v1/orders/{order_id}", body, bearer(token))
    api_error(patch, 413, "Request body too large")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    token_reply = call(base, "POST", "/oauth/2.0/token", b"x" * (APP_BODY_LIMIT + 1), form)
    oauth_error(token_reply, 413, "invalid_request")
    # The service answered: its access log has the 413 under the same request id.
    rid = patch.headers["X-Request-ID"]
    line = wait_until(
        lambda: next((ln for ln in trusted.gunicorn_log().splitlines() if rid in ln), None),
        what="gunicorn log line",
    )
    assert '" 413 ' in line


def test_request_id_is_returned_and_logged_on_both_sides(app, trusted, tls):
    base = trusted.nginx.url
    client_id, token = get_token(base, tls, scopes=["cs:config:read"])
    mine = f"caller-{uuid.uuid4().hex}"
    generated = call(base, "GET", "/cs/api/v1/config", headers=bearer(token))
    echoed = call(base, "GET", "/cs/api/v1/config", headers={**bearer(token), "X-Request-ID": mine})
    # A value the service would not echo is replaced, by nginx and the service alike.
    replaced = call(base, "GET", "/healthz", headers={"X-Request-ID": "no spaces please"})
    assert echoed.headers["X-Request-ID"] == mine
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    for reply in (generated, echoed, replaced):
        marker = f"request_id={reply.headers['X-Request-ID']} "
        nginx_line = wait_until(
            lambda m=marker: next((ln for ln in trusted.nginx_log().splitlines() if m in ln), None),
            what="nginx log line",
        )
        gunicorn_line = wait_until(
            lambda m=marker: next(
                (ln for ln in trusted.gunicorn_log().splitlines() if m in ln), None
            ),
            what="gunicorn log line",
        )
        assert f" {reply.status} " in nginx_line and f" {reply.status} " in gunicorn_line
    # Both logs name the integration that made the authenticated calls.
    assert f"request_id={mine} client_id={client_id} " in trusted.nginx_log()
    assert f"request_id={mine} client_id={client_id} " in trusted.gunicorn_log()


def test_paths_outside_the_service_and_bad_requests_are_json(untrusted):
    nginx = untrusted.nginx
    outside = call(nginx.url, "GET", "/wp-admin/")
    api_error(outside, 404, "Not Found")
    too_long = call(nginx.url, "GET", "/cs/api/v1/orders?q=" + "x" * 20000)
    api_error(too_long, 414, "URI Too Long")
    big_header = call(nginx.url, "GET", "/cs/api/v1/orders", headers={"X-Big": "x" * 20000})
    api_error(big_header, 431, "Request Header Fields Too Large")
    head, body = raw_request(nginx.port, b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n")
    assert head.startswith("HTTP/1.1 400 ")
    assert "application/json" in head
    assert "\r\nX-Content-Type-Options: nosniff" in head
    assert json.loads(body) == {"error": True, "errors": ["Bad Request"]}
    plain_to_tls = call(nginx.url.replace(str(nginx.port), str(nginx.tls_port)), "GET", "/healthz")
    api_error(plain_to_tls, 400, "Bad Request")
    # The service's own errors pass through untouched.
    unknown = call(nginx.url, "GET", "/cs/api/v1/nothing-here")
    api_error(unknown, 404, "Not Found")
    assert call(nginx.url, "GET", "/healthz").json() == {"status": "ok"}


LINE_LIMIT = 8190


def test_the_largest_id_filter_passes_through_nginx(app, untrusted, tls):
    nginx = untrusted.nginx
    ids = list(range(700001, 700251))  # 250 six-digit ids, as the official client sends them
    kept = [factories.order(id=ids[0]).id, factories.order(id=ids[-1]).id]
    _, token = get_token(nginx.url, tls, scopes=["cs:orders:read"])
    path = "/cs/api/v1/orders?" + php_id_filter(ids)
    reply = call(nginx.url, "GET", path, headers=bearer(token))
    assert reply.status == 200, reply.body
    assert sorted(order["id"] for order in reply.json()["data"]) == kept
    # The longest request line nginx and gunicorn both take, and one byte more.
    line = "GET /healthz?q= HTTP/1.1"
    longest = "/healthz?q=" + "x" * (LINE_LIMIT - len(line))
    assert call(nginx.url, "GET", longest).status == 200
    api_error(call(nginx.url, "GET", longest + "x"), 414, "URI Too Long")


def test_header_limits_agree_with_gunicorn(untrusted):
    nginx = untrusted.nginx
    # The longest header line nginx takes reaches the service.
    value = "x" * (LINE_LIMIT - len("X-Big: "))
    assert call(nginx.url, "GET", "/healthz", headers={"X-Big": value}).status == 200
    api_error(
        call(nginx.url, "GET", "/healthz", headers={"X-Big": value + "x"}),
        431,
        "Request Header Fields Too Large",
    )
    # More header lines than gunicorn takes: its refusal comes through nginx as JSON too.
    many = "".join(f"X-Many-{n}: 1\r\n" for n in range(120))
    head, body = raw_exchange(
        nginx.port,
        f"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{many}\r\n".encode(),
    )
    assert head.startswith("HTTP/1.1 431 "), head
    assert "content-type: application/json" in head.lower()
    assert json.loads(body) == {"error": True, "errors": ["Request Header Fields Too Large"]}


def chunked_patch(port, sku, token, body):
    head = (
        f"PATCH /cs/api/v1/skus/{sku} HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    head, body = raw_exchange(port, head + chunked(body))
    status = int(head.split(" ", 2)[1])
    assert "content-type: application/json" in head.lower(), head
    return status, json.loads(body)


def test_chunked_bodies_over_either_limit_get_json_413(app, untrusted, trusted, tls):
    made = factories.product(sku="CHUNKED", stock_level=Decimal(5))
    # nginx's client_max_body_size (1 MiB) counts chunked bodies; the service's MAX_BODY_SIZE
    # (4 KiB on the trusted stack) counts what nginx passes on.
    for stack, limit in ((untrusted, MIB), (trusted, APP_BODY_LIMIT)):
        _, token = get_token(stack.nginx.url, tls, scopes=["cs:products:write"])
        level = int(Product.get_by_id(made.id).stock_level) + 1
        body = json.dumps({"data": {"stock_level": level}}).encode()
        assert chunked_patch(stack.nginx.port, "CHUNKED", token, body.ljust(limit))[0] == 200
        assert Product.get_by_id(made.id).stock_level == level
        over = json.dumps({"data": {"stock_level": 99}}).encode()
        for size in (limit + 1, 3 * MIB):
            status, answer = chunked_patch(stack.nginx.port, "CHUNKED", token, over.ljust(size))
            assert (status, answer) == (413, {"error": True, "errors": ["Request body too large"]})
        assert Product.get_by_id(made.id).stock_level == level


def test_upstream_down_is_json(nginx_binary, tls):
    with Nginx(nginx_binary, free_port(), tls) as nginx:
        reply = call(nginx.url, "GET", "/cs/api/v1/orders", headers={"X-Request-ID": "down-1"})
        api_error(reply, 502, "Service temporarily unavailable")
        assert reply.headers["Retry-After"] == "5"
        assert reply.headers["X-Request-ID"] == "down-1"
        token = call(nginx.tls_url, "POST", "/oauth/2.0/token", "grant_type=x", tls=tls)
        oauth_error(token, 502, "temporarily_unavailable")


def test_upstream_timeout_is_json(nginx_binary, tls):
    # A server that takes connections and never answers.
    with socket.create_server(("127.0.0.1", 0), backlog=16) as hung:
        port = hung.getsockname()[1]
        edits = [("proxy_read_timeout 35s;", "proxy_read_timeout 1s;")]
        with Nginx(nginx_binary, port, tls, edits) as nginx:
            reply = call(nginx.url, "GET", "/cs/api/v1/orders")
            api_error(reply, 504, "The service did not answer in time")
            token = call(nginx.url, "POST", "/oauth/2.0/token", "grant_type=x")
            oauth_error(token, 504, "temporarily_unavailable")


def test_docs_are_served_through_nginx_compressed(untrusted):
    base = untrusted.nginx.url
    page = call(base, "GET", "/cs/api/v1/docs")
    assert page.status == 200
    (bundle,) = re.findall(r'src="([^"]+/swagger-ui-bundle\.js)"', page.body.decode())
    reply = call(base, "GET", bundle, headers={"Accept-Encoding": "gzip"})
    assert reply.status == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    spec = call(base, "GET", "/cs/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["Content-Encoding"] == "gzip"


def test_nginx_limits_token_requests_per_address_in_the_oauth_shape(untrusted, nginx_binary, tls):
    # The deployed zone and location, with a limit small enough to reach in a few requests.
    edits = [("rate=10r/s", "rate=1r/m"), ("burst=50", "burst=3")]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with Nginx(nginx_binary, untrusted.gunicorn.port, tls, edits) as nginx:
        replies = [
            call(
                nginx.url,
                "POST",
                "/oauth/2.0/token",
                "grant_type=password",
                {**form, "X-Request-ID": f"limited-{n}"},
            )
            for n in range(8)
        ]
        statuses = [reply.status for reply in replies]
        assert statuses[:4] == [400] * 4, statuses
        assert 429 in statuses, statuses
        limited = next(reply for reply in replies if reply.status == 429)
        oauth_error(limited, 429, "slow_down")
        assert limited.headers["Retry-After"] == "1"
        assert limited.headers["Pragma"] == "no-cache"
        # Nothing else is limited.
        assert {call(nginx.url, "GET", "/healthz").status for _ in range(10)} == {200}
    # nginx answered the 429s itself: gunicorn never saw them.
    rid = limited.headers["X-Request-ID"]
    assert rid.startswith("limited-")
    assert rid not in untrusted.gunicorn_log()


def test_a_secret_in_the_token_query_string_is_in_neither_log(app, untrusted):
    secret = f"query-secret-{uuid.uuid4().hex}"
    reply = call(
        untrusted.nginx.url,
        "POST",
        f"/oauth/2.0/token?client_secret={secret}",
        "grant_type=client_credentials&client_id=nobody",
        {"Content-Type": "application/x-www-form-urlencoded", "X-Request-ID": "query-secret"},
    )
    oauth_error(reply, 401, "invalid_client")
    marker = "request_id=query-secret "
    nginx_line = wait_until(
        lambda: next((ln for ln in untrusted.nginx_log().splitlines() if marker in ln), None),
        what="nginx log line",
    )
    gunicorn_line = wait_until(
        lambda: next((ln for ln in untrusted.gunicorn_log().splitlines() if marker in ln), None),
        what="gunicorn log line",
    )
    assert '"POST /oauth/2.0/token?[redacted] HTTP/1.1" 401 ' in nginx_line
    assert '"POST /oauth/2.0/token?[redacted] HTTP/1.1" 401 ' in gunicorn_line
    assert secret not in untrusted.nginx_log() + untrusted.gunicorn_log()
    # Other paths keep their query strings in the log.
    call(untrusted.nginx.url, "GET", "/healthz?probe=1", headers={"X-Request-ID": "kept-query"})
    wait_until(lambda: "/healthz?probe=1 " in untrusted.nginx_log(), what="nginx log line")
