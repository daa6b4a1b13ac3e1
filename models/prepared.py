"""Queries compiled to SQL once and run again with new parameters, skipping peewee's builder.

Building SQL with peewee costs more than running it on the hot paths. A `Prepared` query is
built by a function of its parameters; the SQL it compiles to is kept per database class and
per shape of the arguments (the length of each list, which sets the number of placeholders
of an IN), then run straight on the bound database with only the column conversions that
change a value.

    by_ids = Prepared(lambda ids: Order.select(Order.id, Order.total).where(Order.id.in_(ids)))
    for order_id, total in by_ids.rows([3, 5]): ...

Every argument must become exactly one parameter, in order (a list: one per element), and
the arguments must already be what the database stores (peewee's `db_value` is not applied
on later runs). A constant that peewee would send as a parameter must be written as
`SQL('...')`; the first compile checks this and raises ValueError otherwise.
"""

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    Field,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import db

# Field types whose values come back from every driver as Python wants them already.
PLAIN_FIELDS = (AutoField, BigIntegerField, CharField, IntegerField, TextField)


def _converter(node):
    """The python_value a selected column needs, or None when the raw value will do."""
    node = node.unwrap()
    if not isinstance(node, Field):
        return None
    field = node
    while type(field) is ForeignKeyField:
        field = field.rel_field
    # Exact types only: subclasses (Fixed4Field, SkuField) convert on purpose.
    if type(field) in PLAIN_FIELDS:
        return None
    return node.python_value


def _shape(args):
    return tuple(len(arg) if isinstance(arg, list | tuple) else None for arg in args)


def _flatten(args):
    params = []
    for arg in args:
        if isinstance(arg, list | tuple):
            params.extend(arg)
        else:
            params.append(arg)
    return params


class Prepared:
    """A query built by `build(*args)`, compiled once per database class and argument shape."""

    def __init__(self, build):
        self.build = build
        self.compiled = {}

    def _compile(self, args, params):
        query = self.build(*args)
        sql, compiled_params = query.sql()
        if list(compiled_params) != params:
            raise ValueError(
                f"parameters {compiled_params!r} are not the arguments {params!r} in order: "
                "write constants as SQL('...') and pass values as the database stores them"
            )
        returning = getattr(query, "_returning", None) or ()
        names = tuple(
            node._alias if node.is_alias() else getattr(node.unwrap(), "name", None)
            for node in returning
        )
        converters = tuple(
            (index, converter)
            for index, converter in enumerate(map(_converter, returning))
            if converter is not None
        )
        return sql, names, converters

    def _entry(self, args):
        params = _flatten(args)
        key = (type(db.obj), _shape(args))
        entry = self.compiled.get(key)
        if entry is None:
            entry = self.compiled[key] = self._compile(args, params)
        return entry, params

    def execute(self, *args):
        """Run the statement (an UPDATE, say); the number of rows it changed."""
        (sql, _, _), params = self._entry(args)
        return db.rows_affected(db.execute_sql(sql, params))

    def _run(self, args):
        (sql, names, converters), params = self._entry(args)
        rows = db.execute_sql(sql, params).fetchall()
        if not converters:
            return names, [tuple(row) for row in rows]
        converted = []
        for row in rows:
            row = list(row)
            for index, converter in converters:
                row[index] = converter(row[index])
            converted.append(tuple(row))
        return names, converted

    def rows(self, *args):
        """The result rows as tuples, converted as peewee's `.tuples()` would."""
        return self._run(args)[1]

    def dicts(self, *args):
        """The result rows as dicts keyed like peewee's `.dicts()` (field name or alias)."""
        names, rows = self._run(args)
        return [dict(zip(names, row, strict=True)) for row in rows]
