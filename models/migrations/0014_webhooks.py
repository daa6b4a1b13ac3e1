"""Webhooks (events.md §3): subscriptions, one delivery per event and subscription, and the
log of every attempt."""

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from models.base import UTCDateTimeField


def up(migrator, db):
    class WebhookSubscription(Model):
        url = CharField(max_length=2000)
        events = TextField()
        secret = CharField(max_length=64)
        previous_secret = CharField(max_length=64, null=True)
        previous_secret_until = UTCDateTimeField(null=True)
        active = BooleanField(default=True)
        include_imported = BooleanField(default=False)
        created_at = UTCDateTimeField()
        disabled_reason = CharField(max_length=255, null=True)
        last_success_at = UTCDateTimeField(null=True)
        failing_since = UTCDateTimeField(null=True)
        cursor = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = "webhook_subscription"

    class WebhookDelivery(Model):
        subscription = ForeignKeyField(WebhookSubscription)
        event_id = BigIntegerField()
        webhook_id = CharField(max_length=64)
        state = CharField(max_length=10, default="pending")
        attempts = IntegerField(default=0)
        step = IntegerField(default=0)
        next_attempt_at = UTCDateTimeField(null=True)
        lease_owner = CharField(max_length=64, null=True)
        lease_until = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = "webhook_delivery"
            indexes = (
                (("subscription", "event_id"), True),
                (("state", "next_attempt_at"), False),
            )

    class WebhookAttempt(Model):
        delivery = ForeignKeyField(WebhookDelivery)
        subscription_id = IntegerField()
        event_id = BigIntegerField()
        webhook_id = CharField(max_length=64)
        attempt = IntegerField()
        attempted_at = UTCDateTimeField()
        status_code = IntegerField(null=True)
        latency_ms = IntegerField()
        error = CharField(max_length=255, null=True)
        response_body = TextField(null=True)

        class Meta:
            database = db
            table_name = "webhook_attempt"
            indexes = ((("subscription_id", "id"), False),)

    db.create_tables([WebhookSubscription, WebhookDelivery, WebhookAttempt])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table("webhook_attempt"),
        migrator.drop_table("webhook_delivery"),
        migrator.drop_table("webhook_subscription"),
    )
