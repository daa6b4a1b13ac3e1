"""Webhooks (events.md §3): subscriptions, signed deliveries and the sender that makes
them. The store's writes know nothing of them: the sender reads the event feed."""

from store.webhooks.subscriptions import (
    add_subscription,
    change_subscription,
    disable,
    enable,
    get_subscription,
    health,
    list_attempts,
    list_subscriptions,
    redeliver,
    remove_subscription,
    rotate_secret,
)

__all__ = [
    "add_subscription",
    "change_subscription",
    "disable",
    "enable",
    "get_subscription",
    "health",
    "list_attempts",
    "list_subscriptions",
    "redeliver",
    "remove_subscription",
    "rotate_secret",
]
