"""Stock records and stock writes: SKU lookups on unique indexes, atomic SQL updates."""

from decimal import Decimal
from typing import NamedTuple

from peewee import SQL, PostgresqlDatabase

from models.base import (
    MAX_UNITS,
    SCALE,
    db,
    for_update_if_supported,
    from_units,
    locks_at_begin,
    to_units,
    utcnow,
)
from models.catalog import PRODUCT_SKU, VARIATION_SKU, Product, Variation
from models.compiled import CompiledQuery
from store import events, products
from store.actors import APP
from store.errors import Invalid, NotFound
from store.etags import require_match
from store.render import number

# The longest SKU a product or variation can have: a longer one exists nowhere.
MAX_SKU_LENGTH = Product.sku.max_length
# The largest stock level or adjustment, as a quantity.
MAX_QUANTITY = Decimal(MAX_UNITS) / SCALE
QUANTITY_RANGE = f"{-MAX_QUANTITY}..{MAX_QUANTITY}"


def check_quantity(value):
    """A stock level or adjustment as a Decimal; ValueError (its message for a client)
    when it is out of range or has more than 4 decimal places."""
    quantity = value if isinstance(value, Decimal) else Decimal(repr(value))
    # The range first: quantizing a huge number would overflow Decimal's precision.
    if not quantity.is_finite() or abs(quantity) > MAX_QUANTITY:
        raise ValueError(f"Must be within {QUANTITY_RANGE}.")
    try:
        to_units(quantity)
    except ValueError:
        raise ValueError("Must have at most 4 decimal places.") from None
    return quantity


class StockChange(NamedTuple):
    """A stock change in quantities (Decimals); None leaves a field as it is."""

    level: Decimal | None = None
    unlimited: bool | None = None
    adjustment: Decimal | None = None

    @classmethod
    def of(cls, level=None, unlimited=None, adjustment=None):
        """A checked change (products.md "Stock writes"); Invalid names each problem."""
        problems = {}
        values = {}
        for key, value in (("stock_level", level), ("stock_adjustment", adjustment)):
            if value is None:
                continue
            try:
                values[key] = check_quantity(value)
            except ValueError as error:
                problems[f"data.{key}"] = [str(error)]
        if unlimited is not None and not isinstance(unlimited, bool):
            problems["data.stock_unlimited"] = ["Must be a JSON boolean."]
        if adjustment is not None and level is not None:
            problems.setdefault("data.stock_adjustment", []).append(
                "Cannot be sent together with stock_level."
            )
        elif values.get("stock_adjustment") == 0:
            problems["data.stock_adjustment"] = ["Must not be zero."]
        if problems:
            path, messages = next(iter(problems.items()))
            raise Invalid(f"Invalid {path}: {messages[0]}", problems)
        return cls(values.get("stock_level"), unlimited, values.get("stock_adjustment"))

    @property
    def is_noop(self):
        return self.level is None and self.unlimited is None and self.adjustment is None


class Owner(NamedTuple):
    kind: str
    id: int


# --- reading ---


def render_product_record(record_id, sku, name, level, unlimited):
    return {
        "id": record_id,
        "sku": sku,
        "name": name,
        "stock_level": number(level),
        "stock_unlimited": bool(unlimited),
    }


def render_variation_record(record_id, product_id, sku, name, level, unlimited):
    return {
        "id": record_id,
        "product_id": product_id,
        "sku": sku,
        "name": name,
        "stock_level": number(level),
        "stock_unlimited": bool(unlimited),
        "variation": True,
    }


# A product's stock record, as render_product_record takes it.
PRODUCT_RECORD_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.stock_level,
    Product.stock_unlimited,
)
PRODUCT_RECORD = CompiledQuery(
    lambda p: Product.select(*PRODUCT_RECORD_COLUMNS).where(Product.id == p.id)
)
VARIATION_RECORD = CompiledQuery(
    lambda p: (
        Variation.select(
            Variation.id,
            Variation.product,
            Variation.sku,
            Product.name,
            Variation.stock_level,
            Variation.stock_unlimited,
        )
        .join(Product)
        .where(Variation.id == p.id)
    )
)
# One statement over the two unique SKU indexes, telling which kind of record it found.
FIND_SKU = CompiledQuery(
    lambda p: (
        Product.select(
            SQL(f"'{PRODUCT_SKU}'").alias("kind"),
            Product.id,
            Product.id.alias("product_id"),
            Product.name,
            Product.stock_level,
            Product.stock_unlimited,
        )
        .where(Product.sku == p.sku)
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
            .where(Variation.sku == p.sku)
        )
    )
)


