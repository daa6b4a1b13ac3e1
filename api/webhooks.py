"""/webhooks: subscriptions to the event feed, their secrets and attempt log (events.md §3)."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import require_scope, require_scopes
from api.blueprints import ApiBlueprint
from api.bodies import envelope_data
from api.hooks import state
from api.idempotency import idempotent
from api.jsonio import data_response
from api.links import external_url
from api.pagination import page_request, paginated_response
from api.schemas.webhooks import (
    AttemptListEnvelope,
    AttemptListQuerySchema,
    NewWebhookEnvelope,
    WebhookChangeEnvelope,
    WebhookEnvelope,
    WebhookListEnvelope,
    WebhookSecretEnvelope,
)
from store import webhooks
from store.actors import client_actor

blp = ApiBlueprint("webhooks", __name__, description="Webhook subscriptions and their log.")

SCOPE = "cs:webhooks:manage"
NEW_WEBHOOK_EXAMPLE = {
    "data": {
        "url": "https://3pl.example.com/hooks/store",
        "events": ["order.*", "stock.changed"],
        "active": True,
        "include_imported": False,
    }
}
CHANGE_EXAMPLES = {
    "disable": {"summary": "Pause it", "value": {"data": {"active": False}}},
    "events": {"summary": "Orders only", "value": {"data": {"events": ["order.*"]}}},
}
LOCATION = {
    "Location": {
        "description": "The subscription's absolute URL.",
        "schema": {"type": "string", "format": "uri"},
    }
}


def _readable(scopes):
    """A token subscribes only to what it could read from the feed: 403 otherwise."""
    require_scopes(*scopes)


@blp.route("/webhooks")
class Webhooks(MethodView):
    @require_scope(SCOPE)
    @blp.document_response(WebhookListEnvelope)
    def get(self):
        """List the webhook subscriptions."""
        return data_response(webhooks.list_subscriptions(state().settings))

    @require_scope(SCOPE)
    @idempotent
    @blp.document_body(NewWebhookEnvelope, example=NEW_WEBHOOK_EXAMPLE)
    @blp.document_response(WebhookSecretEnvelope, 201, headers=LOCATION)
    def post(self):
        """Subscribe a URL to event types; the answer shows the secret, only this once."""
        settings = state().settings
        created = webhooks.add_subscription(envelope_data(), settings, _readable)
        response = data_response(created)
        response.status_code = 201
        response.headers["Location"] = external_url(
            f"{settings.api_prefix}/webhooks/{created['id']}"
        )
        return response


@blp.route("/webhooks/<cs_record_id:webhook_id>")
class WebhookById(MethodView):
    @require_scope(SCOPE)
    @blp.document_response(WebhookEnvelope)
    def get(self, webhook_id):
        """Show one webhook subscription."""
        return data_response(webhooks.get_subscription(webhook_id, state().settings))

    @require_scope(SCOPE)
    @idempotent
    @blp.document_body(WebhookChangeEnvelope, examples=CHANGE_EXAMPLES)
    @blp.document_response(WebhookEnvelope)
    def patch(self, webhook_id):
        """Change a subscription's URL, event types, state or imported events."""
        actor = client_actor(g.cs_client_id)
        changed = webhooks.change_subscription(
            webhook_id, envelope_data(), state().settings, actor, _readable
        )
        return data_response(changed)

    @require_scope(SCOPE)
    @idempotent
    @blp.alt_response(204, description="Removed, with its log.", success=True)
    def delete(self, webhook_id):
        """Remove a subscription and its delivery log."""
        webhooks.remove_subscription(webhook_id)
        return "", 204


@blp.route("/webhooks/<cs_record_id:webhook_id>/rotate-secret")
class WebhookSecret(MethodView):
    @require_scope(SCOPE)
    @idempotent
    @blp.document_response(WebhookSecretEnvelope)
    def post(self, webhook_id):
        """Give a subscription a new secret; the old one also signs for 24 hours."""
        return data_response(webhooks.rotate_secret(webhook_id, state().settings))


@blp.route("/webhooks/<cs_record_id:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @require_scope(SCOPE)
    @blp.arguments(AttemptListQuerySchema, location="query")
    @blp.document_response(AttemptListEnvelope)
    def get(self, args, webhook_id):
        """List a subscription's delivery attempts, newest first, paginated."""
        settings = state().settings
        page, per_page = page_request(args, settings.max_page_size)
        return paginated_response(webhooks.list_attempts(webhook_id, page, per_page, settings))
