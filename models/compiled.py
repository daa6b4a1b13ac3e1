"""Queries compiled to SQL once and run again with new parameters, skipping peewee's builder.

Building SQL with peewee costs more than running it on the hot paths. A `CompiledQuery` is
built by a function that receives named placeholders; the SQL it compiles to is kept per
database class and per shape of the arguments (the length of each list, which sets the
number of placeholders of an IN), then run straight on the bound database.

    BY_IDS = CompiledQuery(
        lambda p: Order.select(Order.id, Order.total).where(Order.id.in_(p.ids))
    )
    for order_id, total in BY_IDS.rows(ids=[3, 5]): ...

A placeholder may appear any number of times. Callers pass ordinary values: each is
converted by the field it is compared with or assigned to (`Product.stock_level ==
p.level` stores a Decimal as the field does), exactly as peewee would. Where no field is
in sight (a value on its own in an UPDATE's SET, say), name the field: `p.now.of(field)`.
Constants that peewee sends as parameters are kept as compiled. Result rows are converted
as peewee's `.tuples()`/`.dicts()` would, skipping the conversions that change nothing.

On PostgreSQL (unless DATABASE_PREPARE=0) each compiled statement is also prepared on the
server, once per connection, and run by name from then on (models.base
.StorePostgresqlDatabase.execute_prepared): PostgreSQL then neither parses nor, once it
trusts a generic plan, plans it again.
"""

import itertools
import re

from peewee import (
    JOIN,
    SQL,
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    ColumnBase,
    Field,
    ForeignKeyField,
    IntegerField,
    MySQLDatabase,
    Node,
    TextField,
)

from models.base import Fixed4Field, SkuField, db

# Field types whose values need no conversion, to the database or back from any driver.
PLAIN_FIELDS = (AutoField, BigAutoField, BigIntegerField, CharField, IntegerField, TextField)


def _plain(field):
    while type(field) is ForeignKeyField:
        field = field.rel_field
    # Exact types only: subclasses (Fixed4Field, SkuField) convert on purpose.
    return type(field) in PLAIN_FIELDS


def _output_converter(node, units, base, binary_skus):
    """The python_value a selected column needs, or None when the raw value will do (with
    `units`, a Fixed4Field's stored integer too). `base`: the model the query selects from.
    `binary_skus`: the database stores SKUs as bytes (MySQL/MariaDB's VARBINARY), which
    come back as bytes; elsewhere they come back as the text they are."""
    node = node.unwrap()
    if not isinstance(node, Field) or _plain(node):
        return None
    if type(node) is SkuField and not binary_skus:
        return None
    if units and isinstance(node, Fixed4Field):
        return None
    if type(node) is BooleanField and not node.null and node.model is base:
        # Never None (not from an outer join either): peewee's python_value would be
        # bool() by way of a Python call per value.
        return bool
    return node.python_value


def _never_null_source(query):
    """The model whose NOT NULL columns are never NULL in the rows: the one selected from,
    unless a join could add rows without it."""
    joins = getattr(query, "_joins", None) or {}
    kinds = {join[3] for targets in joins.values() for join in targets}
    if kinds - {JOIN.INNER, JOIN.LEFT_OUTER}:
        return None
    return getattr(query, "model", None)


class _Slot:
    """Where a placeholder's value goes among the compiled parameters."""

    __slots__ = ("name", "index", "convert")

    def __init__(self, name, index, convert):
        self.name, self.index, self.convert = name, index, convert


class Placeholder(ColumnBase):
    """A named parameter of a compiled query (`index`: its place in a list argument)."""

    def __init__(self, name, index=None, field=None):
        super().__init__()
        self.name, self.index, self.field = name, index, field

    def of(self, field):
        """This placeholder's value, converted as `field` stores values."""
        return Placeholder(self.name, self.index, field)

    def __sql__(self, ctx):
        if self.field is not None:
            convert = None if _plain(self.field) else self.field.db_value
        else:
            converter = ctx.state.converter
            owner = getattr(converter, "__self__", None)
            convert = None if isinstance(owner, Field) and _plain(owner) else converter
        # converter=False: the slot is a marker, converted when the query runs.
        return ctx.value(_Slot(self.name, self.index, convert), converter=False)


class Placeholders:
    """`p.name` for a scalar argument; for a list argument, a list of placeholders; for a
    literal argument, its value written into the SQL."""

    def __init__(self, shape):
        self._shape = dict(shape)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._shape:
            raise TypeError(f"the query uses {name!r}, which is not among its arguments")
        length = self._shape[name]
        if length is None:
            return Placeholder(name)
        if isinstance(length, _Literal):
            return SQL(str(length.value))
        return [Placeholder(name, index) for index in range(length)]


class _Literal(tuple):
    """A literal argument's value, as part of a plan's shape."""

    __slots__ = ()

    def __new__(cls, value):
        return super().__new__(cls, (value,))

    @property
    def value(self):
        return self[0]


# Numbers prepared statements' names, unique in the process (a connection may run any
# plan); next() on a count is atomic, so threads compiling plans at once never share one.
_PREPARED_NUMBERS = itertools.count(1)
_MARKERS = re.compile(r"%[%s]")


