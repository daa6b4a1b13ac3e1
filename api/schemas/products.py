"""Shapes of products and stock records: the OpenAPI document, the list query, stock PATCH."""

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, pre_load

from api.schemas.common import (
    PRODUCT_FULL_VIEW,
    DateTimeSchema,
    MetaSchema,
    PageQuerySchema,
    StrictBoolean,
    StrictNumber,
    view_field,
)
from models.catalog import OPTION_TYPES
from store.products import FilterError, parse_filter
from store.products.bodies import (
    NewProductBody,
    ProductBody,
    ProductChangeBody,
    VariationChangeBody,
)
from store.products.listing import MAX_CONDITIONS
from store.products.listing import MAX_LENGTH as MAX_FILTER_LENGTH
from store.products.state import STOCK_KEYS
from store.stock import MAX_QUANTITY, StockChange, check_quantity
from store.stock import QUANTITY_RANGE as RANGE

# --- output (documentation only: views build their JSON by hand) ---


def _number(description=None, **kwargs):
    metadata = {"description": description} if description else {}
    return fields.Float(allow_none=True, required=True, metadata=metadata, **kwargs)


def _text(**kwargs):
    return fields.String(allow_none=True, required=True, **kwargs)


def _full_weight(description):
    return fields.Float(
        allow_none=True, metadata={"description": f"Full view only: {description}."}
    )


class CategorySchema(Schema):
    name = fields.String(required=True, metadata={"example": "Product Category 1"})
    url = _text(metadata={"example": "https://domain.com/category1"})


class OptionChoiceSchema(Schema):
    name = fields.String(required=True, metadata={"example": "Large"})
    price_adjustment = _number("Money, rounded to the currency's digits.")
    weight_adjustment = _number()


class OptionSchema(Schema):
    name = fields.String(required=True, metadata={"example": "Size"})
    handle = fields.String(required=True, metadata={"example": "size"})
    type = fields.String(required=True, metadata={"enum": list(OPTION_TYPES)})
    required = fields.Boolean(required=True)
    options = fields.List(
        fields.Nested(OptionChoiceSchema),
        metadata={
            "description": "The choices, in their order: present (possibly empty) on list "
            "types (select, radio) only; the other types have no such key."
        },
    )


class ChosenOptionSchema(Schema):
    name = fields.String(required=True, metadata={"example": "Size"})
    value = fields.String(required=True, metadata={"example": "Large"})


class VariationShippingSchema(Schema):
    width = _number()
    height = _number()
    length = _number()
    number_items = fields.Integer(allow_none=True, required=True)


class VariationSchema(Schema):
    id = fields.Integer(required=True)
    sku = _text()
    barcode = _text()
    stock_unlimited = fields.Boolean(required=True, metadata={"description": "Never null."})
    stock_level = fields.Float(required=True, metadata={"description": "Up to 4 decimals."})
    price = _number("The variation's own price; null: the product's applies.")
    wholesale_price = _number()
    cost_price = _number()
    sale_price = _number()
    primary_image = _text(metadata={"description": "Absolute URL, or null."})
    options = fields.List(fields.Nested(ChosenOptionSchema), required=True)
    shipping = fields.Nested(VariationShippingSchema, required=True)
    weight = _full_weight("the variation's own weight; null: the product's applies")


class ProductShippingSchema(Schema):
    shippable = fields.Boolean(required=True)
    width = _number()
    height = _number()
    length = _number()
    number_items = fields.Integer(allow_none=True, required=True)
    stacked_height = _number()
    separate_ship = fields.Boolean(required=True)


class ProductSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    sku = _text()
    barcode = _text()
    active = fields.Boolean(required=True)
    stock_unlimited = fields.Boolean(required=True)
    stock_level = fields.Float(required=True, metadata={"description": "Up to 4 decimals."})
    short_description = _text(metadata={"description": "HTML."})
    description = _text(metadata={"description": "HTML."})
    brand = _text(metadata={"description": "The brand (manufacturer) name."})
    price = _number("Money, rounded to the currency's digits.")
    wholesale_price = _number()
    cost_price = _number()
    sale_price = _number()
    sale_start = fields.Nested(DateTimeSchema, allow_none=True, required=True)
    sale_end = fields.Nested(DateTimeSchema, allow_none=True, required=True)
    primary_image = _text(metadata={"description": "Absolute URL, or null."})
    additional_images = fields.List(fields.String(), required=True)
    groups = fields.List(fields.String(), required=True)
    categories = fields.List(fields.Nested(CategorySchema), required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)
    variations = fields.List(fields.Nested(VariationSchema), required=True)
    date_added = fields.Nested(DateTimeSchema, required=True)
    date_updated = fields.Nested(DateTimeSchema, required=True)
    shipping = fields.Nested(ProductShippingSchema, required=True)
    weight = _full_weight("the product's weight, or null")


class ProductEnvelope(Schema):
    data = fields.Nested(ProductSchema, required=True)


class ProductListEnvelope(Schema):
    data = fields.List(fields.Nested(ProductSchema), required=True)
    meta = fields.Nested(MetaSchema, required=True)


class StockRecordSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "Product or variation id."})
    product_id = fields.Integer(metadata={"description": "Variations only."})
    sku = _text()
    name = fields.String(required=True, metadata={"description": "The product's name."})
    stock_level = fields.Float(required=True)
    stock_unlimited = fields.Boolean(required=True)
    variation = fields.Boolean(metadata={"description": "Variations only: always true."})


class StockRecordEnvelope(Schema):
    data = fields.Nested(StockRecordSchema, required=True)


# --- the list's query ---


# The grammar of ProductFilter as a pattern, for the document: the common ISO-8601 forms,
# bare or in single quotes (Python's reading takes a few more: 20210101, double quotes),
# days up to 28 so that every match is a real date.
_DAY = "[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
_TIME = "T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
_OFFSET = "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_VALUE = f"{_DAY}({_TIME}{_OFFSET}?)?"
_CONDITION = f"(date_added|date_updated) +(gt|lt|eq|ge|le) +('{_VALUE}'|{_VALUE})"
FILTER_PATTERN = f"^ *{_CONDITION}( +and +{_CONDITION}){{0,{MAX_CONDITIONS - 1}}} *$"


class ProductFilter(fields.String):
    """`<field> <operator> <value>` conditions joined by ` and `; loads as Conditions."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_filter(super()._deserialize(value, attr, data, **kwargs))
        except FilterError as error:
            raise ValidationError(f"{error}.") from None


class ProductListQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    filter = ProductFilter(
        metadata={
            "description": "`date_added` or `date_updated`, then `gt`, `lt`, `eq`, `ge` or "
            "`le`, then an ISO-8601 date or date-time, quotes optional, in the store time "
            "zone unless it has an offset; a date alone is midnight (with `eq`: the whole "
            "day). Conditions join with ` and `.",
            "examples": [
                "date_added gt '2021-01-01T20:00'",
                "date_updated ge 2024-01-01 and date_updated lt 2024-02-01T00:00:00+02:00",
            ],
            "pattern": FILTER_PATTERN,
            "maxLength": MAX_FILTER_LENGTH,
        }
    )
    full = view_field(PRODUCT_FULL_VIEW)

    @pre_load
    def gather(self, data, **kwargs):
        """Keep the filter, the view and the page arguments when given (empty: not given)."""
        return {
            key: data.get(key)
            for key in ("filter", "view", *self.PAGE_KEYS)
            if data.get(key, "") != ""
        }


# --- the stock PATCH body ---


class StockQuantity(StrictNumber):
    """A stock level or adjustment: a JSON number within the store's rules, as a Decimal."""

    def _deserialize(self, value, attr, data, **kwargs):
        quantity = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_quantity(quantity)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _empty_list_as_object(data, key):
    # PHP's json_encode writes an empty map as [].
    if isinstance(data, dict) and data.get(key) == []:
        return {**data, key: {}}
    return data


