"""Paginated responses: the page asked for, and `meta.pagination` with absolute links
(API.md §3). The arguments themselves are `PageQuerySchema` fields."""

from flask import request

from api.jsonio import json_response
from api.links import external_url


def _link(base, other_params, page):
    return f"{base}?{'&'.join([*other_params, f'page={page}'])}"


def pagination_meta(total, count, page, per_page, req=None, settings=None):
    """`meta` of a page answering a request (by default the current one)."""
    total_pages = max(1, -(-total // per_page))
    links = {}
    if page > 1 or page < total_pages:
        req = request if req is None else req
        base = external_url(req.path, req, settings)
        # Every other query parameter is kept byte for byte, in its original order.
        query = req.query_string.decode("latin-1")
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


def page_payload(page, req=None, settings=None):
    """The {"data", "meta"} body of a store Page answering a request (by default the
    current one)."""
    meta = pagination_meta(page.total, len(page.items), page.page, page.per_page, req, settings)
    return {"data": page.items, "meta": meta}


def paginated_response(page):
    """The {"data", "meta"} response of a store Page."""
    return json_response(page_payload(page))
