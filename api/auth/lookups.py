"""The client lookups of the token paths, compiled to SQL once per kind of database.

Every API request checks its client and every token request reads one: peewee would build
the same statement again on each call, which costs more than the database takes to run it.
"""

from typing import NamedTuple

from models.base import db
from models.clients import ApiClient

# Compiled in place of the client_id; the statement then takes the real one as parameter.
_MARKER = "client-id-parameter"
_compiled = {}


class ClientRow(NamedTuple):
    client_id: str
    secret_digest: str
    scopes: str
    revoked_at: object

    @property
    def scope_list(self):
        return self.scopes.split()


def _active_query():
    condition = (ApiClient.client_id == _MARKER) & ApiClient.revoked_at.is_null()
    return ApiClient.select(ApiClient.id).where(condition)


def _credentials_query():
    return ApiClient.select(
        ApiClient.client_id, ApiClient.secret_digest, ApiClient.scopes, ApiClient.revoked_at
    ).where(ApiClient.client_id == _MARKER)


def _run(build, client_id):
    """Run the statement `build` makes for `client_id`; the SQL only depends on the kind of
    database (quoting, parameter style), so it is compiled once per kind."""
    key = (build, type(db.obj))
    sql = _compiled.get(key)
    if sql is None:
        sql, params = build().sql()
        if params != [_MARKER]:
            raise RuntimeError(f"unexpected parameters compiling {build.__name__}: {params}")
        _compiled[key] = sql
    return db.execute_sql(sql, (client_id,)).fetchone()


def client_is_active(client_id):
    """True when the client exists and is not revoked."""
    return _run(_active_query, client_id) is not None


def find_client(client_id):
    """The client's credentials row, or None."""
    row = _run(_credentials_query, client_id)
    return None if row is None else ClientRow(*row)
