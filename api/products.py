"""GET /products, GET /products/{id} and PATCH /products/{id}: the catalogue and its stock."""

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
from api.schemas.common import PRODUCT_FULL_VIEW, view_parameter
from api.schemas.products import (
    ProductEnvelope,
    ProductListEnvelope,
    ProductListQuerySchema,
    StockPatchSchema,
)
from store import products, stock
from store.actors import client_actor

blp = ApiBlueprint("products", __name__, description="Products, their options and variations.")


@blp.route("/products")
class Products(MethodView):
    @require_scope("cs:products:read")
    @blp.arguments(ProductListQuerySchema, location="query")
    @blp.document_response(ProductListEnvelope)
    def get(self, args):
        """List products, newest first, filtered by date and paginated."""
        settings = state().settings
        page, per_page = page_request(args, settings.max_page_size)
        conditions = args.get("filter", ())
        found = products.list_products(conditions, page, per_page, settings, args["full"])
        return paginated_response(found)


@blp.route("/products/<cs_record_id:product_id>")
class ProductById(MethodView):
    @require_scope("cs:products:read")
    @blp.document_parameter(view_parameter(PRODUCT_FULL_VIEW))
    @blp.document_parameter(IF_NONE_MATCH_PARAMETER)
    @blp.document_response(ProductEnvelope, headers=ETAG_HEADER)
    @blp.alt_response(304, description=NOT_MODIFIED, headers=ETAG_HEADER)
    def get(self, product_id):
        """Show one product with its options and variations."""
        found = products.get_tagged_product(
            product_id, state().settings, requested_view(), if_none_match()
        )
        return tagged_response(*found)

    @require_scope("cs:products:write")
    @idempotent
    @blp.arguments(StockPatchSchema)
    @blp.document_response(ProductEnvelope)
    def patch(self, change, product_id):
        """Set or adjust a product's own stock; answer with the whole product."""
        actor = client_actor(g.cs_client_id)
        return data_response(stock.set_product_stock(product_id, change, state().settings, actor))
