"""The bodies that create, replace and change products (manage.md §3), as strict schemas.

Every key the full view shows is accepted (read-only ones are checked and dropped), so
`GET ?view=full` minus `date_updated` is always a valid body. What depends on more than
one key (option names, variation combinations, a price while active) is the writes' to
check, on the product as it would be."""

from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates_schema

from models.catalog import OPTION_TYPES
from store.fields import (
    MAX_TEXT,
    Amount,
    ExplicitId,
    Flag,
    Items,
    Moment,
    Obj,
    StrictBody,
    Text,
)
from store.orders.bodies import HTTP_URL_PATTERN

# Column sizes (models/catalog.py).
NAME = 255
BARCODE = 100
SKU = 100
HTML = 65_535
# The largest count a 32-bit integer column keeps.
MAX_COUNT = 2**31 - 1
# The largest explicit product or variation id: their id columns are 32-bit integers on
# PostgreSQL and MariaDB (orders' are 64-bit), so the contract's 10^15 - 1 would not fit.
MAX_CATALOG_ID = 2**31 - 1
# What absolute_url accepts, for the document: the tracking URLs' pattern, "" refused.
ABSOLUTE_URL_PATTERN = HTTP_URL_PATTERN.removesuffix(")?$") + ")$"


def absolute_url(value):
    """An absolute http(s) URL (images, categories)."""
    if value is None:
        return
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValidationError("Must be an absolute http or https URL.") from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(char.isspace() or ord(char) < 32 for char in value)
    ):
        raise ValidationError("Must be an absolute http or https URL.")


def _html_size(value):
    # MariaDB keeps descriptions in TEXT columns: 65,535 bytes of UTF-8.
    if value is not None and len(value.encode("utf-8")) > HTML:
        raise ValidationError(f"Must be at most {HTML} bytes of UTF-8.")


def _html():
    return Text(
        max_length=HTML,
        allow_none=True,
        validate=[_html_size],
        metadata={"description": f"HTML, at most {HTML} bytes of UTF-8."},
    )


def _sku_size(value):
    # MariaDB keeps SKUs in VARBINARY(100): a hundred bytes of UTF-8.
    if value is not None and len(value.encode("utf-8")) > SKU:
        raise ValidationError(f"Must be at most {SKU} bytes of UTF-8.")


class CatalogId(ExplicitId):
    """An id a client chooses for a product or variation: an integer 1 … MAX_CATALOG_ID."""

    default_error_messages = {"invalid": f"Must be an integer from 1 to {MAX_CATALOG_ID}."}

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if number > MAX_CATALOG_ID:
            raise self.make_error("invalid")
        return number

    def _jsonschema_type_mapping(self):
        return {"type": "integer", "minimum": 1, "maximum": MAX_CATALOG_ID}


