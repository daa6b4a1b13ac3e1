"""Orders: listing and reading them, creating and recording them, changing their fulfilment
and payment state (orders.md, manage.md §4, §5)."""

from store.errors import NotFound
from store.etags import matches
from store.orders import kept
from store.orders.changes import set_payment, update_fulfilment, update_order
from store.orders.documents import (
    order_state_etag,
    render_order,
    render_orders,
    render_tagged_order,
    render_visible_page,
)
from store.orders.kept import refresh_documents
from store.orders.listing import (
    PAYMENT_STATUSES,
    OrderFilters,
    count_orders,
    page_ids,
    select_orders,
    unfiltered,
    visible_window,
)
from store.orders.writes import create_order, put_order
from store.paging import fetch_page

__all__ = [
    "PAYMENT_STATUSES",
    "OrderFilters",
    "create_order",
    "current_etag",
    "get_order",
    "get_tagged_order",
    "list_orders",
    "put_order",
    "refresh_documents",
    "render_orders",
    "set_payment",
    "update_fulfilment",
    "update_order",
]


def _renderers(settings, full, fragments):
    """(render a window of the default listing, render the orders of a list of ids): the
    kept documents where the caller takes fragments of the plain view, else rendering."""
    if fragments and not full:
        return (
            lambda window: kept.visible_page(*window, settings),
            lambda ids: kept.orders_by_ids(ids, settings),
        )
    return (
        lambda window: render_visible_page(*window, settings, full),
        lambda ids: render_orders(ids, settings, full),
    )


def list_orders(filters, page, per_page, settings, full=False, fragments=False):
    """One page of orders, newest first, matching `filters` (an OrderFilters): a Page.
    With `full`, each order in its full view (manage.md §2). With `fragments` (the plain
    view only), an order whose kept document is current (store.orders.kept) comes as that
    JSON text, an orjson.Fragment: for a caller that only serialises the page with orjson."""
    selection = select_orders(filters, settings.timezone)
    render_window, render_ids = _renderers(settings, full, fragments)
    if unfiltered(selection):
        total = count_orders(selection)
        return fetch_page(
            lambda: total,
            lambda offset, limit: visible_window(offset, limit, total),
            render_window,
            page,
            per_page,
        )
    return fetch_page(
        lambda: count_orders(selection),
        lambda offset, limit: page_ids(selection, offset, limit),
        render_ids,
        page,
        per_page,
    )


def get_order(order_id, settings, full=False):
    """One order as the contract's document (with `full`, its full view); NotFound when
    there is none."""
    order = render_order(order_id, settings, full)
    if order is None:
        raise NotFound("Order not found")
    return order


def get_tagged_order(order_id, settings, full=False, if_none_match=None, fragments=False):
    """(document, entity tag) of one order; NotFound when there is none.

    `if_none_match` (store.etags.ANY or a collection of tags, None for none) is what the
    caller already has: when it names the order's current tag, the document is None and
    nothing is rendered (one query). `fragments`: as list_orders takes it."""
    if if_none_match is not None:
        tag = current_etag(order_id, settings)
        if matches(if_none_match, tag):
            return None, tag
    if fragments and not full:
        found = kept.tagged_order(order_id, settings)
    else:
        found = render_tagged_order(order_id, settings, full)
    if found is None:
        raise NotFound("Order not found")
    return found


def current_etag(order_id, settings):
    """The entity tag of an order as it is stored now (None when there is none), for
    checking an If-Match with store.etags.require_match. A write locks the order's row
    first, then reads this in the same transaction. Every write to an order must set its
    `updated_at`, which the tag names."""
    return order_state_etag(order_id, settings)
