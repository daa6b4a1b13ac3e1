"""Shapes shared by every resource: errors, date-times, pagination, strict input fields."""

import math
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields


class ApiErrorSchema(Schema):
    error = fields.Boolean(required=True, metadata={"enum": [True]})
    errors = fields.List(
        fields.String(),
        required=True,
        metadata={"example": ["Bad Request"], "minItems": 1, "description": "First: the message."},
    )
    fields = fields.Dict(
        keys=fields.String(),
        required=False,
        metadata={"description": "Validation messages by field path, when any."},
    )


class DateTimeSchema(Schema):
    date = fields.String(required=True, metadata={"example": "2020-10-06 12:12:37.000000"})
    timezone = fields.String(required=True, metadata={"example": "America/Phoenix"})


class LinksSchema(Schema):
    previous = fields.Url(
        required=False,
        metadata={"format": "uri", "description": "Present when current_page > 1."},
    )
    next = fields.Url(
        required=False,
        metadata={"format": "uri", "description": "Present when current_page < total_pages."},
    )


class PaginationSchema(Schema):
    total = fields.Integer(required=True)
    count = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    current_page = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
    links = fields.Nested(LinksSchema, required=True)


class MetaSchema(Schema):
    pagination = fields.Nested(PaginationSchema, required=True)


DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10**9


class PositiveDigits(fields.Field):
    """A positive integer written in ASCII digits (a query parameter), at most `maximum`;
    with `clamp`, a larger value loads as `maximum` instead of failing."""

    default_error_messages = {
        "invalid": "Must be a positive integer.",
        "too_large": "Must be at most {maximum}.",
    }

    def __init__(self, maximum, clamp=False, **kwargs):
        super().__init__(**kwargs)
        self.maximum, self.clamp = maximum, clamp

    def _deserialize(self, value, attr, data, **kwargs):
        text = value if isinstance(value, str) else ""
        if not (text.isascii() and text.isdigit()) or not text.strip("0"):
            raise self.make_error("invalid")
        # No int() of a huge string: its length already says it is past the maximum.
        if len(text.lstrip("0")) > len(str(self.maximum)) or int(text) > self.maximum:
            if self.clamp:
                return self.maximum
            raise self.make_error("too_large", maximum=self.maximum)
        return int(text)

    def _jsonschema_type_mapping(self):
        return {"type": "integer", "minimum": 1}


class PageQuerySchema(Schema):
    """`page` and `paging` (API.md §3); an empty value means "not given"."""

    page = PositiveDigits(
        MAX_PAGE,
        load_default=1,
        metadata={"description": "1-based page number.", "maximum": MAX_PAGE},
    )
    # Clamped here to a bound no setting reaches; the view clamps to MAX_PAGE_SIZE.
    paging = PositiveDigits(
        MAX_PAGE,
        clamp=True,
        load_default=DEFAULT_PAGE_SIZE,
        metadata={
            "description": "Page size (default 20); larger values are clamped to "
            "MAX_PAGE_SIZE (default 100)."
        },
    )

    PAGE_KEYS = ("page", "paging")


class StrictNumber(fields.Field):
    """A JSON number only (never a string or a boolean), finite, loaded as a Decimal."""

    default_error_messages = {
        "type": "Must be a JSON number.",
        "finite": "Must be a finite number.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("type")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.make_error("finite")
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)

    def _jsonschema_type_mapping(self):
        return {"type": "number"}


class StrictBoolean(fields.Field):
    """A JSON boolean only: `"false"` is refused, not read as true."""

    default_error_messages = {"type": "Must be a JSON boolean."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("type")
        return value


class StrictString(fields.String):
    """A JSON string only: numbers are refused, not turned into text."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Must be a string.")
        return super()._deserialize(value, attr, data, **kwargs)


def full_view(value):
    """A `view` value: True for `full` (the full view), False for empty (not given), else a
    ValidationError naming it."""
    if value == "":
        return False
    if value != "full":
        raise ValidationError(
            f"Must be full (or absent for the plain view), got {str(value)[:40]!r}."
        )
    return True


class FullView(fields.String):
    """`view` in a list's query, loaded as `full` (a boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return full_view(value)


ORDER_FULL_VIEW = (
    "`shipping_total`, `tax`, `discount`, `cancelled`, `external_payment_requested` and "
    "`status_history` at the end of each order, `phone` at the end of `customer.shipping`"
)
PRODUCT_FULL_VIEW = "`weight` at the end of each product and of each variation"


def _view_description(adds):
    return (
        f"`full`: the full view, the plain document plus the stored fields it leaves out: "
        f"{adds}. Absent or empty: the plain view (v1)."
    )


def view_field(adds):
    """The `view` parameter of a list, loaded as `full`; `adds` says what the full view
    adds, for the document."""
    return FullView(
        data_key="view",
        # A callable default, so that the document shows none: bool() is False.
        load_default=bool,
        metadata={"enum": ["full"], "description": _view_description(adds)},
    )


def view_parameter(adds):
    """The `view` parameter of a GET of one record, as the document shows it (the view
    reads it itself: api.records.requested_view)."""
    return {
        "in": "query",
        "name": "view",
        "required": False,
        "description": _view_description(adds),
        "schema": {"type": "string", "enum": ["full"]},
    }
