"""The error path: JSON 404/405/500 under the API prefix, and X-Request-ID everywhere."""

import pytest

from api.errors import ApiError


@pytest.mark.parametrize(
    "path",
    [
        "/cs/api/v1/nothing",
        "/cs/api/v1",
        "/cs/api/v1/",
        "/cs/api/v1/orders/abc",
        "/cs/api/v1/orders/-1",
        "/cs/api/v1/orders/99999999999999999999999",
        "/cs/api/v1/config/extra",
        "/cs/api/v1/%27%20OR%201=1",
    ],
)
def test_unknown_paths_are_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": True, "errors": ["Not Found"]}
    assert response.headers["X-Request-ID"]


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/cs/api/v1/config")
    assert response.status_code == 405
    assert response.get_json() == {"error": True, "errors": ["Method Not Allowed"]}
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_route_match_comes_before_the_token(client):
    assert client.get("/cs/api/v1/nothing").status_code == 404
    assert client.put("/cs/api/v1/config").status_code == 405


@pytest.mark.parametrize("sent", ["abc-123", "f" * 128, "trace:1/2@x.y+z=w"])
def test_sane_request_ids_are_echoed(client, sent):
    assert (
        client.get("/cs/api/v1/config", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
        == sent
    )


@pytest.mark.parametrize("sent", ["", "x" * 129, "a b", "<script>", "é"])
def test_other_request_ids_are_replaced(client, sent):
    returned = client.get("/cs/api/v1/config", headers={"X-Request-ID": sent}).headers[
        "X-Request-ID"
    ]
    assert returned != sent and len(returned) == 32


def test_fresh_request_ids_differ(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    assert first != client.get("/healthz").headers["X-Request-ID"]


def test_unexpected_failure_is_a_generic_json_500(make_app, caplog):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def explode():
        raise ZeroDivisionError("secret detail")

    # An endpoint in the config blueprint gets that blueprint's hooks and handlers.
    app.add_url_rule("/cs/api/v1/explode", "config.explode", explode)
    response = app.test_client().get("/cs/api/v1/explode", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.get_json() == {"error": True, "errors": ["Internal server error"]}
    assert b"secret detail" not in response.data and b"Traceback" not in response.data
    assert response.headers["X-Request-ID"] == "req-500"
    logged = [r for r in caplog.records if "req-500" in r.getMessage()]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError


def test_api_error_shape_with_fields(make_app):
    app = make_app()

    def refuse():
        raise ApiError(400, "Invalid page", fields={"page": ["Must be positive."]})

    app.add_url_rule("/cs/api/v1/refuse", "config.refuse", refuse)
    response = app.test_client().get("/cs/api/v1/refuse")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": True,
        "errors": ["Invalid page"],
        "fields": {"page": ["Must be positive."]},
    }


def test_oversized_body_is_413_json(make_app):
    app = make_app(CS_MAX_BODY_SIZE=1024)
    response = app.test_client().post(
        "/oauth/2.0/token", data={"grant_type": "client_credentials", "pad": "x" * 2048}
    )
    assert response.status_code == 413
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert body["message"] == "Request body too large"
