"""How stored values become JSON values at the edge (API.md §2)."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

DATE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
_EXPONENTS = {digits: Decimal(1).scaleb(-digits) for digits in range(0, 5)}


def number(value):
    """A Decimal as a JSON number: an int when whole, else the shortest exact float."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def money(value, digits):
    """Money rounded half-up to the currency's minor-unit digits."""
    if value is None:
        return None
    return number(value.quantize(_EXPONENTS[digits], rounding=ROUND_HALF_UP))


def date_time(value, zone, zone_name):
    """A stored naive-UTC datetime as {"date", "timezone"} in the store time zone."""
    if value is None:
        return None
    local = value.replace(tzinfo=datetime.UTC).astimezone(zone)
    return {"date": local.strftime(DATE_FORMAT), "timezone": zone_name}


def to_utc(local_value, zone):
    """A naive wall-clock time in the store zone (or an aware one) as naive UTC."""
    if local_value.tzinfo is None:
        local_value = local_value.replace(tzinfo=zone)
    return local_value.astimezone(datetime.UTC).replace(tzinfo=None)
