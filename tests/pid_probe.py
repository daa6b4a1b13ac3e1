"""A WSGI app that answers the pid of the worker process that served the request
(test_gunicorn.py serves it through the project's worker class)."""

import os


def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
