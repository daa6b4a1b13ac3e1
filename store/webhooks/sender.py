"""The sender's steps (events.md §3): fan new events out to deliveries, claim the due ones
under a lease, make each attempt, record it.

Fan-out reads the feed after each subscription's cursor, so the store's writes do no
webhook work. Event ids follow commit order (models.events), so a cursor never passes an
event that may still commit. Claims and cursor moves are conditional UPDATEs: on
PostgreSQL and MariaDB the row lock makes a second sender's UPDATE re-read the row and
match nothing; SQLite runs one writer at a time. Several senders never claim one delivery
at once, whatever the database."""

import datetime
import time
from typing import NamedTuple

from models.base import db, utcnow
from models.events import Event
from models.webhooks import (
    FAILED,
    PENDING,
    SKIPPED,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from store.webhooks import http, signing
from store.webhooks.addresses import Refused, check_url
from store.webhooks.documents import WebhookRenderer
from store.webhooks.subscriptions import disable, webhook_id
from store.webhooks.types import matches

FAN_OUT_BATCH = 1000
CLAIM_BATCH = 50


def _seconds(value):
    return datetime.timedelta(seconds=value)


def fan_out(now=None, batch=FAN_OUT_BATCH):
    """Turn events after each active subscription's cursor into pending deliveries; how
    many deliveries were made."""
    now = now or utcnow()
    subscriptions = list(WebhookSubscription.select().where(WebhookSubscription.active))
    if not subscriptions:
        return 0
    low = min(row.cursor for row in subscriptions)
    events = list(
        Event.select(Event.id, Event.type, Event.imported)
        .where(Event.id > low)
        .order_by(Event.id)
        .limit(batch)
        .tuples()
    )
    if not events:
        return 0
    high = events[-1][0]
    made = 0
    for row in subscriptions:
        if row.cursor >= high:
            continue
        wanted = [
            event_id
            for event_id, event_type, imported in events
            if event_id > row.cursor
            and matches(row.event_list, event_type)
            and (row.include_imported or not imported)
        ]
        made += _fan_out_one(row, high, wanted, now)
    return made


def _fan_out_one(row, high, wanted, now):
    with db.atomic():
        # Whoever moves the cursor makes the deliveries; a sender that lost the race moves
        # nothing and makes nothing.
        moved = (
            WebhookSubscription.update(cursor=high)
            .where(
                WebhookSubscription.id == row.id,
                WebhookSubscription.cursor == row.cursor,
                WebhookSubscription.active,
            )
            .execute()
        )
        if not moved or not wanted:
            return 0
        fields = [
            WebhookDelivery.subscription,
            WebhookDelivery.event_id,
            WebhookDelivery.webhook_id,
            WebhookDelivery.next_attempt_at,
            WebhookDelivery.created_at,
        ]
        rows = [(row.id, event_id, webhook_id(row.id, event_id), now, now) for event_id in wanted]
        for start in range(0, len(rows), 200):
            WebhookDelivery.insert_many(rows[start : start + 200], fields=fields).execute()
    return len(wanted)


def _lease_free(now):
    return WebhookDelivery.lease_until.is_null() | (WebhookDelivery.lease_until < now)


def claim(owner, lease, now=None, limit=CLAIM_BATCH):
    """Lease due deliveries of active subscriptions to `owner` (unique to this claim);
    the deliveries this claim got."""
    now = now or utcnow()
    due = (
        WebhookDelivery.select(WebhookDelivery.id)
        .join(WebhookSubscription)
        .where(
            WebhookDelivery.state == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            _lease_free(now),
            WebhookSubscription.active,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    ids = [row.id for row in due]
    if not ids:
        return []
    (
        WebhookDelivery.update(lease_owner=owner, lease_until=now + _seconds(lease))
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.state == PENDING, _lease_free(now))
        .execute()
    )
    return list(
        WebhookDelivery.select()
        .where(WebhookDelivery.lease_owner == owner, WebhookDelivery.state == PENDING)
        .order_by(WebhookDelivery.id)
    )


def release(owner):
    """Give back an owner's leases unsent: another sender may take them at once."""
    return (
        WebhookDelivery.update(lease_owner=None, lease_until=None)
        .where(WebhookDelivery.lease_owner == owner, WebhookDelivery.state == PENDING)
        .execute()
    )


class Request(NamedTuple):
    """One attempt, ready to send without the database."""

    delivery: WebhookDelivery
    url: str
    headers_for: object  # (timestamp) -> the signature headers
    body: bytes | None


def prepare(deliveries, settings, now=None):
    """The Requests for claimed deliveries (subscriptions and events read in two queries);
    a delivery whose event is no longer kept gets a None body."""
    now = now or utcnow()
    subscription_ids = {delivery.subscription_id for delivery in deliveries}
    subscriptions = {
        row.id: row
        for row in WebhookSubscription.select().where(WebhookSubscription.id.in_(subscription_ids))
    }
    events = {
        row.id: row for row in Event.select().where(Event.id.in_([d.event_id for d in deliveries]))
    }
    renderer = WebhookRenderer(settings)
    requests = []
    for delivery in deliveries:
        row = subscriptions.get(delivery.subscription_id)
        if row is None:
            continue  # removed since the claim, with its deliveries
        keys = [row.secret]
        if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
            keys.append(row.previous_secret)
        event = events.get(delivery.event_id)
        body = renderer.event_body(event) if event is not None else None
        requests.append(Request(delivery, row.url, _signer(keys, delivery.webhook_id, body), body))
    return requests


def _signer(keys, message_id, body):
    def headers(timestamp):
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signature_header(keys, message_id, timestamp, body),
        }

    return headers


def send(request, webhooks):
    """Make one attempt (no database): check the URL again, then POST; an Outcome."""
    try:
        target = check_url(request.url, webhooks.allowed_hosts)
    except Refused as error:
        return http.Outcome(None, f"refused: {error.message}"[:255], None, 0)
    timestamp = int(time.time())
    return http.post(target, request.headers_for(timestamp), request.body, webhooks.timeout)


def record(request, outcome, owner, webhooks, attempted_at, now=None):
    """Log an attempt and move its delivery on: succeeded, retried later, or failed; a
    subscription failing for `disable_after` is disabled. False when the lease was lost
    (the delivery is another sender's now; the attempt is logged all the same)."""
    now = now or utcnow()
    delivery = request.delivery
    if request.body is None:
        state, step, next_at = SKIPPED, delivery.step, None
    elif outcome.succeeded:
        state, step, next_at = SUCCEEDED, delivery.step, None
    else:
        step = delivery.step + 1
        schedule = webhooks.retry_schedule
        if step <= len(schedule):
            state, next_at = PENDING, now + _seconds(schedule[step - 1])
        else:
            state, next_at = FAILED, None
    with db.atomic():
        # The delivery first: its row lock orders this against a removal of the
        # subscription, which locks the same rows before deleting them.
        kept = (
            WebhookDelivery.update(
                state=state,
                step=step,
                attempts=WebhookDelivery.attempts + 1,
                next_attempt_at=next_at,
                lease_owner=None,
                lease_until=None,
            )
            .where(
                WebhookDelivery.id == delivery.id,
                WebhookDelivery.lease_owner == owner,
                WebhookDelivery.state == PENDING,
            )
            .execute()
        )
        still_there = WebhookDelivery.select().where(WebhookDelivery.id == delivery.id).exists
        if not kept and not still_there():
            return False  # removed with its subscription meanwhile: nothing left to log
        WebhookAttempt.create(
            delivery=delivery.id,
            subscription_id=delivery.subscription_id,
            event_id=delivery.event_id,
            webhook_id=delivery.webhook_id,
            attempt=delivery.attempts + 1,
            attempted_at=attempted_at,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error if request.body is not None else "event no longer kept",
            response_body=outcome.response_body,
        )
        if request.body is not None:
            _health(delivery.subscription_id, outcome.succeeded, webhooks, now)
    return bool(kept)


def _health(subscription_id, succeeded, webhooks, now):
    mine = WebhookSubscription.id == subscription_id
    if succeeded:
        WebhookSubscription.update(last_success_at=now, failing_since=None).where(mine).execute()
        return
    WebhookSubscription.update(failing_since=now).where(
        mine, WebhookSubscription.failing_since.is_null()
    ).execute()
    row = WebhookSubscription.select().where(mine).first()
    if row and row.active and row.failing_since <= now - _seconds(webhooks.disable_after):
        days = webhooks.disable_after / 86400
        disable(
            subscription_id,
            f"no successful delivery for {days:g} days (failing since "
            f"{row.failing_since:%Y-%m-%d %H:%M} UTC)",
        )
