"""`cs demo`: fill the store with a realistic, deterministic demo store."""

import random
import time

import click
from peewee import PostgresqlDatabase, fn
from tqdm import tqdm

from commands.common import with_store
from commands.demo.catalog import Catalogue
from commands.demo.orders import Orders
from commands.demo.rules import PATHS
from commands.orders import refresh_kept_documents
from models import ALL_MODELS
from models.base import db, locking_atomic, sync_id_sequence
from models.catalog import Brand, Category, Product, ProductGroup, Variation
from models.orders import Order, OrderItem
from models.schema import SchemaOutdated, ensure_current
from models.statuses import FulfilmentStatus

# No wall clock: the same seed and sizes give the same store whenever they are run.
DEFAULT_UNTIL = "2026-01-01"
# Orders generated and written at a time; a batch of rows of every table per write.
ORDER_BATCH = 500
PRODUCT_BATCH = 100
# SQLite binds at most 32,766 parameters per statement.
MAX_PARAMETERS = 30_000
MAX_ROWS = 1_000


class Ids:
    """Explicit ids, from one past the largest id each table already has: the rows of a
    batch reference each other without reading anything back."""

    def __init__(self):
        self.next = {}

    def take(self, model):
        if model not in self.next:
            self.next[model] = (model.select(fn.MAX(model.id)).scalar() or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


class Rows:
    """Rows waiting to be written, per table; written parents first, many per statement."""

    def __init__(self):
        self.tables = {}
        self.written = {}

    def add(self, model, **row):
        self.tables.setdefault(model, []).append(row)

    def write(self):
        for model in ALL_MODELS:
            rows = self.tables.pop(model, None)
            if rows:
                insert_rows(model, rows)
                self.written[model] = self.written.get(model, 0) + len(rows)


def insert_rows(model, rows):
    """Multi-row INSERTs of complete rows: every column is given, so no default (and no
    clock) ever fills one in. peewee writes the one-row statement and converts the values;
    its VALUES group is repeated for the batch, since building each value as a query node
    would take far longer than the database takes to store it."""
    fields = model._meta.sorted_fields
    columns = [(field.name, field.db_value) for field in fields]
    one_row = model.insert_many([[None] * len(fields)], fields=fields).returning()
    head, _, group = one_row.sql()[0].rpartition(" VALUES ")
    per_statement = max(1, min(MAX_ROWS, MAX_PARAMETERS // len(fields)))
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        params = []
        for row in batch:
            if len(row) != len(columns):
                raise ValueError(f"a demo {model.__name__} row lacks or adds columns")
            params.extend(convert(row[name]) for name, convert in columns)
        sql = f"{head} VALUES {', '.join([group] * len(batch))}"
        model._meta.database.execute_sql(sql, params)


def _status_ids():
    statuses = dict(FulfilmentStatus.select(FulfilmentStatus.handle, FulfilmentStatus.id).tuples())
    missing = [handle for handle in PATHS if handle not in statuses]
    if missing:
        raise click.ClickException(
            f"the demo uses the six default fulfilment statuses; missing: {', '.join(missing)}"
        )
    return statuses


def _refuse_filled_store(append):
    products = Product.select().count()
    orders = Order.select().count()
    if (products or orders) and not append:
        raise click.ClickException(
            f"the store already has {products} product(s) and {orders} order(s); the demo "
            "fills an empty store. Run it with --append to add the demo data to them "
            "(new products with new SKUs, and orders of those products), or use a new database."
        )


def _lookups():
    return {
        "brands": dict(Brand.select(Brand.name, Brand.id).tuples()),
        "groups": dict(ProductGroup.select(ProductGroup.name, ProductGroup.id).tuples()),
        "categories": dict(Category.select(Category.name, Category.id).tuples()),
    }


def _in_batches(rows, add, values, batch, unit, progress):
    """Call add(index, value) for each value, writing the rows every `batch` and at the end."""
    with tqdm(total=len(values), unit=unit, disable=not progress) as bar:
        for index, value in enumerate(values):
            add(index, value)
            if (index + 1) % batch == 0:
                rows.write()
                bar.update(batch)
        rows.write()
        bar.update(bar.total - bar.n)


def generate(seed, products, orders, until, progress=True):
    """Write the demo store in the current transaction; returns rows written per model."""
    rng = random.Random(seed)
    ids, rows = Ids(), Rows()
    catalogue = Catalogue(rng, ids, rows, until, _lookups())
    dates = catalogue.product_dates(products)
    _in_batches(rows, catalogue.product, dates, PRODUCT_BATCH, " products", progress)
    if orders:
        generator = Orders(rng, ids, rows, until, catalogue.products, _status_ids(), orders)
        times = generator.placement_times(orders)
        _in_batches(rows, generator.order, times, ORDER_BATCH, " orders", progress)
    for model in ids.next:
        # PostgreSQL's sequences do not see explicit ids.
        sync_id_sequence(model)
    return rows.written


@click.command("demo")
@click.option(
    "--products",
    default=200,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Products to create (variations come with them).",
)
@click.option(
    "--orders",
    default=1000,
    show_default=True,
    type=click.IntRange(0, 10_000_000),
    help="Orders to create, over the two years before --until.",
)
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same store.")
@click.option(
    "--until",
    default=DEFAULT_UNTIL,
    show_default=True,
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Reference date (UTC): orders span the two years before it, products three.",
)
@click.option(
    "--append",
    is_flag=True,
    help="Add to a store that already has products or orders (refused otherwise).",
)
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@with_store
def demo(products, orders, seed, until, append, progress):
    """Fill an empty store with a realistic, deterministic demo store."""
    if orders and not products:
        raise click.BadParameter(
            "orders need products to order: give --products", param_hint="--products"
        )
    started = time.perf_counter()
    try:
        ensure_current()
    except SchemaOutdated as error:
        raise click.ClickException(str(error)) from None
    with locking_atomic():
        _refuse_filled_store(append)
        written = generate(seed, products, orders, until, progress)
    refresh_kept_documents(progress)
    if isinstance(db.obj, PostgresqlDatabase):
        # A bulk load leaves the planner's statistics behind until autovacuum runs.
        db.execute_sql("ANALYZE")
    elapsed = time.perf_counter() - started
    click.echo(
        f"demo store (seed {seed}): {written.get(Product, 0)} products, "
        f"{written.get(Variation, 0)} variations, {written.get(Order, 0)} orders, "
        f"{written.get(OrderItem, 0)} order items, {sum(written.values())} rows "
        f"in {elapsed:.1f}s"
    )
