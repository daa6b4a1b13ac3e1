"""The bodies that create, replace and change orders (manage.md §4, §5), as strict schemas.

A new order (`NewOrder`) names its items by SKU and lets the catalogue fill in the rest; a
recorded order (`RecordedOrder`, for PUT) is the full view of an order, every value stored
as given. Both accept every key the full view shows (read-only ones are checked and
dropped), so `GET ?view=full` minus `date_updated` is always a valid body."""

from urllib.parse import urlsplit

from marshmallow import ValidationError, validate, validates_schema

from store.fields import (
    MAX_TEXT,
    MOMENT_COMPONENT,
    NO_NUL_PATTERN,
    Amount,
    AnyJson,
    ExplicitId,
    Flag,
    Items,
    Moment,
    Obj,
    StrictBody,
    Text,
)

# Column sizes (models/orders.py) and the tracking limits of orders.md.
NAME = 255
PHONE = 100
HANDLE = 100
TRACKING_ID = 100
TRACKING = 2000
LOCALE = 20
SKU = 100


# What http_url accepts, for the document: http(s), a host, no whitespace or control
# characters ("" clears). Bracketed (IPv6) hosts are accepted too but left out here.
_WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_BLANK = f"\\x00-\\x1f{_WHITESPACE}"
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
# Handles are a-z, 0-9 and _ (`cs status add`), matched in any case.
HANDLE_PATTERN = "^[A-Za-z0-9_]+$"


def http_url(value):
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


def _text(max_length=None, **kwargs):
    return Text(max_length=max_length or MAX_TEXT, allow_none=True, **kwargs)


def _required(max_length=None, **kwargs):
    return Text(max_length=max_length or MAX_TEXT, required=True, **kwargs)


class AddressBody(StrictBody):
    address1 = _text()
    address2 = _text()
    address3 = _text()
    city = _text()
    state_province = _text()
    country = _text()
    postal_code = _text()


class BillingBody(StrictBody):
    phone = _text(PHONE)
    first_name = _text(NAME)
    last_name = _text(NAME)
    company = _text(NAME)
    address = Obj(AddressBody, allow_none=True, metadata={"description": "null: no address."})
    vat_number = _text(PHONE, metadata={"description": "Kept whether or not it is shown."})


class ShippingBody(StrictBody):
    first_name = _text(NAME)
    last_name = _text(NAME)
    company = _text(NAME)
    address = Obj(AddressBody, allow_none=True, metadata={"description": "null: no address."})
    phone = _text(PHONE)


class CustomerBody(StrictBody):
    email = _text(NAME)
    username = _text(NAME)
    billing = Obj(BillingBody)
    shipping = Obj(ShippingBody)


class ItemOptionBody(StrictBody):
    name = _required(NAME)
    handle = _required(NAME)
    value = _required(metadata={"description": '"None" reads back as "None".'})


class AttributeBody(StrictBody):
    handle = _required(NAME)
    name = _required(NAME)
    value = AnyJson(required=True, allow_none=True, metadata={"description": "Any JSON."})


class FulfilmentBody(StrictBody):
    IGNORED = ("status",)

    status = _text(NAME, metadata={"description": "Read-only: ignored."})
    handle = Text(
        max_length=HANDLE,
        min_length=1,
        allow_none=True,
        pattern=HANDLE_PATTERN,
        metadata={"description": "A fulfilment status handle (any case)."},
    )
    tracking_id = _text(TRACKING_ID)
    tracking_code = _text(TRACKING)
    tracking_url = _text(TRACKING, validate=[http_url], pattern=HTTP_URL_PATTERN)


class RefundBody(StrictBody):
    date = Moment(required=True)
    reason = _text()


class CancellationBody(StrictBody):
    date = Moment(required=True)


class HistoryEntryBody(StrictBody):
    handle = _required(HANDLE, pattern=HANDLE_PATTERN)
    date = Moment(required=True)
    actor = _text(NAME, metadata={"description": "Who made the change; null: unknown."})


def _money(**kwargs):
    return Amount(money=True, **kwargs)


class OrderFieldsBody(StrictBody):
    """The keys a new and a recorded order share: the full view's, but the items."""

    IGNORED = ("date_updated",)

    date_placed = Moment(metadata={"description": "Default: now."})
    date_updated = Moment(allow_none=True, metadata={"description": "Read-only: ignored."})
    total = _money(metadata={"description": "At most the currency's decimal digits."})
    payment_method = _text(NAME)
    payment_date = Moment(allow_none=True, metadata={"description": "null: not paid."})
    payment_reference = _text(NAME)
    shipping_method = _text(NAME, metadata={"description": "null: not shippable."})
    fulfilment = Obj(FulfilmentBody)
    locale = _text(LOCALE)
    customer = Obj(CustomerBody)
    attributes = Items(Obj(AttributeBody))
    refunded = Obj(RefundBody, allow_none=True, metadata={"description": "null: not refunded."})
    shipping_total = _money()
    tax = _money()
    discount = _money()
    cancelled = Obj(
        CancellationBody, allow_none=True, metadata={"description": "null: not cancelled."}
    )
    external_payment_requested = Moment(
        allow_none=True,
        metadata={"description": "Sent to an off-site payment page then (null: not)."},
    )


