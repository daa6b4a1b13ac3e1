"""Webhook subscriptions, their deliveries (one per event and subscription) and the log of
every attempt (events.md §3)."""

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel, UTCDateTimeField, utcnow

URL_LENGTH = 2000
PENDING, SUCCEEDED, FAILED, SKIPPED = "pending", "succeeded", "failed", "skipped"
DELIVERY_STATES = (PENDING, SUCCEEDED, FAILED, SKIPPED)


class WebhookSubscription(BaseModel):
    url = CharField(max_length=URL_LENGTH)
    # Event types and prefixes (`order.*`), space-separated.
    events = TextField()
    secret = CharField(max_length=64)
    # The secret before the last rotation, still signed with until `previous_secret_until`.
    previous_secret = CharField(max_length=64, null=True)
    previous_secret_until = UTCDateTimeField(null=True)
    active = BooleanField(default=True)
    include_imported = BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)
    disabled_reason = CharField(max_length=255, null=True)
    last_success_at = UTCDateTimeField(null=True)
    # The first failed attempt since the last success: 3 days of it disable the subscription.
    failing_since = UTCDateTimeField(null=True)
    # The highest event id the sender has fanned out to this subscription: the sender reads
    # events by id after it, so the API's writes do no webhook work at all.
    cursor = BigIntegerField(default=0)

    class Meta:
        table_name = "webhook_subscription"

    @property
    def event_list(self):
        return self.events.split()


class WebhookDelivery(BaseModel):
    subscription = ForeignKeyField(WebhookSubscription, backref="deliveries")
    # Not a foreign key: events are pruned while their deliveries' log stays.
    event_id = BigIntegerField()
    # The `webhook-id` header: the same on every retry and redelivery.
    webhook_id = CharField(max_length=64)
    state = CharField(max_length=10, default=PENDING)
    # Attempts in all (the log's numbering), and since the delivery was last queued (the
    # step of the retry schedule).
    attempts = IntegerField(default=0)
    step = IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True)
    lease_owner = CharField(max_length=64, null=True)
    lease_until = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "webhook_delivery"
        indexes = (
            (("subscription", "event_id"), True),
            (("state", "next_attempt_at"), False),
        )


class WebhookAttempt(BaseModel):
    delivery = ForeignKeyField(WebhookDelivery, backref="log")
    # Copied from the delivery: the log is listed per subscription, newest first.
    subscription_id = IntegerField()
    event_id = BigIntegerField()
    webhook_id = CharField(max_length=64)
    attempt = IntegerField()
    attempted_at = UTCDateTimeField()
    # None: no HTTP answer (connection refused, timeout, refused address).
    status_code = IntegerField(null=True)
    latency_ms = IntegerField()
    error = CharField(max_length=255, null=True)
    # The first 1 KB of the answer, as text.
    response_body = TextField(null=True)

    class Meta:
        table_name = "webhook_attempt"
        indexes = ((("subscription_id", "id"), False),)
