"""GET /orders, GET /orders/{id} and PATCH /orders/{id}: orders and their fulfilment."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.hooks import state
from api.idempotency import idempotent
from api.jsonio import data_response
from api.pagination import page_request, paginated_response
from api.records import (
    ETAG_HEADER,
    IF_NONE_MATCH_PARAMETER,
    NOT_MODIFIED,
    if_none_match,
    requested_view,
    tagged_response,
)
from api.schemas.common import ORDER_FULL_VIEW, view_parameter
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
        found = orders.list_orders(args["filters"], page, per_page, settings, args["full"])
        return paginated_response(found)


@blp.route("/orders/<cs_record_id:order_id>")
class OrderById(MethodView):
    @require_scope("cs:orders:read")
    @blp.document_parameter(view_parameter(ORDER_FULL_VIEW))
    @blp.document_parameter(IF_NONE_MATCH_PARAMETER)
    @blp.document_response(OrderEnvelope, headers=ETAG_HEADER)
    @blp.alt_response(304, description=NOT_MODIFIED, headers=ETAG_HEADER)
    def get(self, order_id):
        """Show one order."""
        found = orders.get_tagged_order(
            order_id, state().settings, requested_view(), if_none_match()
        )
        return tagged_response(*found)

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