def _prepared(sql, count):
    """The PREPARE and EXECUTE statements for `sql`, whose `count` parameters are marked
    `%s` (psycopg2's style): PREPARE numbers them, EXECUTE passes them."""
    name = f"cs_{next(_PREPARED_NUMBERS)}"
    numbers = itertools.count(1)
    body = _MARKERS.sub(lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)
    arguments = f"({', '.join(['%s'] * count)})" if count else ""
    return name, f"PREPARE {name} AS {body}", f"EXECUTE {name}{arguments}"


class _Plan:
    """One compiled statement: its SQL, how to fill its parameters, how to read its rows,
    and, where the database prepares statements, how to prepare and run it by name."""

    __slots__ = ("sql", "params", "fill", "names", "converters", "prepared")

    def __init__(self, query, units, prepares, binary_skus):
        sql, params = query.sql()
        self.sql = sql
        self.params = list(params)
        self.prepared = _prepared(sql, len(self.params)) if prepares else None
        self.fill = [
            (position, value)
            for position, value in enumerate(self.params)
            if isinstance(value, _Slot)
        ]
        returning = getattr(query, "_returning", None) or ()
        base = _never_null_source(query)
        self.names = tuple(
            node._alias if node.is_alias() else getattr(node.unwrap(), "name", None)
            for node in returning
        )
        self.converters = tuple(
            (index, converter)
            for index, node in enumerate(returning)
            if (converter := _output_converter(node, units, base, binary_skus)) is not None
        )

    def parameters(self, args):
        params = self.params.copy()
        for position, slot in self.fill:
            value = args[slot.name]
            if slot.index is not None:
                value = value[slot.index]
            params[position] = value if slot.convert is None else slot.convert(value)
        return params


def _shape(args, literal):
    return tuple(
        sorted(
            (
                name,
                _Literal(_integer(name, value))
                if name in literal
                else len(value)
                if isinstance(value, list | tuple)
                else None,
            )
            for name, value in args.items()
        )
    )


def _integer(name, value):
    if type(value) is not int:
        raise TypeError(f"{name!r} is written into the SQL: it must be an int, not {value!r}")
    return value


class CompiledQuery:
    """A query built by `build(p)`, compiled once per database class and argument shape.

    With `units`, Fixed4Field columns come back as their stored integers (ten-thousandths),
    for renderers that turn them into JSON numbers without a Decimal on the way.

    `literal` names int arguments written into the SQL rather than sent as parameters,
    with a plan per value: a page's LIMIT, say, which PostgreSQL must see to plan a
    prepared statement once for every page (with `LIMIT $1` it can only assume a tenth of
    the table, so it plans each run afresh). Keep them to arguments of few values."""

    def __init__(self, build, units=False, literal=()):
        self.build = build
        self.units = units
        self.literal = frozenset(literal)
        self.plans = {}

    def _plan(self, database, args):
        shape = _shape(args, self.literal)
        prepares = getattr(database, "prepares", False)
        key = (type(database), prepares, shape)
        plan = self.plans.get(key)
        if plan is None:
            query = self.build(Placeholders(shape))
            binary_skus = isinstance(database, MySQLDatabase)
            plan = self.plans[key] = _Plan(query, self.units, prepares, binary_skus)
        return plan

    def _cursor(self, args):
        database = db.obj
        plan = self._plan(database, args)
        params = plan.parameters(args)
        if plan.prepared is not None:
            return plan, database.execute_prepared(*plan.prepared, plan.sql, params)
        return plan, database.execute_sql(plan.sql, params)

    def execute(self, **args):
        """Run the statement (an UPDATE, say); the number of rows it changed."""
        return db.rows_affected(self._cursor(args)[1])

    def _rows(self, args):
        plan, cursor = self._cursor(args)
        rows = cursor.fetchall()
        if not plan.converters:
            # Every driver's rows are tuples already.
            return plan, rows if type(rows) is list else list(rows)
        converted = []
        for row in rows:
            row = list(row)
            for index, converter in plan.converters:
                row[index] = converter(row[index])
            converted.append(tuple(row))
        return plan, converted

    def rows(self, **args):
        """The result rows as tuples, converted as peewee's `.tuples()` would."""
        return self._rows(args)[1]

    def first(self, **args):
        """The first result row as a tuple, or None."""
        rows = self.rows(**args)
        return rows[0] if rows else None

    def dicts(self, **args):
        """The result rows as dicts keyed like peewee's `.dicts()` (field name or alias)."""
        plan, rows = self._rows(args)
        return [dict(zip(plan.names, row, strict=True)) for row in rows]


class CompiledInsert(CompiledQuery):
    """An INSERT of one row built by `build(p)`, compiled once; `insert(**args)` runs it and
    returns the new row's id (from RETURNING where the database has it)."""

    def __init__(self, build):
        def with_id(p):
            query = build(p)
            if db.obj.returning_clause:
                query = query.returning(query.model._meta.primary_key)
            return query

        super().__init__(with_id)

    def insert(self, **args):
        plan, cursor = self._cursor(args)
        if plan.names:
            return cursor.fetchone()[0]
        return cursor.lastrowid


class IndexedBy(Node):
    """A model as a query's source, read through the named index (SQLite's INDEXED BY): for
    a partial index SQLite's planner passes over, since it cannot tell that the query's
    conditions are all the index's own. SQLite only."""

    def __init__(self, model, index):
        self.model, self.index = model, index

    def __sql__(self, ctx):
        return ctx.sql(self.model).literal(f' INDEXED BY "{self.index}"')
