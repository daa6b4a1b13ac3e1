"""GET /orders, GET /orders/{id} and PATCH /orders/{id}: orders and their fulfilment."""

from flask import g
from flask.views import MethodView
from werkzeug.routing import IntegerConverter

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.errors import not_found
from api.hooks import state
from api.jsonio import data_response
from api.order_queries import (
    count_orders,
    list_filter,
    page_ids,
    render_order,
    render_orders,
    update_fulfilment,
)
from api.pagination import page_args, pagination_meta
from api.schemas.orders import (
    OrderEnvelope,
    OrderListEnvelope,
    OrderListQuerySchema,
    OrderPatchSchema,
)

blp = ApiBlueprint("orders", __name__, description="Orders, their fulfilment and tracking.")


class OrderIdConverter(IntegerConverter):
    """A positive id of at most 18 digits: anything else (0, -1, 30 digits) misses the route
    and gets the API's JSON 404, like any path that is not an id. A converter that matched
    and then refused the value would end routing with the host app's 404 instead."""

    regex = r"0*[1-9][0-9]{0,17}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1)


# Before the routes below, which need it when they are added to the app.
blp.record_once(
    lambda setup: setup.app.url_map.converters.setdefault("cs_order_id", OrderIdConverter)
)


@blp.route("/orders")
class Orders(MethodView):
    @require_scope("cs:orders:read")
    @blp.arguments(OrderListQuerySchema, location="query")
    @blp.response(200, OrderListEnvelope)
    def get(self, args):
        """List orders, newest first, filtered and paginated."""
        settings = state().settings
        page, per_page = page_args(settings.max_page_size)
        conditions, visibility = list_filter(args, settings.timezone)
        total = count_orders(conditions, visibility)
        past_the_end = (page - 1) * per_page >= total
        ids = [] if past_the_end else page_ids(conditions, visibility, page, per_page)
        orders = render_orders(ids, settings)
        meta = pagination_meta(total, len(orders), page, per_page)
        return data_response(orders, meta)


@blp.route("/orders/<cs_order_id:order_id>")
class OrderById(MethodView):
    @require_scope("cs:orders:read")
    @blp.response(200, OrderEnvelope)
    def get(self, order_id):
        """Show one order."""
        order = render_order(order_id, state().settings)
        if order is None:
            not_found("Order not found")
        return data_response(order)

    @require_scope("cs:orders:write")
    @blp.arguments(OrderPatchSchema)
    @blp.response(200, OrderEnvelope)
    def patch(self, body, order_id):
        """Set an order's fulfilment status and tracking details."""
        fulfilment = body["data"].get("fulfilment") or {}
        order = update_fulfilment(order_id, fulfilment, g.cs_client_id, state().settings)
        if order is None:
            not_found("Order not found")
        return data_response(order)
