"""Orders: listing, reading and changing their fulfilment (orders.md)."""

from store.errors import NotFound
from store.orders.documents import render_order, render_orders
from store.orders.fulfilment import update_fulfilment
from store.orders.listing import (
    PAYMENT_STATUSES,
    OrderFilters,
    count_orders,
    page_ids,
    select_orders,
)
from store.paging import fetch_page

__all__ = [
    "PAYMENT_STATUSES",
    "OrderFilters",
    "get_order",
    "list_orders",
    "render_orders",
    "update_fulfilment",
]


def list_orders(filters, page, per_page, settings):
    """One page of orders, newest first, matching `filters` (an OrderFilters): a Page."""
    selection = select_orders(filters, settings.timezone)
    return fetch_page(
        lambda: count_orders(selection),
        lambda offset, limit: page_ids(selection, offset, limit),
        lambda ids: render_orders(ids, settings),
        page,
        per_page,
    )


def get_order(order_id, settings):
    """One order as the contract's document; NotFound when there is none."""
    order = render_order(order_id, settings)
    if order is None:
        raise NotFound("Order not found")
    return order
