"""The bodies that create and change a subscription, strict, for the API and Python alike."""

from marshmallow import ValidationError, validates

from store.fields import Flag, Items, StrictBody, Text
from store.webhooks.types import PATTERNS

MAX_EVENTS = len(PATTERNS)


def _pattern(value):
    if value not in PATTERNS:
        raise ValidationError(f"Unknown event type {value!r}: one of {', '.join(PATTERNS)}.")


def _events(**kwargs):
    return Items(
        Text(max_length=40, validate=[_pattern], metadata={"enum": list(PATTERNS)}),
        metadata={"description": "Event types, or a family's prefix (`order.*`)."},
        **kwargs,
    )


class SubscriptionChangeBody(StrictBody):
    url = Text(max_length=2000, metadata={"example": "https://3pl.example.com/hooks/store"})
    events = _events()
    active = Flag()
    include_imported = Flag()

    @validates("events")
    def some_events(self, value, **kwargs):
        if not value:
            raise ValidationError("Must name at least one event type.")
        if len(value) > MAX_EVENTS * 2:
            raise ValidationError(f"Must name at most {MAX_EVENTS * 2} event types.")


class NewSubscriptionBody(SubscriptionChangeBody):
    url = Text(
        max_length=2000, required=True, metadata={"example": "https://3pl.example.com/hooks"}
    )
    events = _events(required=True)
    active = Flag(load_default=True)
    include_imported = Flag(load_default=False)
