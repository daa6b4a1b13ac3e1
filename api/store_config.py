"""GET /config: the store's currency, versions and time zone."""

from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.hooks import state
from api.jsonio import data_response
from api.schemas.store import StoreConfigEnvelope
from store.config import store_config

blp = ApiBlueprint("config", __name__, description="Store configuration.")


@blp.route("/config")
class StoreConfig(MethodView):
    @require_scope("cs:config:read")
    @blp.document_response(StoreConfigEnvelope)
    def get(self):
        """Show the store's currency, versions and time zone."""
        return data_response(store_config(state().settings))
