"""Routing edges: any method, any odd path, OPTIONS and no redirects, always in our JSON."""

import http.client

import pytest

import api
from tests.conftest import TEST_SECRET

API_NOT_FOUND = {"error": True, "errors": ["Not Found"]}
API_NOT_ALLOWED = {"error": True, "errors": ["Method Not Allowed"]}
OAUTH_NOT_FOUND = {
    "error": "invalid_request",
    "error_description": "Not Found",
    "message": "Not Found",
}
OAUTH_NOT_ALLOWED = {
    "error": "invalid_request",
    "error_description": "Method Not Allowed",
    "message": "Method Not Allowed",
}
ODD_METHODS = ["TRACE", "CONNECT", "PROPFIND", "MKCOL", "LOCK", "PURGE", "BREW"]


def assert_ours(response, status, body):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.get_json() == body
    assert response.headers["X-Request-ID"]
    assert "Location" not in response.headers


@pytest.mark.parametrize("method", ODD_METHODS)
@pytest.mark.parametrize(
    "path, status, body, allow",
    [
        ("/cs/api/v1/orders", 405, API_NOT_ALLOWED, "GET, HEAD, POST, OPTIONS"),
        ("/cs/api/v1/orders/1", 405, API_NOT_ALLOWED, "GET, HEAD, PUT, PATCH, OPTIONS"),
        ("/cs/api/v1/docs", 405, API_NOT_ALLOWED, "GET, HEAD, OPTIONS"),
        ("/cs/api/v1/nothing", 404, API_NOT_FOUND, None),
        ("/cs/api/v1", 404, API_NOT_FOUND, None),
        ("/oauth/2.0/token", 405, OAUTH_NOT_ALLOWED, "POST, OPTIONS"),
        ("/healthz", 405, API_NOT_ALLOWED, "GET, HEAD, OPTIONS"),
    ],
)
def test_any_method_gets_json(client, method, path, status, body, allow):
    response = client.open(path, method=method)
    assert_ours(response, status, body)
    assert response.headers.get("Allow") == allow


