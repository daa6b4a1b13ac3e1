"""The layers import downwards only, and each embedded app keeps to its own database."""

import ast
import concurrent.futures
import itertools

import pytest

from models.base import db, make_database
from store.clients import create_client
from tests import factories
from tests.conftest import TEST_SECRET
from tests.servers import ROOT, Gunicorn, http_json, migrated_sqlite_env


def imported_modules(package):
    """(file, top-level module name) of every import in a package's source."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield path.relative_to(ROOT), name.split(".")[0]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "store",
            {
                "flask",
                "werkzeug",
                "flask_smorest",
                "webargs",
                "api",
                "commands",
                "csclient",
                "requests",
            },
        ),
        ("csclient", {"flask", "api", "store", "models", "commands", "peewee"}),
        ("models", {"flask", "werkzeug", "flask_smorest", "api", "store", "commands"}),
        ("commands", {"api"}),
    ],
)
def test_imports_point_down_only(package, forbidden):
    upward = [f"{path}: {name}" for path, name in imported_modules(package) if name in forbidden]
    assert upward == []


def test_the_layering_check_sees_imports():
    # The check above must be able to fail: api/ does import flask and store.
    found = {name for _, name in imported_modules("api")}
    assert {"flask", "store"} <= found


def _store(folder, sku):
    """A migrated SQLite store holding one product with `sku`; an integration's credentials."""
    env = migrated_sqlite_env(folder)
    database = make_database(env["DATABASE_URL"])
    with db.bound(database), database.connection_context():
        factories.product(sku=sku, name=f"Only in {sku}")
        client, secret = create_client("two stores")
    database.close_all()
    return env["DATABASE_URL"], (client.client_id, secret)


@pytest.mark.slow
def test_two_apps_in_one_threaded_process_keep_to_their_own_databases(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    url_a, credentials_a = _store(tmp_path / "a", "ONLY-A")
    url_b, credentials_b = _store(tmp_path / "b", "ONLY-B")
    env = {"STORE_A_URL": url_a, "STORE_B_URL": url_b, "TOKEN_SECRET": TEST_SECRET}
    server = Gunicorn(
        env,
        workers=1,
        app="tests.two_stores_app:app",
        extra_args=("--worker-class", "gthread", "--threads", "8"),
        log_path=tmp_path / "gunicorn.log",
    )
    with server:
        tokens = {}
        for name, (client_id, secret) in (("a", credentials_a), ("b", credentials_b)):
            status, _, body = http_json(
                "POST",
                f"{server.url}/{name}/oauth/2.0/token",
                b"grant_type=client_credentials&client_id=%s&client_secret=%s"
                % (client_id.encode(), secret.encode()),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert status == 200, body
            tokens[name] = body["access_token"]

        def call(pair):
            store, sku = pair
            status, _, body = http_json(
                "GET",
                f"{server.url}/{store}/cs/api/v1/skus/{sku}",
                headers={"Authorization": f"Bearer {tokens[store]}"},
            )
            return store, sku, status

        pairs = list(itertools.product("ab", ("ONLY-A", "ONLY-B"))) * 100
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(call, pairs))
    wrong = [
        (store, sku, status)
        for store, sku, status in results
        if status != (200 if sku == f"ONLY-{store.upper()}" else 404)
    ]
    assert wrong == [], server.read_log()
    assert len(results) == 400
