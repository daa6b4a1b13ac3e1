"""GET /events: the change feed, read in id order with a cursor (events.md §2)."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.hooks import state
from api.jsonio import data_response
from api.schemas.common import ApiErrorSchema
from api.schemas.events import EventListEnvelope, EventQuerySchema
from store import feed
from store.events import ORDER_TYPES, PRODUCT_TYPES, STOCK_TYPES

blp = ApiBlueprint("events", __name__, description="The change feed: every change, in order.")

# The event types each read scope lets a token see.
SCOPE_TYPES = {
    "cs:orders:read": frozenset(ORDER_TYPES),
    "cs:products:read": frozenset((*PRODUCT_TYPES, *STOCK_TYPES)),
}
GONE = "Events after `after` were pruned (EVENT_RETENTION_DAYS): resync, then start at 0."
EXAMPLE = {
    "data": [
        {
            "id": 18231,
            "type": "order.updated",
            "occurred_at": {"date": "2026-11-27 10:15:02.123456", "timezone": "Europe/Rome"},
            "actor": "client:5f0c0e",
            "imported": False,
            "data": {"order": {"id": 1042}, "changes": ["fulfilment.handle"]},
        }
    ],
    "meta": {"next_after": 18231},
}


def visible_types(requested, scopes):
    """The types a request asks for (None: every type) that a token of `scopes` may read."""
    allowed = frozenset().union(*(SCOPE_TYPES.get(scope, ()) for scope in scopes))
    return allowed if requested is None else allowed & requested


@blp.route("/events")
class Events(MethodView):
    @require_scope("cs:orders:read", "cs:products:read")
    @blp.arguments(EventQuerySchema, location="query")
    @blp.document_response(EventListEnvelope, example=EXAMPLE)
    @blp.alt_response(410, schema=ApiErrorSchema, description=GONE)
    def get(self, args):
        """Read the events after a cursor, oldest first."""
        wanted = visible_types(feed.parse_types(args["type"]), g.cs_scopes)
        found, next_after = feed.read_events(args["after"], args["limit"], wanted, state().settings)
        return data_response(found, {"next_after": next_after})