PRODUCT_RECORDS = CompiledQuery(
    lambda p: Product.select(*PRODUCT_RECORD_COLUMNS).where(Product.id.in_(p.ids))
)
VARIATION_RECORDS = CompiledQuery(
    lambda p: (
        Variation.select(
            Variation.id,
            Variation.product,
            Variation.sku,
            Product.name,
            Variation.stock_level,
            Variation.stock_unlimited,
        )
        .join(Product)
        .where(Variation.id.in_(p.ids))
    )
)


def product_record(product_id):
    row = PRODUCT_RECORD.first(id=product_id)
    return None if row is None else render_product_record(*row)


def variation_record(variation_id):
    row = VARIATION_RECORD.first(id=variation_id)
    return None if row is None else render_variation_record(*row)


def _record(owner):
    if owner.kind == PRODUCT_SKU:
        return product_record(owner.id)
    return variation_record(owner.id)


def searchable_sku(sku):
    # NUL cannot be sent to PostgreSQL, and no stored SKU holds one or is longer.
    return sku is not None and "\x00" not in sku and 0 < len(sku) <= MAX_SKU_LENGTH


def find_sku(sku):
    """(Owner, stock record) of the product or variation with this exact SKU, or None: one
    query on the two unique SKU indexes."""
    if not searchable_sku(sku):
        return None
    for kind, record_id, product_id, name, level, unlimited in FIND_SKU.rows(sku=sku):
        if kind == PRODUCT_SKU:
            return Owner(kind, record_id), render_product_record(
                record_id, sku, name, level, unlimited
            )
        record = render_variation_record(record_id, product_id, sku, name, level, unlimited)
        return Owner(kind, record_id), record
    return None


def stock_by_sku(sku):
    """The stock record of the product or variation with this SKU; NotFound if none."""
    found = find_sku(sku)
    if found is None:
        raise NotFound("SKU not found")
    return found[1]


def variation_stock(variation_id):
    """A variation's stock record; NotFound if none."""
    record = variation_record(variation_id)
    if record is None:
        raise NotFound("Variation not found")
    return record


# --- writing ---


def _in_range(model, adjustment):
    # In stored units: the sum is an expression, not a field, so nothing converts them.
    return (model.stock_level + adjustment).between(-MAX_UNITS, MAX_UNITS)


def _adjust_product(p):
    return Product.update(
        {
            Product.stock_level: Product.stock_level + p.adjustment,
            Product.date_updated: p.now.of(Product.date_updated),
        }
    ).where(Product.id == p.id, _in_range(Product, p.adjustment))


def _set_product_level(p):
    return Product.update(
        {
            Product.stock_level: p.level.of(Product.stock_level),
            Product.date_updated: p.now.of(Product.date_updated),
        }
    ).where(Product.id == p.id, Product.stock_level != p.level)


# The common stock PATCH, an adjustment, compiled once.
ADJUST_PRODUCT = CompiledQuery(_adjust_product)
ADJUST_VARIATION = CompiledQuery(
    lambda p: Variation.update({Variation.stock_level: Variation.stock_level + p.adjustment}).where(
        Variation.id == p.id, _in_range(Variation, p.adjustment)
    )
)
# The other common PATCH, a new level, compiled once too; a row already at that level is
# left alone (its product's date_updated too).
SET_PRODUCT_LEVEL = CompiledQuery(_set_product_level)
SET_VARIATION_LEVEL = CompiledQuery(
    lambda p: Variation.update({Variation.stock_level: p.level.of(Variation.stock_level)}).where(
        Variation.id == p.id, Variation.stock_level != p.level
    )
)
# PostgreSQL: the same UPDATEs of a product answering with its record after them, and the
# level set with the level before it, read locked (a FOR UPDATE read the UPDATE joins), so
# that one statement does what the lock read, the UPDATE and the read after do elsewhere.
_BEFORE = Product.alias("before")


def _set_product_level_returning(p):
    before = (
        _BEFORE.select(_BEFORE.id, _BEFORE.stock_level)
        .where(_BEFORE.id == p.id)
        .for_update()
        .alias("before")
    )
    return (
        _set_product_level(p)
        .from_(before)
        .where(Product.id == before.c.id)
        # The level before is read as stored units: a derived table's column has no field.
        .returning(before.c.stock_level, *PRODUCT_RECORD_COLUMNS)
    )


