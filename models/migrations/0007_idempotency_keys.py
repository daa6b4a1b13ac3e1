"""Idempotency keys of write requests (manage.md §6), shared by every worker and server."""

from peewee import CharField, IntegerField, Model, TextField

from models.base import UTCDateTimeField
from models.idempotency import DocumentField


def up(migrator, db):
    class IdempotencyKey(Model):
        key_digest = CharField(max_length=64, unique=True)
        fingerprint = CharField(max_length=64)
        created_at = UTCDateTimeField(index=True)
        locked_until = UTCDateTimeField(null=True)
        status = IntegerField(null=True)
        headers = TextField(null=True)
        body = DocumentField(null=True)

        class Meta:
            database = db
            table_name = "idempotency_key"

    db.create_tables([IdempotencyKey])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("idempotency_key"))
