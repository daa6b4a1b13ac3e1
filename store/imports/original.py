"""The original PHP add-on's documents as PUT bodies: its quirks read (API.md §6), and
what it does not show listed as losses."""

import re
from decimal import Decimal, InvalidOperation

PRODUCT_PRICES = ("price", "wholesale_price", "cost_price", "sale_price")
DIMENSIONS = ("width", "height", "length", "number_items", "stacked_height")
ORDER_LOSSES = (
    "status history (one entry, the current status at the time of placing, is recorded)",
    "shipping total, tax and discount",
)


def _number(value):
    """A decimal string as a JSON-like number; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return value  # not a number after all: the store's validation names it
    return int(number) if number == number.to_integral_value() else float(number)


def _brand(value, losses):
    if isinstance(value, dict):
        for key in ("name", "mName", "manufacturerName"):
            if isinstance(value.get(key), str):
                return value[key]
        losses.append("brand (shown as an object without a name)")
        return None
    return value


def _handle(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "option"


def _options_from_variations(variations):
    """List options rebuilt from the variations' choices, since the original overwrites a
    product's `options` with a variation's when it has variations."""
    options = {}
    for variation in variations:
        for choice in variation.get("options") or ():
            values = options.setdefault(choice["name"], [])
            if choice["value"] not in values:
                values.append(choice["value"])
    return [
        {
            "name": name,
            "handle": _handle(name),
            "type": "select",
            "required": True,
            "options": [
                {"name": value, "price_adjustment": None, "weight_adjustment": None}
                for value in values
            ],
        }
        for name, values in options.items()
    ]


def product_body(document):
    """(PUT body, [losses]) for a product of the original."""
    losses = ["weight"]
    body = {key: value for key, value in document.items() if key != "date_updated"}
    if body.get("primary_image") is False:
        body["primary_image"] = None
    body["brand"] = _brand(body.get("brand"), losses)
    for key in PRODUCT_PRICES:
        body[key] = _number(body.get(key))
    if isinstance(body.get("shipping"), dict):
        body["shipping"] = {key: _number(value) for key, value in body["shipping"].items()}
    variations = []
    for variation in body.get("variations") or ():
        variation = dict(variation)
        if variation.get("primary_image") is False:
            variation["primary_image"] = None
        for key in PRODUCT_PRICES:
            if key in variation:
                variation[key] = _number(variation[key])
        if isinstance(variation.get("shipping"), dict):
            variation["shipping"] = {k: _number(v) for k, v in variation["shipping"].items()}
        variations.append(variation)
    body["variations"] = variations
    if variations:
        body["options"] = _options_from_variations(variations)
        losses.append("options of products with variations (rebuilt from the variations)")
    return body, losses


def order_body(document, cancelled):
    """(PUT body, [losses]) for an order of the original; `cancelled` whether the order is
    in its `cancelled=true` listing."""
    losses = list(ORDER_LOSSES)
    body = {key: value for key, value in document.items() if key != "date_updated"}
    if body.get("payment_date") == []:
        body["payment_date"] = None
    customer = dict(body.get("customer") or {})
    if customer.get("username") is False:
        customer["username"] = None
    body["customer"] = customer
    for item in body.get("items") or ():
        for key in ("price", "quantity"):
            item[key] = _number(item.get(key))
    body["total"] = _number(body.get("total"))
    fulfilment = {
        key: value for key, value in (body.get("fulfilment") or {}).items() if key != "status"
    }
    body["fulfilment"] = fulfilment
    if fulfilment.get("handle"):
        body["status_history"] = [
            {"handle": fulfilment["handle"], "date": body.get("date_placed"), "actor": None}
        ]
    if cancelled:
        # The listing tells that it was cancelled, not when.
        body["cancelled"] = {"date": body.get("date_placed")}
        losses.append("cancellation dates (the order's date_placed is recorded)")
    return body, losses
