"""Fulfilment statuses an order moves through."""

from peewee import BooleanField, CharField, IntegerField

from models.base import BaseModel, sync_id_sequence

DEFAULT_STATUSES = [
    (1, "incomplete", "Awaiting Processing"),
    (2, "processing", "Processing"),
    (3, "shipped", "Shipped"),
    (4, "delivered", "Delivered"),
    (5, "nodelivery", "Will not deliver"),
    (6, "returned", "Returned"),
]


class FulfilmentStatus(BaseModel):
    handle = CharField(max_length=100, unique=True)
    name = CharField(max_length=255)
    sort_order = IntegerField(default=0, index=True)
    is_starting = BooleanField(default=False)


def seed_default_statuses():
    """Create the six default statuses on an empty table; never touch existing ones."""
    if FulfilmentStatus.select().exists():
        return False
    FulfilmentStatus.insert_many(
        [
            {"id": id_, "handle": handle, "name": name, "sort_order": id_, "is_starting": id_ == 1}
            for id_, handle, name in DEFAULT_STATUSES
        ]
    ).execute()
    sync_id_sequence(FulfilmentStatus)
    return True
