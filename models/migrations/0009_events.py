"""The change feed (events.md §1–2): events, and the marks that order and prune them."""

from peewee import BigIntegerField, BooleanField, CharField, Model

from models.base import UTCDateTimeField
from models.idempotency import DocumentField


def up(migrator, db):
    class Event(Model):
        id = BigIntegerField(primary_key=True)
        type = CharField(max_length=40)
        occurred_at = UTCDateTimeField(index=True)
        actor = CharField(max_length=255, null=True)
        imported = BooleanField(default=False)
        data = DocumentField()

        class Meta:
            database = db
            table_name = "event"

    class EventMark(Model):
        name = CharField(max_length=20, primary_key=True)
        value = BigIntegerField()

        class Meta:
            database = db
            table_name = "event_mark"

    db.create_tables([Event, EventMark])
    EventMark.insert_many([("last", 0), ("pruned", 0)], fields=["name", "value"]).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_table("event_mark"), migrator.drop_table("event"))
