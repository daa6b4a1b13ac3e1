"""Request examples of the product writes, for the OpenAPI document."""

NEW_PRODUCT_EXAMPLE = {
    "data": {
        "name": "Classic T-shirt",
        "sku": "TSHIRT",
        "price": 20,
        "brand": "Acme",
        "short_description": "<p>Soft cotton.</p>",
        "primary_image": "https://cdn.example.com/tshirt.jpg",
        "additional_images": ["https://cdn.example.com/tshirt-back.jpg"],
        "groups": ["Summer"],
        "categories": [{"name": "Apparel", "url": "https://shop.example.com/apparel"}],
        "options": [
            {
                "name": "Size",
                "type": "select",
                "required": True,
                "options": [{"name": "M"}, {"name": "L", "price_adjustment": 2}],
            },
            {"name": "Gift message", "type": "text"},
        ],
        "variations": [
            {"sku": "TSHIRT-M", "stock_level": 10, "options": [{"name": "Size", "value": "M"}]},
            {"sku": "TSHIRT-L", "stock_level": 4, "options": [{"name": "Size", "value": "L"}]},
        ],
        "shipping": {"width": 30, "height": 2, "length": 40},
        "weight": 0.2,
    }
}
PRODUCT_EXAMPLE = {
    "data": {
        "id": 123,
        "name": "Gift card",
        "sku": "GIFT-25",
        "active": True,
        "stock_unlimited": True,
        "stock_level": 0,
        "price": 25,
        "date_added": {"date": "2024-05-01 09:00:00.000000", "timezone": "America/Phoenix"},
        "shipping": {"shippable": False},
        "variations": [],
    }
}
PATCH_EXAMPLES = {
    "stock": {
        "summary": "Set the stock (cs:products:write)",
        "value": {"data": {"stock_level": 5, "stock_unlimited": False}},
    },
    "adjust": {
        "summary": "Take two from the stock (cs:products:write)",
        "value": {"data": {"stock_adjustment": -2}},
    },
    "catalog": {
        "summary": "Rename, reprice and hide (cs:products:manage)",
        "value": {"data": {"name": "Classic T-shirt (2024)", "price": 18.5, "active": False}},
    },
}
VARIATION_PATCH_EXAMPLES = {
    "stock": {
        "summary": "Set the stock (cs:products:write)",
        "value": {"data": {"stock_level": 5}},
    },
    "catalog": {
        "summary": "Give it its own price and SKU (cs:products:manage)",
        "value": {"data": {"price": 22, "sku": "TSHIRT-L-2024"}},
    },
}
