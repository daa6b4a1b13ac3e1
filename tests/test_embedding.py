"""The API mounted inside a host Flask app: both sides keep their own behaviour."""

import datetime
import re
from decimal import Decimal

import flask_smorest
import pytest
from flask import Flask
from flask.views import MethodView
from marshmallow import Schema, fields
from peewee import IntegerField, Model, SqliteDatabase, TextField

import api
from models.schema import upgrade
from tests import factories
from tests.conftest import TEST_SECRET
from tests.servers import ROOT

EMBEDDING_DOC = ROOT / "docs" / "embedding.md"
HOST_404 = "<h1>Host: no such page</h1>"
HOST_500 = "<h1>Host: something broke</h1>"


def documented_example():
    """The first Python block of docs/embedding.md, as written there."""
    text = EMBEDDING_DOC.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert blocks, "docs/embedding.md has no python example"
    return blocks[0]


class Note(Model):
    """A table of the host's own database."""

    body = TextField()
    views = IntegerField(default=0)


class ThingSchema(Schema):
    id = fields.Integer()


def add_host_features(app, host_db):
    """What an existing app has: its pages, error pages, database hooks, its own smorest Api."""
    app.config.update(
        API_TITLE="Host",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/host-docs",
    )

    @app.before_request
    def open_host_db():
        host_db.connect(reuse_if_open=True)

    @app.teardown_request
    def close_host_db(exc):
        if not host_db.is_closed():
            host_db.close()

    @app.get("/notes/<int:note_id>")
    def note(note_id):
        found = Note.get_or_none(Note.id == note_id)
        if found is None:
            flask_smorest.abort(404)
        return {"body": found.body, "store_db_closed": store_closed(app)}

    @app.get("/boom")
    def boom():
        raise ValueError("the host's own bug")

    @app.errorhandler(404)
    def host_not_found(error):
        return HOST_404, 404

    @app.errorhandler(500)
    def host_server_error(error):
        return HOST_500, 500

    host_api = flask_smorest.Api(app)
    things = flask_smorest.Blueprint("things", __name__)

    @things.route("/things/<int:thing_id>")
    class Thing(MethodView):
        @things.response(200, ThingSchema)
        def get(self, thing_id):
            """Show a thing."""
            if thing_id != 1:
                flask_smorest.abort(409, message="Thing is busy")
            return {"id": thing_id}

    host_api.register_blueprint(things)
    return host_api


def store_closed(app):
    """The store's database has no connection on this thread, and its pool none at all."""
    database = app.extensions["community_store_api"].database
    # playhouse.pool keeps idle connections in _connections and busy ones in _in_use.
    return database.is_closed() and not database._in_use and not database._connections


@pytest.fixture
def host_db(tmp_path):
    database = SqliteDatabase(str(tmp_path / "host.db"))
    Note._meta.set_database(database)
    with database.connection_context():
        database.create_tables([Note])
        Note.create(id=1, body="host note")
    yield database
    database.close()


@pytest.fixture
def mounted(app, host_db, database_url, monkeypatch, tmp_path):
    """The documented example, run as written, then the host's own features added."""
    monkeypatch.setenv("STORE_TOKEN_SECRET", TEST_SECRET)
    monkeypatch.setenv("STORE_DATABASE_URL", database_url)
    namespace = {"__name__": "host_app"}
    exec(compile(documented_example(), str(EMBEDDING_DOC), "exec"), namespace)
    host = namespace["app"]
    host.instance_path = str(tmp_path / "host-instance")
    add_host_features(host, host_db)
    yield host
    host.extensions["community_store_api"].database.close_all()


@pytest.fixture
def mounted_late(app, host_db, database_url, tmp_path):
    """A host that had everything before mounting the API, with the documented arguments."""
    host = Flask("host", instance_path=str(tmp_path / "late-instance"))
    add_host_features(host, host_db)
    host.config["CS_TOKEN_SECRET"] = TEST_SECRET
    api.init_app(
        host,
        api_prefix="/shop/api",
        token_path="/shop/oauth/token",
        database_url=database_url,
    )
    yield host
    host.extensions["community_store_api"].database.close_all()


@pytest.fixture(params=["documented", "mounted-late"])
def host(request, app, database_url):
    return request.getfixturevalue("mounted" if request.param == "documented" else "mounted_late")


def token(client, *scopes):
    client_id, secret = factories.api_client(scopes=scopes or None)
    reply = client.post(
        "/shop/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['access_token']}"}


