"""POST /oauth/2.0/token: every error row of API.md §4 and each way of authenticating."""

import base64
from urllib.parse import quote_plus, urlencode

import jwt
import pytest
from flask import request
from playhouse.test_utils import count_queries

from api.auth.issuer import form_parameters
from models.base import utcnow
from models.clients import ALL_SCOPES, DEFAULT_SCOPES, ApiClient
from tests import factories
from tests.conftest import TEST_SECRET

TOKEN_URL = "/oauth/2.0/token"
OAUTH_ERROR_KEYS = ["error", "error_description", "hint", "message"]
FORM = "application/x-www-form-urlencoded"


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


@pytest.mark.parametrize(
    "client_id",
    [
        pytest.param("a\x00b", id="nul"),
        pytest.param("\x00", id="only-nul"),
        pytest.param("a" * 65, id="too-long"),
        pytest.param("a" * 10_000, id="far-too-long"),
        pytest.param("ab cd", id="space"),
        pytest.param("é" * 10, id="not-ascii"),
        pytest.param("a\nb", id="newline"),
    ],
)
@pytest.mark.parametrize("how", ["form", "basic", "json"])
def test_client_ids_no_client_can_have_are_refused_before_sql(app, client, client_id, how):
    if how == "form":
        request = {"data": {"grant_type": "client_credentials", "client_id": client_id,
                            "client_secret": "x"}}  # fmt: skip
    elif how == "json":
        request = {"json": {"grant_type": "client_credentials", "client_id": client_id,
                            "client_secret": "x"}}  # fmt: skip
    else:
        request = {
            "data": {"grant_type": "client_credentials"},
            "headers": basic(quote_plus(client_id), "x"),
        }
    with count_queries() as counted:
        response = client.post(TOKEN_URL, **request)
    assert_oauth_error(response, 401, "invalid_client")
    assert not [q for q in counted.get_queries() if "api_client" in q.msg[0]]


def test_a_well_formed_unknown_client_id_is_looked_up(client, credentials):
    """The guard keeps ids of the generated shape, and others of the URL-safe alphabet."""
    for client_id in ("0" * 32, "legacy-erp", "A.b_c~d-1", "a" * 64):
        with count_queries() as counted:
            response = client.post(TOKEN_URL, data=form((client_id, credentials[1])))
        assert_oauth_error(response, 401, "invalid_client")
        assert [q for q in counted.get_queries() if "api_client" in q.msg[0]]


def test_a_secret_in_the_query_string_is_not_read(client, credentials):
    client_id, secret = credentials
    response = client.post(
        f"{TOKEN_URL}?{urlencode({'client_secret': secret})}",
        data={"grant_type": "client_credentials", "client_id": client_id},
    )
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize(
    "request_kwargs, status",
    [
        pytest.param({"data": {"grant_type": "password"}}, 400, id="grant"),
        pytest.param({"data": {"grant_type": "client_credentials"}}, 400, id="no-client"),
        pytest.param({"data": b"{nope", "content_type": "application/json"}, 400, id="json"),
        pytest.param(
            {"data": {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}},
            401,
            id="client",
        ),  # fmt: skip
        pytest.param({"data": b"x" * 2_000_000, "content_type": FORM}, 413, id="too-large"),
    ],
)
def test_every_token_error_is_never_cached(client, request_kwargs, status):
    response = client.post(TOKEN_URL, **request_kwargs)
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


def test_scope_errors_and_other_methods_are_never_cached(client, credentials):
    invalid_scope = client.post(TOKEN_URL, data=form(credentials, scope="cs:everything"))
    assert_oauth_error(invalid_scope, 400, "invalid_scope")
    wrong_method = client.get(TOKEN_URL)
    assert wrong_method.status_code == 405
    for response in (invalid_scope, wrong_method):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"


@pytest.mark.parametrize(
    "raw",
    [
        b"grant_type=client_credentials&client_id=a&client_secret=b",
        b"client_id=first&client_id=second",
        b"scope=cs%3Aorders%3Aread+cs%3Aconfig%3Aread&empty=&bare",
        b"client_secret=%FF%FEnot-utf8&client_id=%C3%A9",
        b"client_secret=a%00b&x=%zz&%=1",
        b"\xff\xfe raw bytes that are not UTF-8",
        b"a=1;b=2&c=3",
        b"",
        b"&&a=&=b&==c&d==",
        b"x+y=a+b%2Bc&%2B=%25&%e9=%C3",
        "clé=välue&k=€".encode(),
    ],
)
def test_form_bodies_read_as_werkzeug_reads_them(app, raw):
    with app.test_request_context(method="POST", data=raw, content_type=FORM):
        assert form_parameters(raw) == request.form.to_dict()
