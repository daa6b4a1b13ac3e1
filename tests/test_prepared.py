"""Prepared queries give what peewee's own queries give, compiled once per shape."""

import datetime
from decimal import Decimal

import pytest
from peewee import JOIN, SQL, Value

from models.base import db
from models.catalog import Brand, Product, Variation
from models.prepared import Prepared
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


def test_rows_and_dicts_are_peewee_s(products):
    prepared = Prepared(products_by_ids)
    for ids in (products, products[:1], [products[2], products[0]], [0]):
        assert prepared.rows(ids) == list(products_by_ids(ids).tuples())
        assert prepared.dicts(ids) == list(products_by_ids(ids).dicts())
    rows = prepared.rows(products)
    assert [type(row[3]) for row in rows] == [bool] * 3
    assert rows[1][4] == Decimal("-1.0001") and rows[1][6] is None
    assert rows[1][7] == datetime.datetime(2025, 1, 2, 3, 4, 5, 600007)
    assert rows[2][2] == "Ünïcode sku"


def test_each_list_length_and_database_class_has_its_own_sql(products):
    prepared = Prepared(products_by_ids)
    prepared.rows(products)
    prepared.rows(products[:2])
    prepared.rows(products[1:])
    prepared.rows(products[:1])
    kind = type(db.obj)
    assert set(prepared.compiled) == {(kind, (3,)), (kind, (2,)), (kind, (1,))}
    placeholders = {
        shape[0]: sql.count(db.obj.param) for (_, shape), (sql, *_) in prepared.compiled.items()
    }
    assert placeholders == {3: 3, 2: 2, 1: 1}


def test_several_arguments_and_a_union(products):
    def build(name, sku):
        return (
            Product.select(SQL("'P'").alias("kind"), Product.id, Product.stock_level)
            .where(Product.name == name)
            .union_all(
                Variation.select(SQL("'V'"), Variation.id, Variation.stock_level).where(
                    Variation.sku == sku
                )
            )
        )

    name = Product.get_by_id(products[1]).name
    prepared = Prepared(build)
    assert prepared.rows(name, "V-1") == list(build(name, "V-1").tuples())
    assert [row[0] for row in prepared.rows(name, "V-1")] == ["P", "V"]
    assert prepared.rows("nobody", "V-1")[0][2] == Decimal("2.5")


def test_writes_report_the_rows_changed(products):
    adjust = Prepared(
        lambda units, product_id: Product.update(
            {Product.stock_level: Product.stock_level + units}
        ).where(Product.id == product_id)
    )
    assert adjust.execute(10_000, products[0]) == 1
    assert adjust.execute(10_000, 0) == 0
    assert Product.get_by_id(products[0]).stock_level == Decimal("6")


def test_parameters_must_be_the_arguments_in_order(products):
    swapped = Prepared(
        lambda sku, product_id: Product.select(Product.id).where(
            Product.id == product_id, Product.sku == sku
        )
    )
    with pytest.raises(ValueError, match="in order"):
        swapped.rows("SKU-1", products[0])
    constant = Prepared(
        lambda product_id: Product.select(Value("P"), Product.id).where(Product.id == product_id)
    )
    with pytest.raises(ValueError, match="SQL"):
        constant.rows(products[0])
    assert not swapped.compiled and not constant.compiled
