"""Database errors: a bug in a statement is a logged 500; only "try again later" is a 503."""

import threading
import time

import pytest

from models.base import db, make_database
from tests import factories

STATUSES = "/cs/api/v1/fulfilmentstatuses"
UNAVAILABLE = {
    "error": True,
    "errors": ["Service temporarily unavailable: the database cannot be reached"],
}
SERVER_ERROR = {"error": True, "errors": ["Internal server error"]}


def assert_bug(response, caplog, request_id):
    assert response.status_code == 500
    assert response.get_json() == SERVER_ERROR
    assert "Retry-After" not in response.headers
    assert response.headers["X-Request-ID"] == request_id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info, "the failure and its stack trace are logged"


def assert_unavailable(response):
    assert response.status_code == 503
    assert response.get_json() == UNAVAILABLE
    assert response.headers["Retry-After"] == "5"


@pytest.fixture
def other(app):
    """A connection of its own to the test database, as another process would have."""
    database = make_database(app.config["CS_DATABASE_URL"], pool_size=2, timeout=5)
    database.connect()
    yield database
    database.close_all()


def quiet_app(make_app, **settings):
    """An app whose unexpected errors are answered, as in production."""
    return make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False, **settings)


def test_a_renamed_column_is_a_logged_500_and_not_a_503(make_app, app, auth, other, caplog):
    headers = {**auth("cs:orders:read"), "X-Request-ID": "renamed-column"}
    client = quiet_app(make_app).test_client()
    assert client.get(STATUSES, headers=headers).status_code == 200
    other.execute_sql("ALTER TABLE fulfilment_status RENAME COLUMN name TO name_gone")
    try:
        assert_bug(client.get(STATUSES, headers=headers), caplog, "renamed-column")
    finally:
        other.execute_sql("ALTER TABLE fulfilment_status RENAME COLUMN name_gone TO name")
    # The connection that failed is as good as any: the next request is served.
    assert client.get(STATUSES, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT no_such_column FROM fulfilment_status",
        "SELECT * FROM no_such_table",
        "SELEC 1",
        "UPDATE fulfilment_status SET no_such_column = 1",
        "INSERT INTO fulfilment_status (handle) VALUES",
    ],
)
def test_bad_sql_is_a_logged_500_on_every_database(make_app, auth, caplog, sql):
    headers = auth("cs:orders:read")  # before make_app, which points the models at its pool
    app = quiet_app(make_app)

    def bad_sql():
        with db.atomic():
            db.execute_sql(sql)
        return {}

    # In an API blueprint's name: its hooks and error handlers apply.
    app.add_url_rule("/cs/api/v1/bad-sql", "fulfilmentstatuses.bad_sql", bad_sql)
    client = app.test_client()
    response = client.get("/cs/api/v1/bad-sql", headers={"X-Request-ID": "bad-sql"})
    assert_bug(response, caplog, "bad-sql")
    assert client.get(STATUSES, headers=headers).status_code == 200


def hold_row_lock(other, backend, product_id):
    """Take the lock a stock write needs, in a transaction left open; the caller ends it."""
    if backend == "sqlite":
        other.execute_sql("BEGIN IMMEDIATE")
    else:
        other.execute_sql("BEGIN")
        other.execute_sql(
            f"SELECT id FROM product WHERE id = {int(product_id)} FOR UPDATE"
        ).fetchall()


def test_a_lock_held_past_the_timeout_is_a_503(make_app, app, auth, other, backend):
    made = factories.product(sku="LOCKED")
    headers = auth("cs:products:write")
    client = make_app(CS_DATABASE_TIMEOUT=1).test_client()
    patch = {"data": {"stock_adjustment": 1}}
    hold_row_lock(other, backend, made.id)
    try:
        assert_unavailable(client.patch("/cs/api/v1/skus/LOCKED", json=patch, headers=headers))
    finally:
        other.execute_sql("ROLLBACK")
    assert client.patch("/cs/api/v1/skus/LOCKED", json=patch, headers=headers).status_code == 200


