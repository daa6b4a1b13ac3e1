"""What a fulfilment change changes: status and tracking (orders.md, PATCH /orders/{id})."""

TRACKING_FIELDS = ("tracking_id", "tracking_code", "tracking_url")


def fulfilment_changes(current, fulfilment, status):
    """{column: new value} for what a fulfilment change changes; absent or null keys change
    nothing, "" clears a tracking field. `current` holds the order's `status` and tracking
    columns, `status` the resolved status (store.statuses.StatusRef) or None."""
    changes = {}
    for name in TRACKING_FIELDS:
        wanted = fulfilment.get(name)
        if wanted is not None and (wanted or None) != current[name]:
            changes[name] = wanted or None
    if status is not None and status.id != current["status"]:
        changes["status"] = status.id
    return changes
