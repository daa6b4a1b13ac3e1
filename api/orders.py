"""GET /orders, GET /orders/{id} and PATCH /orders/{id}: orders and their fulfilment."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.hooks import state
from api.idempotency import idempotent
from api.jsonio import data_response
from api.pagination import page_request, paginated_response
from api.schemas.orders import (
    OrderEnvelope,
    OrderListEnvelope,
    OrderListQuerySchema,
    OrderPatchSchema,
)
from store import orders
from store.actors import client_actor

blp = ApiBlueprint("orders", __name__, description="Orders, their fulfilment and tracking.")


@blp.route("/orders")
class Orders(MethodView):
    @require_scope("cs:orders:read")
    @blp.arguments(OrderListQuerySchema, location="query")
    @blp.document_response(OrderListEnvelope)
    def get(self, args):
        """List orders, newest first, filtered and paginated."""
        settings = state().settings
        page, per_page = page_request(args, settings.max_page_size)
        found = orders.list_orders(args["filters"], page, per_page, settings)
        return paginated_response(found, settings.trust_proxy_headers)


@blp.route("/orders/<cs_record_id:order_id>")
class OrderById(MethodView):
    @require_scope("cs:orders:read")
    @blp.document_response(OrderEnvelope)
    def get(self, order_id):
        """Show one order."""
        return data_response(orders.get_order(order_id, state().settings))

    @require_scope("cs:orders:write")
    @idempotent
    @blp.arguments(OrderPatchSchema)
    @blp.document_response(OrderEnvelope)
    def patch(self, body, order_id):
        """Set an order's fulfilment status and tracking details."""
        fulfilment = body["data"].get("fulfilment") or {}
        actor = client_actor(g.cs_client_id)
        order = orders.update_fulfilment(order_id, fulfilment, actor, state().settings)
        return data_response(order)
