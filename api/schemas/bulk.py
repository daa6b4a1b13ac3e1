"""Shapes of PATCH /stock: documentation of the body the store reads, and of its answer."""

from marshmallow import RAISE, Schema, fields, validate

from api.schemas.common import StrictString
from api.schemas.products import LEVEL_OR_ADJUSTMENT, StockPatchDataSchema, StockRecordSchema
from store.stock import MAX_SKU_LENGTH
from store.stock_bulk import DEFAULT_MAX_LINES

# A line changes something: one of its three values is there and not null.
SOMETHING_TO_CHANGE = {
    "anyOf": [
        {"required": [key], "properties": {key: {"type": kind}}}
        for key, kind in (
            ("stock_level", "number"),
            ("stock_adjustment", "number"),
            ("stock_unlimited", "boolean"),
        )
    ]
}


class StockLineSchema(StockPatchDataSchema):
    """One line: a SKU and the single-record stock PATCH's values, no other key."""

    class Meta:
        unknown = RAISE

    OPENAPI_RULES = {"not": LEVEL_OR_ADJUSTMENT, **SOMETHING_TO_CHANGE}

    sku = StrictString(
        required=True,
        validate=validate.Length(1, MAX_SKU_LENGTH),
        metadata={"description": "The product's or variation's SKU, exactly; once per body."},
    )


class BulkStockEnvelope(Schema):
    class Meta:
        unknown = RAISE

    data = fields.List(
        fields.Nested(StockLineSchema),
        required=True,
        validate=validate.Length(1, DEFAULT_MAX_LINES),
        metadata={
            "description": "1 to MAX_BULK_LINES (default 10,000) lines, applied together "
            "or not at all."
        },
    )


class BulkMetaSchema(Schema):
    changed = fields.Integer(required=True, metadata={"description": "Lines that changed."})
    unchanged = fields.Integer(
        required=True, metadata={"description": "Lines already as asked: nothing written."}
    )


class BulkStockResultEnvelope(Schema):
    data = fields.List(
        fields.Nested(StockRecordSchema),
        required=True,
        metadata={"description": "The stock records, in the order of the lines."},
    )
    meta = fields.Nested(BulkMetaSchema, required=True)
