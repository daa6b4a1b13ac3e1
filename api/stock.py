"""GET|PATCH /skus/{sku} and GET|PATCH /variations/{id}: stock records for inventory tools."""

from urllib.parse import unquote_to_bytes, urlsplit

from flask import request
from flask.views import MethodView
from werkzeug.routing import PathConverter

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.errors import ApiError, not_found
from api.jsonio import data_response
from api.products import RecordIdConverter
from api.schemas.products import StockPatchSchema, StockRecordEnvelope
from api.stock_queries import Owner, apply_stock, find_sku, stock_record, variation_record
from models.base import locking_atomic
from models.catalog import VARIATION_SKU

blp = ApiBlueprint("stock", __name__, description="Stock levels by SKU and by variation.")


def _raw_path():
    """The request's path exactly as sent (still percent-encoded), or None if unknown."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return None
    if not raw.startswith("/"):
        # An absolute-form request target (through some proxies).
        raw = urlsplit(raw).path
    return raw.split("?", 1)[0].split("#", 1)[0]


# A SKU path of several segments (`/skus/a/b`): no route serves it.
SEVERAL_SEGMENTS = object()


class SkuConverter(PathConverter):
    """One path segment, percent-decoded as UTF-8: `a%2Fb` is the SKU "a/b".

    The server decodes `%2F` into `/` before routing, so the segment is read again from the
    raw request target. A path of several segments loads as SEVERAL_SEGMENTS, which the
    view answers with the routing 404 (a converter that refused the value would end routing
    with the host app's HTML 404). A segment that is not UTF-8 loads as None, a SKU that
    exists nowhere.
    """

    def to_python(self, value):
        raw = _raw_path()
        if raw is None:
            return SEVERAL_SEGMENTS if "/" in value else value
        segment = unquote_to_bytes(raw.rsplit("/", 1)[-1])
        if segment.decode("utf-8", "replace") != value:
            return SEVERAL_SEGMENTS
        try:
            return segment.decode("utf-8")
        except UnicodeDecodeError:
            return None


def _converters(setup):
    converters = setup.app.url_map.converters
    converters.setdefault("cs_sku", SkuConverter)
    converters.setdefault("cs_record_id", RecordIdConverter)


# Before the routes below, which need them when they are added to the app.
blp.record_once(_converters)


@blp.route("/skus/<cs_sku:sku>")
class StockBySku(MethodView):
    def dispatch_request(self, **kwargs):
        # Before the token is checked: a path no route serves is a 404 for everyone.
        if kwargs["sku"] is SEVERAL_SEGMENTS:
            raise ApiError(404, "Not Found")
        return super().dispatch_request(**kwargs)

    @require_scope("cs:products:read")
    @blp.response(200, StockRecordEnvelope)
    def get(self, sku):
        """Show the stock of the product or variation with this SKU."""
        found = find_sku(sku)
        if found is None:
            not_found("SKU not found")
        _, record = found
        return data_response(record)

    @require_scope("cs:products:write")
    @blp.arguments(StockPatchSchema)
    @blp.response(200, StockRecordEnvelope)
    def patch(self, change, sku):
        """Set or adjust the stock of the product or variation with this SKU."""
        record = None
        with locking_atomic():
            found = find_sku(sku)
            if found is not None:
                owner, record = found
                if not change.is_noop:
                    apply_stock(owner, change)
                    record = stock_record(owner)
        if record is None:
            not_found("Product not found")
        return data_response(record)


@blp.route("/variations/<cs_record_id:variation_id>")
class VariationStock(MethodView):
    @require_scope("cs:products:read")
    @blp.response(200, StockRecordEnvelope)
    def get(self, variation_id):
        """Show a variation's stock."""
        record = variation_record(variation_id)
        if record is None:
            not_found("Variation not found")
        return data_response(record)

    @require_scope("cs:products:write")
    @blp.arguments(StockPatchSchema)
    @blp.response(200, StockRecordEnvelope)
    def patch(self, change, variation_id):
        """Set or adjust a variation's stock."""
        with locking_atomic():
            apply_stock(Owner(VARIATION_SKU, variation_id), change)
            record = variation_record(variation_id)
        if record is None:
            not_found("Variation not found")
        return data_response(record)
