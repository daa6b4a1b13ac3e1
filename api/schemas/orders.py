"""Shapes of orders: the OpenAPI document, the list's query and the PATCH body."""

import datetime
import re
from urllib.parse import urlsplit

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
)

from api.schemas.common import (
    ORDER_FULL_VIEW,
    WHITESPACE,
    ApiErrorSchema,
    DateTimeSchema,
    MetaSchema,
    PageQuerySchema,
    StrictString,
    view_field,
)
from store.orders import PAYMENT_STATUSES, OrderFilters
from store.orders.bodies import NewOrderBody, PaymentBody, RecordedOrderBody

TRUE_WORDS = frozenset(("1", "true", "on", "yes"))
FALSE_WORDS = frozenset(("0", "false", "off", "no"))
# Ids have at most 18 digits (within every database's integer range); larger ones are
# refused, never sent to the database.
MAX_ORDER_ID = 10**18 - 1
# As the official client writes them (`id%5B123%5D=123456&`, 31 bytes with 18 digits),
# 250 ids of any length fit the 8,190-byte request line gunicorn and nginx accept, with
# room for the other filters.
MAX_IDS = 250
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# `id[]` and `id[0]`, as PHP's http_build_query writes an array.
ID_ARRAY_KEY = re.compile(r"id\[[^\]]*\]")
# Handles are a-z, 0-9 and _ (`cs status add`), matched in any case; which exist is the
# store's to say (GET /fulfilmentstatuses): another one is a 400 naming the valid ones.
HANDLE_DOC = {
    "pattern": "^[A-Za-z0-9_]+$",
    "examples": ["shipped", "processing", "delivered"],
}
# What _http_url accepts: http(s), a host, no whitespace or control characters ("" clears).
# Bracketed (IPv6) hosts are accepted too but left out here: not every bracket is one.
_BLANK = f"\\x00-\\x1f{WHITESPACE}"
# Characters urlsplit refuses before the path: their NFKC form holds one of / ? # @ :.
_NFKC_DELIMITERS = (
    r"\u2047-\u2049\u2100\u2101\u2105\u2106\u2a74\ufe13\ufe16\ufe55\ufe56\ufe5f\ufe6b"
    r"\uff03\uff0f\uff1a\uff1f\uff20"
)
_AUTHORITY = f"/?#\\[\\]{_BLANK}{_NFKC_DELIMITERS}"
HTTP_URL_PATTERN = (
    f"^(?:[Hh][Tt][Tt][Pp][Ss]?://(?:[^{_AUTHORITY}]*@)?[^@:{_AUTHORITY}]+"
    f"(?::[^@{_AUTHORITY}]*)?(?:[/?#][^{_BLANK}]*)?)?$"
)
NO_NUL_PATTERN = r"^[^\x00]*$"
SCALAR_PARAMS = (
    "page",
    "paging",
    "status",
    "paymentStatus",
    "fromDate",
    "toDate",
    "paid",
    "cancelled",
    "refunded",
    "shippable",
    "view",
)


# --- output (documentation only: views build their JSON by hand) ---


class AddressSchema(Schema):
    address1 = fields.String(allow_none=True, required=True)
    address2 = fields.String(allow_none=True, required=True)
    address3 = fields.String(allow_none=True, required=True)
    city = fields.String(allow_none=True, required=True)
    state_province = fields.String(allow_none=True, required=True)
    country = fields.String(allow_none=True, required=True)
    postal_code = fields.String(allow_none=True, required=True)


class BillingSchema(Schema):
    phone = fields.String(allow_none=True, required=True)
    first_name = fields.String(allow_none=True, required=True)
    last_name = fields.String(allow_none=True, required=True)
    company = fields.String(allow_none=True, required=True)
    address = fields.Nested(
        AddressSchema, allow_none=True, required=True, metadata={"description": "null if none"}
    )
    vat_number = fields.String(
        allow_none=True,
        metadata={"description": "Present only when the store collects VAT numbers."},
    )


