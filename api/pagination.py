"""Paginated responses: the page asked for, and `meta.pagination` with absolute links
(API.md §3). The arguments themselves are `PageQuerySchema` fields."""

from flask import request

from api.jsonio import data_response
from api.links import external_url


def _link(base, other_params, page):
    return f"{base}?{'&'.join([*other_params, f'page={page}'])}"


def pagination_meta(total, count, page, per_page):
    total_pages = max(1, -(-total // per_page))
    links = {}
    if page > 1 or page < total_pages:
        base = external_url(request.path)
        # Every other query parameter is kept byte for byte, in its original order.
        query = request.query_string.decode("latin-1")
        others = [p for p in query.split("&") if p and p.split("=", 1)[0] != "page"]
        if page > 1:
            links["previous"] = _link(base, others, min(page - 1, total_pages))
        if page < total_pages:
            links["next"] = _link(base, others, page + 1)
    return {
        "pagination": {
            "total": total,
            "count": count,
            "per_page": per_page,
            "current_page": page,
            "total_pages": total_pages,
            "links": links,
        }
    }


def page_request(args, max_page_size):
    """(page, per_page) from a list's loaded query arguments; per_page clamped."""
    return args["page"], min(args["paging"], max_page_size)


def paginated_response(page):
    """The {"data", "meta"} response of a store Page."""
    meta = pagination_meta(page.total, len(page.items), page.page, page.per_page)
    return data_response(page.items, meta)
