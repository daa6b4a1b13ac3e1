"""Rendering stored integers straight to JSON numbers gives what the Decimal route gives."""

import datetime
import random
from zoneinfo import ZoneInfo

import orjson
import pytest

from models.base import MAX_UNITS, UTCDateTimeField, from_units
from store.render import DATE_FORMAT, date_time, money, number, units_money, units_number

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


@pytest.mark.parametrize("name", ["UTC", "America/Phoenix", "Europe/Rome", "Australia/Lord_Howe"])
def test_date_time_is_the_zone_conversion_every_time(name):
    """The cached rendering gives what converting each value afresh gives, again and again,
    around offset changes, and for aware values (read as UTC wall-clock) too."""
    zone = ZoneInfo(name)
    rng = random.Random(name)
    values = [datetime.datetime(1, 1, 2), datetime.datetime(999, 12, 31, 23, 59, 59, 999999)]
    for _ in range(300):
        values.append(
            datetime.datetime(1900, 1, 1)
            + datetime.timedelta(
                seconds=rng.randrange(200 * 365 * 86400), microseconds=rng.randrange(10**6)
            )
        )
    for value in values * 2 + [value.replace(tzinfo=zone) for value in values]:
        local = value.replace(tzinfo=datetime.UTC).astimezone(zone)
        expected = {"date": local.strftime(DATE_FORMAT), "timezone": name}
        assert date_time(value, zone, name) == expected
