"""One page of a listing: how many rows match, and the documents of the rows on the page."""

from typing import NamedTuple


class Page(NamedTuple):
    items: list
    total: int
    page: int
    per_page: int


def fetch_page(count, page_ids, render, page, per_page):
    """Count the matching rows, then (unless the page is past the end) select the page's
    ids and render them: a page past the end costs one query and is empty, never page 1."""
    total = count()
    past_the_end = (page - 1) * per_page >= total
    items = [] if past_the_end else render(page_ids((page - 1) * per_page, per_page))
    return Page(items, total, page, per_page)


def fetch_counted_page(read, count, page, per_page):
    """As fetch_page, for a listing whose page's statement counts the matching rows too:
    `read(offset, limit)` gives (items, total), total None when the page is empty, and only
    then is `count()` run (a page past the end, or none to list)."""
    items, total = read((page - 1) * per_page, per_page)
    if total is None:
        total = count()
    return Page(items, total, page, per_page)
