"""A product as the writes see it: the shape of a loaded body (Decimals, naive UTC
datetimes), read from the database exactly (no rounding), or a new one's defaults."""

import re
from decimal import Decimal

from peewee import JOIN

from models.catalog import (
    LIST_OPTION_TYPES,
    Brand,
    Category,
    Product,
    ProductCategory,
    ProductGroup,
    ProductGroupLink,
    ProductImage,
    ProductOption,
    ProductOptionChoice,
    Variation,
    VariationChoice,
)

# The body keys of a product and of a variation that name stock (manage.md §1).
STOCK_KEYS = ("stock_level", "stock_unlimited", "stock_adjustment")
# Product columns read and written under the body's own key.
PRODUCT_SCALARS = (
    "name",
    "sku",
    "barcode",
    "active",
    "stock_unlimited",
    "stock_level",
    "short_description",
    "description",
    "price",
    "wholesale_price",
    "cost_price",
    "sale_price",
    "sale_start",
    "sale_end",
    "primary_image",
    "date_added",
    "weight",
)
PRODUCT_SHIPPING = (
    "shippable",
    "width",
    "height",
    "length",
    "number_items",
    "stacked_height",
    "separate_ship",
)
VARIATION_SCALARS = (
    "sku",
    "barcode",
    "stock_unlimited",
    "stock_level",
    "price",
    "wholesale_price",
    "cost_price",
    "sale_price",
    "primary_image",
    "weight",
)
VARIATION_SHIPPING = ("width", "height", "length", "number_items")


def new_product(now):
    """A new product's defaults (manage.md §3); `name` comes from the body."""
    return {
        "sku": None,
        "barcode": None,
        "active": True,
        "stock_unlimited": False,
        "stock_level": Decimal(0),
        "short_description": None,
        "description": None,
        "brand": None,
        "price": None,
        "wholesale_price": None,
        "cost_price": None,
        "sale_price": None,
        "sale_start": None,
        "sale_end": None,
        "primary_image": None,
        "additional_images": [],
        "groups": [],
        "categories": [],
        "options": [],
        "variations": [],
        "date_added": now,
        "shipping": {
            "shippable": True,
            "width": None,
            "height": None,
            "length": None,
            "number_items": None,
            "stacked_height": None,
            "separate_ship": False,
        },
        "weight": None,
    }


def new_variation():
    """A new variation's defaults: the product's prices, image and sizes apply."""
    return {
        "id": None,
        **{key: None for key in VARIATION_SCALARS},
        "stock_unlimited": False,
        "stock_level": Decimal(0),
        "options": [],
        "shipping": dict.fromkeys(VARIATION_SHIPPING),
    }


def new_option(name):
    return {"name": name, "handle": None, "type": "select", "required": False, "options": []}


def new_choice(name):
    return {"name": name, "price_adjustment": None, "weight_adjustment": None}


def handle_of(name):
    """An option handle made from its name: `Gift wrap` → `gift_wrap`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:200] or "option"


def _options(product_id):
    rows = (
        ProductOption.select(
            ProductOption.id,
            ProductOption.name,
            ProductOption.handle,
            ProductOption.kind,
            ProductOption.required,
            ProductOptionChoice.name.alias("choice"),
            ProductOptionChoice.price_adjustment,
            ProductOptionChoice.weight_adjustment,
        )
        .join(ProductOptionChoice, JOIN.LEFT_OUTER)
        .where(ProductOption.product == product_id)
        .order_by(
            ProductOption.sort_order,
            ProductOption.id,
            ProductOptionChoice.sort_order,
            ProductOptionChoice.id,
        )
        .dicts()
    )
    options, by_id = [], {}
    for row in rows:
        option = by_id.get(row["id"])
        if option is None:
            option = by_id[row["id"]] = {
                "name": row["name"],
                "handle": row["handle"],
                "type": row["kind"],
                "required": bool(row["required"]),
                "options": [],
            }
            options.append(option)
        if row["choice"] is not None and row["kind"] in LIST_OPTION_TYPES:
            option["options"].append(
                {
                    "name": row["choice"],
                    "price_adjustment": row["price_adjustment"],
                    "weight_adjustment": row["weight_adjustment"],
                }
            )
    return options


def _variations(product_id):
    rows = (
        Variation.select()
        .where(Variation.product == product_id)
        .order_by(Variation.sort_order, Variation.id)
    )
    chosen = (
        VariationChoice.select(
            VariationChoice.variation, ProductOption.name, ProductOptionChoice.name
        )
        .join(ProductOptionChoice)
        .join(ProductOption)
        .where(ProductOption.product == product_id)
        .order_by(VariationChoice.variation, ProductOption.sort_order, ProductOption.id)
        .tuples()
    )
    names = {}
    for variation_id, option, choice in chosen:
        names.setdefault(variation_id, []).append({"name": option, "value": choice})
    variations = []
    for row in rows:
        variation = {"id": row.id, **{key: getattr(row, key) for key in VARIATION_SCALARS}}
        variation["stock_unlimited"] = bool(variation["stock_unlimited"])
        variation["options"] = names.get(row.id, [])
        variation["shipping"] = {key: getattr(row, key) for key in VARIATION_SHIPPING}
        variations.append(variation)
    return variations


def load_product(product_id):
    """The stored product in the shape of a loaded body (with `id` and the variations'
    ids), or None when there is none."""
    row = (
        Product.select(Product, Brand.name.alias("brand_name"))
        .join(Brand, JOIN.LEFT_OUTER, on=(Product.brand == Brand.id))
        .where(Product.id == product_id)
        .objects()
        .first()
    )
    if row is None:
        return None
    product = {"id": row.id, **{key: getattr(row, key) for key in PRODUCT_SCALARS}}
    product["brand"] = row.brand_name
    product["active"], product["stock_unlimited"] = bool(row.active), bool(row.stock_unlimited)
    product["shipping"] = {key: getattr(row, key) for key in PRODUCT_SHIPPING}
    for key in ("shippable", "separate_ship"):
        product["shipping"][key] = bool(product["shipping"][key])
    product["additional_images"] = [
        url
        for (url,) in ProductImage.select(ProductImage.url)
        .where(ProductImage.product == product_id)
        .order_by(ProductImage.sort_order, ProductImage.id)
        .tuples()
    ]
    product["groups"] = [
        name
        for (name,) in ProductGroupLink.select(ProductGroup.name)
        .join(ProductGroup)
        .where(ProductGroupLink.product == product_id)
        .order_by(ProductGroupLink.id)
        .tuples()
    ]
    product["categories"] = [
        {"name": name, "url": url}
        for name, url in ProductCategory.select(Category.name, Category.url)
        .join(Category)
        .where(ProductCategory.product == product_id)
        .order_by(ProductCategory.sort_order, ProductCategory.id)
        .tuples()
    ]
    product["options"] = _options(product_id)
    product["variations"] = _variations(product_id)
    return product
