"""The fulfilment PATCH of an order: status and tracking, in one transaction."""

from models.base import for_update_if_supported, locking_atomic, utcnow
from models.orders import Order, OrderStatusHistory
from store.actors import client_of
from store.errors import NotFound
from store.orders.documents import render_order
from store.statuses import resolve_handle

TRACKING_FIELDS = ("tracking_id", "tracking_code", "tracking_url")


def _changes(current, fulfilment, status):
    """{field: new value} for what the PATCH changes; absent or null keys change nothing."""
    current_status, *tracking = current
    changes = {}
    for name, before in zip(TRACKING_FIELDS, tracking, strict=True):
        wanted = fulfilment.get(name)
        if wanted is not None and (wanted or None) != before:
            changes[name] = wanted or None
    if status is not None and status.id != current_status:
        changes["status"] = status.id
    return changes


def update_fulfilment(order_id, fulfilment, actor, settings):
    """Apply a fulfilment change and return the order as it then is.

    `fulfilment` holds any of `handle` (a status handle, any case) and the tracking fields
    (`""` clears one, None or absent leaves it); `actor` says who changes it (store.actors).
    The order row is locked before its status is compared, so concurrent changes take turns
    and the status history stays consistent.
    A change to what the order already has writes nothing. Raises Invalid for an unknown
    handle, NotFound when there is no such order."""
    handle = fulfilment.get("handle")
    status = None if handle is None else resolve_handle(handle, "data.fulfilment.handle")
    with locking_atomic():
        query = Order.select(
            Order.status, Order.tracking_id, Order.tracking_code, Order.tracking_url
        ).where(Order.id == order_id)
        current = list(for_update_if_supported(query).tuples())
        if not current:
            raise NotFound("Order not found")
        changes = _changes(current[0], fulfilment, status)
        if changes:
            now = utcnow()
            Order.update(**changes, updated_at=now).where(Order.id == order_id).execute()
            if status is not None and "status" in changes:
                OrderStatusHistory.insert(
                    order=order_id,
                    status=status.id,
                    handle=status.handle,
                    changed_at=now,
                    client=client_of(actor),
                    actor=actor,
                ).execute()
        return render_order(order_id, settings)
