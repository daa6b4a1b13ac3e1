"""GET|PATCH /skus/{sku} and GET|PATCH /variations/{id}: stock records for inventory tools."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.bodies import envelope_data
from api.converters import SEVERAL_SEGMENTS
from api.errors import ApiError
from api.hooks import state
from api.idempotency import idempotent
from api.jsonio import data_response
from api.product_examples import VARIATION_PATCH_EXAMPLES
from api.products import IN_USE, PRECONDITION_FAILED, catalog_change
from api.records import IF_MATCH_PARAMETER, if_match
from api.schemas.common import ApiErrorSchema
from api.schemas.products import (
    VARIATION_CATALOG_KEYS,
    StockPatchSchema,
    StockRecordEnvelope,
    VariationPatchEnvelope,
)
from store import products, stock
from store.actors import client_actor
from store.products.state import STOCK_KEYS

# Which scope each key of a variation PATCH needs (manage.md §1).
VARIATION_KEY_SCOPES = {key: "cs:products:manage" for key in VARIATION_CATALOG_KEYS} | {
    key: "cs:products:write" for key in STOCK_KEYS
}
# A variation's state is part of its product's: its ETag is the product's.
VARIATION_IF_MATCH = {
    **IF_MATCH_PARAMETER,
    "description": "With catalog keys: the ETag of the variation's product (GET "
    "/products/{id}) the change was based on, or `*`; when it no longer names the "
    "product's state, the answer is 412 and nothing changes.",
}

blp = ApiBlueprint("stock", __name__, description="Stock levels by SKU and by variation.")


@blp.route("/skus/<cs_sku:sku>")
class StockBySku(MethodView):
    def dispatch_request(self, **kwargs):
        # Before the token is checked: a path no route serves is a 404 for everyone.
        if kwargs["sku"] is SEVERAL_SEGMENTS:
            raise ApiError(404, "Not Found")
        return super().dispatch_request(**kwargs)

    @require_scope("cs:products:read")
    @blp.document_response(StockRecordEnvelope)
    def get(self, sku):
        """Show the stock of the product or variation with this SKU."""
        return data_response(stock.stock_by_sku(sku))

    @require_scope("cs:products:write")
    @idempotent
    @blp.arguments(StockPatchSchema)
    @blp.document_response(StockRecordEnvelope)
    def patch(self, change, sku):
        """Set or adjust the stock of the product or variation with this SKU."""
        return data_response(stock.set_stock_by_sku(sku, change))


@blp.route("/variations/<cs_record_id:variation_id>")
class VariationStock(MethodView):
    @require_scope("cs:products:read")
    @blp.document_response(StockRecordEnvelope)
    def get(self, variation_id):
        """Show a variation's stock."""
        return data_response(stock.variation_stock(variation_id))

    @require_scope("cs:products:write", "cs:products:manage")
    @idempotent
    @blp.document_parameter(VARIATION_IF_MATCH)
    @blp.document_body(VariationPatchEnvelope, examples=VARIATION_PATCH_EXAMPLES)
    @blp.document_response(StockRecordEnvelope)
    @blp.alt_response(409, schema=ApiErrorSchema, description=IN_USE)
    @blp.alt_response(412, schema=ApiErrorSchema, description=PRECONDITION_FAILED)
    def patch(self, variation_id):
        """Set or adjust a variation's stock, or change any of its fields."""
        if catalog_change(VARIATION_KEY_SCOPES):
            actor = client_actor(g.cs_client_id)
            record = products.update_variation(
                variation_id, envelope_data(), actor, state().settings, if_match()
            )
            return data_response(record)
        # A v1 body: unknown keys (and, for a v1 token, catalog keys) are ignored.
        change = blp.ARGUMENTS_PARSER.parse(StockPatchSchema(), location="json")
        return data_response(stock.set_variation_stock(variation_id, change))
