"""Several app servers on one database: tokens, revocations and stock are shared."""

import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from models.catalog import Product
from tests import factories
from tests.servers import cs_command, http_json

pytestmark = pytest.mark.slow

STATUSES = "/cs/api/v1/fulfilmentstatuses"


def new_client(database_url, *scopes):
    options = [arg for scope in scopes for arg in ("--scope", scope)]
    output = cs_command(database_url, "client", "create", "Shared", *options)
    return (
        re.search(r"client_id:\s+(\S+)", output).group(1),
        re.search(r"client_secret:\s+(\S+)", output).group(1),
    )


def call(method, url, body=None, headers=None):
    status, _, reply = http_json(method, url, body, headers)
    return status, reply


def token_from(server, client_id, secret):
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    return call(
        "POST",
        server.url + "/oauth/2.0/token",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def two_instances(app, gunicorn_server):
    """Two gunicorn instances, each on its own port, on the same (emptied) database."""
    return gunicorn_server(workers=2), gunicorn_server(workers=2)


def test_tokens_and_revocations_hold_on_every_instance(two_instances, database_url):
    first, second = two_instances
    assert first.port != second.port
    client_id, secret = new_client(database_url)
    tokens = {}
    for issuer, other in [(first, second), (second, first)]:
        status, body = token_from(issuer, client_id, secret)
        assert status == 200, body
        tokens[issuer.port] = body["access_token"]
        # Issued by one, accepted by the other.
        status, body = call("GET", other.url + STATUSES, headers=bearer(body["access_token"]))
        assert status == 200, body

    assert cs_command(database_url, "client", "revoke", client_id).strip() == f"revoked {client_id}"

    # Locked out everywhere at once, whichever instance issued the token.
    for server in two_instances:
        for token in tokens.values():
            status, body = call("GET", server.url + STATUSES, headers=bearer(token))
            assert (status, body["error"]) == (401, "invalid_token")
        status, body = token_from(server, client_id, secret)
        assert (status, body["error"]) == (401, "invalid_client")


def test_concurrent_stock_adjustments_over_both_instances_end_exact(two_instances, database_url):
    product = factories.product(sku="SHARED-1", stock_level=Decimal("100"))
    client_id, secret = new_client(database_url, "cs:products:read cs:products:write")
    tokens = [token_from(server, client_id, secret)[1]["access_token"] for server in two_instances]
    adjustments = [-1] * 24 + [0.5] * 24 + [0.0001] * 16

    def adjust(n):
        server = two_instances[n % 2]
        return call(
            "PATCH",
            server.url + "/cs/api/v1/skus/SHARED-1",
            {"data": {"stock_adjustment": adjustments[n]}},
            bearer(tokens[n % 2]),
        )

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(adjust, range(len(adjustments))))
    assert [status for status, _ in replies] == [200] * len(adjustments), replies[:3]
    expected = Decimal("100") + sum(Decimal(str(a)) for a in adjustments)
    assert expected == Decimal("88.0016")
    assert Product.get_by_id(product.id).stock_level == expected
    for server, token in zip(two_instances, tokens, strict=True):
        status, body = call("GET", server.url + "/cs/api/v1/skus/SHARED-1", headers=bearer(token))
        assert (status, body["data"]["stock_level"]) == (200, 88.0016)
