"""GET /healthz (the process answers) and GET /readyz (database reachable, schema current)."""

from flask import Blueprint
from peewee import InterfaceError, OperationalError

from api.hooks import install, state
from api.jsonio import json_response
from models.base import db
from models.schema import SchemaOutdated

blp = install(Blueprint("cs_health", __name__), database=False)


@blp.get("/healthz")
def healthz():
    """Say the process is alive."""
    return json_response({"status": "ok"})


@blp.get("/readyz")
def readyz():
    """Say whether the database answers and its schema is current."""
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
            state().check_schema()
    except (OperationalError, InterfaceError):
        return json_response(
            {"status": "unavailable", "database": "unreachable"}, 503, {"Retry-After": "5"}
        )
    except SchemaOutdated:
        return json_response({"status": "unavailable", "database": "schema outdated"}, 503)
    return json_response({"status": "ok", "database": "ok"})
