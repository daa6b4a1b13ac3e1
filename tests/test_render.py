"""Rendering stored integers straight to JSON numbers gives what the Decimal route gives."""

import datetime
import random

import orjson
import pytest

from models.base import MAX_UNITS, UTCDateTimeField, from_units
from store.render import money, number, units_money, units_number

EDGES = [0, 1, -1, 49, 50, 51, -49, -50, -51, 5_000, -5_000, 15_000, -15_000, 9_999, 10_000]
EDGES += [-10_000, 12_345, 99_995, -99_995, MAX_UNITS, -MAX_UNITS, MAX_UNITS - 1, 2**53 // 10]


def sample():
    rng = random.Random(20261127)
    return (
        EDGES
        + [rng.randint(-MAX_UNITS, MAX_UNITS) for _ in range(5_000)]
        + [rng.randint(-1_000_000, 1_000_000) for _ in range(5_000)]
    )


def same(a, b):
    # The same JSON text: int stays int, and a float is the same double.
    return type(a) is type(b) and orjson.dumps(a) == orjson.dumps(b)


def test_units_number_is_number_of_the_decimal():
    for units in sample():
        assert same(units_number(units), number(from_units(units))), units
    assert units_number(None) is None


@pytest.mark.parametrize("digits", range(5))
def test_units_money_rounds_half_away_from_zero_as_money_does(digits):
    for units in sample():
        assert same(units_money(units, digits), money(from_units(units), digits)), units
    assert units_money(None, digits) is None


def test_stored_instants_read_back_the_same_however_written():
    field = UTCDateTimeField()
    moment = datetime.datetime(2024, 5, 1, 12, 34, 56, 789)
    assert field.python_value(field.db_value(moment)) == moment
    assert field.python_value("2024-05-01 12:34:56") == moment.replace(microsecond=0)
    assert field.python_value(moment) == moment
    assert field.python_value(None) is None
