"""GET /fulfilmentstatuses: the statuses an order can have."""

from flask.views import MethodView

from api.auth.scopes import require_scope
from api.blueprints import ApiBlueprint
from api.jsonio import data_response
from api.schemas.store import FulfilmentStatusListEnvelope
from models.statuses import FulfilmentStatus

blp = ApiBlueprint("fulfilmentstatuses", __name__, description="Fulfilment statuses.")


def ordered_statuses():
    return FulfilmentStatus.select(
        FulfilmentStatus.id, FulfilmentStatus.handle, FulfilmentStatus.name
    ).order_by(FulfilmentStatus.sort_order, FulfilmentStatus.id)


@blp.route("/fulfilmentstatuses")
class FulfilmentStatuses(MethodView):
    @require_scope("cs:orders:read")
    @blp.response(200, FulfilmentStatusListEnvelope)
    def get(self):
        """List the fulfilment statuses in their sort order."""
        rows = ordered_statuses().tuples()
        statuses = [{"id": id_, "handle": handle, "name": name} for id_, handle, name in rows]
        return data_response(statuses)
