"""GET /healthz and GET /readyz: public, tiny JSON answers about the process and the database."""

import pytest
from flask import Flask

import api
from tests.conftest import TEST_SECRET


def tiny_json(reply):
    assert reply.mimetype == "application/json"
    assert len(reply.data) < 64
    assert reply.headers["X-Request-ID"]
    return reply.get_json()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
def test_healthz_says_the_process_is_alive_without_a_token(client, headers):
    reply = client.get("/healthz", headers=headers)
    assert reply.status_code == 200
    assert tiny_json(reply) == {"status": "ok"}


def test_readyz_says_the_database_is_ready(app, client):
    reply = client.get("/readyz")
    assert reply.status_code == 200
    assert tiny_json(reply) == {"status": "ok", "database": "ok"}
    # The connection it used went back to the pool.
    assert app.extensions["community_store_api"].database.is_closed()


def test_head_requests_answer_without_a_body(client):
    for path in ("/healthz", "/readyz"):
        reply = client.head(path)
        assert reply.status_code == 200
        assert reply.data == b""


def test_healthz_answers_while_readyz_reports_an_unreachable_database(make_app, tmp_path):
    # A SQLite file in a folder that does not exist cannot be opened.
    app = make_app(CS_DATABASE_URL=f"sqlite:///{tmp_path}/missing/folder/store.db")
    client = app.test_client()
    alive = client.get("/healthz")
    assert alive.status_code == 200
    assert tiny_json(alive) == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert tiny_json(ready) == {"status": "unavailable", "database": "unreachable"}
    assert ready.headers["Retry-After"] == str(app.config["CS_DATABASE_RETRY_AFTER"])


def test_health_checks_can_be_left_to_the_host(database_url, tmp_path):
    host = Flask("host", instance_path=str(tmp_path / "instance"))
    host.config["CS_TOKEN_SECRET"] = TEST_SECRET

    @host.get("/healthz")
    def own_health():
        return "host ok"

    state = api.init_app(host, database_url=database_url, health_checks=False)
    try:
        client = host.test_client()
        assert client.get("/healthz").get_data(as_text=True) == "host ok"
        assert client.get("/readyz").status_code == 404
    finally:
        state.database.close_all()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_other_methods_are_json_405(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert response.get_json() == {"error": True, "errors": ["Method Not Allowed"]}
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
