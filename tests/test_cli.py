"""The `cs` commands: schema, integrations and fulfilment statuses."""

import re

import pytest

from models import ALL_MODELS
from models.clients import ApiClient
from models.statuses import FulfilmentStatus

TOKEN_URL = "/oauth/2.0/token"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=["cs", *args])
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result.output

    return run


def credentials(output):
    client_id = re.search(r"client_id:\s+(\S+)", output).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", output).group(1)
    return client_id, secret


def token_status(client, client_id, secret):
    return client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).status_code


def row_counts():
    return {model.__name__: model.select().count() for model in ALL_MODELS}


def test_upgrade_twice_changes_nothing(cli):
    before = row_counts()
    assert "schema already current" in cli("db", "upgrade")
    assert "schema already current" in cli("db", "upgrade")
    assert row_counts() == before
    assert "applied  0001_initial" in cli("db", "status")


def test_create_prints_working_credentials_once(cli, client):
    output = cli("client", "create", "Warehouse")
    client_id, secret = credentials(output)
    assert token_status(client, client_id, secret) == 200
    listing = cli("client", "list")
    assert client_id in listing and "Warehouse" in listing and secret not in listing


def test_create_with_limited_scopes(cli, client):
    client_id, secret = credentials(
        cli("client", "create", "Stock sync", "--scope", "cs:products:read cs:products:write")
    )
    body = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).get_json()
    assert body["scope"] == "cs:products:read cs:products:write"


def granted(client, client_id, secret):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post(TOKEN_URL, data=form).get_json()["scope"]


def test_manage_scopes_are_granted_only_when_named(cli, client):
    default = credentials(cli("client", "create", "ERP"))
    assert granted(client, *default) == (
        "cs:orders:read cs:orders:write cs:products:read cs:products:write cs:config:read"
    )
    manager = credentials(
        cli("client", "create", "Shop", "--scope", "cs:products:manage,cs:orders:manage")
    )
    assert granted(client, *manager) == "cs:products:manage cs:orders:manage"


def test_unknown_scope_is_refused(cli):
    assert "unknown scope" in cli("client", "create", "X", "--scope", "cs:all", ok=False)
    assert ApiClient.select().count() == 0


def test_revoke_locks_out_tokens_already_issued(cli, client):
    client_id, secret = credentials(cli("client", "create", "ERP"))
    token = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/cs/api/v1/config", headers=headers).status_code == 200
    cli("client", "revoke", client_id)
    assert client.get("/cs/api/v1/config", headers=headers).status_code == 401
    assert token_status(client, client_id, secret) == 401
    assert "revoked" in cli("client", "list")


def test_rotate_kills_the_old_secret_at_once(cli, client):
    client_id, old = credentials(cli("client", "create", "ERP"))
    _, new = credentials(cli("client", "rotate", client_id))
    assert new != old
    assert token_status(client, client_id, old) == 401
    assert token_status(client, client_id, new) == 200


def test_unknown_client_id(cli):
    assert "no integration" in cli("client", "revoke", "nope", ok=False)


def handles():
    query = FulfilmentStatus.select().order_by(FulfilmentStatus.sort_order, FulfilmentStatus.id)
    return [status.handle for status in query]


def test_status_add_rename_reorder_starting(cli, client, auth):
    cli("status", "add", "packed", "Packed")
    assert handles()[-1] == "packed"
    cli("status", "rename", "packed", "Packed and ready")
    cli("status", "reorder", "processing", "packed")
    assert handles()[:3] == ["processing", "packed", "incomplete"]
    cli("status", "starting", "processing")
    starting = FulfilmentStatus.select().where(FulfilmentStatus.is_starting)
    assert [status.handle for status in starting] == ["processing"]
    listed = client.get("/cs/api/v1/fulfilmentstatuses", headers=auth("cs:orders:read"))
    assert listed.get_json()["data"][1] == {
        "id": FulfilmentStatus.get(FulfilmentStatus.handle == "packed").id,
        "handle": "packed",
        "name": "Packed and ready",
    }
    assert "(starting)" in cli("status", "list")


@pytest.mark.parametrize("handle", ["Bad Handle", "", "x" * 101, "drop;table"])
def test_status_handles_are_validated(cli, handle):
    cli("status", "add", handle, "Name", ok=False)
    assert len(handles()) == 6


def test_duplicate_status_handle(cli):
    assert "exists" in cli("status", "add", "shipped", "Shipped again", ok=False)
