"""A WSGI app of two host apps in one process, each with its own store database (the
environment's STORE_A_URL and STORE_B_URL), mounted under /a and /b."""

import os

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import api


def host(name):
    app = Flask(f"host_{name}")
    app.config["CS_TOKEN_SECRET"] = os.environ["TOKEN_SECRET"]
    api.init_app(app, database_url=os.environ[f"STORE_{name.upper()}_URL"])
    return app


hosts = {"a": host("a"), "b": host("b")}
app = DispatcherMiddleware(NotFound(), {"/a": hosts["a"], "/b": hosts["b"]})


@hosts["a"].get("/healthz-of-host")
def host_health():
    return {"ok": True}
