"""On PostgreSQL, compiled queries are prepared once per connection and then run by name;
`DATABASE_PREPARE=0` sends them as text. The answers are the same either way."""

import datetime
from decimal import Decimal

import pytest
from peewee import SQL

from models.base import db
from models.catalog import Product
from models.compiled import CompiledQuery, _prepared
from tests import factories


@pytest.fixture(autouse=True)
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("only PostgreSQL's compiled queries are prepared")


def prepared_here():
    """The statements the current connection has prepared: {name: text}."""
    return dict(db.execute_sql("SELECT name, statement FROM pg_prepared_statements").fetchall())


BY_SKU = CompiledQuery(
    lambda p: Product.select(Product.id, Product.stock_level, Product.sale_start).where(
        (Product.sku == p.sku) | (Product.barcode == p.sku)
    )
)


def test_a_query_is_prepared_once_per_connection_and_run_by_name(app):
    when = datetime.datetime(2025, 1, 2, 3, 4, 5, 600007)
    made = factories.product(sku="MUG", stock_level=Decimal("2.5"), sale_start=when)
    with db.connection_context():
        before = prepared_here()
        assert BY_SKU.rows(sku="MUG") == [(made.id, Decimal("2.5"), when)]
        assert BY_SKU.rows(sku="none") == []
        assert BY_SKU.first(sku="MUG")[0] == made.id
        added = {name: text for name, text in prepared_here().items() if name not in before}
    ((name, text),) = added.items()
    plan = next(iter(BY_SKU.plans.values()))
    assert plan.prepared[0] == name
    assert text.startswith(f"PREPARE {name} AS SELECT") and '"t1"."sku" = $1' in text
    assert '"t1"."barcode" = $2' in text and "%s" not in text
    # The connection goes back to the pool and comes out again: prepared, and known to be.
    db.close()
    with db.connection_context():
        assert BY_SKU.rows(sku="MUG")[0][0] == made.id
        assert name in prepared_here()


def test_a_rolled_back_transaction_keeps_the_statement(app):
    made = factories.product(sku="CUP")
    query = CompiledQuery(lambda p: Product.select(Product.id).where(Product.sku == p.sku))
    with db.connection_context():
        with db.atomic() as transaction:
            assert query.rows(sku="CUP") == [(made.id,)]
            transaction.rollback()
        name = next(iter(query.plans.values())).prepared[0]
        assert name in prepared_here()
        assert query.rows(sku="CUP") == [(made.id,)]


def test_writes_run_prepared_and_convert_their_values(app):
    made = factories.product(sku="PEN", stock_level=Decimal(1))
    adjust = CompiledQuery(
        lambda p: Product.update({Product.stock_level: Product.stock_level + p.amount}).where(
            Product.id == p.id
        )
    )
    assert adjust.execute(amount=Decimal("1.25"), id=made.id) == 1
    assert adjust.execute(amount=2, id=made.id) == 1
    assert adjust.execute(amount=2, id=0) == 0
    assert Product.get_by_id(made.id).stock_level == Decimal("4.25")


def test_percent_signs_in_the_sql_survive_preparing(app):
    made = factories.product(sku="50%")
    query = CompiledQuery(
        lambda p: Product.select(SQL("'100%%'"), Product.sku).where(
            Product.id == p.id, Product.sku.contains("%")
        )
    )
    assert query.rows(id=made.id) == [("100%", "50%")]
    name, prepare, execute = _prepared("SELECT '%%', %s, %s", 2)
    assert prepare == f"PREPARE {name} AS SELECT '%', $1, $2"
    assert execute == f"EXECUTE {name}(%s, %s)"
    other, prepare, execute = _prepared("SELECT 1", 0)
    assert other != name and execute == f"EXECUTE {other}"


def test_database_prepare_off_sends_text_and_answers_the_same(make_app, client, auth):
    factories.product(sku="BOWL", stock_level=Decimal(7))
    headers = auth("cs:products:read")
    prepared = client.get("/cs/api/v1/skus/BOWL", headers=headers)
    assert db.obj.prepares is True
    plain_app = make_app(CS_DATABASE_PREPARE=False)
    database = plain_app.extensions["community_store_api"].database
    assert database.prepares is False
    plain = plain_app.test_client().get("/cs/api/v1/skus/BOWL", headers=headers)
    assert (plain.status_code, plain.get_json()) == (200, prepared.get_json())
    assert plain.get_json()["data"]["stock_level"] == 7
    with db.bound(database), database.connection_context():
        assert prepared_here() == {}
