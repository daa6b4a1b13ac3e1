"""Every backend behaves alike: connection settings, exact money, microseconds, exact SKUs."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import quote

import playhouse.pool
import pytest
from peewee import DataError, IntegrityError, fn

from models.base import MAX_UNITS, from_units, make_database, to_units
from models.catalog import Product, Sku, Variation
from models.orders import Order, OrderItem
from models.statuses import FulfilmentStatus
from tests import factories

EXTREMES = ["99999999.9999", "-99999999.9999", "-0.0001", "0.0001", "0", "12.3456", "0.1"]


def on_connections_held_together(database, check, count=3):
    """Run `check` on `count` pooled connections open at the same time (one per thread);
    returns {connection id: result}."""
    barrier = threading.Barrier(count, timeout=20)

    def run():
        with database.connection_context():
            barrier.wait()  # every thread now holds a connection of its own
            outcome = id(database.connection()), check()
            barrier.wait()
            return outcome

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(run) for _ in range(count)]
        outcomes = dict(future.result() for future in futures)
    assert len(outcomes) == count
    return outcomes


def settings_of(database, backend):
    def one(sql):
        return database.execute_sql(sql).fetchone()[0]

    if backend == "sqlite":
        return {
            "foreign_keys": one("PRAGMA foreign_keys"),
            "journal_mode": one("PRAGMA journal_mode"),
            "busy_timeout": one("PRAGMA busy_timeout"),
        }
    if backend == "postgresql":
        libpq = database.connection().get_dsn_parameters()
        return {
            "timezone": one("SHOW TimeZone"),
            "statement_timeout": one("SHOW statement_timeout"),
            "random_page_cost": one("SHOW random_page_cost"),
            "tcp_user_timeout": libpq["tcp_user_timeout"],
            "encoding": one("SHOW client_encoding"),
        }
    return {
        "sql_mode": set(one("SELECT @@SESSION.sql_mode").split(",")),
        "time_zone": one("SELECT @@SESSION.time_zone"),
        "lock_wait": one("SELECT @@SESSION.innodb_lock_wait_timeout"),
        "charset": one("SELECT @@SESSION.character_set_connection"),
    }


EXPECTED_SETTINGS = {
    "sqlite": {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 3000},
    "postgresql": {
        "timezone": "UTC",
        "statement_timeout": "3s",
        "random_page_cost": "1.1",
        "tcp_user_timeout": "3000",
        "encoding": "UTF8",
    },
    "mariadb": {
        "sql_mode": {
            "STRICT_ALL_TABLES",
            "NO_ZERO_DATE",
            "NO_ENGINE_SUBSTITUTION",
            "ONLY_FULL_GROUP_BY",
        },
        "time_zone": "+00:00",
        "lock_wait": 3,
        "charset": "utf8mb4",
    },
}


def orphan_refused():
    """Whether the database refuses a row that points at a missing parent."""
    status = FulfilmentStatus.select(fn.MAX(FulfilmentStatus.id)).scalar()
    try:
        with Order._meta.database.atomic():
            Order.create(status=status + 1000)
    except IntegrityError:
        return True
    return False


def test_every_pooled_connection_has_the_settings(make_app, backend):
    app = make_app(CS_DATABASE_TIMEOUT=3)
    database = app.extensions["community_store_api"].database
    with app.app_context():
        first = on_connections_held_together(database, lambda: settings_of(database, backend))
        # Back from the pool, the same connections still have them.
        again = on_connections_held_together(database, lambda: settings_of(database, backend))
    assert set(again) == set(first)
    for settings in [*first.values(), *again.values()]:
        assert settings == EXPECTED_SETTINGS[backend]


def test_every_pooled_connection_enforces_foreign_keys(app):
    database = app.extensions["community_store_api"].database
    refused = on_connections_held_together(database, orphan_refused)
    assert list(refused.values()) == [True, True, True]
    assert Order.select().count() == 0


def test_servers_refuse_text_too_long_instead_of_cutting_it(app, backend):
    if backend == "sqlite":
        pytest.skip("SQLite stores text of any length in a VARCHAR column")
    with (
        pytest.raises((DataError, IntegrityError)),
        app.extensions["community_store_api"].database.atomic(),
    ):
        factories.product(name="x" * 256)
    assert Product.select().count() == 0


@pytest.mark.parametrize("text", EXTREMES)
def test_money_and_quantities_round_trip_exactly(app, text):
    value = Decimal(text)
    product = factories.product(price=value, stock_level=value, cost_price=value)
    stored = Product.get_by_id(product.id)
    assert (stored.price, stored.stock_level, stored.cost_price) == (value, value, value)
    assert str(stored.price) == str(value.quantize(Decimal("0.0001")))
    # Stored as integer ten-thousandths, whatever the database.
    database = Product._meta.database
    sql = f"SELECT price FROM product WHERE id = {database.param}"
    assert database.execute_sql(sql, (product.id,)).fetchone()[0] == to_units(value)


def test_sql_arithmetic_on_quantities_is_exact(app):
    product = factories.product(stock_level=Decimal("0"))
    step = Decimal("0.1")
    for _ in range(10):
        Product.update(stock_level=Product.stock_level + step).where(
            Product.id == product.id
        ).execute()
    assert Product.get_by_id(product.id).stock_level == Decimal("1.0000")
    Product.update(stock_level=Product.stock_level - Decimal("1.0001")).where(
        Product.id == product.id
    ).execute()
    assert Product.get_by_id(product.id).stock_level == Decimal("-0.0001")


def test_sums_of_quantities_are_exact(app):
    for _ in range(10):
        factories.product(stock_level=Decimal("0.1"))
    factories.product(stock_level=Decimal("99999999.9999"))
    total = Product.select(fn.SUM(Product.stock_level)).scalar()
    assert from_units(int(total)) == Decimal("100000000.9999")


def test_the_largest_stock_level_fits(app):
    largest = from_units(MAX_UNITS)
    product = factories.product(stock_level=largest)
    variation = factories.variation(product, stock_level=-largest)
    assert Product.get_by_id(product.id).stock_level == largest
    assert Variation.get_by_id(variation.id).stock_level == -largest


def test_more_than_four_decimals_is_refused_not_rounded(app):
    with pytest.raises(ValueError):
        factories.product(price=Decimal("1.00001"))


MOMENTS = [
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999999),
    datetime.datetime(1970, 1, 1, 0, 0, 0, 1),
    datetime.datetime(2038, 1, 19, 3, 14, 8, 500000),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_date_times_keep_their_microseconds(app, moment):
    product = factories.product(date_added=moment, sale_start=moment)
    stored = Product.get_by_id(product.id)
    assert stored.date_added == moment and stored.sale_start == moment
    assert Product.select().where(Product.date_added == moment).count() == 1


def test_aware_date_times_are_stored_as_utc(app):
    phoenix = datetime.timezone(datetime.timedelta(hours=-7))
    product = factories.product(
        date_added=datetime.datetime(2024, 6, 1, 17, 0, 0, 123456, tzinfo=phoenix)
    )
    stored = Product.get_by_id(product.id).date_added
    assert stored == datetime.datetime(2024, 6, 2, 0, 0, 0, 123456)


def test_date_times_order_and_compare_to_the_microsecond(app):
    base = datetime.datetime(2024, 1, 1, 12, 0, 0)
    moments = [base + datetime.timedelta(microseconds=n) for n in (10, 9, 1000000, 100)]
    ids = {factories.product(date_added=moment).id: moment for moment in moments}
    by_time = [p.id for p in Product.select(Product.id).order_by(Product.date_added)]
    assert by_time == sorted(ids, key=ids.get)
    later = Product.select().where(Product.date_added > base + datetime.timedelta(microseconds=9))
    assert {p.id for p in later} == {pid for pid, m in ids.items() if m.microsecond != 9}


SKUS = ["abc", "ABC", "Abc", "abc ", "čaj-☕", "a/b%20c"]


def test_skus_differing_in_case_or_spaces_are_distinct_and_found_exactly(app):
    created = {sku: factories.product(sku=sku).id for sku in SKUS}
    for sku, product_id in created.items():
        assert Product.get(Product.sku == sku).id == product_id
        assert Sku.get_by_id(sku).kind == "P"
    assert Product.get_or_none(Product.sku == "aBC") is None
    assert Sku.get_or_none(Sku.code == "abc  ") is None
    assert sorted(Sku.select(Sku.code).tuples()) == sorted((sku,) for sku in SKUS)


def test_the_api_finds_and_adjusts_exactly_the_sku_asked_for(client, auth):
    skus = ["abc", "ABC", "abc ", "čaj-☕", "50%"]
    ids = {sku: factories.product(sku=sku, stock_level=Decimal("1")).id for sku in skus}
    headers = auth("cs:products:read", "cs:products:write")
    for sku in skus:
        url = f"/cs/api/v1/skus/{quote(sku, safe='')}"
        record = client.get(url, headers=headers).get_json()["data"]
        assert (record["id"], record["sku"]) == (ids[sku], sku)
    patched = client.patch(
        "/cs/api/v1/skus/abc", json={"data": {"stock_adjustment": 0.0001}}, headers=headers
    )
    assert patched.get_json()["data"]["stock_level"] == 1.0001
    levels = dict(Product.select(Product.sku, Product.stock_level).tuples())
    assert levels == {sku: Decimal("1.0001" if sku == "abc" else "1") for sku in skus}
    assert client.get("/cs/api/v1/skus/aBc", headers=headers).status_code == 404


def test_order_lines_are_found_by_their_exact_sku(app):
    skus = ["abc", "ABC", "abc ", "ábc"]
    order = factories.order(items=[{"name": s, "sku": s, "quantity": 1, "price": 1} for s in skus])
    for sku in skus:
        lines = OrderItem.select().where(OrderItem.order == order, OrderItem.sku == sku)
        assert [line.name for line in lines] == [sku]


@pytest.mark.parametrize("kind", ["product", "variation"])
def test_a_duplicate_sku_is_refused_by_the_database(app, kind):
    owner = factories.product(sku="abc")
    factories.product(sku="ABC")
    database = app.extensions["community_store_api"].database
    with pytest.raises(IntegrityError), database.atomic():
        if kind == "product":
            factories.product(sku="abc")
        else:
            factories.variation(owner, sku="abc")
    assert Sku.select().count() == 2
    assert Product.get(Product.sku == "abc").id == owner.id


def test_text_keeps_four_byte_characters(app):
    name = "Tea ☕ 🍵 — 茶 𝄞"
    product = factories.product(name=name, description="<p>🎉</p>")
    stored = Product.get_by_id(product.id)
    assert (stored.name, stored.description) == (name, "<p>🎉</p>")


def test_mariadb_scheme_reaches_the_same_server(database_url, backend):
    if backend != "mariadb":
        pytest.skip("mariadb:// names a MySQL/MariaDB server")
    database = make_database(database_url.replace("mysql://", "mariadb://", 1))
    with database.connection_context():
        assert "mariadb" in database.execute_sql("SELECT VERSION()").fetchone()[0].lower()
    database.close_all()


@pytest.mark.parametrize(
    ("url", "kind", "name", "params"),
    [
        ("sqlite:///store.db", "Sqlite", "store.db", {}),
        ("sqlite:////var/lib/cs/store.db", "Sqlite", "/var/lib/cs/store.db", {}),
        (
            "postgresql://shop:p%40ss@db.internal:6432/store",
            "Postgresql",
            "store",
            {"user": "shop", "password": "p@ss", "host": "db.internal", "port": 6432},
        ),
        ("postgres://db/store?sslmode=require", "Postgresql", "store", {"sslmode": "require"}),
        (
            "postgresql+psycopg2:///store?host=/run/postgresql&connect_timeout=9",
            "Postgresql",
            "store",
            {"host": "/run/postgresql", "connect_timeout": "9"},
        ),
        ("mysql://root@127.0.0.1/store", "MySQL", "store", {"user": "root", "charset": "utf8mb4"}),
        (
            "mariadb://shop:secret@db:3307/store?read_timeout=120",
            "MySQL",
            "store",
            {"host": "db", "port": 3307, "password": "secret", "read_timeout": 120},
        ),
        ("mysql+pymysql://u@h/store", "MySQL", "store", {"host": "h"}),
    ],
)
def test_database_urls(url, kind, name, params):
    database = make_database(url, pool_size=4, timeout=7)
    # Pooled, of the database's kind (SQLite's with its writers' lock: models.base).
    assert isinstance(database, getattr(playhouse.pool, f"Pooled{kind}Database"))
    assert database.database == name
    assert params.items() <= database.connect_params.items()


def test_a_postgresql_url_adds_its_own_options_after_ours():
    database = make_database(
        "postgresql://h/store?options=-c%20search_path%3Dshop%20-c%20random_page_cost%3D4",
        timeout=2,
    )
    assert database.connect_params["options"] == (
        "-c statement_timeout=2000 -c timezone=UTC -c random_page_cost=1.1"
        " -c search_path=shop -c random_page_cost=4"
    )


@pytest.mark.parametrize(
    "url", ["oracle://h/store", "sqlite://host/store.db", "postgresql://h", "mysql://h/"]
)
def test_unusable_database_urls_are_refused(url):
    with pytest.raises(ValueError):
        make_database(url)
