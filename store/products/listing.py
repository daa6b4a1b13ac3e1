"""Which products a listing shows: the `filter` grammar (`date_added gt '2021-01-01T20:00'
and date_updated le ...`), the count and one page's ids."""

import datetime
import re
from typing import NamedTuple

from peewee import SQL, fn

from models.catalog import Product
from models.compiled import CompiledQuery
from store.render import day_bounds, stored_instant

FIELDS = {"date_added": Product.date_added, "date_updated": Product.date_updated}
OPERATORS = ("gt", "lt", "eq", "ge", "le")
MAX_LENGTH = 1000
MAX_CONDITIONS = 10
AND = re.compile(r"\s+and\s+")
CONDITION = re.compile(r"(\S+)\s+(\S+)\s+(.+)", re.DOTALL)
QUOTED = re.compile(r"""'(.*)'|"(.*)\"""", re.DOTALL)


class FilterError(ValueError):
    """A filter that does not follow the grammar; the message names the problem."""


class Condition(NamedTuple):
    field: str
    operator: str
    # A datetime.date for a date-only value, else a datetime.datetime (naive: store zone).
    value: datetime.date


def _value(text, condition):
    match = QUOTED.fullmatch(text)
    if match:
        text = match.group(1) if match.group(1) is not None else match.group(2)
    text = text.strip()
    if not text.isascii():
        raise FilterError(
            f"{text[:40]!r} in {condition[:80]!r} is not an ISO-8601 date or date-time"
        )
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(
            f"{text[:40]!r} in {condition[:80]!r} is not an ISO-8601 date or date-time "
            "(e.g. 2021-01-01 or 2021-01-01T20:00 or 2021-01-01T20:00:00+02:00)"
        ) from None


def _condition(text):
    match = CONDITION.fullmatch(text.strip())
    if not match:
        raise FilterError(f"{text[:80]!r} is not `<field> <operator> <value>`")
    field, operator, value = match.groups()
    if field not in FIELDS:
        raise FilterError(f"unknown field {field[:40]!r}: use date_added or date_updated")
    if operator not in OPERATORS:
        raise FilterError(f"unknown operator {operator[:40]!r}: use {', '.join(OPERATORS)}")
    return Condition(field, operator, _value(value, text))


def parse_filter(text):
    """The conditions of a filter expression; FilterError names what is wrong."""
    if len(text) > MAX_LENGTH:
        raise FilterError(f"longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise FilterError("empty filter")
    parts = AND.split(text.strip())
    if len(parts) > MAX_CONDITIONS:
        raise FilterError(f"more than {MAX_CONDITIONS} conditions")
    return [_condition(part) for part in parts]


def _expression(condition, zone):
    column = FIELDS[condition.field]
    value = condition.value
    if isinstance(value, datetime.datetime):
        start = end = None
        moment = stored_instant(value, zone)
    else:
        # A date alone is midnight at the start of that day, except with `eq` (the day).
        start, end = day_bounds(value, zone)
        moment = start
    if condition.operator == "eq":
        if end is None:
            return column == moment
        return (column >= start) & (column < end)
    return {
        "gt": column > moment,
        "ge": column >= moment,
        "lt": column < moment,
        "le": column <= moment,
    }[condition.operator]


def filter_expressions(conditions, zone):
    """Peewee expressions for parsed conditions, read in the store time zone `zone`."""
    return [_expression(condition, zone) for condition in conditions]


def _where(query, conditions):
    return query.where(*conditions) if conditions else query


def count_all(source=Product):
    """Every product, counted (from `source`: an alias of Product, for a subquery)."""
    return source.select(fn.COUNT(SQL("*")))


def _count_query(conditions):
    return _where(count_all(), conditions)


def _page_query(conditions, offset, limit):
    return (
        _where(Product.select(Product.id), conditions)
        .order_by(Product.date_added.desc(), Product.id.desc())
        .limit(limit)
        .offset(offset)
    )


# The unfiltered listing's count, compiled once (building it cost more than running it),
# for a page past the end: a page's own statement counts too (store.products.documents
# .render_page_of_all).
COUNT_ALL = CompiledQuery(lambda p: _count_query([]))


def count_products(conditions):
    if not conditions:
        return COUNT_ALL.first()[0]
    return _count_query(conditions).scalar()


def page_ids(conditions, offset, limit):
    """The ids of one filtered page, newest `date_added` first, then highest id: a total
    order."""
    return [product_id for (product_id,) in _page_query(conditions, offset, limit).tuples()]