def test_host_requests_run_none_of_our_hooks(host):
    client = host.test_client()
    note = client.get("/notes/1")
    assert note.status_code == 200
    assert note.get_json() == {"body": "host note", "store_db_closed": True}
    assert "X-Request-ID" not in note.headers
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.get_data(as_text=True)) == (404, HOST_404)
    assert "X-Request-ID" not in missing.headers
    broken = client.get("/boom")
    assert (broken.status_code, broken.get_data(as_text=True)) == (500, HOST_500)
    assert "X-Request-ID" not in broken.headers
    # The default API paths are not ours any more: the host's page answers.
    assert client.get("/cs/api/v1/orders").get_data(as_text=True) == HOST_404
    assert client.post("/oauth/2.0/token").get_data(as_text=True) == HOST_404
    assert store_closed(host)


def test_our_errors_are_json_under_our_prefix(host):
    client = host.test_client()
    missing = client.get("/shop/api/nowhere")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": True, "errors": ["Not Found"]}
    assert missing.headers["X-Request-ID"]
    wrong_method = client.delete("/shop/api/orders")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json() == {"error": True, "errors": ["Method Not Allowed"]}
    assert wrong_method.headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    unauthenticated = client.get("/shop/api/orders")
    assert unauthenticated.status_code == 401
    assert unauthenticated.get_json()["error"] == "invalid_token"
    order = client.get("/shop/api/orders/999999", headers=token(client, "cs:orders:read"))
    assert order.status_code == 404
    assert order.get_json() == {"error": True, "errors": ["Order not found"]}
    token_get = client.get("/shop/oauth/token")
    assert token_get.status_code == 405
    assert "POST" in token_get.headers["Allow"]


def test_our_routes_work_and_links_carry_our_prefix(host):
    factories.bare_orders(3)
    client = host.test_client()
    reply = client.get("/shop/api/orders?paging=1", headers=token(client, "cs:orders:read"))
    assert reply.status_code == 200
    pagination = reply.get_json()["meta"]["pagination"]
    assert pagination["total"] == 3
    assert pagination["links"] == {"next": "http://localhost/shop/api/orders?paging=1&page=2"}
    docs = client.get("/shop/api/docs")
    assert docs.status_code == 200
    assert "/shop/api/openapi.json" in docs.get_data(as_text=True)
    # Our requests release their connection to the pool.
    assert host.extensions["community_store_api"].database.is_closed()


def test_host_smorest_api_is_unaffected(host):
    client = host.test_client()
    assert client.get("/things/1").get_json() == {"id": 1}
    busy = client.get("/things/2")
    assert busy.status_code == 409
    # flask-smorest's own error shape, from the host's Api's own handler.
    assert busy.get_json() == {"code": 409, "status": "Conflict", "message": "Thing is busy"}
    assert "X-Request-ID" not in busy.headers
    host_spec = client.get("/host-docs/openapi.json").get_json()
    assert set(host_spec["paths"]) == {"/things/{thing_id}"}
    assert host_spec["info"]["title"] == "Host"
    ours = client.get("/shop/api/openapi.json").get_json()
    assert "/things/{thing_id}" not in ours["paths"]
    assert "/shop/api/orders" in ours["paths"] and "/shop/oauth/token" in ours["paths"]
    # The host's flask-smorest error handler does not reach our routes.
    assert client.get("/shop/api/orders/999999").get_json()["error"] == "invalid_token"


def test_the_host_database_and_ours_stay_apart(host, host_db):
    client = host.test_client()
    client.get("/shop/api/config", headers=token(client, "cs:config:read"))
    tables = set(host_db.get_tables())
    assert tables == {"note"}
    with host.app_context():
        # Our schema commands act on our database only, and find it current.
        assert upgrade(host.extensions["community_store_api"].database) == []


def test_the_documented_python_api_example_runs(mounted_late, capsys):
    """The second Python block of docs/embedding.md, run against a host app's store."""
    blocks = re.findall(r"```python\n(.*?)```", EMBEDDING_DOC.read_text(), re.DOTALL)
    state = mounted_late.extensions["community_store_api"]
    with state.session():
        product = factories.product(sku="MUG-1", stock_level=5)
        paid = factories.order(paid_at=datetime.datetime(2026, 1, 2, 3, 4, 5))
        factories.order()
    exec(compile(blocks[1], str(EMBEDDING_DOC), "exec"), {"app": mounted_late})
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"1 [{paid.id}]", "4", "Product not found"]
    with state.session():
        assert type(product).get_by_id(product.id).stock_level == 4


