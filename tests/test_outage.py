"""The database going away: a JSON 503 with Retry-After, no hang, recovery by itself."""

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest

from models.base import make_database
from models.schema import _runner, upgrade
from tests.conftest import TEST_SECRET
from tests.databases import BACKENDS, POSTGRES_SERVER, unreachable
from tests.servers import Gunicorn, cs_command, free_port, http_json

STATUSES = "/cs/api/v1/fulfilmentstatuses"
TOKEN = "/oauth/2.0/token"
UNAVAILABLE = "Service temporarily unavailable: the database cannot be reached"


def unreachable_url(backend, port):
    return {
        "sqlite": "sqlite:////nonexistent/cs-outage/store.db",
        "postgresql": f"postgresql://postgres@127.0.0.1:{port}/store",
        "mariadb": f"mysql://root@127.0.0.1:{port}/store",
    }[backend]


def assert_unavailable(response, retry_after):
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": True, "errors": [UNAVAILABLE]}
    assert response.headers["Retry-After"] == str(retry_after)


@pytest.fixture
def black_hole():
    """A port that accepts connections and never says a word, like a server that froze."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_unreachable_database_gets_json_503_with_retry_after(make_app, backend):
    app = make_app(CS_DATABASE_URL=unreachable_url(backend, free_port()), CS_DATABASE_RETRY_AFTER=7)
    client = app.test_client()
    assert_unavailable(client.get(STATUSES, headers={"Authorization": "Bearer x"}), 7)
    token = client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "a"})
    assert token.status_code == 503 and token.headers["Retry-After"] == "7"
    assert token.get_json()["error"] == "temporarily_unavailable"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "7"
    assert ready.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert client.get("/healthz").status_code == 200


def test_a_silent_server_gets_503_within_the_timeout(make_app, backend, black_hole):
    if backend == "sqlite":
        pytest.skip("SQLite has no server to wait for")
    app = make_app(CS_DATABASE_URL=unreachable_url(backend, black_hole), CS_DATABASE_TIMEOUT=2)
    client = app.test_client()
    with ThreadPoolExecutor(1) as pool:
        # Far longer than the 2 s allowed; a hang fails here instead of blocking the suite.
        response = pool.submit(client.get, STATUSES).result(timeout=60)
    assert_unavailable(response, 5)


def test_a_busy_pool_gets_503_after_the_timeout(make_app, auth):
    headers = auth("cs:orders:read")  # before make_app, which points the models at its pool
    app = make_app(CS_DATABASE_POOL_SIZE=1, CS_DATABASE_TIMEOUT=1)
    database = app.extensions["community_store_api"].database
    holding, release = threading.Event(), threading.Event()

    def hold_the_only_connection():
        with database.connection_context():
            holding.set()
            release.wait(30)

    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(hold_the_only_connection)
        assert holding.wait(30)
        assert_unavailable(app.test_client().get(STATUSES, headers=headers), 5)
        release.set()
        held.result(timeout=30)
    assert app.test_client().get(STATUSES, headers=headers).status_code == 200


def server_session(database, backend):
    sql = {"postgresql": "SELECT pg_backend_pid()", "mariadb": "SELECT CONNECTION_ID()"}
    return database.execute_sql(sql[backend]).fetchone()[0]


def test_a_connection_the_server_killed_is_not_handed_out_again(make_app, auth, backend):
    if backend == "sqlite":
        pytest.skip("nothing can kill a SQLite connection from outside")
    app = make_app()
    headers = auth("cs:orders:read")
    database = app.extensions["community_store_api"].database
    client = app.test_client()
    assert client.get(STATUSES, headers=headers).status_code == 200
    with database.connection_context():
        pooled = server_session(database, backend)
    killer = make_database(app.config["CS_DATABASE_URL"])
    with killer.connection_context():
        if backend == "postgresql":
            # Asks the session to end: wait until it has (the socket then says so).
            killer.execute_sql("SELECT pg_terminate_backend(%s, 5000)", (pooled,))
        else:
            killer.execute_sql(f"KILL {int(pooled)}")
    killer.close_all()
    assert client.get(STATUSES, headers=headers).status_code == 200
    with database.connection_context():
        assert server_session(database, backend) != pooled


def _session_commands(database):
    """MariaDB: this session's pings and rollbacks so far, as the server counted them."""
    rows = database.execute_sql(
        "SHOW SESSION STATUS WHERE Variable_name IN ('Com_admin_commands', 'Com_rollback')"
    ).fetchall()
    return dict(rows)


def _last_statement(backend_pid):
    """PostgreSQL: the last statement a session ran, as another session sees it."""
    with psycopg2.connect(POSTGRES_SERVER + "/postgres") as watcher, watcher.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (backend_pid,))
        (query,) = cursor.fetchone()
    watcher.close()
    return query


def test_a_pooled_connection_is_handed_out_and_taken_back_without_a_round_trip(make_app, backend):
    """The pool checks a connection it hands out by looking at its socket, not by asking the
    server (`SELECT 1`, a ping), and takes it back without a rollback when no transaction
    is open: a round trip or two fewer on every request."""
    if backend == "sqlite":
        pytest.skip("a SQLite connection has no server to ask")
    app = make_app()
    database = app.extensions["community_store_api"].database
    with database.connection_context():
        pooled = server_session(database, backend)
        before = _session_commands(database) if backend == "mariadb" else None
        database.execute_sql("SELECT 'the last statement'")
    for _ in range(5):
        with database.connection_context():
            pass
    with database.connection_context():
        if backend == "postgresql":
            assert _last_statement(pooled) == "SELECT 'the last statement'"
        else:
            # A ping is an admin command; SHOW STATUS is neither.
            assert _session_commands(database) == before
        assert server_session(database, backend) == pooled  # the same connection throughout


