"""gunicorn.conf.py: settings from the environment, JSON access logs, graceful shutdown,
request limits, chunked bodies, slow clients, and the worker class's turns, garbage
collection and sharing of connections."""

import collections
import http.client
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from decimal import Decimal

import pytest

import config
from models.catalog import Product
from tests import factories
from tests.conftest import TEST_SECRET
from tests.servers import (
    ROOT,
    Gunicorn,
    chunked,
    http_json,
    migrated_sqlite_env,
    php_id_filter,
    raw_exchange,
)

pytestmark = pytest.mark.slow


def printed_config(store_env, **env):
    """gunicorn's own view of the configuration (`--print-config`, which also loads the app),
    one setting a line."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "BIND", "WEB_CONCURRENCY")}
    env = {**store_env, **env}
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "wsgi:app"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        return None, done.stderr
    settings = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition("=")
        settings[name.strip()] = value.strip()
    return settings, done.stderr


def test_defaults_suit_a_service_behind_a_local_proxy(store_env):
    settings, _ = printed_config(store_env)
    cpus = len(os.sched_getaffinity(0))
    assert settings["bind"] == "['127.0.0.1:8000']"
    assert settings["workers"] == str(2 * cpus + 1)
    assert settings["timeout"] == "30"
    assert settings["graceful_timeout"] == "30"
    assert settings["accesslog"] == "-"
    assert settings["preload_app"] == "False"
    # Forwarded headers are not trusted unless TRUST_PROXY_HEADERS says so.
    assert settings["forwarded_allow_ips"] == "[]"
    assert settings["control_socket_disable"] == "True"
    assert "request_id=%({x-request-id}o)s" in settings["access_log_format"]
    assert "client_id=%({x-client-id}o)s" in settings["access_log_format"]


def test_environment_overrides(store_env):
    settings, _ = printed_config(
        store_env,
        WEB_CONCURRENCY="3",
        PORT="9001",
        TIMEOUT="60",
        GRACEFUL_TIMEOUT="10",
        TRUST_PROXY_HEADERS="1",
    )
    assert settings["workers"] == "3"
    assert settings["bind"] == "['127.0.0.1:9001']"
    assert settings["timeout"] == "60"
    assert settings["graceful_timeout"] == "10"
    assert settings["forwarded_allow_ips"] == "['127.0.0.1', '::1']"
    settings, _ = printed_config(store_env, BIND="unix:/run/cs/api.sock", PORT="9001")
    assert settings["bind"] == "['unix:/run/cs/api.sock']"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TIMEOUT": "soon"}, "TIMEOUT must be an integer"),
        ({"LOG_JSON": "maybe"}, "LOG_JSON must be a yes/no value"),
        ({"REQUEST_TURNS": "sometimes"}, "REQUEST_TURNS must be a yes/no value"),
    ],
)
def test_bad_values_stop_gunicorn_with_a_message(store_env, env, message):
    settings, stderr = printed_config(store_env, **env)
    assert settings is None
    assert message in stderr


@pytest.fixture(scope="module")
def store_env(tmp_path_factory):
    """A migrated SQLite store of its own: these tests are about gunicorn, not the database."""
    folder = tmp_path_factory.mktemp("gunicorn")
    env = migrated_sqlite_env(folder)
    return env


def wait_for_line(server, text, timeout=20):
    deadline = time.monotonic() + timeout
    while text not in server.read_log():
        assert time.monotonic() < deadline, f"{text!r} not logged: {server.read_log()[-2000:]}"
        time.sleep(0.05)


def shipped_server(env, folder, workers=1, app="wsgi:app"):
    """`app` served through the shipped config and worker class (not started), its log in
    `folder`."""
    return Gunicorn(
        env,
        workers=workers,
        app=app,
        extra_args=("-c", "gunicorn.conf.py"),
        log_path=folder / "gunicorn.log",
    )


def test_json_access_log_lines(store_env, tmp_path):
    server = shipped_server({**store_env, "LOG_JSON": "1"}, tmp_path)
    with server:
        request = urllib.request.Request(
            server.url + "/cs/api/v1/config?x=1",
            headers={"X-Request-ID": "json-log-1", "X-Forwarded-For": "203.0.113.9"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401
        refused.value.close()
        wait_for_line(server, '"json-log-1"')
    lines = [json.loads(line) for line in server.read_log().splitlines() if line.strip()]
    access = [line for line in lines if line.get("type") == "access"]
    ours = next(line for line in access if line["request_id"] == "json-log-1")
    assert ours["status"] == 401
    assert ours["method"] == "GET"
    assert ours["path"] == "/cs/api/v1/config"
    assert ours["query"] == "x=1"
    assert ours["forwarded_for"] == "203.0.113.9"
    assert ours["client_id"] is None
    assert isinstance(ours["duration_ms"], float) and ours["duration_ms"] >= 0
    # gunicorn's own lines are JSON too.
    assert any("Booting worker" in line.get("message", "") for line in lines)


def test_sigterm_lets_the_request_in_flight_finish(store_env, tmp_path):
    server = shipped_server(
        {**store_env, "LOG_LEVEL": "debug", "GRACEFUL_TIMEOUT": "20"}, tmp_path
    ).start()
    try:
        body = b"grant_type=client_credentials&client_id=nobody&client_secret=x"
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(
                b"POST /oauth/2.0/token HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            # The worker is inside the request (reading its body) when it logs it.
            wait_for_line(server, "POST /oauth/2.0/token")
            os.kill(server.process.pid, signal.SIGTERM)
            wait_for_line(server, "Handling signal: term")
            sock.sendall(body[10:])
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        head, _, payload = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 401 ")
        assert json.loads(payload)["error"] == "invalid_client"
        assert server.process.wait(timeout=30) == 0
    finally:
        server.stop()


def test_settings_are_read_by_the_service_s_own_helpers():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["env_bool"] is config.env_bool
    assert settings["env_int"] is config.env_int


def test_the_benchmark_serves_both_apps_with_the_shipped_worker_settings():
    shipped = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    bench = runpy.run_path(str(ROOT / "bench" / "gunicorn_plain.py"))
    for name in ("worker_class", "threads", "keepalive", "timeout", "limit_request_line"):
        assert bench[name] == shipped[name], name
    assert bench["workers"] == 2


@pytest.mark.parametrize("chdir", [False, True], ids=["config-only", "with-chdir"])
def test_starts_from_another_directory(store_env, tmp_path, chdir):
    config_path = str(ROOT / "gunicorn.conf.py")
    extra = ("-c", config_path, "--chdir", str(ROOT)) if chdir else ("-c", config_path)
    server = Gunicorn(
        store_env, workers=1, extra_args=extra, log_path=tmp_path / "gunicorn.log", cwd=tmp_path
    )
    with server:
        assert http_json("GET", server.url + "/readyz")[0] == 200


# --- limits: what gunicorn refuses itself is JSON in the API error shape ---

LINE_LIMIT = 8190


@pytest.fixture(scope="module")
def shipped_sqlite(store_env, tmp_path_factory):
    """gunicorn as deployed (`-c gunicorn.conf.py`), two workers, on its own SQLite store."""
    server = shipped_server(store_env, tmp_path_factory.mktemp("shipped"), workers=2).start()
    yield server
    server.stop()


def request_line_of(length, path="/healthz?q="):
    line = f"GET {path} HTTP/1.1"
    return line.replace(" HTTP/1.1", "x" * (length - len(line)) + " HTTP/1.1")


def exchange(server, line, headers=()):
    head = [line, "Host: localhost", "Connection: close", *headers]
    return raw_exchange(server.port, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))


def assert_json_error(reply, status, message):
    head, body = reply
    assert head.startswith(f"HTTP/1.1 {status} "), head
    assert "\r\ncontent-type: application/json" in head.lower(), head
    assert json.loads(body) == {"error": True, "errors": [message]}


def test_request_line_and_header_limits(shipped_sqlite):
    line = request_line_of(LINE_LIMIT)
    assert len(line) == LINE_LIMIT
    head, body = exchange(shipped_sqlite, line)
    assert head.startswith("HTTP/1.1 200 "), head
    assert json.loads(body) == {"status": "ok"}
    too_long = exchange(shipped_sqlite, request_line_of(LINE_LIMIT + 1))
    assert_json_error(too_long, 414, "URI Too Long")
    # A header line as long as nginx lets through (8,190 bytes) is accepted.
    big = "X-Big: " + "x" * (LINE_LIMIT - len("X-Big: "))
    assert exchange(shipped_sqlite, "GET /healthz HTTP/1.1", [big])[0].startswith("HTTP/1.1 200 ")
    bigger = "X-Big: " + "x" * 9000
    assert_json_error(
        exchange(shipped_sqlite, "GET /healthz HTTP/1.1", [bigger]),
        431,
        "Request Header Fields Too Large",
    )
    many = [f"X-Many-{n}: 1" for n in range(120)]
    assert_json_error(
        exchange(shipped_sqlite, "GET /healthz HTTP/1.1", many),
        431,
        "Request Header Fields Too Large",
    )
    assert_json_error(exchange(shipped_sqlite, "GET /healthz HTTP/9.9"), 400, "Bad Request")


@pytest.fixture(scope="module")
def shipped(database_url, tmp_path_factory):
    """gunicorn as deployed, two workers, on the test database."""
    server = shipped_server(
        {"DATABASE_URL": database_url, "TOKEN_SECRET": TEST_SECRET},
        tmp_path_factory.mktemp("shipped"),
        workers=2,
    ).start()
    yield server
    server.stop()


def bearer_for(server, scopes):
    client_id, secret = factories.api_client(scopes=scopes)
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    status, _, body = http_json(
        "POST",
        server.url + "/oauth/2.0/token",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_the_largest_id_filter_fits_the_request_line(app, shipped):
    ids = list(range(500001, 500251))  # 250 six-digit ids
    kept = [factories.order(id=ids[0]).id, factories.order(id=ids[-1]).id]
    headers = bearer_for(shipped, ["cs:orders:read"])
    path = "/cs/api/v1/orders?" + php_id_filter(ids)
    assert len(f"GET {path} HTTP/1.1") <= LINE_LIMIT
    status, _, body = http_json("GET", shipped.url + path, headers=headers)
    assert status == 200, body
    assert sorted(order["id"] for order in body["data"]) == kept
    # One more is the API's own refusal, in the API error shape.
    path = "/cs/api/v1/orders?" + php_id_filter([*ids, 500251])
    status, _, body = http_json("GET", shipped.url + path, headers=headers)
    assert status == 400, body
    assert body["error"] is True and "At most 250 ids." in body["errors"][0]


MIB = 1024 * 1024


def test_chunked_body_over_max_body_size_is_refused_not_cut(app, shipped):
    made = factories.product(sku="CHUNKED", stock_level=Decimal(5))
    token = bearer_for(shipped, ["cs:products:write"])["Authorization"]
    head = (
        "PATCH /cs/api/v1/skus/CHUNKED HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: {token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()

    def patch(level, size):
        body = json.dumps({"data": {"stock_level": level}}).encode()
        return raw_exchange(shipped.port, head + chunked(body.ljust(size)))

    # Exactly MAX_BODY_SIZE (1 MiB by default): read whole and applied.
    reply, body = patch(7, MIB)
    assert reply.startswith("HTTP/1.1 200 "), (reply, body[:200])
    assert Product.get_by_id(made.id).stock_level == 7
    # The same object followed by 3 MiB of spaces: refused, and nothing changes.
    assert_json_error(patch(9, 3 * MIB), 413, "Request body too large")
    assert Product.get_by_id(made.id).stock_level == 7
    # A body that is not valid chunked coding is the client's error, not the service's.
    mangled = raw_exchange(shipped.port, head + b"zz\r\n{}\r\n0\r\n\r\n")
    assert_json_error(mangled, 400, "Bad Request")


# --- slow clients ---


def test_slow_clients_do_not_hold_up_health_checks(shipped_sqlite):
    held = []
    try:
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", shipped_sqlite.port), timeout=30)
            # A request that never ends its headers.
            sock.sendall(b"GET /cs/api/v1/orders HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            held.append(sock)
        status, _, body = http_json("GET", shipped_sqlite.url + "/healthz", timeout=20)
        assert (status, body) == (200, {"status": "ok"})
    finally:
        for sock in held:
            sock.close()


def test_a_client_silent_mid_request_is_disconnected(store_env, tmp_path):
    server = shipped_server({**store_env, "TIMEOUT": "2"}, tmp_path)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        # The server gives up on it (closes) instead of holding a thread for good.
        try:
            assert sock.recv(65536) == b""
        except ConnectionResetError:
            pass


def cut_short(port, head, sent, leave=False):
    """Send a request's head and the start of its body, then go silent (or, with `leave`,
    stop sending altogether); the reply as (head, JSON body), read to the server's close."""
    reply_head, body = raw_exchange(port, head.encode("latin-1") + b"\r\n\r\n" + sent, leave=leave)
    return reply_head, json.loads(body)


