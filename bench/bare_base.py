"""What the bare app's parts share: settings, the connection, JSON values, pagination."""

import datetime
import os
import sqlite3
import threading
from urllib.parse import quote
from zoneinfo import ZoneInfo

PREFIX = "/cs/api/v1"
TOKEN_PATH = "/oauth/2.0/token"
ZONE_NAME = os.environ.get("STORE_TIMEZONE", "UTC")
ZONE = ZoneInfo(ZONE_NAME)
DIGITS = 2  # USD, the service's default currency
MAX_PAGE_SIZE = int(os.environ.get("MAX_PAGE_SIZE", "100"))

_connection = {}


def db():
    """One connection per thread of a worker process (as the service keeps), opened after the
    fork, with the service's pragmas."""
    key = (os.getpid(), threading.get_ident())
    if key not in _connection:
        conn = sqlite3.connect(os.environ["BENCH_DATABASE"], isolation_level=None, timeout=5)
        for pragma in ("journal_mode=wal", "foreign_keys=1", "synchronous=normal",
                       "cache_size=-16000", "busy_timeout=5000"):  # fmt: skip
            conn.execute(f"PRAGMA {pragma}")
        _connection[key] = conn
    return _connection[key]


class Fail(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status, self.body = status, body


# --- values ---


def number(units):
    if units is None:
        return None
    return units // 10_000 if units % 10_000 == 0 else units / 10_000


def money(units):
    if units is None:
        return None
    step = 10 ** (4 - DIGITS)
    whole, rest = divmod(abs(units), step)
    rounded = (whole + (rest * 2 >= step)) * (1 if units >= 0 else -1)
    scale = 10**DIGITS
    return rounded // scale if rounded % scale == 0 else rounded / scale


def date(text):
    if text is None:
        return None
    if ZONE_NAME != "UTC":
        moment = datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)
        text = moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S.%f")
    return {"date": text, "timezone": ZONE_NAME}


def marks(ids):
    return ",".join("?" * len(ids))


# --- pagination ---


def page_args(params):
    page = int(params.get("page") or 1)
    per_page = min(int(params.get("paging") or 20), MAX_PAGE_SIZE)
    if page < 1 or per_page < 1:
        raise Fail("400 Bad Request", {"error": True, "errors": ["Bad page"]})
    return page, per_page


def pagination(environ, total, count, page, per_page):
    total_pages = max(1, -(-total // per_page))
    links = {}
    if page > 1 or page < total_pages:
        base = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}"
        base += quote(environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"])
        others = [p for p in environ.get("QUERY_STRING", "").split("&")
                  if p and p.split("=", 1)[0] != "page"]  # fmt: skip
        if page > 1:
            links["previous"] = (
                f"{base}?{'&'.join([*others, f'page={min(page - 1, total_pages)}'])}"
            )
        if page < total_pages:
            links["next"] = f"{base}?{'&'.join([*others, f'page={page + 1}'])}"
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
