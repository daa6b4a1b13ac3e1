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
from api.products import IN_USE, PRECONDITION_FAILED, VIEW, catalog_change
from api.records import IF_MATCH_PARAMETER, if_match, requested_view
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
STOCK_ANSWER = (
    "The stock record; with catalog keys (cs:products:manage), the variation's product as "
    "GET /products/{id} shows it (view=full: its full view)."
)

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
    @blp.document_parameter(VIEW)
    @blp.document_parameter(IF_MATCH_PARAMETER)
    @blp.document_body(VariationPatchEnvelope, examples=VARIATION_PATCH_EXAMPLES)
    @blp.document_response(StockRecordEnvelope, description=STOCK_ANSWER)
    @blp.alt_response(409, schema=ApiErrorSchema, description=IN_USE)
    @blp.alt_response(412, schema=ApiErrorSchema, description=PRECONDITION_FAILED)
    def patch(self, variation_id):
        """Set or adjust a variation's stock, or change any of its fields."""
        if catalog_change(VARIATION_KEY_SCOPES):
            settings = state().settings
            full, condition = requested_view(), if_match()
            actor = client_actor(g.cs_client_id)
            product = products.update_variation(
                variation_id, envelope_data(), actor, settings, condition, full
            )
            return data_response(product)
        # A v1 body: unknown keys (and, for a v1 token, catalog keys) are ignored.
        change = blp.ARGUMENTS_PARSER.parse(StockPatchSchema(), location="json")
        return data_response(stock.set_variation_stock(variation_id, change))