@pytest.fixture(scope="module", params=["1", "0"], ids=["in turns", "side by side"])
def impatient(request, store_env, tmp_path_factory):
    """The shipped config with a one-second TIMEOUT, requests answered in turns or not."""
    server = shipped_server(
        {**store_env, "TIMEOUT": "1", "REQUEST_TURNS": request.param},
        tmp_path_factory.mktemp("impatient"),
    ).start()
    yield server
    server.stop()


FORM_HEAD = (
    "POST /oauth/2.0/token HTTP/1.1\r\nHost: localhost\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100"
)
SKU_HEAD = (
    "PATCH /cs/api/v1/skus/MUG HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x.y.z\r\n"
    "Content-Type: application/json\r\nContent-Length: 40"
)
ORDER_HEAD = (
    "POST /cs/api/v1/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    f"Content-Length: {200 * 1024}"
)
CHUNKED_HEAD = (
    "PATCH /cs/api/v1/stock HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked"
)
FORM_START = b"grant_type=client_credentials&client_id=cs_x"
JSON_START = b'{"data": {"stock_level": 1}}'


@pytest.mark.parametrize(
    "head, sent",
    [
        (SKU_HEAD, JSON_START),  # the fast lane's write, read before its turn
        (ORDER_HEAD, b"{" + b" " * 70000),  # too large for a turn: Flask reads it
        (CHUNKED_HEAD, b"10\r\n0123"),  # chunked, buffered by Flask
    ],
    ids=["small", "large", "chunked"],
)
def test_a_body_the_client_stops_sending_is_answered_408(impatient, head, sent):
    reply = cut_short(impatient.port, head, sent)
    assert reply[0].startswith("HTTP/1.1 408 "), reply
    assert reply[1] == {"error": True, "errors": ["Request Timeout"]}
    assert "Traceback" not in impatient.read_log()


