"""Page arguments and `meta.pagination` with absolute links (API.md §3)."""

from flask import request

from api.errors import bad_request
from api.links import external_url

DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10**9
# Longer digit strings all count as HUGE, more than any page or page size: int() is never
# handed one (it refuses strings of more than 4,300 digits).
MAX_DIGITS = 18
HUGE = 10**MAX_DIGITS


def _positive_arg(name, default):
    raw = request.args.get(name, "")
    if raw == "":
        return default
    digits = raw.lstrip("0")
    if not raw.isascii() or not raw.isdigit() or not digits:
        bad_request(
            f"Invalid query parameter '{name}': must be a positive integer",
            {name: ["Must be a positive integer."]},
        )
    return int(digits) if len(digits) <= MAX_DIGITS else HUGE


def page_args(max_page_size):
    """(page, per_page) from `page` and `paging`; a too-large page size is clamped."""
    page = _positive_arg("page", 1)
    per_page = min(_positive_arg("paging", DEFAULT_PAGE_SIZE), max_page_size)
    if page > MAX_PAGE:
        bad_request(
            f"Invalid query parameter 'page': must be at most {MAX_PAGE}",
            {"page": [f"Must be at most {MAX_PAGE}."]},
        )
    return page, per_page


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
