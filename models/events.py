"""The change feed: one row per change to the store, in commit order (events.md)."""

from peewee import BigIntegerField, BooleanField, CharField

from models.base import BaseModel, UTCDateTimeField
from models.idempotency import DocumentField


class Event(BaseModel):
    # Not an autoincrement: ids are taken from EventMark "last" inside the writing
    # transaction, whose row lock is held until commit, so ids are handed out in commit
    # order with no gaps and a reader can never pass an id that may still commit.
    id = BigIntegerField(primary_key=True)
    type = CharField(max_length=40)
    occurred_at = UTCDateTimeField(index=True)
    # `client:<id>`, `cli`, `app`, `app:<label>`, `import:<host>` (store.actors).
    actor = CharField(max_length=255, null=True)
    imported = BooleanField(default=False)
    # The event's `data` object as JSON text, rendered when the change was written.
    data = DocumentField()


class EventMark(BaseModel):
    """Named counters of the feed: "last" (the highest event id handed out) and "pruned"
    (the highest id retention has deleted)."""

    name = CharField(max_length=20, primary_key=True)
    value = BigIntegerField()

    class Meta:
        table_name = "event_mark"


MARKS = ("last", "pruned")


def seed_event_marks():
    """Create the marks at 0 where missing; never move existing ones."""
    present = {mark.name for mark in EventMark.select(EventMark.name)}
    missing = [(name, 0) for name in MARKS if name not in present]
    if missing:
        EventMark.insert_many(missing, fields=[EventMark.name, EventMark.value]).execute()