@pytest.mark.parametrize(
    "path, allow",
    [
        ("/cs/api/v1/orders", "GET, HEAD, POST, OPTIONS"),
        ("/cs/api/v1/orders/1", "GET, HEAD, PUT, PATCH, OPTIONS"),
        ("/cs/api/v1/skus/A%2FB", "GET, HEAD, PATCH, OPTIONS"),
        ("/cs/api/v1/config", "GET, HEAD, OPTIONS"),
        ("/cs/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
        ("/oauth/2.0/token", "POST, OPTIONS"),
        ("/readyz", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_is_204_with_the_routes_methods_and_no_database(make_app, tmp_path, path, allow):
    # The database cannot be opened: OPTIONS does not need it.
    app = make_app(CS_DATABASE_URL=f"sqlite:///{tmp_path}/missing/store.db")
    response = app.test_client().options(path, headers={"X-Request-ID": "opt-1"})
    assert response.status_code == 204
    assert response.headers["Allow"] == allow
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert response.headers["X-Request-ID"] == "opt-1"


@pytest.mark.parametrize(
    "path, body",
    [("/cs/api/v1/nothing", API_NOT_FOUND), ("/oauth/2.0/token/x", OAUTH_NOT_FOUND)],
)
def test_options_where_no_route_is_json_404(client, path, body):
    assert_ours(client.options(path), 404, body)


@pytest.mark.parametrize(
    "path",
    [
        "/cs/api/v1/orders%0A",
        "/cs/api/v1/orders%0D%0A",
        "/cs/api/v1/%0A",
        "/cs/api/v1/orders%00",
        "/cs/api/v1/orders/1%0A",
        "/cs/api/v1/%FF%FE",
        "/cs/api/v1//orders",
        "/cs/api/v1///",
        "/cs/api/v1//",
        "/cs/api/v1/orders/",
        "/cs/api/v1/orders//1",
        "/cs/api/v1/docs/",
        "/cs/api/v1/./orders",
        "/cs/api/v1/" + "x" * 5000,
    ],
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "TRACE"])
def test_odd_paths_under_the_prefix_are_json_404(client, path, method):
    assert_ours(client.open(path, method=method), 404, API_NOT_FOUND)


@pytest.mark.parametrize(
    "path", ["/oauth/2.0/token/", "/oauth/2.0/token//", "/oauth/2.0/token/x%0A"]
)
@pytest.mark.parametrize("method", ["GET", "POST", "TRACE"])
def test_odd_paths_under_the_token_path_are_oauth_404(client, path, method):
    assert_ours(client.open(path, method=method), 404, OAUTH_NOT_FOUND)


def test_no_route_of_ours_redirects_to_merged_slashes(client):
    # werkzeug would answer 308 to /cs/api/v1/orders, built from the client's Host.
    response = client.get("/cs/api//v1/orders", headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "Location" not in response.headers


@pytest.fixture
def host_with_api(host_flask, database_url, tmp_path):
    """A host app with routes of its own, and the API mounted under /shop."""
    host_flask.instance_path = str(tmp_path / "instance")

    @host_flask.get("/pages/<name>")
    def page(name):
        return f"page {name}"

    @host_flask.get("/folder/")
    def folder():
        return "folder"

    host_flask.config["CS_TOKEN_SECRET"] = TEST_SECRET
    state = api.init_app(
        host_flask,
        api_prefix="/shop/api",
        token_path="/shop/token",
        database_url=database_url,
        health_checks=False,
    )
    yield host_flask
    state.database.close_all()


def test_the_host_keeps_its_own_routing(host_with_api):
    client = host_with_api.test_client()
    merged = client.get("/pages//about")
    assert (merged.status_code, merged.headers["Location"]) == (308, "http://localhost/pages/about")
    slash = client.get("/folder")
    assert (slash.status_code, slash.headers["Location"]) == (308, "http://localhost/folder/")
    options = client.options("/pages/about")
    assert options.status_code == 200
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.open("/pages/about", method="TRACE").status_code == 405
    assert "X-Request-ID" not in client.open("/pages/about", method="TRACE").headers
    # Ours, under the prefixes the host chose.
    assert_ours(client.open("/shop/api/orders", method="TRACE"), 405, API_NOT_ALLOWED)
    assert_ours(client.get("/shop/api//orders"), 404, API_NOT_FOUND)
    assert_ours(client.get("/shop/token"), 405, OAUTH_NOT_ALLOWED)
    assert client.options("/shop/api/orders").status_code == 204
    # Health checks left to the host: nothing of ours at /healthz.
    assert client.open("/healthz", method="TRACE").status_code == 404
    assert "X-Request-ID" not in client.open("/healthz", method="TRACE").headers


def raw_request(port, method, target):
    """One request with a target sent byte for byte: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_odd_requests_through_gunicorn_are_json(gunicorn_server):
    port = gunicorn_server(workers=1).port
    for method, target, status in [
        ("GET", "/cs/api/v1/orders%0A", 404),
        ("GET", "/cs/api/v1//orders", 404),
        ("GET", "/cs/api/v1//orders/", 404),
        ("GET", "/cs/api//v1/orders", 404),
        ("TRACE", "/cs/api/v1/orders", 405),
        ("PROPFIND", "/oauth/2.0/token", 405),
        ("OPTIONS", "/cs/api/v1/orders", 204),
    ]:
        got, headers, body = raw_request(port, method, target)
        assert got == status, (method, target, got, body)
        assert "Location" not in headers
        if status == 204:
            assert (headers["Allow"], body) == ("GET, HEAD, POST, OPTIONS", b"")
            continue
        if target.startswith("/cs/api/v1/") or target.startswith("/oauth/"):
            assert headers["Content-Type"] == "application/json", (method, target, body)
            assert headers["X-Request-ID"]
