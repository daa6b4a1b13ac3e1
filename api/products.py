"""GET /products, GET /products/{id} and PATCH /products/{id}: the catalogue and its stock."""

from flask.views import MethodView
from werkzeug.routing import IntegerConverter

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.errors import not_found
from api.hooks import state
from api.jsonio import data_response
from api.pagination import page_args, pagination_meta
from api.product_filter import filter_expressions
from api.product_queries import count_products, page_ids, render_product, render_products
from api.schemas.products import (
    ProductEnvelope,
    ProductListEnvelope,
    ProductListQuerySchema,
    StockPatchSchema,
)
from api.stock_queries import Owner, apply_stock
from models.base import locking_atomic
from models.catalog import PRODUCT_SKU

blp = ApiBlueprint("products", __name__, description="Products, their options and variations.")


class RecordIdConverter(IntegerConverter):
    """A positive id of at most 18 digits: anything else (0, -1, 30 digits) misses the route
    and gets the API's JSON 404, like any path that is not an id."""

    regex = r"0*[1-9][0-9]{0,17}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1)


# Before the routes below, which need it when they are added to the app.
blp.record_once(
    lambda setup: setup.app.url_map.converters.setdefault("cs_record_id", RecordIdConverter)
)


@blp.route("/products")
class Products(MethodView):
    @require_scope("cs:products:read")
    @blp.arguments(ProductListQuerySchema, location="query")
    @blp.response(200, ProductListEnvelope)
    def get(self, args):
        """List products, newest first, filtered by date and paginated."""
        settings = state().settings
        page, per_page = page_args(settings.max_page_size)
        conditions = filter_expressions(args.get("filter", ()), settings.timezone)
        total = count_products(conditions)
        past_the_end = (page - 1) * per_page >= total
        ids = [] if past_the_end else page_ids(conditions, page, per_page)
        products = render_products(ids, settings)
        meta = pagination_meta(total, len(products), page, per_page)
        return data_response(products, meta)


@blp.route("/products/<cs_record_id:product_id>")
class ProductById(MethodView):
    @require_scope("cs:products:read")
    @blp.response(200, ProductEnvelope)
    def get(self, product_id):
        """Show one product with its options and variations."""
        product = render_product(product_id, state().settings)
        if product is None:
            not_found("Product not found")
        return data_response(product)

    @require_scope("cs:products:write")
    @blp.arguments(StockPatchSchema)
    @blp.response(200, ProductEnvelope)
    def patch(self, change, product_id):
        """Set or adjust a product's own stock; answer with the whole product."""
        with locking_atomic():
            apply_stock(Owner(PRODUCT_SKU, product_id), change)
            product = render_product(product_id, state().settings)
        if product is None:
            not_found("Product not found")
        return data_response(product)