SET_PRODUCT_LEVEL_RETURNING = CompiledQuery(_set_product_level_returning)
ADJUST_PRODUCT_RETURNING = CompiledQuery(
    lambda p: _adjust_product(p).returning(*PRODUCT_RECORD_COLUMNS)
)
# `=`, not IN: MariaDB runs `IN (subquery)` of an UPDATE as a dependent subquery over
# every product, locking them all; a scalar subquery is read once, then the primary key.
TOUCH_PRODUCT_OF = CompiledQuery(
    lambda p: Product.update({Product.date_updated: p.now.of(Product.date_updated)}).where(
        Product.id == Variation.select(Variation.product).where(Variation.id == p.id)
    )
)


def _update(model, record_id, change, now):
    """Apply `change` to one row in a single UPDATE; the number of rows changed (0 or 1).

    A row already as asked is left alone (its product's date_updated too); an adjustment
    is added by the database itself, and only when the result stays within range."""
    if change.adjustment is not None and change.unlimited is None:
        if model is Product:
            return ADJUST_PRODUCT.execute(adjustment=change.adjustment, now=now, id=record_id)
        return ADJUST_VARIATION.execute(adjustment=change.adjustment, id=record_id)
    if change.level is not None and change.unlimited is None:
        if model is Product:
            return SET_PRODUCT_LEVEL.execute(level=change.level, now=now, id=record_id)
        return SET_VARIATION_LEVEL.execute(level=change.level, id=record_id)
    values, where = {}, [model.id == record_id]
    if change.adjustment is not None:
        values[model.stock_level] = model.stock_level + change.adjustment
        where.append(_in_range(model, change.adjustment))
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


# The stock level before a change, locked (FOR UPDATE where the database has it).
PREVIOUS_LEVEL = {
    model: CompiledQuery(
        lambda p, model=model: for_update_if_supported(
            model.select(model.stock_level).where(model.id == p.id)
        )
    )
    for model in (Product, Variation)
}


def _previous_level(model, record_id, change):
    """The stock level before a change, where the row after it cannot tell: a level set.
    Read locked, so no other writer moves it between this read and the UPDATE."""
    if change.level is None:
        return None
    row = PREVIOUS_LEVEL[model].first(id=record_id)
    return None if row is None else row[0]


def _out_of_range():
    problem = f"the adjusted stock level would be outside {QUANTITY_RANGE}"
    return Invalid(
        f"Invalid data.stock_adjustment: {problem}",
        {"data.stock_adjustment": [f"{problem[0].upper()}{problem[1:]}."]},
    )


def _write(owner, change):
    """The UPDATE of a change (and its product's date_updated for a variation); whether it
    changed a row."""
    now = utcnow()
    model = Product if owner.kind == PRODUCT_SKU else Variation
    changed = _update(model, owner.id, change, now)
    if changed and model is Variation:
        TOUCH_PRODUCT_OF.execute(now=now, id=owner.id)
    return bool(changed)


def apply_change(owner, change):
    """Apply a change to a product or variation in the caller's transaction, which then
    reads the record (absent: not found); (whether it changed anything, the level before,
    when read). A no-op writes nothing at all; an adjustment that would leave the range
    raises Invalid and changes nothing."""
    if change.is_noop:
        return False, None
    model = Product if owner.kind == PRODUCT_SKU else Variation
    previous = _previous_level(model, owner.id, change)
    changed = _write(owner, change)
    if not changed and change.adjustment is not None:
        # Nothing matched: no such row (the caller's read tells), or out of range.
        if model.select(SQL("1")).where(model.id == owner.id).exists():
            raise _out_of_range()
    return changed, previous


def stock_event(record, previous, reason, actor, imported=False):
    """Emit `stock.changed` for a stock record (as stock_by_sku shows it) whose level was
    `previous` (a Decimal) before the change."""
    data = {
        "sku": record["sku"],
        "product_id": record.get("product_id", record["id"]),
        "variation_id": record["id"] if record.get("variation") else None,
        "stock_level": record["stock_level"],
        "previous_stock_level": number(previous),
        "stock_unlimited": record["stock_unlimited"],
        "reason": reason,
    }
    events.emit("stock.changed", data, actor, imported)


def _emit(record, change, previous, actor):
    if previous is None:
        # Unchanged by a flag alone; moved by an adjustment the row now includes.
        previous = Decimal(repr(record["stock_level"])) - (change.adjustment or 0)
    stock_event(record, previous, "patch", actor)


def change_and_emit(owner, change, actor):
    """apply_change, then `stock.changed` (reason `patch`) when it moved anything: the
    stock keys of a product or variation PATCH that carries catalog keys too."""
    changed, previous = apply_change(owner, change)
    if changed:
        _emit(_record(owner), change, previous, actor)
    return changed


