"""Products: listing and reading the catalogue (products.md)."""

from store.errors import NotFound
from store.paging import fetch_page
from store.products.documents import render_product, render_products
from store.products.listing import (
    FilterError,
    count_products,
    filter_expressions,
    page_ids,
    parse_filter,
)

__all__ = [
    "FilterError",
    "get_product",
    "list_products",
    "parse_filter",
    "render_product",
    "render_products",
]


def list_products(conditions, page, per_page, settings):
    """One page of products, newest first, matching the parsed filter `conditions`
    (`parse_filter`'s result, () for none): a Page."""
    expressions = filter_expressions(conditions, settings.timezone)
    return fetch_page(
        lambda: count_products(expressions),
        lambda offset, limit: page_ids(expressions, offset, limit),
        lambda ids: render_products(ids, settings),
        page,
        per_page,
    )


def get_product(product_id, settings):
    """One product as the contract's document; NotFound when there is none."""
    product = render_product(product_id, settings)
    if product is None:
        raise NotFound("Product not found")
    return product
