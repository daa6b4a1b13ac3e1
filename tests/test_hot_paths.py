"""The hot paths' shortcuts give exactly what the plain ways give."""

import time

import pytest

from api.auth import tokens
from models.base import utcnow
from models.clients import ApiClient
from store.clients import client_is_active, find_client
from tests import factories

KEY = b"k" * 40
CLAIMS = {"issuer": "iss", "audience": "aud"}
CHECKS = {**CLAIMS, "lifetime": 3600}


def issue(lifetime=60, now=None):
    return tokens.issue("client", ["cs:orders:read"], key=KEY, lifetime=lifetime, now=now, **CLAIMS)


def test_a_verified_token_still_expires():
    # Issued to expire in one to two seconds (PyJWT reads the real clock).
    issued = int(time.time())
    token = issue(lifetime=62, now=issued - 60)
    assert tokens.verify(token, key=KEY, **CHECKS)["client_id"] == "client"
    time.sleep(max(0, issued + 2.05 - time.time()))
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.verify(token, key=KEY, **CHECKS)


def test_a_verified_token_is_only_good_with_its_key_and_claims():
    token = issue()
    tokens.verify(token, key=KEY, **CHECKS)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, key=b"o" * 40, **CHECKS)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, key=KEY, issuer="other", audience="aud", lifetime=3600)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, key=KEY, **CLAIMS, lifetime=59)
    head, payload, signature = token.split(".")
    with pytest.raises(tokens.TokenError):
        tokens.verify(f"{head}.{payload}.{signature[:-2]}AA", key=KEY, **CHECKS)


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_CACHE_SIZE", 3)
    tokens._verified.clear()
    for _ in range(10):
        tokens.verify(issue(), key=KEY, **CHECKS)
    assert len(tokens._verified) <= 3


def test_client_lookups(app):
    client_id, _ = factories.api_client()
    revoked_id, _ = factories.api_client()
    ApiClient.update(revoked_at=utcnow()).where(ApiClient.client_id == revoked_id).execute()
    assert client_is_active(client_id)
    assert not client_is_active(revoked_id)
    assert not client_is_active("nobody")
    row = find_client(client_id)
    assert row.client_id == client_id and row.revoked_at is None
    assert row.scope_list == ApiClient.get(ApiClient.client_id == client_id).scope_list
    assert find_client(revoked_id).revoked_at is not None
    assert find_client("nobody") is None
