"""GET|PATCH /skus/{sku} and GET|PATCH /variations/{id}: stock records for inventory tools."""

from flask import g
from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.converters import SEVERAL_SEGMENTS
from api.errors import ApiError
from api.idempotency import idempotent
from api.jsonio import data_response
from api.schemas.products import StockPatchSchema, StockRecordEnvelope
from store import stock
from store.actors import client_actor

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
        return data_response(stock.set_stock_by_sku(sku, change, client_actor(g.cs_client_id)))


@blp.route("/variations/<cs_record_id:variation_id>")
class VariationStock(MethodView):
    @require_scope("cs:products:read")
    @blp.document_response(StockRecordEnvelope)
    def get(self, variation_id):
        """Show a variation's stock."""
        return data_response(stock.variation_stock(variation_id))

    @require_scope("cs:products:write")
    @idempotent
    @blp.arguments(StockPatchSchema)
    @blp.document_response(StockRecordEnvelope)
    def patch(self, change, variation_id):
        """Set or adjust a variation's stock."""
        return data_response(
            stock.set_variation_stock(variation_id, change, client_actor(g.cs_client_id))
        )
