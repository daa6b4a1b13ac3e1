"""`cs import v1` from a real second instance of this service filled by `cs demo`: the
copy is exact, re-runs replace only what changed, a killed import completes on the next
run, and refusals, skips and --dry-run write nothing."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

from csclient import Client
from models.catalog import Product
from models.imports import ImportRecord
from models.orders import Order
from store.orders import PAYMENT_STATUSES
from tests import factories
from tests.conftest import TEST_SECRET
from tests.import_servers import FlakyProxy
from tests.servers import ROOT, Gunicorn, cs_command, migrated_sqlite_env

pytestmark = pytest.mark.slow

DEMO = ("--orders", "300", "--products", "30")
SOURCE_SCOPES = (
    "cs:orders:read cs:orders:write cs:orders:manage "
    "cs:products:read cs:products:write cs:products:manage cs:config:read"
)


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    """A demo store's SQLite file, made once; each test serves a copy of it."""
    folder = tmp_path_factory.mktemp("demo")
    env = migrated_sqlite_env(folder)
    cs_command(env["DATABASE_URL"], "demo", *DEMO)
    return folder / "store.db"


def new_client(database_url, scopes):
    output = cs_command(database_url, "client", "create", "Import", "--scope", scopes)
    return (
        re.search(r"client_id:\s+(\S+)", output).group(1),
        re.search(r"client_secret:\s+(\S+)", output).group(1),
    )


class Store:
    """A served store and an integration's credentials on it."""

    def __init__(self, url, client_id, secret):
        self.url, self.client_id, self.secret = url, client_id, secret

    def client(self, **options):
        return Client(self.url, self.client_id, self.secret, **options)


@pytest.fixture
def source(demo_database, tmp_path):
    """A gunicorn instance serving a fresh copy of the demo store."""
    folder = tmp_path / "source"
    folder.mkdir()
    shutil.copy(demo_database, folder / "store.db")
    database_url = f"sqlite:///{folder}/store.db"
    client_id, secret = new_client(database_url, SOURCE_SCOPES)
    env = {"DATABASE_URL": database_url, "TOKEN_SECRET": TEST_SECRET}
    with Gunicorn(env, workers=2, log_path=tmp_path / "source.log") as server:
        yield Store(server.url, client_id, secret)


@pytest.fixture
def target(app, gunicorn_server):
    """The (emptied) test database served by gunicorn, with a reading integration."""
    client_id, secret = factories.api_client()
    return Store(gunicorn_server().url, client_id, secret)


def import_command(database_url, source, *options, env=None):
    """The arguments and environment of `cs import v1` from `source` into the database."""
    args = [str(os.path.join(os.path.dirname(sys.executable), "flask")), "--app", "app"]
    args += ["cs", "import", "v1", source.url, "--client-id", source.client_id]
    args += ["--client-secret", source.secret, *options]
    environment = {**os.environ, "DATABASE_URL": database_url, "TOKEN_SECRET": TEST_SECRET}
    return args, {**environment, **(env or {})}


def run_import(database_url, source, *options, env=None, ok=True):
    """Run the import to its end: its JSON summary (or, with ok=False, the process)."""
    args, environment = import_command(database_url, source, "--json", *options, env=env)
    done = subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True)
    if not ok:
        return done
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def plain(document):
    """A document's bytes as served, apart from its copy's own date_updated."""
    return json.dumps({k: v for k, v in document.items() if k != "date_updated"})


def snapshot(store):
    """Every product and order of a store (full view), and the listing totals."""
    with store.client() as api:
        full = {"view": "full", "paging": 100}
        products = {p["id"]: plain(p) for p in api.records("/products", full)}
        orders = {o["id"]: plain(o) for o in api.records("/orders", full)}
        hidden = api.records("/orders", {**full, "paymentStatus": "incomplete"})
        orders.update((o["id"], plain(o)) for o in hidden)
        totals = {}
        for name, params in [("all", {}), ("cancelled=true", {"cancelled": "true"})] + [
            (status, {"paymentStatus": status}) for status in PAYMENT_STATUSES
        ]:
            body = api.get("/orders", {**params, "paging": 1})
            totals[name] = body["meta"]["pagination"]["total"]
        statuses = api.get("/fulfilmentstatuses")["data"]
    return {"products": products, "orders": orders, "totals": totals, "statuses": statuses}


def assert_same(source, target):
    theirs, ours = snapshot(source), snapshot(target)
    assert theirs["totals"] == ours["totals"]
    for kind in ("products", "orders"):
        assert sorted(theirs[kind]) == sorted(ours[kind])
        differ = [key for key in theirs[kind] if theirs[kind][key] != ours[kind][key]]
        assert differ == [], f"{kind} differ: {differ[:5]}"
    assert [(s["handle"], s["name"]) for s in theirs["statuses"]] == [
        (s["handle"], s["name"]) for s in ours["statuses"]
    ]
    return theirs


def counts(summary, kind):
    part = summary[kind]
    return part["created"], part["replaced"], part["unchanged"], part["skipped"]


def test_copy_is_exact_and_a_rerun_changes_nothing(source, target, database_url):
    first = run_import(database_url, source)
    copied = assert_same(source, target)
    assert len(copied["orders"]) == 300
    assert copied["totals"]["incomplete"] > 0 and copied["totals"]["cancelled=true"] > 0
    assert counts(first, "products") == (30, 0, 0, 0)
    assert counts(first, "orders") == (300, 0, 0, 0)
    assert first["source_kind"] == "community-store-api-python"
    assert ImportRecord.select().count() == 330

    again = run_import(database_url, source)
    assert counts(again, "products") == (0, 0, 30, 0)
    assert counts(again, "orders") == (0, 0, 300, 0)
    assert again["statuses"]["unchanged"] == 6
    assert_same(source, target)


