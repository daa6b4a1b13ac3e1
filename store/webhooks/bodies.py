"""The bodies that create and change a subscription, strict, for the API and Python alike."""

from marshmallow import ValidationError, validate

from store.fields import Flag, Items, StrictBody, Text
from store.webhooks.types import PATTERNS

MAX_EVENTS = len(PATTERNS)
# The URLs the check may accept, as the document describes them: http(s), a host name or
# IPv4 address, a port, a path without a fragment. Whether it resolves, and only to public
# addresses, only the check itself can tell.
URL_PATTERN = (
    r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[1-9][0-9]{0,3})?(/[!-\"$-~]*)?$"
)


def _pattern(value):
    if value not in PATTERNS:
        raise ValidationError(f"Unknown event type {value!r}: one of {', '.join(PATTERNS)}.")


def _events(**kwargs):
    return Items(
        Text(max_length=40, validate=[_pattern], metadata={"enum": list(PATTERNS)}),
        metadata={"description": "Event types, or a family's prefix (`order.*`)."},
        validate=validate.Length(
            min=1, max=MAX_EVENTS * 2, error="Must name 1 to {max} event types."
        ),
        **kwargs,
    )


def _url(**kwargs):
    return Text(
        max_length=2000,
        pattern=URL_PATTERN,
        metadata={
            "example": "https://3pl.example.com/hooks/store",
            "description": "https, to a host that resolves to public addresses only (plain "
            "http and private addresses only for hosts in WEBHOOK_ALLOWED_HOSTS).",
        },
        **kwargs,
    )


class SubscriptionChangeBody(StrictBody):
    url = _url()
    events = _events()
    active = Flag()
    include_imported = Flag()


class NewSubscriptionBody(SubscriptionChangeBody):
    url = _url(required=True)
    events = _events(required=True)
    active = Flag(load_default=True)
    include_imported = Flag(load_default=False)
