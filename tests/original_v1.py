"""Bodies in the forms the original Community Store API add-on sends (API.md §6): string
status ids, `payment_date: []`, `username: false`, `primary_image: false`, decimal
strings for some prices and dimensions, `brand` as an object, and a product's `options`
overwritten by a variation's when it has variations."""

TZ = "America/Phoenix"


def when(text):
    return {"date": f"{text}.000000", "timezone": TZ}


CONFIG = {
    "currency": {"code": "USD", "symbol": "$", "decimal_digits": 2},
    "community_store": {"version": "2.5.2"},
    "community_store_api": {"version": "1.0.3"},
    "system": {"time_zone": TZ},
}

STATUSES = [
    {"id": "1", "handle": "incomplete", "name": "Awaiting Processing"},
    {"id": "2", "handle": "processing", "name": "Processing"},
    {"id": "7", "handle": "awaiting_stock", "name": "Awaiting Stock"},
    {"id": "3", "handle": "shipped", "name": "Shipped"},
    {"id": "4", "handle": "delivered", "name": "Delivered"},
    {"id": "5", "handle": "nodelivery", "name": "Will not deliver"},
    {"id": "6", "handle": "returned", "name": "Returned"},
]

SHIPPING = {
    "shippable": True,
    "width": "10.5",
    "height": "4",
    "length": "20.25",
    "number_items": "1",
    "stacked_height": None,
    "separate_ship": False,
}


def _product(product_id, name, sku, **fields):
    return {
        "id": product_id,
        "name": name,
        "sku": sku,
        "barcode": None,
        "active": True,
        "stock_unlimited": False,
        "stock_level": 12,
        "short_description": "<p>Short</p>",
        "description": "<p>Long</p>",
        "brand": None,
        "price": 25,
        "wholesale_price": "12.50",
        "cost_price": "9.95",
        "sale_price": None,
        "sale_start": None,
        "sale_end": None,
        "primary_image": False,
        "additional_images": [],
        "groups": [],
        "categories": [],
        "options": [],
        "variations": [],
        "date_added": when("2021-03-04 10:00:00"),
        "date_updated": when("2021-03-05 11:00:00"),
        "shipping": dict(SHIPPING),
        **fields,
    }


def _variation(variation_id, sku, size, stock):
    return {
        "id": variation_id,
        "sku": sku,
        "barcode": None,
        "stock_unlimited": False,
        "stock_level": stock,
        "price": "27.00",
        "wholesale_price": None,
        "cost_price": None,
        "sale_price": None,
        "primary_image": False,
        "options": [{"name": "Size", "value": size}],
        "shipping": {"width": None, "height": None, "length": None, "number_items": None},
    }


PRODUCTS = [
    _product(
        31,
        "Tee",
        "TEE",
        brand={"mID": 2, "mName": "Acme"},
        groups=["Shirts"],
        categories=[{"name": "Clothing", "url": "https://shop.example.com/clothing"}],
        # Overwritten by the last variation's options (the original's bug).
        options=[{"name": "Size", "value": "Large"}],
        variations=[_variation(301, "TEE-S", "Small", 4), _variation(302, "TEE-L", "Large", 0)],
    ),
    _product(22, "Mug", "MUG", brand={}, sale_price="19.99", stock_unlimited=True),
    _product(
        13,
        "Poster",
        "POSTER",
        primary_image="https://shop.example.com/poster.jpg",
        additional_images=["https://shop.example.com/poster-2.jpg"],
    ),
]


def _address(city):
    return {
        "address1": "1 Main St",
        "address2": "",
        "address3": None,
        "city": city,
        "state_province": "AZ",
        "country": "US",
        "postal_code": "85001",
    }


def _order(order_id, placed, handle, name, **fields):
    return {
        "id": order_id,
        "date_placed": when(placed),
        "total": 59.9,
        "payment_method": "Invoice",
        "payment_date": [],
        "payment_reference": None,
        "shipping_method": "Ground",
        "fulfilment": {
            "status": name,
            "handle": handle,
            "tracking_id": None,
            "tracking_code": None,
            "tracking_url": None,
        },
        "locale": "en_US",
        "customer": {
            "email": f"buyer{order_id}@example.com",
            "username": False,
            "billing": {
                "phone": "555-0100",
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": _address("Phoenix"),
            },
            "shipping": {
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": _address("Tempe"),
            },
        },
        "items": [
            {
                "id": order_id * 10 + 1,
                "name": "Tee",
                "sku": "TEE-L",
                "quantity": 2,
                "price": "27.00",
                "options": [{"name": "Size", "handle": "size", "value": "Large"}],
            },
            {
                "id": order_id * 10 + 2,
                "name": "Gone",
                "sku": "OLD-1",
                "quantity": 1,
                "price": 5.9,
                "options": [],
            },
        ],
        "attributes": [{"handle": "gift_message", "name": "Gift message", "value": "Hi"}],
        **fields,
    }


ORDERS = [
    _order(
        104,
        "2021-04-04 09:00:00",
        "shipped",
        "Shipped",
        payment_date=when("2021-04-04 09:05:00"),
        payment_reference="ch_1",
    ),
    _order(103, "2021-04-03 09:00:00", "nodelivery", "Will not deliver"),
    _order(
        102,
        "2021-04-02 09:00:00",
        "awaiting_stock",
        "Awaiting Stock",
        payment_date=when("2021-04-02 09:05:00"),
        refunded={"date": when("2021-04-02 12:00:00"), "reason": "Damaged"},
    ),
    _order(101, "2021-04-01 09:00:00", "incomplete", "Awaiting Processing"),
    # The original stores any tracking URL; this service takes only http(s) ones.
    _order(100, "2021-03-31 09:00:00", "shipped", "Shipped"),
]
ORDERS[-1]["fulfilment"]["tracking_url"] = "ftp://tracking.example.com/100"
CANCELLED = {103}
