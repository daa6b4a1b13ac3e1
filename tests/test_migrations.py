"""Schema migrations: every row kept, a no-op when current, no service on an old schema."""

import datetime
import json
import os
import shlex
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from peewee import Table

from models import ALL_MODELS
from models.base import make_database
from models.catalog import Product, Sku, Variation
from models.clients import ApiClient
from models.orders import Order, OrderAttribute, OrderItem, OrderStatusHistory
from models.schema import (
    UPGRADE_COMMAND,
    SchemaError,
    _runner,
    known_migrations,
    pending_migrations,
    upgrade,
)
from store.clients import digest
from tests.conftest import TEST_SECRET
from tests.databases import SERVERS
from tests.servers import ROOT, Gunicorn, wait_for

FIRST = "0001_initial"
LEGACY_SECRET = "legacy-secret-" + "x" * 40
# Our own connections to the throwaway databases, closed after each test.
OPEN = []


@pytest.fixture
def blank_url(backend):
    """A database of its own, empty: not even the first migration applied."""
    server = SERVERS[backend]()
    url = server.create()
    yield url
    for database in OPEN:
        database.close_all()
    OPEN.clear()
    server.drop()


def connect(url, **options):
    database = make_database(url, **options)
    OPEN.append(database)
    return database


def schema_of(database):
    """Every table's columns and indexes, as the database reports them."""
    with database.connection_context():
        return {
            table: (
                sorted(
                    (column.name, column.data_type, column.null)
                    for column in database.get_columns(table)
                ),
                sorted(
                    (index.name, tuple(index.columns), index.unique)
                    for index in database.get_indexes(table)
                ),
            )
            for table in database.get_tables()
        }


def at_first_version(url):
    database = connect(url)
    assert upgrade(database, target=FIRST) == [FIRST]
    return database


def fill_first_version(database):
    """Store a little of everything with plain SQL in the columns of the first schema."""

    def insert(table, key="id", **values):
        columns = [key, *values] if key not in values else list(values)
        return Table(table, columns, primary_key=key).bind(database).insert(values).execute()

    at = "2021-03-04 05:06:07.123456"
    with database.connection_context(), database.atomic():
        for id_, handle, name, order in [
            (1, "incomplete", "Awaiting Processing", 1),
            (2, "processing", "Processing", 2),
            (3, "packed", "Packed", 3),
            (4, "shipped", "Shipped", 4),
        ]:
            insert(
                "fulfilment_status",
                id=id_,
                handle=handle,
                name=name,
                sort_order=order,
                is_starting=id_ == 1,
            )
        for client_id, revoked in [("legacy-erp", None), ("old-erp", at)]:
            insert(
                "api_client",
                name=client_id,
                client_id=client_id,
                secret_digest=digest(LEGACY_SECRET),
                scopes="cs:orders:read cs:products:read cs:config:read",
                created_at=at,
                revoked_at=revoked,
            )
        for code, kind in [("LEGACY-1", "P"), ("legacy-1", "P"), ("LEGACY-1-L", "V")]:
            insert("sku", key="code", code=code, kind=kind)
        brand = insert("brand", name="Acme")
        product_fields = {
            "sku_kind": "P",
            "active": True,
            "stock_unlimited": False,
            "shippable": True,
            "separate_ship": False,
            "date_added": "2021-03-04 05:06:07.000001",
            "date_updated": at,
        }
        product = insert(
            "product",
            name="Legacy product ☕",
            sku="LEGACY-1",
            stock_level=-1,
            price=999_999_999_999,
            brand_id=brand,
            **product_fields,
        )
        insert(
            "product", name="Lowercase twin", sku="legacy-1", stock_level=50_000, **product_fields
        )
        variation = insert(
            "variation",
            product_id=product,
            sku="LEGACY-1-L",
            sku_kind="V",
            stock_level=30_000,
            stock_unlimited=False,
            sort_order=0,
        )
        order = insert(
            "order",
            placed_at=at,
            status_id=3,
            updated_at=at,
            paid_at="2021-03-04 05:07:00.000000",
            payment_method="Invoice",
            customer_email="joe@example.com",
            shipping_method="Ground",
            billing_first_name="Joe",
            shipping_total=50_000,
            tax_total=0,
            discount_total=0,
            total=1_050_000,
        )
        insert(
            "order_item",
            order_id=order,
            product_id=product,
            variation_id=variation,
            name="Legacy product ☕",
            sku="LEGACY-1-L",
            quantity=15_000,
            price=666_667,
            sort_order=0,
        )
        # A line of a product since deleted, whose SKU differs from the other in case only.
        insert(
            "order_item",
            order_id=order,
            name="Gone",
            sku="legacy-1-l",
            quantity=20_000,
            price=10_000,
            sort_order=1,
        )
        insert(
            "order_attribute",
            order_id=order,
            handle="gift_message",
            name="Gift message",
            value='"Happy birthday"',
            sort_order=0,
        )
        insert(
            "order_status_history",
            order_id=order,
            status_id=3,
            handle="packed",
            changed_at=at,
            client_id="legacy-erp",
        )
    return {"product": product, "variation": variation, "order": order}


