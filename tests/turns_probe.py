"""A WSGI app that answers how many of its requests it saw answered at once: each waits
a little for another to come in beside it (test_gunicorn.py serves it through the
project's worker class)."""

import threading

inside = set()
changed = threading.Condition()
PARTNER_WAIT = 0.02  # seconds, under the worker's patience for a turn (0.05)


def app(environ, start_response):
    me = object()
    with changed:
        inside.add(me)
        changed.notify_all()
        changed.wait_for(lambda: len(inside) > 1, timeout=PARTNER_WAIT)
        seen = len(inside)
        inside.discard(me)
    body = str(seen).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
