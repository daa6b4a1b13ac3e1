"""How stored values become the contract's JSON values (API.md §2), and how the store's
wall-clock times become the stored UTC instants."""

import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

DATE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
UTC = ZoneInfo("UTC")
_EXPONENTS = {digits: Decimal(1).scaleb(-digits) for digits in range(0, 5)}
# Stored quantities are ten-thousandths (models.base.SCALE; render reads no model).
SCALE = 10_000
_STEPS = {digits: 10 ** (4 - digits) for digits in range(0, 5)}
_SCALES = {digits: 10**digits for digits in range(0, 5)}


def number(value):
    """A Decimal as a JSON number: an int when whole, else the shortest exact float."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def units_number(units):
    """Stored ten-thousandths (models.base.Fixed4Field's integer) as number() shows their
    Decimal, without making one: int division is exact, and `units / SCALE` is the double
    nearest the decimal, as float() of it is."""
    if units is None:
        return None
    whole, rest = divmod(units, SCALE)
    return whole if not rest else units / SCALE


def _units_money_in(digits):
    """units_money for `digits` decimals, with what they set worked out once: a page calls
    it hundreds of times."""
    step, twice, scale = _STEPS[digits], 2 * _STEPS[digits], _SCALES[digits]

    def units_money(units):
        if units is None:
            return None
        if units < 0:
            minor = -((-units * 2 + step) // twice)
        else:
            minor = (units * 2 + step) // twice
        whole, rest = divmod(minor, scale)
        return whole if not rest else minor / scale

    return units_money


_UNITS_MONEY = {digits: _units_money_in(digits) for digits in _STEPS}


def units_money(units, digits):
    """Stored ten-thousandths as money() shows their Decimal: rounded half away from zero
    to `digits` decimals, in integers."""
    return _UNITS_MONEY[digits](units)


def money(value, digits):
    """Money rounded half-up to the currency's minor-unit digits."""
    if value is None:
        return None
    return number(value.quantize(_EXPONENTS[digits], rounding=ROUND_HALF_UP))


def _local_text(value, zone):
    # UTC needs no conversion, and isoformat writes the same text as DATE_FORMAT
    # (four-digit years) several times faster than strftime.
    local = value if zone is UTC else value.replace(tzinfo=datetime.UTC).astimezone(zone)
    if local.year < 1000:
        return local.strftime(DATE_FORMAT)
    return local.isoformat(" ", "microseconds")[:26]


# Pages are read again and again: a hit skips the zone conversion and the formatting. Only
# naive values are cached (aware ones that are equal can still differ in wall-clock time).
_cached_local_text = functools.lru_cache(maxsize=4096)(_local_text)


def date_time_in(zone, zone_name):
    """date_time in one time zone: a page calls it dozens of times."""

    def date_time(value):
        if value is None:
            return None
        if value.tzinfo is None:
            return {"date": _cached_local_text(value, zone), "timezone": zone_name}
        return {"date": _local_text(value, zone), "timezone": zone_name}

    return date_time


def date_time(value, zone, zone_name):
    """A stored naive-UTC datetime as {"date", "timezone"} in the store time zone."""
    return date_time_in(zone, zone_name)(value)


class StoreRenderer:
    """Rendering in the store's time zone and currency, shared by every resource: `date`
    (a stored instant as {"date", "timezone"}), `money` (a Decimal) and `money_units`
    (stored ten-thousandths), bound to the store's settings once."""

    def __init__(self, settings):
        self.zone = settings.timezone
        self.zone_name = settings.timezone_name
        self.digits = settings.currency_digits
        self.date = date_time_in(self.zone, self.zone_name)
        self.money_units = _UNITS_MONEY[self.digits]

    def money(self, value):
        return money(value, self.digits)


# The instants every database stores alike (MariaDB's DATETIME range): a bound outside them
# is moved to the edge, where it selects the same rows.
EARLIEST = datetime.datetime(1000, 1, 1)
LATEST = datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)


def stored_instant(moment, zone):
    """A datetime (naive: wall-clock time in the store zone `zone`) as the naive UTC the
    database stores, kept within EARLIEST..LATEST."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        utc = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    except OverflowError:
        return LATEST if moment.year > 5000 else EARLIEST
    return min(max(utc, EARLIEST), LATEST)


def day_bounds(day, zone):
    """The first instant of a calendar day in the store zone and of the next day, stored."""
    start = datetime.datetime.combine(day, datetime.time())
    if day == datetime.date.max:
        return stored_instant(start, zone), LATEST
    return stored_instant(start, zone), stored_instant(start + datetime.timedelta(days=1), zone)
