"""Shapes of the change feed (events.md §1–2): its query and its answer."""

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validates_schema

from api.schemas.common import DateTimeSchema, PositiveDigits
from store.errors import Invalid
from store.events import TYPES
from store.feed import MAX_LIMIT, parse_types

DEFAULT_LIMIT = 100
# Ids are 64-bit: a larger cursor names no event that can exist.
MAX_EVENT_ID = 2**63 - 1
TYPE_NAMES = [*TYPES, "order.*", "product.*", "stock.*"]
# One `type` value as the document describes it (parse_types takes the same, and tabs too):
# known types and kinds (`order.*`, or `order.`), separated by commas, spaces around them.
_KINDS = sorted({name.split(".")[0] for name in TYPES})
_NAME = "|".join([*map(re.escape, TYPES), *(rf"{kind}\.\*?" for kind in _KINDS)])
TYPE_LIST_PATTERN = rf"^[ ,]*(?:(?:{_NAME}) *(?:,[ ,]*|$))*$"


class Cursor(PositiveDigits):
    """An event id as ASCII digits, 0 included."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.isascii() and value.isdigit() and not value.strip("0"):
            return 0
        return super()._deserialize(value, attr, data, **kwargs)

    def _jsonschema_type_mapping(self):
        return {"type": "integer", "minimum": 0}


class EventQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    after = Cursor(
        MAX_EVENT_ID,
        load_default=0,
        metadata={
            "description": "Send back the `next_after` of the last answer; 0 (the default) "
            "starts at the oldest event kept.",
            "maximum": MAX_EVENT_ID,
        },
    )
    limit = PositiveDigits(
        MAX_LIMIT,
        load_default=DEFAULT_LIMIT,
        metadata={"description": "Events per answer, 1-1000 (default 100).", "maximum": MAX_LIMIT},
    )
    type = fields.List(
        fields.String(
            metadata={"examples": ["order.*", "stock.changed"], "pattern": TYPE_LIST_PATTERN}
        ),
        load_default=list,
        metadata={
            "description": "Only these event types: repeat the parameter or separate them "
            "with commas; `order.*`, `product.*`, `stock.*` name every type of a kind. Events "
            "of other types still move `next_after`.",
            "explode": True,
        },
    )

    @pre_load
    def gather(self, data, **kwargs):
        """Empty values are not given; `type` keeps every repetition."""
        gathered = {key: data.get(key) for key in ("after", "limit") if data.get(key, "") != ""}
        getlist = getattr(data, "getlist", None)
        types = getlist("type") if getlist else data.get("type", [])
        gathered["type"] = [types] if isinstance(types, str) else types
        return gathered

    @validates_schema
    def known_types(self, data, **kwargs):
        try:
            parse_types(data.get("type", []))
        except Invalid as error:
            raise ValidationError(error.fields["type"], "type") from None


class EventSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 18231})
    type = fields.String(required=True, metadata={"enum": list(TYPES)})
    occurred_at = fields.Nested(DateTimeSchema, required=True)
    actor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "`client:<id>`, `cli`, `app`, `app:<label>`, `import:<host>`."},
    )
    imported = fields.Boolean(required=True)
    data = fields.Dict(
        required=True,
        metadata={
            "description": "`order` (with `changes` for `order.updated`), `product` (with "
            "`changes`), or the stock change (events.md §1)."
        },
    )


class EventMetaSchema(Schema):
    next_after = fields.Integer(
        required=True,
        metadata={"description": "Send it back as `after`; equal to `after` when caught up."},
    )


class EventListEnvelope(Schema):
    data = fields.List(fields.Nested(EventSchema), required=True)
    meta = fields.Nested(EventMetaSchema, required=True)
