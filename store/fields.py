"""Reading write bodies in the store: strict marshmallow schemas whose problems become one
Invalid keyed by dotted paths (`data.items.1.sku`), the same for HTTP and Python callers.

Values come as JSON gives them (numbers, strings, objects) or, from Python, as `Decimal`s
and `datetime`s. Fields that depend on the store's settings (money digits, time zone) read
them from the settings of the load in progress."""

import datetime
import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import orjson
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from models.base import MAX_UNITS, SCALE
from store.errors import Invalid
from store.render import EARLIEST, LATEST

# The largest quantity, unit price or amount of money a body may hold (stored as an integer
# of ten-thousandths that every database keeps exactly).
MAX_AMOUNT = Decimal(MAX_UNITS) / SCALE
# Explicit ids (manage.md §0).
MAX_EXPLICIT_ID = 10**15 - 1
# The longest free text: what MariaDB's TEXT columns hold (65,535 bytes) in any UTF-8.
MAX_TEXT = 10_000
MAX_JSON = 60_000
# The forms of date-times a body may hold, as the parser reads them; fromisoformat and
# the zone's range then decide.
DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?")
ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
)
# ...and as the document promises them: only days that exist, in years that stay within
# 1000-9999 in every zone (1001-9998; the edge years are accepted too, not promised).
_YEAR = r"(100[1-9]|10[1-9][0-9]|1[1-9][0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_MONTH_DAY = (
    r"((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
)
_LEAP_YEAR = r"([1-9][0-9](0[48]|[2468][048]|[13579][26])|([13579][26]|[2468][048])00)"
_DAY = rf"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]"
DOCUMENTED_DATE_TIME = rf"^{_DAY} {_TIME}:[0-5][0-9](\.[0-9]{{1,6}})?$"
DOCUMENTED_ISO_DATE_TIME = (
    rf"^{_DAY}([T ]{_TIME}(:[0-5][0-9](\.[0-9]{{1,6}})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$"
)
NO_NUL_PATTERN = r"^[^\x00]*$"
_SETTINGS = ContextVar("body_settings")


def _flatten(messages, path):
    """marshmallow's nested messages as {"data.items.1.sku": ["...", ...]}."""
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            inner = path if key == "_schema" else f"{path}.{key}"
            for field, texts in _flatten(value, inner).items():
                flat.setdefault(field, []).extend(texts)
        return flat
    texts = messages if isinstance(messages, list) else [messages]
    flat = {}
    for text in texts:
        if isinstance(text, dict):
            for field, inner in _flatten(text, path).items():
                flat.setdefault(field, []).extend(inner)
        else:
            flat.setdefault(path, []).append(str(text))
    return flat


def invalid(fields_, first=None):
    """One Invalid for problems by path; its message names the first (or `first`)."""
    path = first or next(iter(fields_))
    return Invalid(f"Invalid {path}: {fields_[path][0]}", fields_)


def load(schema, data, settings, path="data"):
    """`data` loaded by `schema` (a StrictBody), for a store with `settings`; every problem in
    one Invalid whose fields are keyed by dotted paths under `path`."""
    token = _SETTINGS.set(settings)
    try:
        if isinstance(data, list) and not data:
            data = {}
        if not isinstance(data, dict):
            raise invalid({path: ["Must be an object."]})
        return schema.load(data)
    except ValidationError as error:
        raise invalid(_flatten(error.messages, path)) from None
    finally:
        _SETTINGS.reset(token)


def current_settings():
    return _SETTINGS.get()


@contextmanager
def documenting(settings):
    """Describe bodies (the OpenAPI document) for a store with `settings`: money's decimal
    digits follow its currency."""
    token = _SETTINGS.set(settings)
    try:
        yield
    finally:
        _SETTINGS.reset(token)


class StrictBody(Schema):
    """A strict body object: an unknown key is an error naming it. Keys in IGNORED are
    checked like the others, then dropped (read-only keys a client may send back)."""

    IGNORED = ()

    class Meta:
        unknown = RAISE

    @post_load
    def drop_ignored(self, data, **kwargs):
        for key in self.IGNORED:
            data.pop(key, None)
        return data