class NewItemBody(StrictBody):
    IGNORED = ("id",)

    id = ExplicitId(metadata={"description": "Ignored: the service assigns item ids."})
    sku = _required(NAME, metadata={"description": "A SKU of this store."})
    quantity = Amount(required=True, positive=True, metadata={"description": "Up to 4 decimals."})
    name = Text(
        max_length=NAME, min_length=1, metadata={"description": "Default: the catalogue's."}
    )
    price = Amount(
        metadata={"description": "Unit price paid, up to 4 decimals. Default: the catalogue's."}
    )
    options = Items(
        Obj(ItemOptionBody), metadata={"description": "Default: the variation's choices."}
    )


class NewOrderBody(OrderFieldsBody):
    """POST /orders: items by SKU; stock is taken, the total computed (manage.md §4)."""

    IGNORED = ("id", "date_updated", "status_history")

    id = ExplicitId(metadata={"description": "Ignored: the service assigns the id."})
    items = Items(Obj(NewItemBody), required=True, validate=validate.Length(min=1))
    status_history = Items(
        Obj(HistoryEntryBody), metadata={"description": "Ignored: a new order starts its history."}
    )

    @validates_schema
    def refund_needs_payment(self, data, **kwargs):
        if data.get("refunded") and not data.get("payment_date"):
            raise ValidationError("A refunded order must have been paid.", "refunded")


def _sku_size(value):
    # MariaDB keeps SKUs in VARBINARY(100): a hundred bytes of UTF-8.
    if value is not None and len(value.encode("utf-8")) > SKU:
        raise ValidationError(f"Must be at most {SKU} bytes of UTF-8.")


class RecordedItemBody(StrictBody):
    id = ExplicitId(metadata={"description": "Kept when free; default: a new id."})
    name = _required(NAME)
    sku = _text(
        SKU, validate=[_sku_size], metadata={"description": "Need not exist in the catalogue."}
    )
    quantity = Amount(required=True, minimum=None)
    price = Amount(required=True, minimum=None, metadata={"description": "Unit price paid."})
    options = Items(Obj(ItemOptionBody))


class RecordedOrderBody(OrderFieldsBody):
    """PUT /orders/{id}: the order as recorded, every value stored as given."""

    id = ExplicitId(metadata={"description": "The id of the path, if given."})
    items = Items(Obj(RecordedItemBody))
    status_history = Items(Obj(HistoryEntryBody), metadata={"description": "Oldest first."})

    @validates_schema
    def distinct_item_ids(self, data, **kwargs):
        ids = [item["id"] for item in data.get("items", ()) if "id" in item]
        if len(ids) != len(set(ids)):
            raise ValidationError("Item ids must be distinct.", "items")


def _payment_form(change, value, *others):
    """The JSON Schema of one form of a payment change: `change` set to `value`, with
    `others` allowed beside it."""
    keys = {
        "date": {"$ref": f"#/components/schemas/{MOMENT_COMPONENT}"},
        "reference": {"type": ["string", "null"], "maxLength": NAME, "pattern": NO_NUL_PATTERN},
        "reason": {"type": ["string", "null"], "maxLength": MAX_TEXT, "pattern": NO_NUL_PATTERN},
        "restock": {"type": "boolean"},
    }
    return {
        "type": "object",
        "required": [change],
        "properties": {change: {"type": "boolean", "const": value}}
        | {key: keys[key] for key in others},
        "additionalProperties": False,
    }


class PaymentBody(StrictBody):
    """One payment change (manage.md §5)."""

    # For the document: which keys go together (one_change says it to the parser).
    OPENAPI_RULES = {
        "oneOf": [
            _payment_form("paid", True, "date", "reference"),
            _payment_form("paid", False),
            _payment_form("refunded", True, "date", "reason", "restock"),
            _payment_form("cancelled", True, "date", "restock"),
        ]
    }

    paid = Flag()
    refunded = Flag(metadata={"enum": [True]})
    cancelled = Flag(metadata={"enum": [True]})
    date = Moment(metadata={"description": "When it happened; default: now."})
    reference = _text(NAME, metadata={"description": "With paid: the payment's reference."})
    reason = _text(metadata={"description": "With refunded: why."})
    restock = Flag(metadata={"description": "With refunded or cancelled: put stock back."})

    @validates_schema
    def one_change(self, data, **kwargs):
        changes = [key for key in ("paid", "refunded", "cancelled") if key in data]
        if len(changes) != 1:
            raise ValidationError("Give exactly one of paid, refunded, cancelled.")
        change = changes[0]
        if change != "paid" and data[change] is not True:
            raise ValidationError("Only true is allowed.", change)
        allowed = {
            ("paid", True): {"date", "reference"},
            ("paid", False): set(),
            ("refunded", True): {"date", "reason", "restock"},
            ("cancelled", True): {"date", "restock"},
        }[(change, data[change])]
        value = "true" if data[change] else "false"
        for key in sorted(set(data) - allowed - {change}):
            raise ValidationError(f"Not allowed with {change}: {value}.", key)


class OrderChangeBody(StrictBody):
    """The strict PATCH body of an order: fulfilment and payment, in one transaction."""

    fulfilment = Obj(FulfilmentBody, allow_none=True)
    payment = Obj(PaymentBody, allow_none=True)
