"""Bearer tokens on API routes: every 401 and 403 of API.md §4."""

import base64
import hashlib
import hmac
import json
import re
import time

import jwt
import pytest

from models.base import utcnow
from models.clients import ALL_SCOPES, ApiClient
from tests import factories
from tests.conftest import TEST_SECRET

CONFIG_URL = "/cs/api/v1/config"
ISSUER = AUDIENCE = "community-store-api"


def claims_for(client_id, **changes):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "client_id": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "j1",
        "scope": " ".join(ALL_SCOPES),
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def sign(claims, key=TEST_SECRET, headers=None):
    return jwt.encode(claims, key, algorithm="HS256", headers=headers or {"typ": "at+jwt"})


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def client_id(app):
    return factories.api_client()[0]


def get(client, token, scheme="Bearer"):
    return client.get(CONFIG_URL, headers={"Authorization": f"{scheme} {token}"})


def assert_invalid_token(response):
    assert response.status_code == 401, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "invalid_token"
    assert body["message"] == body["error_description"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')


def test_valid_token_any_scheme_case(client, client_id):
    token = sign(claims_for(client_id))
    for scheme in ("Bearer", "bearer", "BEARER"):
        assert get(client, token, scheme).status_code == 200


def test_no_header(client):
    response = client.get(CONFIG_URL)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda cid: "not-a-jwt", id="malformed"),
        pytest.param(lambda cid: "", id="empty"),
        pytest.param(lambda cid: sign(claims_for(cid, exp=int(time.time()) - 120)), id="expired"),
        pytest.param(
            lambda cid: sign(claims_for(cid, nbf=int(time.time()) + 600)), id="not-yet-valid"
        ),
        pytest.param(lambda cid: sign(claims_for(cid), key="x" * 48), id="wrong-key"),
        pytest.param(lambda cid: sign(claims_for(cid, aud="someone-else")), id="wrong-audience"),
        pytest.param(lambda cid: sign(claims_for(cid, iss="someone-else")), id="wrong-issuer"),
        pytest.param(lambda cid: sign(claims_for(cid, jti=None)), id="missing-claim"),
        pytest.param(lambda cid: sign(claims_for(cid, scope=["cs:config:read"])), id="bad-scope"),
        pytest.param(lambda cid: sign(claims_for(cid), headers={"typ": "JWT"}), id="not-at-jwt"),
        pytest.param(lambda cid: sign(claims_for("no-such-client")), id="unknown-client"),
        pytest.param(
            lambda cid: f"{b64({'alg': 'none', 'typ': 'at+jwt'})}.{b64(claims_for(cid))}.",
            id="alg-none",
        ),
        pytest.param(
            lambda cid: jwt.encode(
                claims_for(cid), TEST_SECRET, algorithm="HS512", headers={"typ": "at+jwt"}
            ),
            id="other-hmac-algorithm",
        ),
        # Signed with the right key, yet nothing this service issues.
        pytest.param(
            lambda cid: sign(claims_for(cid, exp=str(int(time.time()) + 600))), id="exp-string"
        ),
        pytest.param(lambda cid: sign(claims_for(cid, exp=2**70)), id="exp-2**70"),
        pytest.param(
            lambda cid: sign(claims_for(cid, exp=int(time.time()) + 3601)), id="over-lifetime"
        ),
        pytest.param(lambda cid: sign(claims_for(cid, exp=time.time() + 600)), id="exp-float"),
        pytest.param(lambda cid: sign(claims_for(cid, iat=str(int(time.time())))), id="iat-str"),
        pytest.param(lambda cid: sign(claims_for(cid, nbf=True)), id="nbf-bool"),
        pytest.param(lambda cid: sign(claims_for(cid, aud=[AUDIENCE])), id="aud-list"),
        pytest.param(
            lambda cid: sign(claims_for(cid, aud=[AUDIENCE, "someone-else"])), id="aud-list-2"
        ),
        pytest.param(lambda cid: sign(claims_for(cid, sub="someone-else")), id="sub-not-client"),
        pytest.param(lambda cid: sign(claims_for(cid, sub=None)), id="no-sub"),
        pytest.param(lambda cid: sign(claims_for(cid, jti=5)), id="jti-number"),
        pytest.param(lambda cid: sign(claims_for(cid + "\x00")), id="client-id-nul"),
    ],
)
def test_bad_tokens_get_401(client, client_id, make_token):
    assert_invalid_token(get(client, make_token(client_id)))


