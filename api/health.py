"""GET /healthz (the process answers) and GET /readyz (database reachable, schema current)."""

from flask import current_app, g
from peewee import InterfaceError, OperationalError
from playhouse.pool import MaxConnectionsExceeded

from api.blueprints import Blueprint
from api.hooks import bind_database, close_database, install, state
from api.jsonio import json_response
from models.schema import SchemaOutdated

blp = install(Blueprint("cs_health", __name__), database=False)


@blp.get("/healthz")
def healthz():
    """Say the process is alive."""
    return json_response({"status": "ok"})


@blp.get("/readyz")
def readyz():
    """Say whether the database answers and its schema is current."""
    database = bind_database()
    retry = {"Retry-After": str(current_app.config["CS_DATABASE_RETRY_AFTER"])}
    try:
        database.connect(reuse_if_open=True)
        database.execute_sql("SELECT 1")
        state().check_schema()
    except (OperationalError, InterfaceError, MaxConnectionsExceeded):
        g.cs_db_broken = True
        return json_response({"status": "unavailable", "database": "unreachable"}, 503, retry)
    except SchemaOutdated:
        return json_response({"status": "unavailable", "database": "schema outdated"}, 503, retry)
    finally:
        close_database(None)
    return json_response({"status": "ok", "database": "ok"})