def set_stock_by_sku(sku, change, actor=APP):
    """Change the stock of whichever product or variation owns this SKU; its record.
    `actor` (store.actors) is who changed it, for the change feed."""
    with events.transaction():
        found = find_sku(sku)
        if found is None:
            raise NotFound("Product not found")
        owner, record = found
        if change.is_noop:
            return record
        if locks_at_begin():
            return _set_read_record(owner, record, change, actor)
        if (
            owner.kind == PRODUCT_SKU
            and change.unlimited is None
            and isinstance(db.obj, PostgresqlDatabase)
        ):
            return _set_product_returning(owner, change, actor)
        changed, previous = apply_change(owner, change)
        record = _record(owner)
        if changed:
            _emit(record, change, previous, actor)
        return record


def _set_read_record(owner, record, change, actor):
    """set_stock_by_sku where the transaction has held the write lock since it began
    (SQLite): the record it read is the row's state until it commits, so the level before
    is the one read, and the record after follows from the change without reading again."""
    before = Decimal(repr(record["stock_level"]))
    if not _write(owner, change):
        if change.adjustment is not None:
            raise _out_of_range()  # the row is there: it was read under this lock
        return record
    after = dict(record)
    if change.level is not None:
        after["stock_level"] = number(from_units(to_units(change.level)))
    elif change.adjustment is not None:
        after["stock_level"] = number(from_units(to_units(before + change.adjustment)))
    if change.unlimited is not None:
        after["stock_unlimited"] = change.unlimited
    stock_event(after, before, "patch", actor)
    return after


def _set_product_returning(owner, change, actor):
    """set_stock_by_sku of a product's level or adjustment on PostgreSQL: one UPDATE that
    answers with the record after it (and the level before a level set)."""
    now = utcnow()
    if change.adjustment is not None:
        row = ADJUST_PRODUCT_RETURNING.first(adjustment=change.adjustment, now=now, id=owner.id)
        if row is None:
            # Nothing matched: out of range, or the product is gone.
            if Product.select(SQL("1")).where(Product.id == owner.id).exists():
                raise _out_of_range()
            return product_record(owner.id)
        previous = None  # the level after, less the adjustment (_emit)
    else:
        row = SET_PRODUCT_LEVEL_RETURNING.first(level=change.level, now=now, id=owner.id)
        if row is None:
            # Already at that level (or gone): nothing written, nothing to tell.
            return product_record(owner.id)
        previous, row = from_units(row[0]), row[1:]
    record = render_product_record(*row)
    _emit(record, change, previous, actor)
    return record


def set_variation_stock(variation_id, change, actor=APP):
    """Change a variation's stock; its record."""
    with events.transaction():
        changed, previous = apply_change(Owner(VARIATION_SKU, variation_id), change)
        record = variation_stock(variation_id)
        if changed:
            _emit(record, change, previous, actor)
        return record


def set_product_stock(product_id, change, settings, actor=APP, if_match=None, full=False):
    """Change a product's own stock; the whole product document (with `full`, its full
    view). `if_match` (as store.etags.require_match takes it) makes the change
    conditional: the product's row is locked, then its tag compared."""
    with events.transaction():
        if if_match is not None:
            query = Product.select(Product.id).where(Product.id == product_id)
            if not list(for_update_if_supported(query).tuples()):
                raise NotFound("Product not found")
            require_match(if_match, products.current_etag(product_id, settings))
        changed, previous = apply_change(Owner(PRODUCT_SKU, product_id), change)
        product = products.get_product(product_id, settings, full)
        if changed:
            _emit(product, change, previous, actor)
        return product


def emit_moves(moves, reason, actor, imported=False):
    """Emit `stock.changed` for each record an order's stock change moved (`moves`:
    {(kind, id): signed change}, in the order to report them), reading the levels they now
    have: one query per kind. The caller's transaction holds their rows locked."""
    records = {}
    for kind, query, build in (
        (PRODUCT_SKU, PRODUCT_RECORDS, render_product_record),
        (VARIATION_SKU, VARIATION_RECORDS, render_variation_record),
    ):
        ids = sorted(record_id for found, record_id in moves if found == kind)
        if ids:
            records.update({(kind, row[0]): build(*row) for row in query.rows(ids=ids)})
    for key, change in moves.items():
        record = records.get(key)
        if record is not None:
            previous = Decimal(repr(record["stock_level"])) - change
            stock_event(record, previous, reason, actor, imported)
