"""Cache-Control: no-store and X-Content-Type-Options: nosniff on every response of ours."""

import pytest
from flask import Response

from api.docs import swagger_ui_version
from tests import factories

NO_STORE = "no-store"


def token_form(client_id="nobody", secret="wrong"):
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


@pytest.mark.parametrize(
    "method, path, scopes, status",
    [
        ("GET", "/cs/api/v1/orders", ("cs:orders:read",), 200),
        ("GET", "/cs/api/v1/orders/999", ("cs:orders:read",), 404),
        ("GET", "/cs/api/v1/orders?page=0", ("cs:orders:read",), 400),
        ("GET", "/cs/api/v1/config", ("cs:orders:read",), 403),
        ("GET", "/cs/api/v1/config", None, 401),
        ("PATCH", "/cs/api/v1/skus/NONE", ("cs:products:write",), 400),
        ("DELETE", "/cs/api/v1/orders", None, 405),
        ("GET", "/cs/api/v1/nowhere%0A", None, 404),
        ("TRACE", "/oauth/2.0/token", None, 405),
        ("OPTIONS", "/cs/api/v1/orders", None, 204),
        ("GET", "/healthz", None, 200),
        ("GET", "/readyz", None, 200),
        ("POST", "/readyz", None, 405),
        ("GET", "/cs/api/v1/docs", None, 200),
        ("GET", "/cs/api/v1/docs/init.js", None, 200),
        ("GET", "/cs/api/v1/openapi.json", None, 200),
        ("GET", "/cs/api/v1/docs/assets/0.0.0/swagger-ui.css", None, 404),
    ],
)
def test_every_answer_is_no_store_and_nosniff(client, auth, method, path, scopes, status):
    headers = auth(*scopes) if scopes else {}
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == status
    assert response.headers["Cache-Control"] == NO_STORE
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_token_answers_are_no_store_and_nosniff(client):
    client_id, secret = factories.api_client()
    for form, status in [(token_form(client_id, secret), 200), (token_form(), 401)]:
        response = client.post("/oauth/2.0/token", data=form)
        assert response.status_code == status
        assert response.headers["Cache-Control"] == NO_STORE
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    bad_grant = client.post("/oauth/2.0/token", data={"grant_type": "password"})
    assert bad_grant.status_code == 400
    assert bad_grant.headers["Cache-Control"] == NO_STORE


def test_swagger_ui_assets_stay_cacheable(client):
    url = f"/cs/api/v1/docs/assets/{swagger_ui_version()}/swagger-ui-bundle.js"
    with client.get(url) as asset:
        assert asset.status_code == 200
        # Its URL names the Swagger UI version: a new version is a new URL.
        assert asset.headers["Cache-Control"] == "public, max-age=31536000"
        assert asset.headers["X-Content-Type-Options"] == "nosniff"


def test_unavailable_and_unexpected_failures_are_no_store(make_app, tmp_path):
    down = make_app(CS_DATABASE_URL=f"sqlite:///{tmp_path}/missing/store.db").test_client()
    for response in (down.get("/cs/api/v1/config"), down.post("/oauth/2.0/token")):
        assert response.status_code == 503
        assert response.headers["Cache-Control"] == NO_STORE
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def explode():
        raise ZeroDivisionError("bug")

    app.add_url_rule("/cs/api/v1/explode", "config.explode", explode)
    response = app.test_client().get("/cs/api/v1/explode")
    assert response.status_code == 500
    assert response.headers["Cache-Control"] == NO_STORE
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_view_keeps_the_headers_it_chose(make_app):
    app = make_app()

    def cacheable():
        return Response("{}", mimetype="application/json", headers={"Cache-Control": "max-age=60"})

    app.add_url_rule("/cs/api/v1/cacheable", "config.cacheable", cacheable)
    response = app.test_client().get("/cs/api/v1/cacheable")
    assert response.headers["Cache-Control"] == "max-age=60"
    assert response.headers.getlist("Cache-Control") == ["max-age=60"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_host_apps_routes_get_none_of_it(make_app):
    app = make_app()
    app.add_url_rule("/host/page", "host_page", lambda: "host page")
    response = app.test_client().get("/host/page")
    assert response.status_code == 200
    assert "Cache-Control" not in response.headers
    assert "X-Content-Type-Options" not in response.headers