class ShippingSchema(Schema):
    first_name = fields.String(allow_none=True, required=True)
    last_name = fields.String(allow_none=True, required=True)
    company = fields.String(allow_none=True, required=True)
    address = fields.Nested(
        AddressSchema,
        allow_none=True,
        required=True,
        metadata={"description": "null when the order has no shipping address"},
    )
    phone = fields.String(
        allow_none=True, metadata={"description": "Full view only: the shipping phone."}
    )


class CustomerSchema(Schema):
    email = fields.String(allow_none=True, required=True)
    username = fields.String(allow_none=True, required=True)
    billing = fields.Nested(BillingSchema, required=True)
    shipping = fields.Nested(ShippingSchema, required=True)


class FulfilmentSchema(Schema):
    status = fields.String(required=True, metadata={"example": "Shipped"})
    handle = fields.String(required=True, metadata={"example": "shipped"})
    tracking_id = fields.String(allow_none=True, required=True)
    tracking_code = fields.String(allow_none=True, required=True)
    tracking_url = fields.String(allow_none=True, required=True)


class ItemOptionSchema(Schema):
    name = fields.String(required=True, metadata={"example": "Size"})
    handle = fields.String(required=True, metadata={"example": "size"})
    value = fields.String(required=True, metadata={"example": "Large"})


class ItemSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    sku = fields.String(allow_none=True, required=True)
    quantity = fields.Float(required=True, metadata={"description": "Up to 4 decimals."})
    price = fields.Float(required=True, metadata={"description": "Unit price paid."})
    options = fields.List(fields.Nested(ItemOptionSchema), required=True)


class AttributeSchema(Schema):
    handle = fields.String(required=True)
    name = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "Any JSON."})


class RefundSchema(Schema):
    date = fields.Nested(DateTimeSchema, required=True)
    reason = fields.String(required=True)


class CancelledSchema(Schema):
    date = fields.Nested(DateTimeSchema, required=True)


class StatusChangeSchema(Schema):
    handle = fields.String(required=True, metadata={"example": "shipped"})
    date = fields.Nested(DateTimeSchema, required=True)
    actor = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Who made the change: `client:<client_id>` (an API call), `cli`, "
            "`app` or `app:<label>` (a host app), `import:<host>`; null when unknown.",
            "example": "client:5f0c0e2a9b",
        },
    )


def _full_money(name):
    return fields.Float(
        metadata={"description": f"Full view only: the order's {name}, part of `total`."}
    )


class OrderSchema(Schema):
    id = fields.Integer(required=True)
    date_placed = fields.Nested(DateTimeSchema, required=True)
    total = fields.Float(required=True)
    payment_method = fields.String(allow_none=True, required=True)
    payment_date = fields.Nested(DateTimeSchema, allow_none=True, required=True)
    payment_reference = fields.String(allow_none=True, required=True)
    shipping_method = fields.String(allow_none=True, required=True)
    fulfilment = fields.Nested(FulfilmentSchema, required=True)
    locale = fields.String(allow_none=True, required=True)
    customer = fields.Nested(CustomerSchema, required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)
    attributes = fields.List(fields.Nested(AttributeSchema), required=True)
    refunded = fields.Nested(
        RefundSchema, metadata={"description": "Present only on refunded orders."}
    )
    # The full view's (view=full), after every other key.
    shipping_total = _full_money("shipping total")
    tax = _full_money("tax added on top")
    discount = _full_money("discounts, taken off")
    cancelled = fields.Nested(
        CancelledSchema,
        allow_none=True,
        metadata={"description": "Full view only: when the order was cancelled; null if not."},
    )
    external_payment_requested = fields.Nested(
        DateTimeSchema,
        allow_none=True,
        metadata={
            "description": "Full view only: when the customer was sent to an off-site payment "
            "page; while set and unpaid, the order is hidden from listings. null if never."
        },
    )
    status_history = fields.List(
        fields.Nested(StatusChangeSchema),
        metadata={"description": "Full view only: the fulfilment status changes, oldest first."},
    )


class OrderEnvelope(Schema):
    data = fields.Nested(OrderSchema, required=True)