def test_changes_on_the_source_are_copied_by_the_next_run(source, target, database_url):
    run_import(database_url, source)
    with source.client() as api:
        unpaid = api.get("/orders", {"paymentStatus": "unpaid", "paging": 1})["data"][0]
        api.patch(f"/orders/{unpaid['id']}", {"payment": {"paid": True, "reference": "r-1"}})
        shipped = [
            order
            for order in api.get("/orders", {"paging": 10})["data"]
            if order["fulfilment"]["handle"] != "returned" and order["id"] != unpaid["id"]
        ][:2]
        for order in shipped:
            api.patch(f"/orders/{order['id']}", {"fulfilment": {"handle": "returned"}})
        first, second, gone = api.get("/products", {"paging": 3})["data"]
        api.patch(f"/products/{first['id']}", {"stock_adjustment": 7})
        api.patch(f"/products/{second['id']}", {"stock_adjustment": -1})
        api.request("DELETE", f"/products/{gone['id']}")

    again = run_import(database_url, source)
    assert counts(again, "orders") == (0, 3, 297, 0)
    assert counts(again, "products") == (0, 2, 27, 0)
    assert again["products"]["gone"] == [gone["id"]] and again["products"]["pruned"] == 0
    with target.client() as api:
        assert api.get(f"/products/{gone['id']}")["data"]["id"] == gone["id"]

    pruned = run_import(database_url, source, "--prune")
    assert counts(pruned, "products") == (0, 0, 29, 0)
    assert pruned["products"]["gone"] == [gone["id"]] and pruned["products"]["pruned"] == 1
    assert_same(source, target)
    assert run_import(database_url, source)["products"]["gone"] == []


def test_a_killed_import_completes_on_the_next_run(source, target, database_url):
    with FlakyProxy(source.url, hold_after=2) as proxy:
        via = Store(proxy.url, source.client_id, source.secret)
        args, environment = import_command(database_url, via, "--json")
        process = subprocess.Popen(
            args, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            assert proxy.held.wait(60), "the import never reached its third page of orders"
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(30)
            proxy.release.set()
        # The pages written before the kill are there, whole; the rest is not.
        copied = Order.select().count()
        assert 0 < copied < 300 and copied % 100 == 0
        proxy.hold_after = None
        summary = run_import(database_url, via)
    assert counts(summary, "orders") == (300 - copied, 0, copied, 0)
    assert_same(source, target)


def test_a_flaky_source_still_gives_an_exact_copy(source, target, database_url):
    with FlakyProxy(source.url, every=2) as proxy:
        summary = run_import(database_url, Store(proxy.url, source.client_id, source.secret))
        assert proxy.refused >= 5  # 429s and 503s, the token request's included
    assert counts(summary, "orders") == (300, 0, 0, 0)
    assert_same(source, target)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("STORE_CURRENCY", "EUR"), ("STORE_TIMEZONE", "Europe/Rome"), ("STORE_VAT_NUMBER", "1")],
)
def test_differing_settings_are_refused_before_writing(source, app, database_url, setting, value):
    done = run_import(database_url, source, env={setting: value}, ok=False)
    assert done.returncode != 0
    assert setting in done.stderr and "nothing was written" in done.stderr
    assert Order.select().count() == 0 and ImportRecord.select().count() == 0


def test_records_this_store_made_are_skipped_and_reported(source, target, database_url):
    with source.client() as api:
        newest = api.get("/orders", {"paging": 1})["data"][0]["id"]
        same_id, same_sku = api.get("/products", {"paging": 2})["data"]
    mine = factories.order(id=newest, customer_email="local@example.com")
    factories.product(id=same_id["id"], name="Ours", sku="OURS-1")
    factories.product(name="Also ours", sku=same_sku["sku"])
    summary = run_import(database_url, source)
    assert counts(summary, "orders") == (299, 0, 0, 1)
    assert summary["orders"]["skipped_reasons"] == [
        {"reason": "order exists here, made by this store", "count": 1, "ids": [newest]}
    ]
    assert counts(summary, "products") == (28, 0, 0, 2)
    reasons = {skip["reason"]: skip["ids"] for skip in summary["products"]["skipped_reasons"]}
    assert reasons["product exists here, made by this store"] == [same_id["id"]]
    assert [ids for reason, ids in reasons.items() if same_sku["sku"] in reason] == [
        [same_sku["id"]]
    ]
    assert Order.get_by_id(mine.id).customer_email == "local@example.com"
    assert Product.get_by_id(same_id["id"]).name == "Ours"
    again = run_import(database_url, source)
    assert counts(again, "orders") == (0, 0, 299, 1)
    assert counts(again, "products") == (0, 0, 28, 2)


def test_dry_run_writes_nothing(source, target, database_url):
    summary = run_import(database_url, source, "--dry-run")
    assert summary["dry_run"] is True
    assert counts(summary, "orders") == (300, 0, 0, 0)
    assert Order.select().count() == 0 and ImportRecord.select().count() == 0


def test_only_some_kinds(source, target, database_url):
    summary = run_import(database_url, source, "--only", "statuses")
    assert set(summary) & {"statuses", "products", "orders"} == {"statuses"}
    done = run_import(database_url, source, "--only", "statuses,customers", ok=False)
    assert done.returncode == 2 and "--only" in done.stderr
