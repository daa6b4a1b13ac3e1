"""gunicorn.conf.py: settings from the environment, JSON access logs, graceful shutdown."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.servers import ROOT, Gunicorn, migrated_sqlite_env

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


def test_json_access_log_lines(store_env, tmp_path):
    server = Gunicorn(
        {**store_env, "LOG_JSON": "1"},
        workers=1,
        extra_args=("-c", "gunicorn.conf.py"),
        log_path=tmp_path / "gunicorn.log",
    )
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
    server = Gunicorn(
        {**store_env, "LOG_LEVEL": "debug", "GRACEFUL_TIMEOUT": "20"},
        workers=1,
        extra_args=("-c", "gunicorn.conf.py"),
        log_path=tmp_path / "gunicorn.log",
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


@pytest.mark.parametrize("log_json", ["0", "1"])
def test_the_token_paths_query_string_is_never_logged(store_env, tmp_path, log_json):
    server = Gunicorn(
        {**store_env, "LOG_JSON": log_json},
        workers=1,
        extra_args=("-c", "gunicorn.conf.py"),
        log_path=tmp_path / "gunicorn.log",
    )
    secret = f"query-secret-{uuid.uuid4().hex}"
    with server:
        for path in [
            f"/oauth/2.0/token?client_secret={secret}&client_id=x",
            f"/oauth/2.0/token/?client_secret={secret}",
            f"/oauth/2.0/%74oken?client_secret={secret}",
        ]:
            request = urllib.request.Request(
                server.url + path,
                data=b"grant_type=client_credentials&client_id=nobody",
                headers={"X-Request-ID": "token-query"},
                method="POST",
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            refused.value.close()
        deadline = time.monotonic() + 20
        while server.read_log().count("token-query") < 2:
            assert time.monotonic() < deadline, server.read_log()[-2000:]
            time.sleep(0.05)
    log = server.read_log()
    assert secret not in log
    assert "[redacted]" in log
    lines = [line for line in log.splitlines() if "token-query" in line]
    assert len(lines) == 2
    if log_json == "1":
        line = json.loads(lines[0])
        assert (line["path"], line["query"], line["status"]) == (
            "/oauth/2.0/token",
            "[redacted]",
            401,
        )
    else:
        assert '"POST /oauth/2.0/token?[redacted] HTTP/1.1" 401 ' in lines[0]