class OrderListEnvelope(Schema):
    data = fields.List(fields.Nested(OrderSchema), required=True)
    meta = fields.Nested(MetaSchema, required=True)


# --- the list's query ---


class QueryBoolean(fields.Boolean):
    """1/true/on/yes or 0/false/off/no, in any case."""

    default_error_messages = {"invalid": "Must be one of 1, true, on, yes, 0, false, off, no."}

    def _deserialize(self, value, attr, data, **kwargs):
        word = value.lower() if isinstance(value, str) else None
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self.make_error("invalid")


class LocalDate(fields.Date):
    """A calendar day written YYYY-MM-DD, read in the store time zone."""

    default_error_messages = {"invalid": "Must be a date written YYYY-MM-DD."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
            raise self.make_error("invalid")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None


class PaymentStatus(fields.String):
    default_error_messages = {"invalid": f"Must be one of {', '.join(PAYMENT_STATUSES)}."}

    def _deserialize(self, value, attr, data, **kwargs):
        word = super()._deserialize(value, attr, data, **kwargs).lower()
        if word not in PAYMENT_STATUSES:
            raise self.make_error("invalid")
        return word


class OrderIds(fields.List):
    """Every value given for `id`, `id[]` or `id[n]`: positive integers."""

    default_error_messages = {"too_many": f"At most {MAX_IDS} ids."}

    def __init__(self, **kwargs):
        super().__init__(fields.Integer(validate=validate.Range(1, MAX_ORDER_ID)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raws = value if isinstance(value, list) else [value]
        # Counted as sent (the document's maxItems), before any is parsed.
        if len(raws) > MAX_IDS:
            raise self.make_error("too_many")
        ids = set()
        for raw in raws:
            text = str(raw)
            # The length check comes first: int() of thousands of digits is slow, then refused.
            valid = text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 18
            if not valid or not 0 < int(text) <= MAX_ORDER_ID:
                raise ValidationError(
                    f"Must be a positive integer up to {MAX_ORDER_ID}, got {text[:40]!r}."
                )
            ids.add(int(text))
        return sorted(ids)


class StatusHandle(StrictString):
    """A fulfilment status handle in any case; the store checks that it exists."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {**HANDLE_DOC, **kwargs.get("metadata", {})}
        super().__init__(validate=validate.Length(min=1, max=100), **kwargs)


def _query_values(data):
    """(name, [values]) pairs of a query string, whatever holds it."""
    raw = getattr(data, "data", data)
    if hasattr(raw, "lists"):
        return list(raw.lists())
    return [(key, value if isinstance(value, list) else [value]) for key, value in raw.items()]


class OrderListQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    status = StatusHandle(metadata={"description": "Current fulfilment status handle."})
    paymentStatus = PaymentStatus(metadata={"enum": list(PAYMENT_STATUSES)})
    fromDate = LocalDate(metadata={"description": "YYYY-MM-DD, store time zone, inclusive."})
    toDate = LocalDate(metadata={"description": "YYYY-MM-DD, store time zone, inclusive."})
    paid = QueryBoolean(metadata={"description": "Paid and not refunded."})
    cancelled = QueryBoolean()
    refunded = QueryBoolean()
    shippable = QueryBoolean(metadata={"description": "Has a shipping method."})
    id = OrderIds(
        metadata={
            "description": "One or several ids: id=1&id=2, id[]=1&id[]=2, id[0]=1.",
            "maxItems": MAX_IDS,
        }
    )
    full = view_field(ORDER_FULL_VIEW)

    @pre_load
    def gather(self, data, **kwargs):
        """Drop empty values (they mean "not given") and collect every spelling of `id`."""
        found, ids = {}, []
        for key, values in _query_values(data):
            given = [value for value in values if value != ""]
            if not given:
                continue
            if key == "id" or ID_ARRAY_KEY.fullmatch(key):
                ids.extend(given)
            elif key in SCALAR_PARAMS:
                found[key] = given[0]
        if ids:
            found["id"] = ids
        return found

    @post_load
    def filters(self, args, **kwargs):
        """The page arguments, and the filters as the store takes them."""
        filters = OrderFilters(
            status=args.get("status"),
            payment_status=args.get("paymentStatus"),
            from_date=args.get("fromDate"),
            to_date=args.get("toDate"),
            paid=args.get("paid"),
            cancelled=args.get("cancelled"),
            refunded=args.get("refunded"),
            shippable=args.get("shippable"),
            ids=tuple(args["id"]) if "id" in args else None,
        )
        return {
            "page": args["page"],
            "paging": args["paging"],
            "filters": filters,
            "full": args["full"],
        }


# --- PATCH body ---


def _no_nul(value):
    # PostgreSQL cannot store NUL in text; nobody means to send one.
    if value is not None and "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")


def _http_url(value):
    if not value:
        return
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValidationError("Must be an http or https URL.") from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(char.isspace() or ord(char) < 32 for char in value)
    ):
        raise ValidationError("Must be an http or https URL.")


def _tracking(max_length, *validators, pattern=NO_NUL_PATTERN, example=None):
    metadata = {
        "description": f'At most {max_length} characters; "" clears, null keeps.',
        "pattern": pattern,
    }
    if example:
        metadata["examples"] = [example]
    return StrictString(
        allow_none=True,
        validate=[validate.Length(max=max_length), _no_nul, *validators],
        metadata=metadata,
    )


def _empty_list_as_object(data, key):
    # PHP's json_encode writes an empty map as [].
    if isinstance(data, dict) and data.get(key) == []:
        return {**data, key: {}}
    return data


class FulfilmentPatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    handle = StatusHandle(
        allow_none=True,
        metadata={"description": "A fulfilment status handle (case-insensitive)."},
    )
    tracking_id = _tracking(100, example="123")
    tracking_code = _tracking(2000, example="ABC1234")
    tracking_url = _tracking(
        2000,
        _http_url,
        pattern=HTTP_URL_PATTERN,
        example="https://tracking.example.com/ABC1234",
    )


class OrderPatchDataSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    fulfilment = fields.Nested(FulfilmentPatchSchema, allow_none=True)

    @pre_load
    def empty_fulfilment(self, data, **kwargs):
        return _empty_list_as_object(data, "fulfilment")


class OrderPatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    data = fields.Nested(OrderPatchDataSchema, required=True)

    @pre_load
    def empty_data(self, data, **kwargs):
        return _empty_list_as_object(data, "data")


# --- manage bodies (manage.md §4, §5): documentation; the store reads them ---


class NewOrderEnvelope(Schema):
    class Meta:
        unknown = RAISE

    data = fields.Nested(NewOrderBody, required=True)


class RecordedOrderEnvelope(Schema):
    class Meta:
        unknown = RAISE

    data = fields.Nested(RecordedOrderBody, required=True)


class OrderPatchBodySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    fulfilment = fields.Nested(
        FulfilmentPatchSchema,
        allow_none=True,
        metadata={"description": "Needs cs:orders:write."},
    )
    payment = fields.Nested(
        PaymentBody,
        allow_none=True,
        metadata={
            "description": "Needs cs:orders:manage. With it, the body is strict (an unknown "
            "key is refused) and the whole PATCH one transaction. Ignored, like any unknown "
            "key, for a token holding no manage scope."
        },
    )


class OrderPatchEnvelope(Schema):
    class Meta:
        unknown = EXCLUDE

    # A body holding `payment` is strict (manage.md §0): no key but these, at either level.
    OPENAPI_RULES = {
        "if": {
            "properties": {"data": {"type": "object", "required": ["payment"]}},
            "required": ["data"],
        },
        "then": {
            "properties": {"data": {"$ref": "#/components/schemas/OrderChangeBody"}},
            "additionalProperties": False,
        },
    }

    data = fields.Nested(OrderPatchBodySchema, required=True)


class ShortageSchema(Schema):
    sku = fields.String(required=True)
    available = fields.Float(required=True)
    requested = fields.Float(required=True)


class ConflictSchema(ApiErrorSchema):
    shortages = fields.List(
        fields.Nested(ShortageSchema),
        metadata={"description": "Present when stock is short: every short SKU."},
    )
