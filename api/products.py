"""GET|POST /products, GET|PUT|PATCH|DELETE /products/{id}: the catalogue and its stock."""

from flask import Response, g
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
from api.product_examples import (
    NEW_PRODUCT_EXAMPLE,
    PATCH_EXAMPLES,
    PRODUCT_EXAMPLE,
)
from api.records import (
    ETAG_HEADER,
    IF_MATCH_PARAMETER,
    IF_NONE_MATCH_PARAMETER,
    LOCATION_HEADER,
    NOT_MODIFIED,
    created_response,
    if_match,
    if_none_match,
    requested_view,
    tagged_response,
)
from api.schemas.common import PRODUCT_FULL_VIEW, ApiErrorSchema, view_parameter
from api.schemas.products import (
    CATALOG_KEYS,
    NewProductEnvelope,
    ProductEnvelope,
    ProductListEnvelope,
    ProductListQuerySchema,
    ProductPatchEnvelope,
    ProductPutEnvelope,
    StockPatchSchema,
)
from store import products, stock
from store.actors import client_actor
from store.products.bodies import MAX_CATALOG_ID
from store.products.state import STOCK_KEYS

blp = ApiBlueprint("products", __name__, description="Products, their options and variations.")

# Which scope each key of a product PATCH needs (manage.md §1).
PATCH_KEY_SCOPES = {key: "cs:products:manage" for key in CATALOG_KEYS} | {
    key: "cs:products:write" for key in STOCK_KEYS
}
VIEW = view_parameter(PRODUCT_FULL_VIEW)
# The ids a product may be created under (store.products.bodies says why not up to
# 10^15 - 1); longer ones are not found.
EXPLICIT_ID = {
    "in": "path",
    "name": "product_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CATALOG_ID},
}
IN_USE = "A SKU or a variation id is in use: nothing was written (or the key is busy)."
PRECONDITION_FAILED = "If-Match no longer names the product's state: nothing was written."


def _created(product):
    return created_response(product, f"/products/{product['id']}")


def catalog_change(key_scopes):
    """Whether a PATCH body is a catalog change (manage.md §1): one holding a catalog key,
    from a token holding a manage scope, which must then hold every scope its keys need.
    A stock-only body still needs cs:products:write; a v1 token's body is always v1."""
    if not holds_manage_scope():
        return False
    data = body_data()
    catalog = any(scope.endswith(":manage") and key in data for key, scope in key_scopes.items())
    if catalog:
        require_key_scopes(data, key_scopes)
    elif any(data.get(key) is not None for key in STOCK_KEYS):
        require_scopes(key_scopes[STOCK_KEYS[0]])
    return catalog


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

    @require_scope("cs:products:manage")
    @idempotent
    @blp.document_parameter(VIEW)
    @blp.document_body(NewProductEnvelope, example=NEW_PRODUCT_EXAMPLE)
    @blp.document_response(ProductEnvelope, 201, headers=LOCATION_HEADER)
    @blp.alt_response(409, schema=ApiErrorSchema, description=IN_USE)
    def post(self):
        """Create a product with its options and variations (manage.md §3)."""
        full = requested_view()
        actor = client_actor(g.cs_client_id)
        return _created(products.create_product(envelope_data(), actor, state().settings, full))


@blp.route("/products/<cs_record_id:product_id>")
class ProductById(MethodView):
    @require_scope("cs:products:read")
    @blp.document_parameter(VIEW)
    @blp.document_parameter(IF_NONE_MATCH_PARAMETER)
    @blp.document_response(ProductEnvelope, headers=ETAG_HEADER)
    @blp.alt_response(304, description=NOT_MODIFIED, headers=ETAG_HEADER)
    def get(self, product_id):
        """Show one product with its options and variations."""
        found = products.get_tagged_product(
            product_id, state().settings, requested_view(), if_none_match()
        )
        return tagged_response(*found)

    @require_scope("cs:products:manage")
    @idempotent
    @blp.document_parameter(EXPLICIT_ID)
    @blp.document_parameter(VIEW)
    @blp.document_parameter(IF_MATCH_PARAMETER)
    @blp.document_body(ProductPutEnvelope, example=PRODUCT_EXAMPLE)
    @blp.document_response(ProductEnvelope, description="Replaced.")
    @blp.document_response(ProductEnvelope, 201, description="Created.", headers=LOCATION_HEADER)
    @blp.alt_response(409, schema=ApiErrorSchema, description=IN_USE)
    @blp.alt_response(412, schema=ApiErrorSchema, description=PRECONDITION_FAILED)
    def put(self, product_id):
        """Create or replace the product with this id, stock as given."""
        full, condition = requested_view(), if_match()
        actor = client_actor(g.cs_client_id)
        product, created = products.put_product(
            product_id, envelope_data(), actor, state().settings, condition, full
        )
        return _created(product) if created else data_response(product)

    @require_scope("cs:products:write", "cs:products:manage")
    @idempotent
    @blp.document_parameter(VIEW)
    @blp.document_parameter(IF_MATCH_PARAMETER)
    @blp.document_body(ProductPatchEnvelope, examples=PATCH_EXAMPLES)
    @blp.document_response(ProductEnvelope)
    @blp.alt_response(409, schema=ApiErrorSchema, description=IN_USE)
    @blp.alt_response(412, schema=ApiErrorSchema, description=PRECONDITION_FAILED)
    def patch(self, product_id):
        """Set or adjust a product's own stock, or change any of its fields."""
        settings = state().settings
        full, condition = requested_view(), if_match()
        if catalog_change(PATCH_KEY_SCOPES):
            actor = client_actor(g.cs_client_id)
            product = products.update_product(
                product_id, envelope_data(), actor, settings, condition, full
            )
            return data_response(product)
        # A v1 body: unknown keys (and, for a v1 token, catalog keys) are ignored.
        change = blp.ARGUMENTS_PARSER.parse(StockPatchSchema(), location="json")
        product = stock.set_product_stock(product_id, change, settings, condition, full)
        return data_response(product)

    @require_scope("cs:products:manage")
    @idempotent
    @blp.document_parameter(IF_MATCH_PARAMETER)
    @blp.document_response(None, 204, description="Deleted.")
    @blp.alt_response(412, schema=ApiErrorSchema, description=PRECONDITION_FAILED)
    def delete(self, product_id):
        """Delete a product with its variations, options and SKUs; orders keep theirs."""
        actor = client_actor(g.cs_client_id)
        products.delete_product(product_id, actor, state().settings, if_match())
        return Response(status=204)
