"""Webhooks as the API shows them, and events as a webhook body carries them."""

import orjson

from store.render import StoreRenderer

# A body over this is sent thin (events.md §3); the feed still serves the whole event.
MAX_BODY = 256 * 1024
# What a thin body keeps of each family's `data`.
THIN_KEYS = {"stock": ("sku", "product_id", "variation_id")}


class WebhookRenderer(StoreRenderer):
    def subscription(self, row, secret=None):
        document = {
            "id": row.id,
            "url": row.url,
            "events": row.event_list,
            "active": row.active,
            "include_imported": row.include_imported,
            "created_at": self.date(row.created_at),
            "disabled_reason": row.disabled_reason,
        }
        if secret is not None:
            document["secret"] = secret
        return document

    def attempt(self, row):
        return {
            "id": row.id,
            "event_id": row.event_id,
            "webhook_id": row.webhook_id,
            "attempt": row.attempt,
            "attempted_at": self.date(row.attempted_at),
            "status_code": row.status_code,
            "latency_ms": row.latency_ms,
            "error": row.error,
            "response_body": row.response_body,
        }

    def _head(self, event):
        return {
            "id": event.id,
            "type": event.type,
            "occurred_at": self.date(event.occurred_at),
            "actor": event.actor,
            "imported": bool(event.imported),
        }

    def event_body(self, event):
        """The event as JSON bytes, or the thin form when that is over MAX_BODY."""
        # The stored `data` is JSON already: spliced in as it is, not parsed again.
        body = orjson.dumps({**self._head(event), "data": orjson.Fragment(event.data)})
        if len(body) <= MAX_BODY:
            return body
        return orjson.dumps({**self._head(event), "data": _thin(event), "truncated": True})


def _thin(event):
    data = orjson.loads(event.data)
    family = event.type.split(".", 1)[0]
    if family in THIN_KEYS:
        return {key: data.get(key) for key in THIN_KEYS[family]}
    resource = data.get(family) if isinstance(data, dict) else None
    resource_id = resource.get("id") if isinstance(resource, dict) else None
    return {family: {"id": resource_id}}