class Obj(fields.Nested):
    """A nested object; `[]` counts as `{}` (PHP writes an empty map as [])."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        if isinstance(value, list) and not value:
            value = {}
        if not isinstance(value, dict):
            raise ValidationError("Must be an object.")
        return super()._deserialize(value, attr, data, partial=partial, **kwargs)


class Items(fields.List):
    """A JSON array of values of one kind."""

    default_error_messages = {"invalid": "Must be an array."}


def _no_nul(value):
    # PostgreSQL cannot store NUL in text; nobody means to send one.
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Must be Unicode text (no lone surrogates).") from None


class Text(fields.String):
    """A JSON string only (numbers are refused, not turned into text), without NUL, of at
    most `max_length` characters."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, max_length=MAX_TEXT, min_length=None, pattern=NO_NUL_PATTERN, **kwargs):
        checks = [validate.Length(min=min_length, max=max_length), _no_nul]
        kwargs["metadata"] = {"pattern": pattern, **kwargs.get("metadata", {})}
        super().__init__(validate=[*checks, *kwargs.pop("validate", [])], **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value


class Flag(fields.Field):
    """A JSON boolean only: `"false"` is refused, not read as true."""

    default_error_messages = {"type": "Must be a JSON boolean."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("type")
        return value

    def _jsonschema_type_mapping(self):
        return {"type": "boolean"}


def _decimal(value):
    """A JSON number (or a Python int or Decimal) as a finite Decimal, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    value = Decimal(value)
    return value if value.is_finite() else None


class Amount(fields.Field):
    """A number with at most `places` decimal places (the store's currency digits when
    `money`), within `minimum` (exclusive with `positive`) and MAX_AMOUNT; a Decimal."""

    default_error_messages = {
        "type": "Must be a JSON number.",
        "range": "Must be within {low}..{high}.",
        "positive": "Must be greater than 0.",
        "places": "Must have at most {places} decimal places.",
    }

    def __init__(self, money=False, minimum=0, positive=False, **kwargs):
        super().__init__(**kwargs)
        self.money, self.minimum, self.positive = money, minimum, positive

    def places(self):
        return current_settings().currency_digits if self.money else 4

    def _deserialize(self, value, attr, data, **kwargs):
        number = _decimal(value)
        if number is None:
            raise self.make_error("type")
        low = -MAX_AMOUNT if self.minimum is None else self.minimum
        # The range first: quantizing a huge number would overflow Decimal's precision.
        if not low <= number <= MAX_AMOUNT:
            raise self.make_error("range", low=low, high=MAX_AMOUNT)
        if self.positive and number <= 0:
            raise self.make_error("positive")
        places = self.places()
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise self.make_error("places", places=places)
        return number

    def _jsonschema_type_mapping(self):
        low = -MAX_AMOUNT if self.minimum is None else self.minimum
        # Each bound and step prints exactly as written (the document is JSON).
        step = float(Decimal(1).scaleb(-self.places()))
        schema = {"type": "number", "maximum": float(MAX_AMOUNT), "multipleOf": step}
        schema["exclusiveMinimum" if self.positive else "minimum"] = float(low)
        return schema


class ExplicitId(fields.Field):
    """An id a client chooses: an integer 1 … 10^15 − 1."""

    default_error_messages = {"invalid": f"Must be an integer from 1 to {MAX_EXPLICIT_ID}."}

    def _deserialize(self, value, attr, data, **kwargs):
        number = _decimal(value)
        if number is None or number != number.to_integral_value():
            raise self.make_error("invalid")
        if not 1 <= number <= MAX_EXPLICIT_ID:
            raise self.make_error("invalid")
        return int(number)

    def _jsonschema_type_mapping(self):
        return {"type": "integer", "minimum": 1, "maximum": MAX_EXPLICIT_ID}


def _zone(name):
    if not isinstance(name, str) or not 0 < len(name) <= 64 or not name.isascii():
        raise ValidationError("Must be an IANA time zone name.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(f"Unknown time zone {name!r}.") from None


def _api_form(value, store_zone):
    """The API's own {"date", "timezone"} object, as an aware datetime."""
    if set(value) != {"date", "timezone"}:
        raise ValidationError('Must have exactly the keys "date" and "timezone".')
    date, zone = value["date"], value["timezone"]
    if not isinstance(date, str) or not DATE_TIME.fullmatch(date):
        raise ValidationError('"date" must be written YYYY-MM-DD HH:MM:SS.ffffff.')
    try:
        moment = datetime.datetime.fromisoformat(date)
    except ValueError:
        raise ValidationError(f"No such date-time: {date}.") from None
    return moment.replace(tzinfo=_zone(zone))


def _iso(value, store_zone):
    if len(value) > 64 or not ISO_DATE_TIME.fullmatch(value):
        raise ValidationError("Must be an ISO 8601 date-time or a {date, timezone} object.")
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"No such date-time: {value}.") from None


class Moment(fields.Field):
    """A date-time: the API's {"date", "timezone"} object, an ISO 8601 string or (from
    Python) a datetime; without an offset or zone it is read in the store time zone.
    Loaded as the naive UTC datetime the database stores."""

    default_error_messages = {
        "type": "Must be a {{date, timezone}} object or an ISO 8601 date-time string.",
        "range": "Must be within the years 1000 to 9999 (UTC).",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        zone = current_settings().timezone
        if isinstance(value, datetime.datetime):
            moment = value
        elif isinstance(value, dict):
            moment = _api_form(value, zone)
        elif isinstance(value, str):
            moment = _iso(value, zone)
        else:
            raise self.make_error("type")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        try:
            utc = moment.astimezone(datetime.UTC).replace(tzinfo=None)
        except OverflowError:
            raise self.make_error("range") from None
        if not EARLIEST <= utc <= LATEST:
            raise self.make_error("range")
        return utc

    def _jsonschema_type_mapping(self):
        ref = {"$ref": f"#/components/schemas/{MOMENT_COMPONENT}"}
        return {"anyOf": [ref, {"type": "null"}]} if self.allow_none else ref


# The OpenAPI component that describes every date-time a body may hold.
MOMENT_COMPONENT = "DateTimeInput"


def moment_json_schema():
    """The JSON Schema of a date-time in a body: the two forms Moment reads."""
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "date": {"type": "string", "pattern": DOCUMENTED_DATE_TIME},
                    "timezone": {"type": "string", "enum": sorted(available_timezones())},
                },
                "required": ["date", "timezone"],
                "additionalProperties": False,
                "description": "Wall-clock time in this IANA time zone, as the API shows "
                "date-times.",
            },
            {
                "type": "string",
                "pattern": DOCUMENTED_ISO_DATE_TIME,
                "description": "ISO 8601; without an offset, in the store time zone.",
            },
        ],
        "description": "A date-time within the years 1000 to 9999.",
    }


class AnyJson(fields.Raw):
    """Any JSON value, kept as it is (as JSON text of at most MAX_JSON bytes)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            text = orjson.dumps(value)
        except TypeError:
            raise ValidationError("Must be a JSON value.") from None
        if len(text) > MAX_JSON:
            raise ValidationError(f"Must be at most {MAX_JSON} bytes as JSON.")
        return value