# A quantity's bounds and its 4 decimal places, as JSON Schema says them.
# (floats: the document is JSON; each prints exactly as written)
QUANTITY_DOC = {
    "minimum": -float(MAX_QUANTITY),
    "maximum": float(MAX_QUANTITY),
    "multipleOf": 0.0001,
}
# stock_level and stock_adjustment are not both numbers (either may be absent or null).
LEVEL_OR_ADJUSTMENT = {
    "required": ["stock_level", "stock_adjustment"],
    "properties": {"stock_level": {"type": "number"}, "stock_adjustment": {"type": "number"}},
}


class StockPatchDataSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    OPENAPI_RULES = {"not": LEVEL_OR_ADJUSTMENT}

    stock_level = StockQuantity(
        allow_none=True,
        metadata={
            "description": f"Sets the level: a JSON number, at most 4 decimals, {RANGE}.",
            **QUANTITY_DOC,
        },
    )
    stock_unlimited = StrictBoolean(
        allow_none=True, metadata={"description": "A JSON boolean only."}
    )
    stock_adjustment = StockQuantity(
        allow_none=True,
        metadata={
            "description": "Added to the current level atomically (negative to take away); "
            "non-zero, not with stock_level; refused if the result would leave the range.",
            **QUANTITY_DOC,
            "not": {"const": 0},
        },
    )

    @post_load
    def change(self, data, **kwargs):
        level, adjustment = data.get("stock_level"), data.get("stock_adjustment")
        if adjustment is not None and level is not None:
            raise ValidationError("Cannot be sent together with stock_level.", "stock_adjustment")
        if adjustment == 0:
            raise ValidationError("Must not be zero.", "stock_adjustment")
        return StockChange.of(level, data.get("stock_unlimited"), adjustment)


class StockPatchSchema(Schema):
    """`{"data": {...}}`; loads as the StockChange it asks for."""

    class Meta:
        unknown = EXCLUDE

    data = fields.Nested(StockPatchDataSchema, required=True)

    @pre_load
    def empty_data(self, data, **kwargs):
        return _empty_list_as_object(data, "data")

    @post_load
    def change(self, data, **kwargs):
        return data["data"]


# --- manage bodies (manage.md §3): documentation; the store reads them ---

# The keys that make a PATCH body a catalog change (strict, cs:products:manage); the
# stock keys need cs:products:write.
CATALOG_KEYS = tuple(
    key
    for key in ProductChangeBody._declared_fields
    if key not in (*STOCK_KEYS, "id", "date_updated")
)
VARIATION_CATALOG_KEYS = tuple(
    key for key in VariationChangeBody._declared_fields if key not in (*STOCK_KEYS, "id")
)


def _strict_when_catalog(keys, component):
    """JSON Schema: a body whose `data` holds a catalog key is the strict `component`."""
    return {
        "if": {
            "properties": {
                "data": {"type": "object", "anyOf": [{"required": [key]} for key in keys]}
            },
            "required": ["data"],
        },
        "then": {
            "properties": {"data": {"$ref": f"#/components/schemas/{component}"}},
            "additionalProperties": False,
        },
    }


class NewProductEnvelope(Schema):
    class Meta:
        unknown = RAISE

    data = fields.Nested(NewProductBody, required=True)


class ProductPutEnvelope(Schema):
    class Meta:
        unknown = RAISE

    data = fields.Nested(ProductBody, required=True)


class ProductPatchEnvelope(StockPatchSchema):
    """A stock change (cs:products:write; lax, as in v1), or with any catalog key a
    strict ProductChangeBody (cs:products:manage, and write for stock keys beside)."""

    OPENAPI_RULES = _strict_when_catalog(CATALOG_KEYS, "ProductChangeBody")


class VariationPatchEnvelope(StockPatchSchema):
    """A stock change, or with any catalog key a strict VariationChangeBody."""

    OPENAPI_RULES = _strict_when_catalog(VARIATION_CATALOG_KEYS, "VariationChangeBody")