def test_a_token_body_the_client_stops_sending_is_an_oauth_408(impatient):
    head, body = cut_short(impatient.port, FORM_HEAD, FORM_START)
    assert head.startswith("HTTP/1.1 408 "), (head, body)
    assert "\r\ncache-control: no-store" in head.lower()
    assert (body["error"], body["error_description"]) == ("invalid_request", "Request Timeout")
    assert "Traceback" not in impatient.read_log()


@pytest.mark.parametrize(
    "head, sent",
    [(FORM_HEAD, FORM_START), (SKU_HEAD, JSON_START), (ORDER_HEAD, b"{")],
    ids=["token", "small", "large"],
)
def test_a_body_cut_short_by_a_leaving_client_is_refused_not_read(impatient, head, sent):
    # What came would parse (a form, a complete JSON object): only its length tells it is
    # not the whole body.
    reply = cut_short(impatient.port, head, sent, leave=True)
    assert reply[0].startswith("HTTP/1.1 400 "), reply
    assert "Traceback" not in impatient.read_log()


@pytest.mark.parametrize("log_json", ["0", "1"])
def test_the_token_paths_query_string_is_never_logged(store_env, tmp_path, log_json):
    server = shipped_server({**store_env, "LOG_JSON": log_json}, tmp_path)
    secret = f"query-secret-{uuid.uuid4().hex}"
    paths = [
        f"/oauth/2.0/token?client_secret={secret}&client_id=x",
        f"/oauth/2.0/token/?client_secret={secret}",
        f"/oauth/2.0/%74oken?client_secret={secret}",
    ]
    with server:
        for n, path in enumerate(paths):
            request = urllib.request.Request(
                server.url + path,
                data=b"grant_type=client_credentials&client_id=nobody",
                headers={"X-Request-ID": f"token-query-{n}"},
                method="POST",
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            refused.value.close()
            wait_for_line(server, f"token-query-{n}")
    log = server.read_log()
    assert secret not in log
    (line,) = [line for line in log.splitlines() if "token-query-0" in line]
    if log_json == "1":
        line = json.loads(line)
        assert (line["path"], line["query"], line["status"]) == (
            "/oauth/2.0/token",
            "[redacted]",
            401,
        )
    else:
        assert '"POST /oauth/2.0/token?[redacted] HTTP/1.1" 401 ' in line


def test_the_worker_keeps_what_the_app_made_at_start_out_of_the_collector(store_env, tmp_path):
    # tests/gc_probe.py answers its process's count of frozen objects: with the shipped
    # worker class, at least the thousand dicts it made when its module was imported.
    server = shipped_server(store_env, tmp_path, app="tests.gc_probe:app")
    with server, urllib.request.urlopen(server.url + "/", timeout=20) as reply:
        assert int(reply.read()) >= 1000


@pytest.mark.parametrize("turns, most_at_once", [("1", 1), ("0", 2)])
def test_the_worker_answers_requests_in_turns(store_env, tmp_path, turns, most_at_once):
    # tests/turns_probe.py answers how many of its requests were inside it at once; two
    # sent together meet there only when the worker lets its threads answer side by side.
    server = shipped_server(
        {**store_env, "REQUEST_TURNS": turns}, tmp_path, app="tests.turns_probe:app"
    )
    with server:
        seen = []

        def ask():
            with urllib.request.urlopen(server.url + "/", timeout=20) as reply:
                seen.append(int(reply.read()))

        for _ in range(3):
            pair = [threading.Thread(target=ask) for _ in range(2)]
            for thread in pair:
                thread.start()
            for thread in pair:
                thread.join(20)
        assert max(seen) == most_at_once


def test_the_workers_share_kept_alive_connections_evenly(store_env, tmp_path):
    # tests/pid_probe.py answers the pid of the worker that served the request. Nine
    # connections opened one after another and kept open land three on each of three
    # workers; left to whichever worker wakes first, one often kept six or more.
    server = shipped_server(store_env, tmp_path, workers=3, app="tests.pid_probe:app")
    with server:
        # Every worker up first (the first to boot takes every connection until the others
        # are there): one connection after another, each closed, until all three answered.
        deadline, booted = time.monotonic() + 30, set()
        while len(booted) < 3:
            assert time.monotonic() < deadline, booted
            with urllib.request.urlopen(server.url + "/", timeout=20) as reply:
                booted.add(reply.read())
        kept, served_by = [], []
        try:
            for _ in range(9):
                kept.append(http.client.HTTPConnection("127.0.0.1", server.port, timeout=20))
                kept[-1].request("GET", "/")
                reply = kept[-1].getresponse()
                served_by.append(reply.read())
        finally:
            for connection in kept:
                connection.close()
    assert sorted(collections.Counter(served_by).values()) == [3, 3, 3]