# ---- a PostgreSQL server of our own, stopped and started under a running gunicorn ----


def _postgres_bin():
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(re.search(r"/(\d+)/bin", p).group(1)),
    )
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary folder, on a free port, so stopping
    it disturbs nobody. initdb and pg_ctl refuse root: as root they run as `postgres`."""

    def __init__(self, bindir):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="cs-outage-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args):
        subprocess.run(
            [*self.as_owner, *args], check=True, capture_output=True, timeout=120, cwd=self.dir
        )

    def init(self):
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        return self

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            self.data,
            "-l",
            os.path.join(self.dir, "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self):
        self._run(str(self.bindir / "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")

    def running(self):
        status = [*self.as_owner, str(self.bindir / "pg_ctl"), "-D", self.data, "status"]
        return subprocess.run(status, capture_output=True, timeout=60).returncode == 0

    def create_database(self, name):
        admin = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres"
        )
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self):
        if self.running():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres():
    if "postgresql" not in BACKENDS:
        pytest.skip("postgresql is not in TEST_DATABASES")
    bindir = _postgres_bin()
    if bindir is None:
        unreachable("PostgreSQL", "no server binaries (initdb, pg_ctl) on this machine")
    server = PrivatePostgres(bindir).init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def store_on_private_postgres(private_postgres, request):
    if not private_postgres.running():  # left stopped by a test that failed half-way
        private_postgres.start()
    name = re.sub(r"\W", "_", request.node.name)[:40].lower()
    url = private_postgres.create_database(name)
    database = make_database(url)
    upgrade(database)
    database.close_all()
    return url


def new_client(url):
    output = cs_command(url, "client", "create", "Outage test")
    client_id = re.search(r"client_id:\s+(\S+)", output).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", output).group(1)
    return client_id, secret


def get_token(base, client_id, secret):
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    return http_json(
        "POST",
        base + TOKEN,
        form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def statuses(base, token):
    return http_json("GET", base + STATUSES, headers={"Authorization": f"Bearer {token}"})


def assert_served(base, client_id, secret, times=6):
    status, _, body = get_token(base, client_id, secret)
    assert status == 200, body
    for _ in range(times):
        reply = statuses(base, body["access_token"])
        assert reply[0] == 200, reply
        assert reply[2]["data"][0]["handle"] == "incomplete"


def assert_unavailable_over_http(base, token, client_id, secret, times=6):
    for _ in range(times):
        status, headers, body = statuses(base, token)
        assert (status, headers["Retry-After"], body) == (
            503,
            "3",
            {"error": True, "errors": [UNAVAILABLE]},
        )
    status, headers, body = get_token(base, client_id, secret)
    assert (status, headers["Retry-After"], body["error"]) == (503, "3", "temporarily_unavailable")
    status, _, body = http_json("GET", base + "/readyz")
    assert (status, body) == (503, {"status": "unavailable", "database": "unreachable"})
    assert http_json("GET", base + "/healthz")[0] == 200


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


# Each request below may wait 30 s, far above this DATABASE_TIMEOUT: only a hang would.
OUTAGE_SETTINGS = {"DATABASE_TIMEOUT": "2", "DATABASE_RETRY_AFTER": "3"}


@pytest.mark.slow
def test_gunicorn_rides_out_a_postgresql_outage(
    private_postgres, store_on_private_postgres, tmp_path
):
    url = store_on_private_postgres
    client_id, secret = new_client(url)
    env = {"DATABASE_URL": url, "TOKEN_SECRET": TEST_SECRET, **OUTAGE_SETTINGS}
    with Gunicorn(env, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        _, _, issued = get_token(server.url, client_id, secret)
        token = issued["access_token"]
        assert_served(server.url, client_id, secret)

        private_postgres.stop()
        assert_unavailable_over_http(server.url, token, client_id, secret)

        private_postgres.start()
        # The same gunicorn, never restarted: the token issued before still works.
        for _ in range(6):
            status, _, body = statuses(server.url, token)
            assert status == 200, body
        assert_served(server.url, client_id, secret)
        assert http_json("GET", server.url + "/readyz")[2] == {"status": "ok", "database": "ok"}
        assert server.process.poll() is None
    assert "Traceback" not in server.read_log()


@pytest.mark.slow
def test_gunicorn_started_while_postgresql_is_down(
    private_postgres, store_on_private_postgres, tmp_path
):
    url = store_on_private_postgres
    client_id, secret = new_client(url)
    env = {"DATABASE_URL": url, "TOKEN_SECRET": TEST_SECRET, **OUTAGE_SETTINGS}
    private_postgres.stop()
    server = Gunicorn(env, workers=2, log_path=tmp_path / "gunicorn.log").start()
    try:
        # Both workers past their start-up check (the first one up answers already).
        wait_until(lambda: server.read_log().count("database unreachable at start-up") == 2)
        assert_unavailable_over_http(server.url, "not-checked-yet", client_id, secret)

        # Back, but behind this code: the schema is checked now, and found outdated.
        private_postgres.start()
        database = make_database(url)
        with database.connection_context():
            _runner(database).down()
        database.close_all()
        status, _, body = get_token(server.url, client_id, secret)
        assert status == 503 and "upgrade" in body["error_description"]
        status, _, body = http_json("GET", server.url + "/readyz")
        assert (status, body) == (503, {"status": "unavailable", "database": "schema outdated"})

        assert "applied 1 migration(s)" in cs_command(url, "db", "upgrade")
        assert_served(server.url, client_id, secret)
        assert http_json("GET", server.url + "/readyz")[2] == {"status": "ok", "database": "ok"}
    finally:
        server.stop()
    log = server.read_log()
    assert "database unreachable at start-up" in log
    assert "Traceback" not in log
