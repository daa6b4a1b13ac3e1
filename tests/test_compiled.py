"""Compiled queries give what peewee's own queries give, compiled once per shape, and take
ordinary values converted by their fields."""

import datetime
from decimal import Decimal

import pytest
from peewee import JOIN, SQL, Value

from models.base import db
from models.catalog import Brand, Product, Variation
from models.compiled import CompiledQuery
from tests import factories

PRODUCT_COLUMNS = (
    Product.id,
    Product.name,
    Product.sku,
    Product.active,
    Product.stock_level,
    Product.stock_unlimited,
    Product.price,
    Product.sale_start,
    Product.date_added,
    Product.brand,
    Brand.name.alias("brand_name"),
)


def products_by_ids(ids):
    return (
        Product.select(*PRODUCT_COLUMNS)
        .join(Brand, JOIN.LEFT_OUTER, on=(Product.brand == Brand.id))
        .where(Product.id.in_(ids))
        .order_by(Product.id)
    )


@pytest.fixture
def products(app):
    acme = factories.brand()
    made = [
        factories.product(brand=acme, price=Decimal("12.3400"), stock_unlimited=True),
        factories.product(
            active=False,
            price=None,
            stock_level=Decimal("-1.0001"),
            sale_start=datetime.datetime(2025, 1, 2, 3, 4, 5, 600007),
        ),
        factories.product(sku="Ünïcode sku"),
    ]
    factories.variation(made[0], sku="V-1", stock_level=Decimal("2.5"))
    return [product.id for product in made]


BY_IDS = CompiledQuery(lambda p: products_by_ids(p.ids))


def test_rows_and_dicts_are_peewee_s(products):
    for ids in (products, products[:1], [products[2], products[0]], [0]):
        assert BY_IDS.rows(ids=ids) == list(products_by_ids(ids).tuples())
        assert BY_IDS.dicts(ids=ids) == list(products_by_ids(ids).dicts())
    rows = BY_IDS.rows(ids=products)
    assert [type(row[3]) for row in rows] == [bool] * 3
    assert rows[1][4] == Decimal("-1.0001") and rows[1][6] is None
    assert rows[1][7] == datetime.datetime(2025, 1, 2, 3, 4, 5, 600007)
    assert rows[2][2] == "Ünïcode sku"
    assert BY_IDS.first(ids=[0]) is None
    assert BY_IDS.first(ids=products[:1])[0] == products[0]


def test_each_list_length_and_database_class_has_its_own_sql(products):
    query = CompiledQuery(lambda p: products_by_ids(p.ids))
    for ids in (products, products[:2], products[1:], products[:1]):
        query.rows(ids=ids)
    kind, prepares = type(db.obj), getattr(db.obj, "prepares", False)
    assert set(query.plans) == {(kind, prepares, (("ids", n),)) for n in (3, 2, 1)}
    placeholders = {
        shape[0][1]: plan.sql.count(db.obj.param) for (*_, shape), plan in query.plans.items()
    }
    assert placeholders == {3: 3, 2: 2, 1: 1}


def test_named_repeated_parameters_and_kept_constants(products):
    def build(name, sku):
        return (
            Product.select(Value("P").alias("kind"), Product.id, Product.stock_level)
            .where(Product.name == name)
            .union_all(
                Variation.select(SQL("'V'"), Variation.id, Variation.stock_level).where(
                    (Variation.sku == sku) | (Variation.barcode == sku)
                )
            )
        )

    name = Product.get_by_id(products[1]).name
    query = CompiledQuery(lambda p: build(p.name, p.sku))
    assert query.rows(sku="V-1", name=name) == list(build(name, "V-1").tuples())
    assert [row[0] for row in query.rows(name=name, sku="V-1")] == ["P", "V"]
    assert query.rows(name="nobody", sku="V-1")[0][2] == Decimal("2.5")


def test_values_are_converted_by_their_fields(products):
    adjust = CompiledQuery(
        lambda p: Product.update(
            {
                Product.stock_level: Product.stock_level + p.amount,
                Product.date_updated: p.when.of(Product.date_updated),
            }
        ).where(Product.id == p.id, Product.stock_level != p.amount)
    )
    when = datetime.datetime(2030, 5, 6, 7, 8, 9, 123456)
    assert adjust.execute(amount=Decimal("1.5"), when=when, id=products[0]) == 1
    assert adjust.execute(amount=2, when=when, id=0) == 0
    product = Product.get_by_id(products[0])
    assert product.stock_level == Decimal("6.5")
    assert product.date_updated == when
    by_level = CompiledQuery(
        lambda p: Product.select(Product.id).where(Product.stock_level == p.level)
    )
    assert by_level.rows(level=Decimal("6.5")) == [(products[0],)]
    assert by_level.rows(level=-1.0001) == [(products[1],)]


def test_plain_ints_are_quantities_not_units(products):
    # 2 is two units of stock, never two ten-thousandths.
    Product.update(stock_level=2).where(Product.id == products[0]).execute()
    assert Product.get_by_id(products[0]).stock_level == Decimal("2")


def test_a_parameter_must_be_an_argument(products):
    query = CompiledQuery(lambda p: Product.select(Product.id).where(Product.sku == p.sku))
    with pytest.raises(TypeError, match="sku"):
        query.rows(code="SKU-1")
    assert not query.plans


def test_booleans_of_an_outer_joined_table_stay_null_where_it_has_no_row(products):
    """A NOT NULL boolean read as bool() only where no join can leave it NULL."""
    variations = CompiledQuery(
        lambda p: (
            Product.select(Product.id, Product.active, Variation.stock_unlimited)
            .join(Variation, JOIN.LEFT_OUTER, on=(Variation.product == Product.id))
            .where(Product.id.in_(p.ids))
            .order_by(Product.id)
        )
    )
    expected = list(
        Product.select(Product.id, Product.active, Variation.stock_unlimited)
        .join(Variation, JOIN.LEFT_OUTER, on=(Variation.product == Product.id))
        .where(Product.id.in_(products))
        .order_by(Product.id)
        .tuples()
    )
    rows = variations.rows(ids=products)
    assert rows == expected
    assert [row[2] for row in rows] == [False, None, None]
    assert {type(row[1]) for row in rows} == {type(rows[0][2])} == {bool}


def test_a_literal_argument_is_written_into_the_sql_with_a_plan_per_value(products):
    newest = CompiledQuery(
        lambda p: Product.select(Product.id).order_by(Product.id.desc()).limit(p.limit),
        literal=("limit",),
    )
    assert newest.rows(limit=2) == [(products[2],), (products[1],)]
    assert newest.rows(limit=1) == [(products[2],)]
    assert newest.rows(limit=2) == [(products[2],), (products[1],)]
    assert sorted(plan.sql[-7:] for plan in newest.plans.values()) == ["LIMIT 1", "LIMIT 2"]
    assert all(plan.params == [] for plan in newest.plans.values())
    for wrong in ("2", 2.0, True, None):
        with pytest.raises(TypeError, match="'limit' is written into the SQL"):
            newest.rows(limit=wrong)
    assert len(newest.plans) == 2
