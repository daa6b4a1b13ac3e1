"""GET /fulfilmentstatuses: the statuses an order can have."""

from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.jsonio import data_response
from api.schemas.store import FulfilmentStatusListEnvelope
from store.statuses import list_statuses

blp = ApiBlueprint("fulfilmentstatuses", __name__, description="Fulfilment statuses.")


@blp.route("/fulfilmentstatuses")
class FulfilmentStatuses(MethodView):
    @require_scope("cs:orders:read")
    @blp.document_response(FulfilmentStatusListEnvelope)
    def get(self):
        """List the fulfilment statuses in their sort order."""
        return data_response(list_statuses())
