"""The statements of a bulk stock write, a thousand rows each: SKU lookups, locking reads and
`UPDATE … CASE`. Written as SQL text: for statements of thousands of parameters, building
them with peewee costs more than running them."""

from itertools import islice

from peewee import MySQLDatabase

from models.base import db
from models.catalog import PRODUCT_SKU, VARIATION_SKU, Product, Variation

# Rows per statement: a few thousand parameters, within every database's limit.
BATCH = 1000
LEVEL = Product.stock_level
UNLIMITED = Product.stock_unlimited
SKU = Product.sku
NOW = Product.date_updated


def chunks(values, size=BATCH):
    values = iter(values)
    while chunk := list(islice(values, size)):
        yield chunk


class _Dialect:
    """Quoting, placeholders and hints of the bound database."""

    def __init__(self):
        database = db.obj
        self.mysql = isinstance(database, MySQLDatabase)
        self.open, self.close = database.quote[0], database.quote[1]
        self.param = database.param
        self.for_update = " FOR UPDATE" if database.for_update else ""
        # MariaDB's optimizer reads a long `id IN (...)` with a full scan, which locks every
        # row it reads, rows that other writers hold included, and out of id order (a
        # deadlock): its statements go through the primary key.
        self.by_key = " FORCE INDEX (PRIMARY)" if self.mysql else ""

    def name(self, model, field=None):
        name = model._meta.table_name if field is None else field.column_name
        return f"{self.open}{name}{self.close}"

    def params(self, count):
        return ", ".join([self.param] * count)


def resolve(skus):
    """{sku: (kind, id, product_id, name)} of the SKUs that exist: one statement over both
    unique SKU indexes per batch."""
    sql, found = _Dialect(), {}
    p, v = sql.name(Product), sql.name(Variation)
    for chunk in chunks(sorted(skus)):
        marks = sql.params(len(chunk))
        statement = (
            f"SELECT '{PRODUCT_SKU}', {p}.sku, {p}.id, {p}.id, {p}.name FROM {p} "
            f"WHERE {p}.sku IN ({marks}) UNION ALL "
            f"SELECT '{VARIATION_SKU}', {v}.sku, {v}.id, {v}.product_id, {p}.name FROM {v} "
            f"JOIN {p} ON {p}.id = {v}.product_id WHERE {v}.sku IN ({marks})"
        )
        for kind, sku, record_id, product_id, name in db.execute_sql(statement, chunk + chunk):
            found[SKU.python_value(sku)] = (kind, record_id, product_id, name)
    return found


def lock(model, ids):
    """{id: (level, unlimited)} of these rows, read as they are now and locked in id order
    (on the servers; SQLite's transaction holds the write lock already)."""
    sql, current = _Dialect(), {}
    table = sql.name(model)
    for chunk in chunks(sorted(ids)):
        statement = (
            f"SELECT id, stock_level, stock_unlimited FROM {table}{sql.by_key} "
            f"WHERE id IN ({sql.params(len(chunk))}) ORDER BY id{sql.for_update}"
        )
        for record_id, units, flag in db.execute_sql(statement, chunk):
            current[record_id] = (LEVEL.python_value(units), UNLIMITED.python_value(flag))
    return current


def update(model, levels, adjustments, flags, touch=(), now=None):
    """Write stock in one UPDATE per batch of rows: `levels` {id: level to set},
    `adjustments` {id: amount the database adds}, `flags` {id: unlimited}; products in
    `touch` get date_updated `now` (with the others)."""
    sql = _Dialect()
    ids = sorted(set(levels) | set(adjustments) | set(flags) | set(touch))
    for chunk in chunks(ids):
        sets, params = [], []
        level_cases = []
        for record_id in chunk:
            if record_id in adjustments:
                level_cases.append(f"WHEN {sql.param} THEN stock_level + {sql.param}")
                params += (record_id, LEVEL.db_value(adjustments[record_id]))
            elif record_id in levels:
                level_cases.append(f"WHEN {sql.param} THEN {sql.param}")
                params += (record_id, LEVEL.db_value(levels[record_id]))
        if level_cases:
            sets.append(f"stock_level = CASE id {' '.join(level_cases)} ELSE stock_level END")
        chosen = [record_id for record_id in chunk if record_id in flags]
        if chosen:
            cases = " ".join(f"WHEN {sql.param} THEN {sql.param}" for _ in chosen)
            sets.append(f"stock_unlimited = CASE id {cases} ELSE stock_unlimited END")
            for record_id in chosen:
                params += (record_id, flags[record_id])
        if model is Product:
            sets.append(f"date_updated = {sql.param}")
            params.append(NOW.db_value(now))
        if not sets:
            continue
        statement = (
            f"UPDATE {sql.name(model)}{sql.by_key} SET {', '.join(sets)} "
            f"WHERE id IN ({sql.params(len(chunk))})"
        )
        db.execute_sql(statement, params + chunk)
