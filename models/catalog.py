"""Products, their options, variations, images, groups, categories and brands."""

from peewee import (
    SQL,
    BigAutoField,
    BooleanField,
    CharField,
    Check,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel, Fixed4Field, SkuField, UTCDateTimeField, utcnow

PRODUCT_SKU = "P"
VARIATION_SKU = "V"
OPTION_TYPES = ("select", "radio", "text", "textarea", "checkbox", "hidden", "static")
LIST_OPTION_TYPES = ("select", "radio")


class Sku(BaseModel):
    """Every SKU in the store, so one constraint keeps them unique across products and
    variations; `kind` says which table owns it and is part of the owners' foreign keys."""

    code = SkuField(primary_key=True)
    kind = CharField(max_length=1, constraints=[Check("kind IN ('P', 'V')")])

    class Meta:
        indexes = ((("code", "kind"), True),)


class Brand(BaseModel):
    name = CharField(max_length=255, unique=True)


class Product(BaseModel):
    id = BigAutoField()
    name = CharField(max_length=255)
    sku = SkuField(null=True, unique=True)
    sku_kind = CharField(max_length=1, default=PRODUCT_SKU, constraints=[Check("sku_kind = 'P'")])
    barcode = CharField(max_length=100, null=True)
    active = BooleanField(default=True)
    stock_level = Fixed4Field(default=0)
    stock_unlimited = BooleanField(default=False)
    short_description = TextField(null=True)
    description = TextField(null=True)
    brand = ForeignKeyField(Brand, null=True, on_delete="SET NULL")
    price = Fixed4Field(null=True)
    wholesale_price = Fixed4Field(null=True)
    cost_price = Fixed4Field(null=True)
    sale_price = Fixed4Field(null=True)
    sale_start = UTCDateTimeField(null=True)
    sale_end = UTCDateTimeField(null=True)
    primary_image = TextField(null=True)
    shippable = BooleanField(default=True)
    width = Fixed4Field(null=True)
    height = Fixed4Field(null=True)
    length = Fixed4Field(null=True)
    weight = Fixed4Field(null=True)
    number_items = IntegerField(null=True)
    stacked_height = Fixed4Field(null=True)
    separate_ship = BooleanField(default=False)
    date_added = UTCDateTimeField(default=utcnow)
    date_updated = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("date_added", "id"), False),)
        constraints = [SQL("FOREIGN KEY (sku, sku_kind) REFERENCES sku (code, kind)")]


class ProductImage(BaseModel):
    """An additional image; the primary one lives on the product."""

    product = ForeignKeyField(Product, backref="images", on_delete="CASCADE")
    url = TextField()
    sort_order = IntegerField(default=0)


class ProductGroup(BaseModel):
    name = CharField(max_length=255, unique=True)


class ProductGroupLink(BaseModel):
    product = ForeignKeyField(Product, on_delete="CASCADE")
    group = ForeignKeyField(ProductGroup, on_delete="CASCADE")

    class Meta:
        indexes = ((("product", "group"), True),)


class Category(BaseModel):
    name = CharField(max_length=255)
    url = TextField(null=True)


class ProductCategory(BaseModel):
    product = ForeignKeyField(Product, on_delete="CASCADE")
    category = ForeignKeyField(Category, on_delete="CASCADE")
    sort_order = IntegerField(default=0)

    class Meta:
        indexes = ((("product", "category"), True),)


class ProductOption(BaseModel):
    product = ForeignKeyField(Product, backref="options", on_delete="CASCADE")
    name = CharField(max_length=255)
    handle = CharField(max_length=255)
    kind = CharField(max_length=20, default="select", column_name="type")
    required = BooleanField(default=False)
    sort_order = IntegerField(default=0)

    class Meta:
        indexes = ((("product", "handle"), True),)


class ProductOptionChoice(BaseModel):
    option = ForeignKeyField(ProductOption, backref="choices", on_delete="CASCADE")
    name = CharField(max_length=255)
    price_adjustment = Fixed4Field(null=True)
    weight_adjustment = Fixed4Field(null=True)
    sort_order = IntegerField(default=0)


class Variation(BaseModel):
    """One combination of choices of a product's list options, with its own stock."""

    id = BigAutoField()
    product = ForeignKeyField(Product, backref="variations", on_delete="CASCADE")
    sku = SkuField(null=True, unique=True)
    sku_kind = CharField(max_length=1, default=VARIATION_SKU, constraints=[Check("sku_kind = 'V'")])
    barcode = CharField(max_length=100, null=True)
    stock_level = Fixed4Field(default=0)
    stock_unlimited = BooleanField(default=False)
    price = Fixed4Field(null=True)
    wholesale_price = Fixed4Field(null=True)
    cost_price = Fixed4Field(null=True)
    sale_price = Fixed4Field(null=True)
    primary_image = TextField(null=True)
    width = Fixed4Field(null=True)
    height = Fixed4Field(null=True)
    length = Fixed4Field(null=True)
    weight = Fixed4Field(null=True)
    number_items = IntegerField(null=True)
    sort_order = IntegerField(default=0)

    class Meta:
        constraints = [SQL("FOREIGN KEY (sku, sku_kind) REFERENCES sku (code, kind)")]


class VariationChoice(BaseModel):
    variation = ForeignKeyField(Variation, backref="choices", on_delete="CASCADE")
    choice = ForeignKeyField(ProductOptionChoice, on_delete="CASCADE")

    class Meta:
        indexes = ((("variation", "choice"), True),)


def claim_sku(code, kind):
    """Register a SKU for a product or variation; a duplicate raises IntegrityError."""
    if code is not None:
        Sku.insert(code=code, kind=kind).execute()
    return code


def create_product(**fields):
    claim_sku(fields.get("sku"), PRODUCT_SKU)
    return Product.create(**fields)


def create_variation(**fields):
    claim_sku(fields.get("sku"), VARIATION_SKU)
    return Variation.create(**fields)