def test_token_lifetime_follows_the_setting(make_app, client_id):
    now = int(time.time())
    token = sign(claims_for(client_id, exp=now + 600))
    assert get(make_app().test_client(), token).status_code == 200
    assert_invalid_token(get(make_app(CS_TOKEN_LIFETIME=300).test_client(), token))


def raw_token(header, payload):
    """A token signed with the right key over any bytes at all."""
    signing_input = b".".join(
        base64.urlsafe_b64encode(part).rstrip(b"=") for part in (header, payload)
    )
    signature = hmac.new(TEST_SECRET.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


HEADER = json.dumps({"alg": "HS256", "typ": "at+jwt"}).encode()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(raw_token(HEADER, b"\xff\xfe not utf-8"), id="payload-not-utf8"),
        pytest.param(raw_token(b"\xff", b"{}"), id="header-not-utf8"),
        pytest.param(raw_token(HEADER, b"[1, 2]"), id="payload-a-list"),
        pytest.param(raw_token(b'"x"', b"{}"), id="header-a-string"),
        pytest.param(raw_token(HEADER, b'{"exp": "soon"}'), id="exp-words"),
        pytest.param("a.b.c", id="bad-base64"),
        pytest.param("\u00e9t\u00e9.x.y", id="not-ascii"),
        pytest.param("x" * 5000, id="long"),
    ],
)
def test_invalid_token_descriptions_are_ours(client, client_id, token):
    response = get(client, token)
    assert_invalid_token(response)
    assert response.get_json()["error_description"] == "The access token is invalid"
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="invalid_token", error_description="The access token is invalid"'
    )


def test_tampered_token(client, client_id):
    header, payload, signature = sign(claims_for(client_id, scope="cs:orders:read")).split(".")
    forged = b64(claims_for(client_id, scope="cs:config:read"))
    assert_invalid_token(get(client, f"{header}.{forged}.{signature}"))


def test_non_bearer_scheme(client, client_id):
    assert_invalid_token(get(client, sign(claims_for(client_id)), scheme="Basic"))


def test_revoked_client_is_locked_out_on_the_next_request(client, token):
    access_token = token()
    assert get(client, access_token).status_code == 200
    ApiClient.update(revoked_at=utcnow()).execute()
    assert_invalid_token(get(client, access_token))


def test_rotated_secret_keeps_issued_tokens(client, token):
    access_token = token()
    ApiClient.update(secret_digest="0" * 64).execute()
    assert get(client, access_token).status_code == 200


def test_missing_scope_is_403(client, auth):
    response = client.get(CONFIG_URL, headers=auth("cs:orders:read"))
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "insufficient_scope"
    assert list(body) == ["error", "error_description", "message"]
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="cs:config:read"'
    )


def _example_path(rule):
    """A concrete path for a URL rule: ids become 1, a SKU becomes 'NO-SUCH-SKU'."""
    return re.sub(
        r"<(?:[^:>]+:)?([^>]+)>",
        lambda match: "NO-SUCH-SKU" if match.group(1) == "sku" else "1",
        rule.rule,
    )


def _scoped_routes(app):
    """(method, path, scopes) for every route guarded by @require_scope: any one of the
    scopes lets a token in."""
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower(), None) if view_class else view
            scopes = getattr(handler, "required_scopes", None)
            if scopes:
                routes.append((method, _example_path(rule), scopes))
    return routes


def test_every_scoped_route_refuses_a_token_without_its_scope(client, token, app):
    routes = _scoped_routes(app)
    assert ("GET", "/cs/api/v1/config", ("cs:config:read",)) in routes
    assert ("GET", "/cs/api/v1/fulfilmentstatuses", ("cs:orders:read",)) in routes
    assert ("PATCH", "/cs/api/v1/orders/1", ("cs:orders:write", "cs:orders:manage")) in routes
    for method, path, scopes in routes:
        others = [other for other in ALL_SCOPES if other not in scopes]
        response = client.open(
            path,
            method=method,
            json={"data": {}},
            headers={"Authorization": f"Bearer {token(*others)}"},
        )
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"] == "insufficient_scope"
        unauthenticated = client.open(path, method=method, json={"data": {}})
        assert unauthenticated.status_code == 401, (method, path)


def test_write_scope_does_not_imply_read(client, auth):
    response = client.get("/cs/api/v1/fulfilmentstatuses", headers=auth("cs:orders:write"))
    assert response.status_code == 403
