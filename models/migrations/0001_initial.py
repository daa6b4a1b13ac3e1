"""The first schema: the whole store, its integration clients and fulfilment statuses."""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    Check,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from models.base import Fixed4Field, SkuField, UTCDateTimeField


def up(migrator, db):
    class ApiClient(Model):
        name = CharField()
        client_id = CharField(unique=True, max_length=64)
        secret_digest = CharField(max_length=64)
        scopes = TextField()
        created_at = UTCDateTimeField()
        secret_rotated_at = UTCDateTimeField(null=True)
        revoked_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = "api_client"

    db.create_tables([ApiClient])

    class Brand(Model):
        name = CharField(unique=True)

        class Meta:
            database = db
            table_name = "brand"

    db.create_tables([Brand])

    class Category(Model):
        name = CharField()
        url = TextField(null=True)

        class Meta:
            database = db
            table_name = "category"

    db.create_tables([Category])

    class FulfilmentStatus(Model):
        handle = CharField(unique=True, max_length=100)
        name = CharField()
        sort_order = IntegerField(index=True, default=0)
        is_starting = BooleanField(default=False)

        class Meta:
            database = db
            table_name = "fulfilment_status"

    db.create_tables([FulfilmentStatus])

    class Order(Model):
        placed_at = UTCDateTimeField(index=True)
        locale = CharField(null=True, max_length=20)
        customer_email = CharField(index=True, null=True)
        customer_username = CharField(null=True)
        vat_number = CharField(null=True, max_length=100)
        payment_method = CharField(null=True)
        payment_reference = CharField(null=True)
        paid_at = UTCDateTimeField(index=True, null=True)
        cancelled_at = UTCDateTimeField(index=True, null=True)
        refunded_at = UTCDateTimeField(index=True, null=True)
        refund_reason = TextField(null=True)
        external_payment_requested_at = UTCDateTimeField(index=True, null=True)
        shipping_method = CharField(index=True, null=True)
        shipping_total = Fixed4Field(default=0)
        tax_total = Fixed4Field(default=0)
        discount_total = Fixed4Field(default=0)
        total = Fixed4Field(default=0)
        status = ForeignKeyField(FulfilmentStatus, on_delete="RESTRICT")
        tracking_id = CharField(null=True, max_length=100)
        tracking_code = TextField(null=True)
        tracking_url = TextField(null=True)
        updated_at = UTCDateTimeField()
        billing_first_name = CharField(null=True)
        billing_last_name = CharField(null=True)
        billing_company = CharField(null=True)
        billing_phone = CharField(null=True, max_length=100)
        billing_address1 = TextField(null=True)
        billing_address2 = TextField(null=True)
        billing_address3 = TextField(null=True)
        billing_city = TextField(null=True)
        billing_state_province = TextField(null=True)
        billing_country = TextField(null=True)
        billing_postal_code = TextField(null=True)
        shipping_first_name = CharField(null=True)
        shipping_last_name = CharField(null=True)
        shipping_company = CharField(null=True)
        shipping_phone = CharField(null=True, max_length=100)
        shipping_address1 = TextField(null=True)
        shipping_address2 = TextField(null=True)
        shipping_address3 = TextField(null=True)
        shipping_city = TextField(null=True)
        shipping_state_province = TextField(null=True)
        shipping_country = TextField(null=True)
        shipping_postal_code = TextField(null=True)

        class Meta:
            database = db
            table_name = "order"

    db.create_tables([Order])

    class OrderAttribute(Model):
        order = ForeignKeyField(Order, on_delete="CASCADE")
        handle = CharField()
        name = CharField()
        value = TextField()
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "order_attribute"

    db.create_tables([OrderAttribute])

    class Sku(Model):
        code = SkuField(primary_key=True, max_length=100)
        kind = CharField(max_length=1, constraints=[Check("kind IN ('P', 'V')")])

        class Meta:
            database = db
            table_name = "sku"
            indexes = ((("code", "kind"), True),)

    db.create_tables([Sku])

    class Product(Model):
        name = CharField()
        sku = SkuField(unique=True, null=True, max_length=100)
        sku_kind = CharField(max_length=1, default="P", constraints=[Check("sku_kind = 'P'")])
        barcode = CharField(null=True, max_length=100)
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
        date_added = UTCDateTimeField()
        date_updated = UTCDateTimeField(index=True)

        class Meta:
            database = db
            table_name = "product"
            constraints = [SQL("FOREIGN KEY (sku, sku_kind) REFERENCES sku (code, kind)")]
            indexes = ((("date_added", "id"), False),)

    db.create_tables([Product])

    class Variation(Model):
        product = ForeignKeyField(Product, on_delete="CASCADE")
        sku = SkuField(unique=True, null=True, max_length=100)
        sku_kind = CharField(max_length=1, default="V", constraints=[Check("sku_kind = 'V'")])
        barcode = CharField(null=True, max_length=100)
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
            database = db
            table_name = "variation"
            constraints = [SQL("FOREIGN KEY (sku, sku_kind) REFERENCES sku (code, kind)")]

    db.create_tables([Variation])

    class OrderItem(Model):
        order = ForeignKeyField(Order, on_delete="CASCADE")
        product = ForeignKeyField(Product, null=True, on_delete="SET NULL")
        variation = ForeignKeyField(Variation, null=True, on_delete="SET NULL")
        name = CharField()
        sku = CharField(null=True, max_length=100)
        quantity = Fixed4Field()
        price = Fixed4Field()
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "order_item"

    db.create_tables([OrderItem])

    class OrderItemOption(Model):
        item = ForeignKeyField(OrderItem, on_delete="CASCADE")
        name = CharField()
        handle = CharField()
        value = TextField()
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "order_item_option"

    db.create_tables([OrderItemOption])

    class OrderStatusHistory(Model):
        order = ForeignKeyField(Order, on_delete="CASCADE")
        status = ForeignKeyField(FulfilmentStatus, on_delete="RESTRICT")
        handle = CharField(max_length=100)
        changed_at = UTCDateTimeField()
        client = ForeignKeyField(
            ApiClient, field=ApiClient.client_id, null=True, on_delete="SET NULL"
        )

        class Meta:
            database = db
            table_name = "order_status_history"

    db.create_tables([OrderStatusHistory])

    class ProductCategory(Model):
        product = ForeignKeyField(Product, on_delete="CASCADE")
        category = ForeignKeyField(Category, on_delete="CASCADE")
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "product_category"
            indexes = ((("product", "category"), True),)

    db.create_tables([ProductCategory])

    class ProductGroup(Model):
        name = CharField(unique=True)

        class Meta:
            database = db
            table_name = "product_group"

    db.create_tables([ProductGroup])

    class ProductGroupLink(Model):
        product = ForeignKeyField(Product, on_delete="CASCADE")
        group = ForeignKeyField(ProductGroup, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "product_group_link"
            indexes = ((("product", "group"), True),)

    db.create_tables([ProductGroupLink])

    class ProductImage(Model):
        product = ForeignKeyField(Product, on_delete="CASCADE")
        url = TextField()
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "product_image"

    db.create_tables([ProductImage])

    class ProductOption(Model):
        product = ForeignKeyField(Product, on_delete="CASCADE")
        name = CharField()
        handle = CharField()
        kind = CharField(max_length=20, default="select", column_name="type")
        required = BooleanField(default=False)
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "product_option"
            indexes = ((("product", "handle"), True),)

    db.create_tables([ProductOption])

    class ProductOptionChoice(Model):
        option = ForeignKeyField(ProductOption, on_delete="CASCADE")
        name = CharField()
        price_adjustment = Fixed4Field(null=True)
        weight_adjustment = Fixed4Field(null=True)
        sort_order = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "product_option_choice"

    db.create_tables([ProductOptionChoice])

    class VariationChoice(Model):
        variation = ForeignKeyField(Variation, on_delete="CASCADE")
        choice = ForeignKeyField(ProductOptionChoice, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "variation_choice"
            indexes = ((("variation", "choice"), True),)

    db.create_tables([VariationChoice])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("variation_choice"))
    migrator.migrate(migrator.drop_table("product_option_choice"))
    migrator.migrate(migrator.drop_table("product_option"))
    migrator.migrate(migrator.drop_table("product_image"))
    migrator.migrate(migrator.drop_table("product_group_link"))
    migrator.migrate(migrator.drop_table("product_group"))
    migrator.migrate(migrator.drop_table("product_category"))
    migrator.migrate(migrator.drop_table("order_status_history"))
    migrator.migrate(migrator.drop_table("order_item_option"))
    migrator.migrate(migrator.drop_table("order_item"))
    migrator.migrate(migrator.drop_table("variation"))
    migrator.migrate(migrator.drop_table("product"))
    # After its two owners, whose foreign keys point at it.
    migrator.migrate(migrator.drop_table("sku"))
    migrator.migrate(migrator.drop_table("order_attribute"))
    migrator.migrate(migrator.drop_table("order"))
    migrator.migrate(migrator.drop_table("fulfilment_status"))
    migrator.migrate(migrator.drop_table("category"))
    migrator.migrate(migrator.drop_table("brand"))
    migrator.migrate(migrator.drop_table("api_client"))
