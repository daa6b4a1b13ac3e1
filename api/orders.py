"""GET|POST /orders, GET|PUT|PATCH /orders/{id}: orders, their fulfilment and payment."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import (
    holds_manage_scope,
    require_key_scopes,
    require_scope,
    require_scopes,
)
from api.blueprints import ApiBlueprint
from api.bodies import body_data, envelope_data
from api.hooks import state
from api.idempotency import idempotent
from api.jsonio import data_response
from api.pagination import page_request, paginated_response
from api.records import (
    ETAG_HEADER,
    IF_MATCH_PARAMETER,
    IF_NONE_MATCH_PARAMETER,
    NOT_MODIFIED,
    created_response,
    if_match,
    if_none_match,
    requested_view,
    tagged_response,
)
from api.schemas.common import ORDER_FULL_VIEW, ApiErrorSchema, view_parameter
from api.schemas.orders import (
    ConflictSchema,
    NewOrderEnvelope,
    OrderEnvelope,
    OrderListEnvelope,
    OrderListQuerySchema,
    OrderPatchEnvelope,
    OrderPatchSchema,
    RecordedOrderEnvelope,
)
from store import orders
from store.actors import client_actor
from store.fields import MAX_EXPLICIT_ID

blp = ApiBlueprint("orders", __name__, description="Orders, their fulfilment and payment.")

# Which scope each key group of an order PATCH needs (manage.md §1).
PATCH_KEY_SCOPES = {"fulfilment": "cs:orders:write", "payment": "cs:orders:manage"}
LOCATION = {
    "Location": {
        "description": "The order's absolute URL.",
        "schema": {"type": "string", "format": "uri"},
    }
}
ADDRESS = {
    "address1": "1 Main St",
    "address2": None,
    "address3": None,
    "city": "Phoenix",
    "state_province": "AZ",
    "country": "US",
    "postal_code": "85001",
}
NEW_ORDER_EXAMPLE = {
    "data": {
        "customer": {
            "email": "joe@example.com",
            "username": None,
            "billing": {
                "phone": "602-555-0100",
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": ADDRESS,
            },
            "shipping": {
                "first_name": "Joe",
                "last_name": "Smith",
                "company": None,
                "address": ADDRESS,
            },
        },
        "items": [{"sku": "ABCD-L", "quantity": 2}, {"sku": "MUG", "quantity": 1, "price": 9.5}],
        "shipping_method": "Ground",
        "shipping_total": 4.95,
        "tax": 3.1,
        "discount": 0,
        "payment_method": "Invoice",
        "payment_date": None,
        "payment_reference": None,
        "locale": "en_US",
        "attributes": [{"handle": "gift_message", "name": "Gift message", "value": "Hi"}],
    }
}
RECORDED_ORDER_EXAMPLE = {
    "data": {
        "date_placed": {"date": "2026-03-01 15:30:00.000000", "timezone": "America/Phoenix"},
        "total": 24.5,
        "payment_method": "Card",
        "payment_date": "2026-03-01T15:31:00-07:00",
        "payment_reference": "ch_1",
        "shipping_method": None,
        "fulfilment": {"handle": "delivered"},
        "customer": {"email": "joe@example.com"},
        "items": [
            {"id": 9001, "name": "Gift card", "sku": "GIFT-25", "quantity": 1, "price": 24.5}
        ],
        "status_history": [
            {"handle": "incomplete", "date": "2026-03-01T15:30:00-07:00", "actor": "app:checkout"},
            {"handle": "delivered", "date": "2026-03-01T15:32:00-07:00", "actor": None},
        ],
    }
}
PATCH_EXAMPLES = {
    "fulfilment": {
        "summary": "Ship it (cs:orders:write)",
        "value": {"data": {"fulfilment": {"handle": "shipped", "tracking_code": "1Z999"}}},
    },
    "refund": {
        "summary": "Refund and restock (cs:orders:manage)",
        "value": {"data": {"payment": {"refunded": True, "reason": "Damaged", "restock": True}}},
    },
    "paid": {
        "summary": "Mark paid (cs:orders:manage)",
        "value": {"data": {"payment": {"paid": True, "reference": "TRF-1234"}}},
    },
}
SHORTAGE = "Not enough stock for one or more items: nothing was written (or the key is busy)."
ITEM_ID_TAKEN = "An item id belongs to another order: nothing was written (or the key is busy)."
PAYMENT_REFUSED = (
    "The order's payment state refuses the change (manage.md §5): nothing was written "
    "(or the key is busy)."
)


VIEW = view_parameter(ORDER_FULL_VIEW)
# The ids an order may be recorded under (manage.md §0); the path takes longer ones for
# reads, which are then not found.
RECORDED_ID = {
    "in": "path",
    "name": "order_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_EXPLICIT_ID},
}
PRECONDITION_FAILED = "If-Match no longer names the order's state: nothing was written."


def _created(order):
    """201 with the order and its absolute URL."""
    return created_response(order, f"/orders/{order['id']}")


@blp.route("/orders")
class Orders(MethodView):
    @require_scope("cs:orders:read")
    @blp.arguments(OrderListQuerySchema, location="query")
    @blp.document_response(OrderListEnvelope)
    def get(self, args):
        """List orders, newest first, filtered and paginated."""
        settings = state().settings
        page, per_page = page_request(args, settings.max_page_size)
        found = orders.list_orders(
            args["filters"], page, per_page, settings, args["full"], fragments=True
        )
        return paginated_response(found)

    @require_scope("cs:orders:manage")
    @idempotent
    @blp.document_parameter(VIEW)
    @blp.document_body(NewOrderEnvelope, example=NEW_ORDER_EXAMPLE)
    @blp.document_response(OrderEnvelope, 201, headers=LOCATION)
    @blp.alt_response(409, schema=ConflictSchema, description=SHORTAGE)
    def post(self):
        """Place an order: items by SKU, stock taken, total computed (manage.md §4)."""
        full = requested_view()
        actor = client_actor(g.cs_client_id)
        return _created(orders.create_order(envelope_data(), actor, state().settings, full))


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
            order_id, state().settings, requested_view(), if_none_match(), fragments=True
        )
        return tagged_response(*found)

    @require_scope("cs:orders:manage")
    @idempotent
    @blp.document_parameter(RECORDED_ID)
    @blp.document_parameter(VIEW)
    @blp.document_parameter(IF_MATCH_PARAMETER)
    @blp.document_body(RecordedOrderEnvelope, example=RECORDED_ORDER_EXAMPLE)
    @blp.document_response(OrderEnvelope, description="Replaced.")
    @blp.document_response(OrderEnvelope, 201, description="Created.", headers=LOCATION)
    @blp.alt_response(409, schema=ConflictSchema, description=ITEM_ID_TAKEN)
    @blp.alt_response(412, schema=ApiErrorSchema, description=PRECONDITION_FAILED)
    def put(self, order_id):
        """Create or replace the order with this id, as recorded; stock untouched."""
        full, condition = requested_view(), if_match()
        actor = client_actor(g.cs_client_id)
        order, created = orders.put_order(
            order_id, envelope_data(), actor, state().settings, condition, full
        )
        return _created(order) if created else data_response(order)

    @require_scope("cs:orders:write", "cs:orders:manage")
    @idempotent
    @blp.document_parameter(VIEW)
    @blp.document_parameter(IF_MATCH_PARAMETER)
    @blp.document_body(OrderPatchEnvelope, examples=PATCH_EXAMPLES)
    @blp.document_response(OrderEnvelope)
    @blp.alt_response(409, schema=ConflictSchema, description=PAYMENT_REFUSED)
    @blp.alt_response(412, schema=ApiErrorSchema, description=PRECONDITION_FAILED)
    def patch(self, order_id):
        """Set an order's fulfilment status and tracking details, or its payment state."""
        settings = state().settings
        actor = client_actor(g.cs_client_id)
        if holds_manage_scope():
            data = body_data()
            if "payment" in data:
                require_key_scopes(data, PATCH_KEY_SCOPES)
                full, condition = requested_view(), if_match()
                order = orders.update_order(
                    order_id, envelope_data(), actor, settings, condition, full
                )
                return data_response(order)
            if data.get("fulfilment") is not None:
                require_scopes(PATCH_KEY_SCOPES["fulfilment"])
        # A v1 body: unknown keys (and, for a v1 token, `payment`) are ignored.
        body = blp.ARGUMENTS_PARSER.parse(OrderPatchSchema(), location="json")
        full, condition = requested_view(), if_match()
        fulfilment = body["data"].get("fulfilment") or {}
        order = orders.update_fulfilment(order_id, fulfilment, actor, settings, condition, full)
        return data_response(order)
