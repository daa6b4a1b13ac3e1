"""Changing an order: its fulfilment (orders.md) and its payment state (manage.md §5), in
one transaction whatever the PATCH carries."""

from models.base import for_update_if_supported, utcnow
from models.orders import Order, OrderStatusHistory
from store import events
from store.actors import client_of
from store.errors import NotFound
from store.etags import require_match
from store.fields import load
from store.orders.bodies import OrderChangeBody
from store.orders.checkout import restock
from store.orders.documents import order_state_etag, render_order
from store.orders.fulfilment import TRACKING_FIELDS, fulfilment_changes
from store.orders.kept import render_and_keep
from store.orders.payment import payment_changes
from store.statuses import resolve_handle
from store.stock import emit_moves

# Built once: a schema loads any number of bodies.
ORDER_CHANGE = OrderChangeBody()
# The order columns a fulfilment change sets, and the paths they show at in GET's shape.
FULFILMENT_PATHS = (
    ("status", "fulfilment.status"),
    ("status", "fulfilment.handle"),
    *((name, f"fulfilment.{name}") for name in TRACKING_FIELDS),
)
CURRENT = (Order.status, *(getattr(Order, name) for name in TRACKING_FIELDS),
           Order.paid_at, Order.refunded_at, Order.cancelled_at, Order.restocked_at)  # fmt: skip


def update_order(order_id, data, actor, settings, if_match=None, full=False):
    """Apply the `data` of an order PATCH — `fulfilment` (orders.md) and `payment`
    (manage.md §5), both optional — in one transaction; the order as it then is (with
    `full`, its full view).

    The body is strict (an unknown key is Invalid). `actor` (store.actors) is recorded
    with a status change. `if_match` (as store.etags.require_match takes it) makes the
    change conditional. Raises Invalid, NotFound, PreconditionFailed, or Conflict when the
    payment state refuses the change; nothing is written then."""
    body = load(ORDER_CHANGE, data, settings)
    fulfilment, payment = body.get("fulfilment") or {}, body.get("payment")
    return _update(order_id, fulfilment, payment, actor, settings, if_match, full)


def set_payment(order_id, payment, actor, settings, if_match=None, full=False):
    """Change an order's payment state (`payment` as in manage.md §5, e.g.
    `{"refunded": True, "reason": "Damaged", "restock": True}`); the order as it then is."""
    return update_order(order_id, {"payment": payment}, actor, settings, if_match, full)


def update_fulfilment(order_id, fulfilment, actor, settings, if_match=None, full=False):
    """Apply a fulfilment change and return the order as it then is.

    `fulfilment` holds any of `handle` (a status handle, any case) and the tracking fields
    (`""` clears one, None or absent leaves it), already checked (api.schemas.orders does
    for v1 bodies; update_order checks its own)."""
    return _update(order_id, fulfilment, None, actor, settings, if_match, full)


def _update(order_id, fulfilment, payment, actor, settings, if_match, full):
    """The order row is locked before its state is compared, so concurrent changes take
    turns and the status history stays consistent. A change to what the order already has
    writes nothing."""
    handle = fulfilment.get("handle")
    status = None if handle is None else resolve_handle(handle, "data.fulfilment.handle")
    with events.transaction():
        query = Order.select(*CURRENT).where(Order.id == order_id)
        current = list(for_update_if_supported(query).dicts())
        if not current:
            raise NotFound("Order not found")
        if if_match is not None:
            require_match(if_match, order_state_etag(order_id, settings))
        now = utcnow()
        changes = fulfilment_changes(current[0], fulfilment, status)
        restocked = {}
        if payment is not None:
            paying = payment_changes(current[0], payment, now)
            # The items go back once: a cancellation after a refund that restocked them
            # has nothing left to put back.
            if paying and payment.get("restock") and current[0]["restocked_at"] is None:
                restocked = restock(order_id, now)
                paying["restocked_at"] = now
            changes.update(paying)
        if changes:
            Order.update(**changes, updated_at=now).where(Order.id == order_id).execute()
            if "status" in changes:
                OrderStatusHistory.insert(
                    order=order_id,
                    status=status.id,
                    handle=status.handle,
                    changed_at=now,
                    client=client_of(actor),
                    actor=actor,
                ).execute()
        if not changes:
            return render_order(order_id, settings, full)
        plain = render_and_keep(order_id, settings)
        _emit(plain, changes, restocked, actor)
        return render_order(order_id, settings, full) if full else plain


def _emit(order, changes, restocked, actor):
    """The events of an order change: `order.updated` naming the fulfilment fields that
    changed (a status change changes its name and handle), then the payment event, then
    `stock.changed` for each record a restock moved."""
    paths = [path for column, path in FULFILMENT_PATHS if column in changes]
    if paths:
        events.emit("order.updated", {"order": order, "changes": paths}, actor)
    payment_event = _payment_event(changes)
    if payment_event is not None:
        events.emit(payment_event, {"order": order}, actor)
    emit_moves(restocked, "restock", actor)


def _payment_event(changes):
    if "paid_at" in changes:
        return "order.unpaid" if changes["paid_at"] is None else "order.paid"
    if "refunded_at" in changes:
        return "order.refunded"
    if "cancelled_at" in changes:
        return "order.cancelled"
    return None
