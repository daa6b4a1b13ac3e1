"""Managing subscriptions (events.md §3): create, change, enable and disable, rotate the
secret, remove, queue a redelivery; their log and their health."""

import datetime
from typing import NamedTuple

from peewee import JOIN, fn

from models.base import db, utcnow
from models.events import Event, EventMark
from models.webhooks import (
    PENDING,
    SKIPPED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from store.errors import Conflict, Invalid, NotFound
from store.fields import load
from store.paging import fetch_page
from store.webhooks import signing
from store.webhooks.addresses import Refused, check_url
from store.webhooks.bodies import NewSubscriptionBody, SubscriptionChangeBody
from store.webhooks.documents import WebhookRenderer
from store.webhooks.types import scopes_needed

# While a rotation is under way both secrets sign every attempt, for this long.
ROTATION_OVERLAP = datetime.timedelta(hours=24)


def webhook_id(subscription_id, event_id):
    """The `webhook-id` of an event sent to a subscription: the same on every attempt."""
    return f"msg_{event_id}_{subscription_id}"


def _subscription(subscription_id):
    found = WebhookSubscription.get_or_none(WebhookSubscription.id == subscription_id)
    if found is None:
        raise NotFound(f"Webhook {subscription_id} not found")
    return found


def _checked(fields, settings, check_scopes):
    if "url" in fields:
        try:
            check_url(fields["url"], settings.webhooks.allowed_hosts)
        except Refused as error:
            raise Invalid.field("data.url", error.message) from None
    if "events" in fields:
        fields["events"] = list(dict.fromkeys(fields["events"]))
        if check_scopes is not None:
            check_scopes(scopes_needed(fields["events"]))
    return fields


def _last_event_id():
    return EventMark.get_by_id("last").value


def add_subscription(data, settings, check_scopes=None):
    """Create a subscription from a body's `data`; (its document, with the secret shown
    this once). `check_scopes(scopes)` may refuse event types the caller cannot read.

    It receives the events written after it: its cursor starts at the newest event."""
    fields = _checked(load(NewSubscriptionBody(), data, settings), settings, check_scopes)
    secret = signing.new_secret()
    with db.atomic():
        row = WebhookSubscription.create(
            url=fields["url"],
            events=" ".join(fields["events"]),
            secret=secret,
            active=fields["active"],
            include_imported=fields["include_imported"],
            disabled_reason=None if fields["active"] else "created disabled",
            cursor=_last_event_id(),
        )
    return WebhookRenderer(settings).subscription(row, secret)


def get_subscription(subscription_id, settings):
    return WebhookRenderer(settings).subscription(_subscription(subscription_id))


def list_subscriptions(settings):
    renderer = WebhookRenderer(settings)
    rows = WebhookSubscription.select().order_by(WebhookSubscription.id)
    return [renderer.subscription(row) for row in rows]


def change_subscription(subscription_id, data, settings, actor, check_scopes=None):
    """Apply a PATCH body's `data`; the subscription's document."""
    fields = _checked(load(SubscriptionChangeBody(), data, settings), settings, check_scopes)
    with db.atomic():
        row = _subscription(subscription_id)
        changes = {}
        if "url" in fields:
            changes["url"] = fields["url"]
        if "events" in fields:
            changes["events"] = " ".join(fields["events"])
        if "include_imported" in fields:
            changes["include_imported"] = fields["include_imported"]
        if changes:
            WebhookSubscription.update(changes).where(WebhookSubscription.id == row.id).execute()
        if fields.get("active") is True and not row.active:
            enable(row.id)
        elif fields.get("active") is False and row.active:
            disable(row.id, f"disabled by {actor}")
    return get_subscription(subscription_id, settings)


def disable(subscription_id, reason):
    """Stop sending to a subscription; its pending deliveries are skipped, not kept."""
    with db.atomic():
        updated = (
            WebhookSubscription.update(active=False, disabled_reason=reason[:255])
            .where(WebhookSubscription.id == subscription_id)
            .execute()
        )
        if not updated:
            raise NotFound(f"Webhook {subscription_id} not found")
        (
            WebhookDelivery.update(
                state=SKIPPED, next_attempt_at=None, lease_owner=None, lease_until=None
            )
            .where(
                WebhookDelivery.subscription == subscription_id,
                WebhookDelivery.state == PENDING,
            )
            .execute()
        )


def enable(subscription_id):
    """Send again, from the next event on: what happened while disabled is not backfilled."""
    with db.atomic():
        updated = (
            WebhookSubscription.update(
                active=True, disabled_reason=None, failing_since=None, cursor=_last_event_id()
            )
            .where(WebhookSubscription.id == subscription_id)
            .execute()
        )
    if not updated:
        raise NotFound(f"Webhook {subscription_id} not found")


def remove_subscription(subscription_id):
    """Delete a subscription with its deliveries and their log."""
    with db.atomic():
        _subscription(subscription_id)
        # Locks the deliveries first: a sender recording an attempt finishes before its
        # log is deleted, or finds the delivery gone and logs nothing.
        WebhookDelivery.update(state=SKIPPED, lease_owner=None, lease_until=None).where(
            WebhookDelivery.subscription == subscription_id
        ).execute()
        WebhookAttempt.delete().where(WebhookAttempt.subscription_id == subscription_id).execute()
        WebhookDelivery.delete().where(WebhookDelivery.subscription == subscription_id).execute()
        WebhookSubscription.delete().where(WebhookSubscription.id == subscription_id).execute()


def rotate_secret(subscription_id, settings, now=None):
    """A new secret (its document shows it once); the old one also signs for 24 hours."""
    now = now or utcnow()
    secret = signing.new_secret()
    with db.atomic():
        row = _subscription(subscription_id)
        row.previous_secret, row.previous_secret_until = row.secret, now + ROTATION_OVERLAP
        row.secret = secret
        row.save()
    return WebhookRenderer(settings).subscription(row, secret)


def redeliver(event_id, subscription_id=None, now=None):
    """Queue a new attempt of an event (same webhook-id, a fresh retry schedule) to one
    subscription, or to every active one it was sent to before; the subscription ids."""
    now = now or utcnow()
    with db.atomic():
        if subscription_id is not None:
            row = _subscription(subscription_id)
            if not row.active:
                raise Conflict(f"Webhook {subscription_id} is disabled: enable it first")
            if not Event.select().where(Event.id == event_id).exists():
                raise NotFound(f"Event {event_id} not found (or no longer kept)")
            WebhookDelivery.insert(
                subscription=row.id,
                event_id=event_id,
                webhook_id=webhook_id(row.id, event_id),
                next_attempt_at=now,
                created_at=now,
            ).on_conflict_ignore().execute()
            targets = [row.id]
        else:
            targets = [
                delivery.subscription_id
                for delivery in WebhookDelivery.select(WebhookDelivery.subscription)
                .join(WebhookSubscription)
                .where(WebhookDelivery.event_id == event_id, WebhookSubscription.active)
            ]
            if not targets:
                raise NotFound(f"Event {event_id} was not sent to any active webhook")
        (
            WebhookDelivery.update(
                state=PENDING, step=0, next_attempt_at=now, lease_owner=None, lease_until=None
            )
            .where(
                WebhookDelivery.event_id == event_id,
                WebhookDelivery.subscription.in_(targets),
            )
            .execute()
        )
    return targets


def list_attempts(subscription_id, page, per_page, settings):
    """A subscription's attempt log, newest first, one page of it."""
    _subscription(subscription_id)
    mine = WebhookAttempt.subscription_id == subscription_id
    renderer = WebhookRenderer(settings)
    return fetch_page(
        lambda: WebhookAttempt.select().where(mine).count(),
        lambda offset, limit: (
            WebhookAttempt.select()
            .where(mine)
            .order_by(WebhookAttempt.id.desc())
            .offset(offset)
            .limit(limit)
        ),
        lambda rows: [renderer.attempt(row) for row in rows],
        page,
        per_page,
    )


class Health(NamedTuple):
    subscription: WebhookSubscription
    # Deliveries waiting to be sent, and events not yet looked at by a sender.
    backlog: int


def _unscanned(row):
    """Events after the subscription's cursor that it will receive."""
    exact = [p for p in row.event_list if not p.endswith(".*")]
    prefixes = [p[:-1] for p in row.event_list if p.endswith(".*")]
    wanted = Event.type.in_(exact) if exact else None
    for prefix in prefixes:
        like = Event.type.startswith(prefix)
        wanted = like if wanted is None else wanted | like
    query = Event.select().where(Event.id > row.cursor, wanted)
    if not row.include_imported:
        query = query.where(~Event.imported)
    return query.count()


def health():
    """Every subscription with its backlog, for `cs webhook list`."""
    pending = fn.COUNT(WebhookDelivery.id)
    rows = (
        WebhookSubscription.select(WebhookSubscription, pending.alias("pending"))
        .join(
            WebhookDelivery,
            JOIN.LEFT_OUTER,
            on=(
                (WebhookDelivery.subscription == WebhookSubscription.id)
                & (WebhookDelivery.state == PENDING)
            ),
        )
        .group_by(WebhookSubscription)
        .order_by(WebhookSubscription.id)
    )
    return [Health(row, row.pending + (_unscanned(row) if row.active else 0)) for row in rows]