def token(client, client_id="legacy-erp", secret=LEGACY_SECRET):
    return client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def check_first_version_data(ids):
    """The rows stored in the first schema, read through today's models."""
    order = Order.get_by_id(ids["order"])
    assert order.placed_at == datetime.datetime(2021, 3, 4, 5, 6, 7, 123456)
    assert (order.total, order.shipping_total) == (Decimal("105.0000"), Decimal("5.0000"))
    assert order.status.handle == "packed" and order.customer_email == "joe@example.com"
    # Each found by its exact SKU only, MySQL/MariaDB included (migration 0004).
    item = OrderItem.get(OrderItem.sku == "LEGACY-1-L")
    assert (item.order_id, item.quantity, item.price) == (
        order.id,
        Decimal("1.5000"),
        Decimal("66.6667"),
    )
    assert OrderItem.get(OrderItem.sku == "legacy-1-l").name == "Gone"
    assert OrderItem.get_or_none(OrderItem.sku == "Legacy-1-L") is None
    assert OrderAttribute.get(OrderAttribute.order == order).value == '"Happy birthday"'
    history = OrderStatusHistory.get(OrderStatusHistory.order == order)
    # The actor column (migration 0006) names the client of rows an API call wrote.
    assert (history.client_id, history.actor) == ("legacy-erp", "client:legacy-erp")
    product = Product.get(Product.sku == "LEGACY-1")
    assert (product.id, product.price, product.stock_level) == (
        ids["product"],
        Decimal("99999999.9999"),
        Decimal("-0.0001"),
    )
    assert product.date_added == datetime.datetime(2021, 3, 4, 5, 6, 7, 1)
    assert product.name == "Legacy product ☕" and product.brand.name == "Acme"
    assert Product.get(Product.sku == "legacy-1").stock_level == Decimal("5.0000")
    assert Variation.get(Variation.sku == "LEGACY-1-L").id == ids["variation"]
    assert Sku.select().count() == 3
    assert ApiClient.get(ApiClient.client_id == "old-erp").revoked_at is not None


def test_the_current_schema_has_what_the_models_declare(app):
    """Catches a model change that has no migration: every column and index a model declares
    exists after `upgrade`, and no column the models do not know."""
    database = app.extensions["community_store_api"].database
    with database.connection_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            columns = {column.name for column in database.get_columns(table)}
            assert columns == set(model._meta.columns), table
            indexes = {(tuple(i.columns), i.unique) for i in database.get_indexes(table)}
            for declared in model._meta.fields_to_index():
                wanted = tuple(field.column_name for field in declared._expressions)
                assert (wanted, declared._unique) in indexes, (table, wanted)


def test_upgrade_on_a_current_database_changes_nothing(app):
    database = app.extensions["community_store_api"].database
    before = schema_of(database)
    assert upgrade(database) == []
    assert upgrade(database) == []
    assert schema_of(database) == before
    with database.connection_context():
        assert pending_migrations(database) == []


def test_upgrade_from_the_first_schema_keeps_every_row(make_app, blank_url):
    database = at_first_version(blank_url)
    ids = fill_first_version(database)
    app = make_app(CS_DATABASE_URL=blank_url)
    client = app.test_client()

    # The service answers, but serves nothing from an outdated schema.
    outdated = client.get("/readyz")
    assert outdated.status_code == 503
    assert outdated.get_json() == {"status": "unavailable", "database": "schema outdated"}
    assert token(client).status_code == 503

    result = app.test_cli_runner().invoke(args=["cs", "db", "upgrade", "--no-progress"])
    assert result.exit_code == 0, result.output
    later = known_migrations()[1:]
    assert result.output.splitlines() == [
        f"applied {len(later)} migration(s): {', '.join(later)}",
        # The order of the first schema's store, its document kept from now on.
        "1 order documents written",
    ]

    # The same running app serves now, no restart.
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}
    issued = token(client)
    assert issued.status_code == 200, issued.get_json()
    assert token(client, "old-erp").status_code == 401
    headers = {"Authorization": f"Bearer {issued.get_json()['access_token']}"}
    statuses = client.get("/cs/api/v1/fulfilmentstatuses", headers=headers)
    assert [status["handle"] for status in statuses.get_json()["data"]] == [
        "incomplete",
        "processing",
        "packed",
        "shipped",
    ]
    assert client.get("/cs/api/v1/config", headers=headers).status_code == 200
    check_orders_through_the_api(client, headers, ids["order"])
    check_products_through_the_api(client, headers, ids)
    with app.app_context():
        check_first_version_data(ids)


