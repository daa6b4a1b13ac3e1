"""Products: listing and reading the catalogue (products.md); creating, replacing,
changing and deleting products (manage.md §3)."""

from store.errors import NotFound
from store.etags import matches
from store.paging import fetch_counted_page, fetch_page
from store.products.documents import (
    product_state_etag,
    render_page_of_all,
    render_product,
    render_products,
    render_tagged_product,
)
from store.products.listing import (
    FilterError,
    count_products,
    filter_expressions,
    page_ids,
    parse_filter,
)
from store.products.writes import (
    create_product,
    delete_product,
    put_product,
    update_product,
    update_variation,
)

__all__ = [
    "FilterError",
    "create_product",
    "current_etag",
    "delete_product",
    "get_product",
    "get_tagged_product",
    "list_products",
    "parse_filter",
    "put_product",
    "render_product",
    "render_products",
    "update_product",
    "update_variation",
]


def list_products(conditions, page, per_page, settings, full=False):
    """One page of products, newest first, matching the parsed filter `conditions`
    (`parse_filter`'s result, () for none): a Page. With `full`, each product in its full
    view (manage.md §2)."""
    expressions = filter_expressions(conditions, settings.timezone)
    if not expressions:
        return fetch_counted_page(
            lambda offset, limit: render_page_of_all(offset, limit, settings, full),
            lambda: count_products(expressions),
            page,
            per_page,
        )
    return fetch_page(
        lambda: count_products(expressions),
        lambda offset, limit: page_ids(expressions, offset, limit),
        lambda ids: render_products(ids, settings, full),
        page,
        per_page,
    )


def get_product(product_id, settings, full=False):
    """One product as the contract's document (with `full`, its full view); NotFound when
    there is none."""
    product = render_product(product_id, settings, full)
    if product is None:
        raise NotFound("Product not found")
    return product


def get_tagged_product(product_id, settings, full=False, if_none_match=None):
    """(document, entity tag) of one product; NotFound when there is none.

    `if_none_match` (store.etags.ANY or a collection of tags, None for none) is what the
    caller already has: when it names the product's current tag, the document is None and
    nothing is rendered (one query)."""
    if if_none_match is not None:
        tag = current_etag(product_id, settings)
        if matches(if_none_match, tag):
            return None, tag
    found = render_tagged_product(product_id, settings, full)
    if found is None:
        raise NotFound("Product not found")
    return found


def current_etag(product_id, settings):
    """The entity tag of a product as it is stored now (None when there is none), for
    checking an If-Match with store.etags.require_match. A write locks the product's row
    first, then reads this in the same transaction. The tag names the product's
    `date_updated`, which every write to the product or its variations sets."""
    return product_state_etag(product_id, settings)
