"""Stock records and stock writes: SKU lookups on unique indexes, atomic SQL updates."""

from typing import NamedTuple

from peewee import SQL, Value

from api.errors import ApiError
from api.values import number
from models.base import MAX_UNITS, utcnow
from models.catalog import PRODUCT_SKU, VARIATION_SKU, Product, Variation
from models.prepared import Prepared

# The longest SKU a product or variation can have: a longer one exists nowhere.
MAX_SKU_LENGTH = Product.sku.max_length


class StockChange(NamedTuple):
    """A validated stock PATCH, in stored units (ten-thousandths); None leaves a field."""

    level: int | None = None
    unlimited: bool | None = None
    adjustment: int | None = None

    @property
    def is_noop(self):
        return self.level is None and self.unlimited is None and self.adjustment is None


class Owner(NamedTuple):
    kind: str
    id: int


# --- reading ---


def _product_record(record_id, sku, name, level, unlimited):
    return {
        "id": record_id,
        "sku": sku,
        "name": name,
        "stock_level": number(level),
        "stock_unlimited": bool(unlimited),
    }


def _variation_record(record_id, product_id, sku, name, level, unlimited):
    return {
        "id": record_id,
        "product_id": product_id,
        "sku": sku,
        "name": name,
        "stock_level": number(level),
        "stock_unlimited": bool(unlimited),
        "variation": True,
    }


PRODUCT_RECORD = Prepared(
    lambda product_id: Product.select(
        Product.id, Product.sku, Product.name, Product.stock_level, Product.stock_unlimited
    ).where(Product.id == product_id)
)
VARIATION_RECORD = Prepared(
    lambda variation_id: (
        Variation.select(
            Variation.id,
            Variation.product,
            Variation.sku,
            Product.name,
            Variation.stock_level,
            Variation.stock_unlimited,
        )
        .join(Product)
        .where(Variation.id == variation_id)
    )
)
# The kinds are written into the SQL: the one statement serves every SKU.
FIND_SKU = Prepared(
    lambda product_sku, variation_sku: (
        Product.select(
            SQL(f"'{PRODUCT_SKU}'").alias("kind"),
            Product.id,
            Product.id.alias("product_id"),
            Product.name,
            Product.stock_level,
            Product.stock_unlimited,
        )
        .where(Product.sku == product_sku)
        .union_all(
            Variation.select(
                SQL(f"'{VARIATION_SKU}'"),
                Variation.id,
                Variation.product,
                Product.name,
                Variation.stock_level,
                Variation.stock_unlimited,
            )
            .join(Product)
            .where(Variation.sku == variation_sku)
        )
    )
)


def product_record(product_id):
    for row in PRODUCT_RECORD.rows(product_id):
        return _product_record(*row)
    return None


def variation_record(variation_id):
    for row in VARIATION_RECORD.rows(variation_id):
        return _variation_record(*row)
    return None


def stock_record(owner):
    if owner.kind == PRODUCT_SKU:
        return product_record(owner.id)
    return variation_record(owner.id)


def _searchable(sku):
    # NUL cannot be sent to PostgreSQL, and no stored SKU holds one or is longer.
    return sku is not None and "\x00" not in sku and 0 < len(sku) <= MAX_SKU_LENGTH


def find_sku(sku):
    """(Owner, stock record) of the product or variation with this exact SKU, or None: one
    query on the two unique SKU indexes."""
    if not _searchable(sku):
        return None
    for kind, record_id, product_id, name, level, unlimited in FIND_SKU.rows(sku, sku):
        if kind == PRODUCT_SKU:
            return Owner(kind, record_id), _product_record(record_id, sku, name, level, unlimited)
        record = _variation_record(record_id, product_id, sku, name, level, unlimited)
        return Owner(kind, record_id), record
    return None


# --- writing (the caller holds the transaction) ---


def _in_range(model, adjustment):
    return (model.stock_level + adjustment).between(SQL(f"{-MAX_UNITS}"), SQL(f"{MAX_UNITS}"))


# The common stock PATCH, an adjustment, as prepared statements (`now` as stored: text).
ADJUST_PRODUCT = Prepared(
    lambda adjustment, now, record_id, again: Product.update(
        {
            Product.stock_level: Product.stock_level + adjustment,
            Product.date_updated: Value(now, converter=False),
        }
    ).where(Product.id == record_id, _in_range(Product, again))
)
ADJUST_VARIATION = Prepared(
    lambda adjustment, record_id, again: Variation.update(
        {Variation.stock_level: Variation.stock_level + adjustment}
    ).where(Variation.id == record_id, _in_range(Variation, again))
)
# `=`, not IN: MariaDB runs `IN (subquery)` of an UPDATE as a dependent subquery over
# every product, locking them all; a scalar subquery is read once, then the primary key.
TOUCH_PRODUCT_OF = Prepared(
    lambda now, variation_id: Product.update(date_updated=Value(now, converter=False)).where(
        Product.id == Variation.select(Variation.product).where(Variation.id == variation_id)
    )
)


def _stored_now(now):
    return Product.date_updated.db_value(now)


def _update(model, record_id, change, now):
    """Apply `change` to one row in a single UPDATE; the number of rows changed (0 or 1).

    A row already as asked is left alone (its product's date_updated too); an adjustment
    is added by the database itself, and only when the result stays within range."""
    if change.adjustment is not None and change.unlimited is None:
        if model is Product:
            return ADJUST_PRODUCT.execute(
                change.adjustment, _stored_now(now), record_id, change.adjustment
            )
        return ADJUST_VARIATION.execute(change.adjustment, record_id, change.adjustment)
    values, where = {}, [model.id == record_id]
    if change.adjustment is not None:
        values[model.stock_level] = model.stock_level + change.adjustment
        where.append((model.stock_level + change.adjustment).between(-MAX_UNITS, MAX_UNITS))
    else:
        differs = []
        if change.level is not None:
            values[model.stock_level] = change.level
            differs.append(model.stock_level != change.level)
        if change.unlimited is not None:
            differs.append(model.stock_unlimited != change.unlimited)
        where.append(differs[0] if len(differs) == 1 else differs[0] | differs[1])
    if change.unlimited is not None:
        values[model.stock_unlimited] = change.unlimited
    if model is Product:
        values[Product.date_updated] = now
    return model.update(values).where(*where).execute()


def _touch_product_of(variation_id, now):
    TOUCH_PRODUCT_OF.execute(_stored_now(now), variation_id)


def _out_of_range():
    message = "the adjusted stock level would be outside -99999999.9999..99999999.9999"
    raise ApiError(
        400,
        f"Invalid data.stock_adjustment: {message}",
        {"data": {"stock_adjustment": [message[0].upper() + message[1:] + "."]}},
    )


def apply_stock(owner, change):
    """Apply a stock PATCH to a product or variation, in the caller's transaction, which
    then reads the record (absent: 404). A no-op change writes nothing at all; an adjustment
    that would leave the range is a 400 (ApiError) and changes nothing."""
    if change.is_noop:
        return
    now = utcnow()
    model = Product if owner.kind == PRODUCT_SKU else Variation
    changed = _update(model, owner.id, change, now)
    if changed and model is Variation:
        _touch_product_of(owner.id, now)
    if not changed and change.adjustment is not None:
        # Nothing matched: no such row (the caller's read tells), or out of range.
        if model.select(SQL("1")).where(model.id == owner.id).exists():
            _out_of_range()
