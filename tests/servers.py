"""Real server processes for end-to-end tests: gunicorn on a free loopback port."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, timeout=20.0, process=None):
    """Poll `url` until it answers at all (any status); fail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.read_log()}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout}s")


def cs_command(database_url, *args):
    """Run `flask --app app cs ...` in a process of its own, as an operator would; its
    output (the command must succeed)."""
    from tests.conftest import TEST_SECRET

    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "app", "cs", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "TOKEN_SECRET": TEST_SECRET},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def http_json(method, url, body=None, headers=None, timeout=30):
    """One request to a real server: (status, headers, JSON body), error statuses included.
    `body` is bytes as they are, or anything else as JSON."""
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.load(error)


def raw_exchange(port, data, timeout=30, leave=False):
    """Send bytes as they are (end them with `Connection: close`), then with `leave` stop
    sending (shut the writing half); the whole reply as (status line and headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # Sent from a thread: a server may answer (and close) before it has read it all.
        sender = threading.Thread(target=_send_quietly, args=(sock, data, leave), daemon=True)
        sender.start()
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass  # the reply came first; the reset is the unread rest of what was sent
        sender.join(timeout)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def _send_quietly(sock, data, leave=False):
    try:
        sock.sendall(data)
        if leave:
            sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def php_id_filter(ids):
    """The `id` filter as the official PHP client writes it (http_build_query):
    `id%5B0%5D=123456&id%5B1%5D=...`."""
    return "&".join(f"id%5B{index}%5D={order_id}" for index, order_id in enumerate(ids))


def chunked(body, size=65536):
    """`body` in the chunked transfer coding, last chunk included."""
    pieces = [body[at : at + size] for at in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def stop_process_group(process):
    """SIGTERM a server started in its own session, then SIGKILL it if it lingers."""
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def migrated_sqlite_env(folder):
    """Environment for a server on a migrated SQLite store of its own in `folder`."""
    from tests.conftest import TEST_SECRET

    env = {"DATABASE_URL": f"sqlite:///{folder}/store.db", "TOKEN_SECRET": TEST_SECRET}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "cs", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    return env


class Gunicorn:
    """`gunicorn wsgi:app` in its own process group, with its own environment."""

    def __init__(
        self, env, workers=2, port=None, extra_args=(), log_path=None, app="wsgi:app", cwd=ROOT
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.cwd = cwd
        self.env = {**os.environ, **env}
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            *extra_args,
        ]
        self.process = None

    def start(self, wait=True):
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self.process.read_log = self.read_log
        if wait:
            wait_for(self.url + "/healthz", process=self.process)
        return self

    def read_log(self):
        return Path(self.log_path).read_text() if self.log_path else "(no log kept)"

    def stop(self):
        stop_process_group(self.process)
        if self.log_path:
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture
def gunicorn_server(database_url, tmp_path):
    """gunicorn_server(workers=2, **env) -> a started Gunicorn on the test database."""
    from tests.conftest import TEST_SECRET

    started = []

    def start(workers=2, **env):
        server = Gunicorn(
            {"DATABASE_URL": database_url, "TOKEN_SECRET": TEST_SECRET, **env},
            workers=workers,
            log_path=tmp_path / f"gunicorn-{len(started)}.log",
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
