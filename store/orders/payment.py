"""Payment state changes of an order (manage.md §5): paid, unpaid, refunded, cancelled."""

from store.errors import Conflict


def _refused(message):
    return Conflict(message, {"data.payment": [message]})


def payment_changes(current, payment, now):
    """{column: new value} for a payment change (a loaded store.orders.bodies.Payment) of an
    order whose state is `current` (its paid_at, refunded_at, cancelled_at); Conflict when
    the state refuses it. Setting what the order already has changes nothing."""
    if "paid" in payment and payment["paid"]:
        if current["cancelled_at"] is not None:
            raise _refused("The order is cancelled: it cannot be marked paid")
        if current["paid_at"] is not None:
            return {}
        changes = {"paid_at": payment.get("date") or now}
        if "reference" in payment:
            changes["payment_reference"] = payment["reference"]
        return changes
    if "paid" in payment:
        if current["refunded_at"] is not None:
            raise _refused("The order is refunded: its payment cannot be cleared")
        return {} if current["paid_at"] is None else {"paid_at": None}
    if "refunded" in payment:
        if current["paid_at"] is None:
            raise _refused("The order is not paid: it cannot be refunded")
        if current["refunded_at"] is not None:
            raise _refused("The order is already refunded")
        return {"refunded_at": payment.get("date") or now, "refund_reason": payment.get("reason")}
    if current["cancelled_at"] is not None:
        raise _refused("The order is already cancelled")
    return {"cancelled_at": payment.get("date") or now}
