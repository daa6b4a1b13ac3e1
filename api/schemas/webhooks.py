"""Shapes of webhook subscriptions and their attempt log (events.md §3), for the document."""

from marshmallow import EXCLUDE, RAISE, Schema, fields, pre_load

from api.schemas.common import DateTimeSchema, MetaSchema, PageQuerySchema
from store.webhooks.bodies import NewSubscriptionBody, SubscriptionChangeBody
from store.webhooks.types import PATTERNS


class NewWebhookEnvelope(Schema):
    class Meta:
        unknown = RAISE

    data = fields.Nested(NewSubscriptionBody, required=True)


class WebhookChangeEnvelope(Schema):
    class Meta:
        unknown = RAISE

    data = fields.Nested(SubscriptionChangeBody, required=True)


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"format": "uri"})
    events = fields.List(fields.String(metadata={"enum": list(PATTERNS)}), required=True)
    active = fields.Boolean(required=True)
    include_imported = fields.Boolean(required=True)
    created_at = fields.Nested(DateTimeSchema, required=True)
    disabled_reason = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Why it is disabled (by whom, or its failures); else null."},
    )


class WebhookWithSecretSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "`whsec_` and base64 of 32 random bytes: shown only in this answer.",
            "pattern": "^whsec_[A-Za-z0-9+/]{43}=$",
        },
    )


class WebhookEnvelope(Schema):
    data = fields.Nested(WebhookSchema, required=True)


class WebhookSecretEnvelope(Schema):
    data = fields.Nested(WebhookWithSecretSchema, required=True)


class WebhookListEnvelope(Schema):
    data = fields.List(fields.Nested(WebhookSchema), required=True)


class AttemptSchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    webhook_id = fields.String(required=True, metadata={"description": "The `webhook-id`."})
    attempt = fields.Integer(required=True, metadata={"description": "1 for the first."})
    attempted_at = fields.Nested(DateTimeSchema, required=True)
    status_code = fields.Integer(
        allow_none=True, required=True, metadata={"description": "null: no HTTP answer."}
    )
    latency_ms = fields.Integer(required=True)
    error = fields.String(allow_none=True, required=True)
    response_body = fields.String(
        allow_none=True, required=True, metadata={"description": "The first 1 KB."}
    )


class AttemptListEnvelope(Schema):
    data = fields.List(fields.Nested(AttemptSchema), required=True)
    meta = fields.Nested(MetaSchema, required=True)


class AttemptListQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def gather(self, data, **kwargs):
        """Keep the page arguments when given (empty: not given)."""
        return {key: data.get(key) for key in self.PAGE_KEYS if data.get(key, "") != ""}
