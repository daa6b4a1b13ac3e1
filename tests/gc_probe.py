"""A WSGI app that answers how many objects its process keeps out of the garbage
collector's walks (test_gunicorn.py serves it through the project's worker class)."""

import gc

LOADED = [{"made": "at import"} for _ in range(1000)]


def app(environ, start_response):
    body = str(gc.get_freeze_count()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
