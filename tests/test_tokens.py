"""POST /oauth/2.0/token: every error row of API.md §4 and each way of authenticating."""

import base64

import jwt
import pytest

from models.base import utcnow
from models.clients import ALL_SCOPES, DEFAULT_SCOPES, ApiClient
from tests import factories
from tests.conftest import TEST_SECRET

TOKEN_URL = "/oauth/2.0/token"
OAUTH_ERROR_KEYS = ["error", "error_description", "hint", "message"]


def basic(client_id, secret):
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def assert_oauth_error(response, status, error):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == error
    keys = list(body)
    assert keys == [key for key in OAUTH_ERROR_KEYS if key in body]
    assert {"error", "error_description", "message"} <= set(keys)
    assert body["message"] == body["error_description"]
    return body


def assert_token(response, scopes):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["token_type", "expires_in", "access_token", "scope"]
    assert body["token_type"] == "Bearer"
    assert type(body["expires_in"]) is int and body["expires_in"] == 3600
    assert body["scope"] == " ".join(scopes)
    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    claims = jwt.decode(
        body["access_token"],
        TEST_SECRET,
        algorithms=["HS256"],
        audience="community-store-api",
        issuer="community-store-api",
    )
    assert set(claims) == {"iss", "aud", "sub", "client_id", "iat", "nbf", "exp", "jti", "scope"}
    assert claims["sub"] == claims["client_id"]
    assert claims["exp"] - claims["iat"] == 3600
    return claims


@pytest.fixture
def credentials(app):
    return factories.api_client()


def form(credentials, **extra):
    client_id, secret = credentials
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        **extra,
    }


def test_form_encoded(client, credentials):
    claims = assert_token(client.post(TOKEN_URL, data=form(credentials)), DEFAULT_SCOPES)
    assert claims["client_id"] == credentials[0]


def test_multipart(client, credentials):
    response = client.post(TOKEN_URL, data=form(credentials), content_type="multipart/form-data")
    assert_token(response, DEFAULT_SCOPES)


def test_json_body(client, credentials):
    assert_token(client.post(TOKEN_URL, json=form(credentials)), DEFAULT_SCOPES)


def test_http_basic(client, credentials):
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers=basic(*credentials)
    )
    assert_token(response, DEFAULT_SCOPES)


def test_official_client_request_asks_for_all_five(client, app):
    client_id, secret = factories.api_client(scopes=["cs:orders:read", "cs:orders:write"])
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": " ".join(ALL_SCOPES),
        },
    )
    assert_token(response, ["cs:orders:read", "cs:orders:write"])


def test_requested_subset(client, credentials):
    response = client.post(TOKEN_URL, data=form(credentials, scope="cs:config:read cs:orders:read"))
    assert_token(response, ["cs:orders:read", "cs:config:read"])


def test_lifetime_is_configurable(make_app):
    app = make_app(CS_TOKEN_LIFETIME=60)
    with app.app_context():
        credentials = factories.api_client()
    body = app.test_client().post(TOKEN_URL, data=form(credentials)).get_json()
    assert body["expires_in"] == 60


@pytest.mark.parametrize(
    "change, status, error",
    [
        ({"grant_type": None}, 400, "unsupported_grant_type"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "unsupported_grant_type"),
        ({"client_id": None}, 400, "invalid_request"),
        ({"client_id": ""}, 400, "invalid_request"),
        ({"client_id": "no-such-client"}, 401, "invalid_client"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_secret": None}, 401, "invalid_client"),
        ({"client_secret": ""}, 401, "invalid_client"),
        ({"scope": "cs:orders:read cs:everything"}, 400, "invalid_scope"),
        ({"scope": "' OR 1=1 --"}, 400, "invalid_scope"),
        ({"client_id": "' OR '1'='1"}, 401, "invalid_client"),
        # PostgreSQL refuses a NUL in a query parameter: no client has one, nor 65 chars.
        ({"client_id": "\x00"}, 401, "invalid_client"),
        ({"client_id": "a\x00b"}, 401, "invalid_client"),
        ({"client_id": "c" * 65}, 401, "invalid_client"),
    ],
)
def test_error_rows(client, credentials, change, status, error):
    data = {
        key: value for key, value in {**form(credentials), **change}.items() if value is not None
    }
    response = client.post(TOKEN_URL, data=data)
    assert_oauth_error(response, status, error)
    assert "WWW-Authenticate" not in response.headers


def test_scope_not_allowed_leaves_none(client, app):
    client_id, secret = factories.api_client(scopes=["cs:orders:read"])
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "cs:products:write",
        },
    )
    assert_oauth_error(response, 400, "invalid_scope")


def test_wrong_basic_secret_gets_basic_challenge(client, credentials):
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers=basic(credentials[0], "x")
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="OAuth"'


def test_nul_in_basic_client_id_is_an_unknown_client(client):
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers=basic("a%00b", "x")
    )
    assert_oauth_error(response, 401, "invalid_client")


def test_revoked_client_cannot_get_a_token(client, credentials):
    ApiClient.update(revoked_at=utcnow()).where(ApiClient.client_id == credentials[0]).execute()
    assert_oauth_error(client.post(TOKEN_URL, data=form(credentials)), 401, "invalid_client")


def test_secret_is_stored_as_a_digest(credentials):
    stored = ApiClient.get(ApiClient.client_id == credentials[0])
    assert credentials[1] not in (stored.secret_digest, stored.scopes, stored.name)
    assert len(stored.secret_digest) == 64
    assert len(credentials[1]) >= 43  # at least 256 bits of url-safe base64


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"grant_type": 5}'])
def test_bad_json_bodies(client, body):
    response = client.post(TOKEN_URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] in ("invalid_request", "unsupported_grant_type")


def test_get_is_405_json_in_the_oauth_shape(client):
    response = client.get(TOKEN_URL)
    assert response.status_code == 405
    assert response.get_json() == {
        "error": "invalid_request",
        "error_description": "Method Not Allowed",
        "message": "Method Not Allowed",
    }
    assert response.headers["Allow"] == "POST, OPTIONS"