class Count(fields.Field):
    """A JSON integer from 0 (a count of items)."""

    default_error_messages = {"invalid": f"Must be an integer from 0 to {MAX_COUNT}."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if value != int(value) or not 0 <= value <= MAX_COUNT:
            raise self.make_error("invalid")
        return int(value)

    def _jsonschema_type_mapping(self):
        return {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}


def _text(max_length=MAX_TEXT, **kwargs):
    return Text(max_length=max_length, allow_none=True, **kwargs)


def _name(**kwargs):
    return Text(max_length=NAME, min_length=1, **kwargs)


def _url(**kwargs):
    return Text(
        max_length=MAX_TEXT, validate=[absolute_url], pattern=ABSOLUTE_URL_PATTERN, **kwargs
    )


def _sku():
    return Text(
        max_length=SKU,
        min_length=1,
        allow_none=True,
        validate=[_sku_size],
        metadata={"description": "Unique in the whole store (products, variations); null: none."},
    )


def _money(**kwargs):
    return Amount(money=True, allow_none=True, **kwargs)


def _size(**kwargs):
    return Amount(allow_none=True, **kwargs)


def _stock_level():
    return Amount(minimum=None, metadata={"description": "Up to 4 decimals; may be negative."})


def _stock_change():
    return Amount(
        minimum=None,
        allow_none=True,
        metadata={"description": "Sets the level (up to 4 decimals); null: unchanged."},
    )


def _stock_adjustment():
    return Amount(
        minimum=None,
        allow_none=True,
        metadata={"description": "Added to the level atomically: non-zero, not with stock_level."},
    )


class CategoryBody(StrictBody):
    name = _name(required=True)
    url = _url(allow_none=True, metadata={"description": "Absolute; with the name, says which."})


class ChoiceBody(StrictBody):
    name = _name(required=True)
    price_adjustment = _money(minimum=None)
    weight_adjustment = _size(minimum=None)


class OptionBody(StrictBody):
    name = _name(required=True, metadata={"description": "Unique within the product."})
    handle = _name(
        metadata={"description": "Unique within the product. Default: made from the name."}
    )
    type = Text(
        max_length=20,
        validate=[validate.OneOf(OPTION_TYPES)],
        metadata={"enum": list(OPTION_TYPES), "description": "Default: select."},
    )
    required = Flag(metadata={"description": "Default: false."})
    options = Items(
        Obj(ChoiceBody),
        metadata={"description": "The choices, in order: select and radio options only."},
    )


class ChosenBody(StrictBody):
    name = _name(required=True, metadata={"description": "A list option's name."})
    value = _name(required=True, metadata={"description": "One of its choices' names."})


class VariationShippingBody(StrictBody):
    width = _size()
    height = _size()
    length = _size()
    number_items = Count(allow_none=True)


class VariationFieldsBody(StrictBody):
    """A variation's own fields; null prices, image and sizes: the product's apply."""

    sku = _sku()
    barcode = _text(BARCODE)
    stock_unlimited = Flag()
    stock_level = _stock_level()
    price = _money()
    wholesale_price = _money()
    cost_price = _money()
    sale_price = _money()
    primary_image = _url(allow_none=True)
    options = Items(
        Obj(ChosenBody),
        metadata={"description": "One choice of each list option it covers, by name."},
    )
    shipping = Obj(VariationShippingBody)
    weight = _size()


class VariationBody(VariationFieldsBody):
    """A variation of a replaced or changed product; `id` keeps (or, on PUT, chooses) it."""

    id = CatalogId(metadata={"description": "Kept when free; default: matched by choices."})


class NewVariationBody(VariationFieldsBody):
    IGNORED = ("id",)

    id = CatalogId(metadata={"description": "Ignored: the service assigns the id."})


class ProductShippingBody(StrictBody):
    shippable = Flag(metadata={"description": "Default: true."})
    width = _size()
    height = _size()
    length = _size()
    number_items = Count(allow_none=True)
    stacked_height = _size()
    separate_ship = Flag(metadata={"description": "Default: false."})


class ProductFieldsBody(StrictBody):
    """The keys of the full view, but `id`, `name` and `variations`."""

    IGNORED = ("date_updated",)

    sku = _sku()
    barcode = _text(BARCODE)
    active = Flag(metadata={"description": "Default: true; false hides the product."})
    stock_unlimited = Flag()
    stock_level = _stock_level()
    short_description = _html()
    description = _html()
    brand = _text(NAME, metadata={"description": "The brand's name; null: none."})
    price = _money(metadata={"description": "Required while the product is active."})
    wholesale_price = _money()
    cost_price = _money()
    sale_price = _money()
    sale_start = Moment(allow_none=True)
    sale_end = Moment(allow_none=True)
    primary_image = _url(allow_none=True)
    additional_images = Items(_url())
    groups = Items(_name(), metadata={"description": "By name; new names are created."})
    categories = Items(
        Obj(CategoryBody), metadata={"description": "By {name, url}; new pairs are created."}
    )
    options = Items(Obj(OptionBody))
    date_added = Moment(metadata={"description": "Default: now."})
    date_updated = Moment(allow_none=True, metadata={"description": "Read-only: ignored."})
    shipping = Obj(ProductShippingBody)
    weight = _size()


# For the document: an active product has a price (the store checks it on the product as
# it would be, so on PATCH only when `price` or `active` is sent).
PRICE_WHILE_ACTIVE = {
    "if": {
        "required": ["active"],
        "properties": {"active": {"type": "boolean", "const": False}},
    },
    "else": {"required": ["price"], "properties": {"price": {"type": "number"}}},
}


def _distinct_ids(data):
    ids = [variation["id"] for variation in data.get("variations", ()) if "id" in variation]
    if len(ids) != len(set(ids)):
        raise ValidationError("Variation ids must be distinct.", "variations")


class NewProductBody(ProductFieldsBody):
    """POST /products: the service assigns every id."""

    IGNORED = ("id", "date_updated")
    OPENAPI_RULES = PRICE_WHILE_ACTIVE

    id = CatalogId(metadata={"description": "Ignored: the service assigns the id."})
    name = _name(required=True)
    variations = Items(Obj(NewVariationBody))


class ProductBody(ProductFieldsBody):
    """PUT /products/{id}: the product whole; absent keys take their defaults."""

    OPENAPI_RULES = PRICE_WHILE_ACTIVE

    id = CatalogId(metadata={"description": "The id of the path, if given."})
    name = _name(required=True)
    variations = Items(Obj(VariationBody))

    @validates_schema
    def distinct_ids(self, data, **kwargs):
        _distinct_ids(data)


class ProductChangeBody(ProductFieldsBody):
    """PATCH /products/{id}: any subset of the keys; stock keys need cs:products:write."""

    id = CatalogId(metadata={"description": "The id of the path, if given."})
    name = _name()
    variations = Items(
        Obj(VariationBody),
        metadata={
            "description": "The whole list: matched by id, else by choices (keeping id and "
            "stock); unlisted ones are removed; stock inside is ignored, new ones start at 0."
        },
    )
    stock_level = _stock_change()
    stock_unlimited = Flag(allow_none=True, metadata={"description": "null: unchanged."})
    stock_adjustment = _stock_adjustment()

    @validates_schema
    def distinct_ids(self, data, **kwargs):
        _distinct_ids(data)


class VariationChangeBody(VariationFieldsBody):
    """PATCH /variations/{id} with catalog keys: any subset of a variation's fields."""

    id = CatalogId(metadata={"description": "The id of the path, if given."})
    stock_level = _stock_change()
    stock_unlimited = Flag(allow_none=True, metadata={"description": "null: unchanged."})
    stock_adjustment = _stock_adjustment()