def test_a_connection_lost_mid_request_is_a_503(make_app, app, auth, backend):
    if backend == "sqlite":
        pytest.skip("nothing can cut a SQLite connection")
    headers = auth("cs:orders:read")
    served = make_app()
    url = served.config["CS_DATABASE_URL"]

    def lose_connection():
        sql = {"postgresql": "SELECT pg_backend_pid()", "mariadb": "SELECT CONNECTION_ID()"}
        session = int(db.execute_sql(sql[backend]).fetchone()[0])
        killer = make_database(url)
        with killer.connection_context():
            kill = {"postgresql": "SELECT pg_terminate_backend({})", "mariadb": "KILL {}"}
            killer.execute_sql(kill[backend].format(session))
        killer.close_all()
        db.execute_sql("SELECT 1")
        return {}

    served.add_url_rule("/cs/api/v1/lose", "fulfilmentstatuses.lose", lose_connection)
    client = served.test_client()
    assert_unavailable(client.get("/cs/api/v1/lose"))
    # The dead connection was thrown away, not handed to the next request.
    assert client.get(STATUSES, headers=headers).status_code == 200


def test_a_serialization_failure_is_a_503(make_app, app, other, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's own transaction-rollback errors")
    made = factories.product(sku="SERIAL")
    served = make_app()
    update = f"UPDATE product SET stock_level = stock_level + 1 WHERE id = {int(made.id)}"

    def lose_a_race():
        with db.atomic():
            db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            db.execute_sql(f"SELECT stock_level FROM product WHERE id = {int(made.id)}")
            with other.atomic():
                other.execute_sql(update)
            db.execute_sql(update)  # could not serialize access due to concurrent update
        return {}

    served.add_url_rule("/cs/api/v1/race", "fulfilmentstatuses.race", lose_a_race)
    assert_unavailable(served.test_client().get("/cs/api/v1/race"))


def wait_until_running(watcher, statement, deadline=30.0):
    """Poll until another session is running `statement` (waiting for its lock)."""
    end = time.monotonic() + deadline
    sql = "SELECT COUNT(*) FROM information_schema.processlist WHERE info = %s"
    while time.monotonic() < end:
        if watcher.execute_sql(sql, (statement,)).fetchone()[0]:
            return
        time.sleep(0.05)
    raise AssertionError(f"no session started {statement!r}")


def test_a_deadlock_is_a_503(make_app, app, other, backend, caplog):
    if backend != "mariadb":
        pytest.skip("InnoDB's deadlock error 1213")
    row = int(factories.product(sku="DEADLOCK").id)
    ballast = ", ".join(f"('Brand {n}')" for n in range(20))
    served = make_app()
    watcher = make_database(served.config["CS_DATABASE_URL"])
    rival_update = f"UPDATE product SET stock_level = 1 WHERE id = {row}"
    rivals = []

    def rival():
        # Heavier than the request's transaction (it wrote rows), so InnoDB rolls the
        # request's back; waits for the request's share lock, which then waits for its own.
        with other.connection_context():
            other.execute_sql("BEGIN")
            other.execute_sql(f"INSERT INTO brand (name) VALUES {ballast}")
            other.execute_sql(f"SELECT id FROM product WHERE id = {row} LOCK IN SHARE MODE")
            other.execute_sql(rival_update)
            other.execute_sql("ROLLBACK")

    def deadlock():
        with db.atomic():
            db.execute_sql(f"SELECT id FROM product WHERE id = {row} LOCK IN SHARE MODE")
            rivals.append(threading.Thread(target=rival))
            rivals[0].start()
            wait_until_running(watcher, rival_update)
            db.execute_sql(f"UPDATE product SET stock_level = 2 WHERE id = {row}")
        return {}

    served.add_url_rule("/cs/api/v1/deadlock", "fulfilmentstatuses.deadlock", deadlock)
    try:
        with watcher.connection_context():
            assert_unavailable(served.test_client().get("/cs/api/v1/deadlock"))
    finally:
        for thread in rivals:
            thread.join(timeout=30)
        watcher.close_all()
    assert not rivals[0].is_alive()
    assert any("Deadlock found" in record.getMessage() for record in caplog.records)