def test_the_documented_checkout_example_runs(app, database_url, monkeypatch, tmp_path):
    """The checkout of docs/embedding.md, run as written: a host app places orders."""
    blocks = re.findall(r"```python\n(.*?)```", EMBEDDING_DOC.read_text(), re.DOTALL)
    checkout = next(block for block in blocks if "create_order" in block)
    monkeypatch.setenv("STORE_TOKEN_SECRET", TEST_SECRET)
    monkeypatch.setenv("STORE_DATABASE_URL", database_url)
    namespace = {"__name__": "shop"}
    exec(compile(checkout, str(EMBEDDING_DOC), "exec"), namespace)
    shop = namespace["shop"]
    shop.instance_path = str(tmp_path / "shop-instance")
    mug = factories.product(sku="MUG-1", price=Decimal("12.50"), stock_level=Decimal(1))
    client = shop.test_client()
    try:
        cart = {"email": "ann@example.com", "lines": [["MUG-1", 1]], "paid_at": None}
        placed = client.post("/checkout", json=cart)
        assert placed.status_code == 201, placed.get_json()
        assert placed.get_json() == {"order": placed.get_json()["order"], "total": 17.45}
        order_id = placed.get_json()["order"]
        assert factories.status_history_actors(order_id) == [("incomplete", None, "app:checkout")]
        assert type(mug).get_by_id(mug.id).stock_level == 0
        sold_out = client.post("/checkout", json=cart)
        assert sold_out.status_code == 409
        assert sold_out.get_json()["shortages"] == [
            {"sku": "MUG-1", "available": 0, "requested": 1}
        ]
        unknown = client.post("/checkout", json={**cart, "lines": [["NOPE", 1]]})
        assert unknown.status_code == 400
        assert unknown.get_json()["fields"] == {"data.items.0.sku": ["SKU not found"]}
        # The store's own API shows the order like any other.
        client_id, secret = factories.api_client(scopes=["cs:orders:read"])
        issued = client.post(
            "/oauth/2.0/token",
            data={"grant_type": "client_credentials", "client_id": client_id,
                  "client_secret": secret},
        ).get_json()  # fmt: skip
        headers = {"Authorization": f"Bearer {issued['access_token']}"}
        shown = client.get(f"/cs/api/v1/orders/{order_id}", headers=headers).get_json()["data"]
        assert shown["customer"]["email"] == "ann@example.com" and shown["total"] == 17.45
    finally:
        shop.extensions["community_store_api"].database.close_all()


def test_the_documented_catalogue_example_runs(app, database_url, monkeypatch, tmp_path):
    """The catalogue of docs/embedding.md, run as written: a host app adds products."""
    blocks = re.findall(r"```python\n(.*?)```", EMBEDDING_DOC.read_text(), re.DOTALL)
    catalogue = next(block for block in blocks if "create_product" in block)
    monkeypatch.setenv("STORE_TOKEN_SECRET", TEST_SECRET)
    monkeypatch.setenv("STORE_DATABASE_URL", database_url)
    namespace = {"__name__": "admin"}
    exec(compile(catalogue, str(EMBEDDING_DOC), "exec"), namespace)
    admin = namespace["admin"]
    admin.instance_path = str(tmp_path / "admin-instance")
    client = admin.test_client()
    try:
        form = {"name": "Tee", "sku": "TEE", "price": 20, "sizes": ["M", "L"]}
        added = client.post("/catalogue", json=form)
        assert added.status_code == 201, added.get_json()
        assert added.get_json()["variations"] == ["TEE-M", "TEE-L"]
        product_id = added.get_json()["id"]
        again = client.post("/catalogue", json=form)
        assert again.status_code == 409
        assert set(again.get_json()["fields"]) == {
            "data.sku", "data.variations.0.sku", "data.variations.1.sku"
        }  # fmt: skip
        bad = client.post("/catalogue", json={**form, "sku": "TEE2", "price": -1})
        assert bad.status_code == 400
        assert set(bad.get_json()["fields"]) == {"data.price"}
        assert client.post(f"/catalogue/{product_id}/hide").status_code == 204
        assert client.post(f"/catalogue/{product_id + 1000}/hide").status_code == 404
        client_id, secret = factories.api_client(scopes=["cs:products:read"])
        issued = client.post(
            "/oauth/2.0/token",
            data={"grant_type": "client_credentials", "client_id": client_id,
                  "client_secret": secret},
        ).get_json()  # fmt: skip
        headers = {"Authorization": f"Bearer {issued['access_token']}"}
        shown = client.get(f"/cs/api/v1/products/{product_id}", headers=headers).get_json()
        assert shown["data"]["active"] is False
        assert [v["stock_level"] for v in shown["data"]["variations"]] == [10, 10]
    finally:
        admin.extensions["community_store_api"].database.close_all()
