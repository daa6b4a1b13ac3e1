"""GET /config: the store's currency, versions and time zone."""

from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.hooks import state
from api.jsonio import data_response
from api.schemas.store import StoreConfigEnvelope
from api.version import __version__

blp = ApiBlueprint("config", __name__, description="Store configuration.")


def store_config(settings):
    return {
        "currency": {
            "code": settings.currency_code,
            "symbol": settings.currency_symbol,
            "decimal_digits": settings.currency_digits,
        },
        "community_store": {"version": __version__},
        "community_store_api": {"version": __version__},
        "system": {"time_zone": settings.timezone_name},
    }


@blp.route("/config")
class StoreConfig(MethodView):
    @require_scope("cs:config:read")
    @blp.response(200, StoreConfigEnvelope)
    def get(self):
        """Show the store's currency, versions and time zone."""
        return data_response(store_config(state().settings))
