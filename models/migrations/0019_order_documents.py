"""Each order's plain document kept as JSON text, rewritten with every change to the order,
so that listings and reads send it as it is instead of rendering it (store.orders.kept)."""

from peewee import BigAutoField, CharField, ForeignKeyField, Model

from models.base import UTCDateTimeField
from models.idempotency import DocumentField


def up(migrator, db):
    class Order(Model):
        # As migration 0008 left it.
        id = BigAutoField()

        class Meta:
            database = db
            table_name = "order"

    class OrderDocument(Model):
        order = ForeignKeyField(Order, primary_key=True, on_delete="CASCADE")
        updated_at = UTCDateTimeField()
        key = CharField(max_length=32)
        body = DocumentField()

        class Meta:
            database = db
            table_name = "order_document"

    db.create_tables([OrderDocument])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("order_document"))
