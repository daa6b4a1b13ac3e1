"""PATCH /stock: many stock changes by SKU at once, all or nothing (import.md §1)."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.bodies import envelope_data
from api.hooks import state
from api.idempotency import idempotent
from api.jsonio import data_response
from api.schemas.bulk import BulkStockEnvelope, BulkStockResultEnvelope
from api.schemas.common import ApiErrorSchema
from store import stock_bulk
from store.actors import client_actor

# Its own body limit: 10,000 lines do not fit in the 1 MiB of the other routes.
blp = ApiBlueprint(
    "bulk_stock",
    __name__,
    description="Stock levels of many SKUs in one request.",
    body_size_setting="CS_MAX_BULK_BODY_SIZE",
)

EXAMPLE = {
    "data": [
        {"sku": "ABCD-L", "stock_level": 12},
        {"sku": "MUG", "stock_adjustment": -3},
        {"sku": "POSTER", "stock_unlimited": True},
    ]
}
INVALID = (
    "Any bad line, or a SKU of no product or variation: every problem, keyed by line "
    "(`data.N.key`); nothing changed."
)
INVALID_EXAMPLE = {
    "error": True,
    "errors": ["Invalid data.3.sku: SKU not found"],
    "fields": {
        "data.3.sku": ["SKU not found"],
        "data.17.stock_level": ["Must be a JSON number."],
    },
}


@blp.route("/stock")
class BulkStock(MethodView):
    @require_scope("cs:products:write")
    @idempotent
    @blp.document_body(BulkStockEnvelope, example=EXAMPLE)
    @blp.document_response(BulkStockResultEnvelope)
    @blp.alt_response(400, schema=ApiErrorSchema, description=INVALID, example=INVALID_EXAMPLE)
    def patch(self):
        """Set or adjust the stock of up to MAX_BULK_LINES SKUs in one transaction."""
        result = stock_bulk.apply_stock_lines(
            envelope_data(), client_actor(g.cs_client_id), state().settings
        )
        return data_response(result.records, result.meta)