def check_products_through_the_api(client, headers, ids):
    product = client.get(f"/cs/api/v1/products/{ids['product']}", headers=headers)
    product = product.get_json()["data"]
    assert (product["sku"], product["name"], product["brand"]) == (
        "LEGACY-1",
        "Legacy product ☕",
        "Acme",
    )
    assert (product["price"], product["stock_level"]) == (100000000, -0.0001)
    assert product["date_added"]["date"] == "2021-03-03 22:06:07.000001"
    assert [v["sku"] for v in product["variations"]] == ["LEGACY-1-L"]
    listed = client.get("/cs/api/v1/products", headers=headers).get_json()
    assert listed["meta"]["pagination"]["total"] == 2
    for sku, level in [("LEGACY-1", -0.0001), ("legacy-1", 5), ("LEGACY-1-L", 3)]:
        record = client.get(f"/cs/api/v1/skus/{sku}", headers=headers).get_json()["data"]
        assert (record["sku"], record["stock_level"]) == (sku, level)
    assert client.get("/cs/api/v1/skus/Legacy-1", headers=headers).status_code == 404


def check_orders_through_the_api(client, headers, order_id):
    listed = client.get("/cs/api/v1/orders", headers=headers).get_json()
    assert [order["id"] for order in listed["data"]] == [order_id]
    assert listed["meta"]["pagination"]["total"] == 1
    order = client.get(f"/cs/api/v1/orders/{order_id}", headers=headers).get_json()["data"]
    assert order["date_placed"] == {
        "date": "2021-03-03 22:06:07.123456",
        "timezone": "America/Phoenix",
    }
    assert order["total"] == 105
    assert order["fulfilment"]["handle"] == "packed"
    assert order["fulfilment"]["status"] == "Packed"
    assert order["customer"]["email"] == "joe@example.com"
    assert [(i["sku"], i["quantity"], i["price"]) for i in order["items"]] == [
        ("LEGACY-1-L", 1.5, 66.6667),
        ("legacy-1-l", 2, 1),
    ]
    assert order["attributes"] == [
        {"handle": "gift_message", "name": "Gift message", "value": "Happy birthday"}
    ]


def test_each_migration_reverts_and_applies_again(blank_url):
    database = connect(blank_url)
    upgrade(database)
    current = schema_of(database)
    names = known_migrations()
    with database.connection_context():
        reverted = _runner(database).down(FIRST)
        assert reverted == names[::-1]
        assert database.get_tables() == ["schema_migration"]
    assert upgrade(database) == names
    assert schema_of(database) == current


def run_upgrade_command(url, **env):
    """Run the command the refusal message names, exactly as printed."""
    args = shlex.split(UPGRADE_COMMAND)
    args[0] = str(Path(sys.executable).parent / args[0])
    return subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "TOKEN_SECRET": TEST_SECRET, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_concurrent_upgrades_take_turns(blank_url, backend):
    if backend == "sqlite":
        pytest.skip("a SQLite file lives on one machine, where the upgrade is run once")
    commands = [
        subprocess.Popen(
            [
                *(str(Path(sys.executable).parent / "flask"), "--app", "app"),
                *("cs", "db", "upgrade", "--no-progress"),
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": blank_url, "TOKEN_SECRET": TEST_SECRET},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = sorted(command.communicate(timeout=120)[0].strip() for command in commands)
    assert [command.returncode for command in commands] == [0, 0, 0], outputs
    names = known_migrations()
    # No orders yet: no document to keep.
    assert outputs == [
        f"applied {len(names)} migration(s): {', '.join(names)}\n0 order documents written",
        "schema already current\n0 order documents written",
        "schema already current\n0 order documents written",
    ]
    database = connect(blank_url)
    with database.connection_context():
        assert pending_migrations(database) == []
        (count,) = database.execute_sql("SELECT COUNT(*) FROM schema_migration").fetchone()
        assert count == len(names)


def test_mariadb_database_not_in_utf8mb4_is_refused(backend):
    if backend != "mariadb":
        pytest.skip("only MySQL/MariaDB databases have a default character set to check")
    server = SERVERS["mariadb"]()
    url = server.create()
    try:
        admin = server._admin()
        with admin.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE `{server.dbname}` CHARACTER SET latin1")
        admin.close()
        database = make_database(url)
        with pytest.raises(SchemaError, match="ALTER DATABASE .* CHARACTER SET utf8mb4"):
            upgrade(database)
        with database.connection_context():
            assert database.get_tables() == []
        database.close_all()
    finally:
        server.drop()


@pytest.mark.slow
def test_gunicorn_refuses_an_outdated_schema_and_names_the_command(blank_url, tmp_path):
    at_first_version(blank_url)
    env = {"DATABASE_URL": blank_url, "TOKEN_SECRET": TEST_SECRET}
    refused = Gunicorn(env, workers=1, log_path=tmp_path / "refused.log").start(wait=False)
    try:
        refused.process.wait(timeout=60)
    finally:
        refused.stop()
    log = refused.read_log()
    assert refused.process.returncode != 0, log
    assert f"run `{UPGRADE_COMMAND}`" in log
    assert all(name in log for name in known_migrations()[1:])

    upgraded = run_upgrade_command(blank_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.startswith(f"applied {len(known_migrations()) - 1} migration(s)")

    with Gunicorn(env, workers=1, log_path=tmp_path / "served.log") as served:
        wait_for(served.url + "/readyz", process=served.process)
        with urllib.request.urlopen(served.url + "/readyz", timeout=30) as ready:
            assert json.load(ready) == {"status": "ok", "database": "ok"}
