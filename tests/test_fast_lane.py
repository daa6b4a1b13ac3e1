"""The fast lane (api.fast_lane): the plain hot reads it answers in front of Flask come out
byte for byte as Flask's own routes answer them, and everything else still reaches Flask."""

import base64
from decimal import Decimal

import orjson
import pytest
from flask import Flask, request
from playhouse.test_utils import count_queries

import api
from api.fast_lane import FastLane
from models.base import utcnow
from models.clients import ApiClient
from models.events import Event
from models.token_failures import TokenFailure
from tests import factories
from tests.conftest import TEST_SECRET

READ = ("cs:orders:read", "cs:products:read")
REQUEST_ID = "lane-test-1"


@pytest.fixture
def twin(app):
    """The same API on the same database with no fast lane: every request goes through
    Flask's routes, hooks and error handlers."""
    plain = Flask("plain", instance_path=app.instance_path)
    plain.config.update({key: value for key, value in app.config.items() if key.startswith("CS_")})
    plain.config["TESTING"] = True
    api.init_app(plain)
    yield plain.test_client()
    plain.extensions["community_store_api"].database.close_all()


@pytest.fixture
def seen_by_flask(app):
    """The paths of the requests that reached the lane app's Flask (an app-wide hook)."""
    paths = []

    def seen():
        paths.append(request.environ["RAW_URI"])

    app.before_request(seen)
    return paths


@pytest.fixture
def store(app):
    factories.product(sku="MUG", name="Mug", price=Decimal("9.50"), stock_level=Decimal(5))
    shirt = factories.rich_product(sku="SHIRT", name="Shirt", price=Decimal("20"))
    factories.variation(shirt, sku="SHIRT-XL", stock_level=Decimal("2.5"))
    for n in range(45):
        factories.order(
            items=[{"name": "Mug", "sku": "MUG", "quantity": 2, "price": Decimal("9.50")}],
            customer_email=f"c{n}@example.com",
        )
    return {"order": factories.order().id}


def _same(client, twin, path, headers):
    headers = {"X-Request-ID": REQUEST_ID, **headers}
    ours, theirs = client.get(path, headers=headers), twin.get(path, headers=headers)
    assert ours.status_code == theirs.status_code, path
    assert ours.data == theirs.data, path
    assert list(ours.headers.items()) == list(theirs.headers.items()), path
    return ours


def test_plain_reads_are_answered_as_flask_answers_them_without_reaching_flask(
    client, twin, auth, store, seen_by_flask
):
    headers = auth(*READ)
    paths = [
        "/cs/api/v1/orders",
        "/cs/api/v1/orders?page=2",
        "/cs/api/v1/orders?page=3",
        "/cs/api/v1/orders?page=999",
        "/cs/api/v1/products",
        "/cs/api/v1/products?page=2",
        f"/cs/api/v1/orders/{store['order']}",
        "/cs/api/v1/skus/MUG",
        "/cs/api/v1/skus/SHIRT-XL",
    ]
    for path in paths:
        assert _same(client, twin, path, headers).status_code == 200
    assert seen_by_flask == []
    body = client.get("/cs/api/v1/orders?page=2", headers=headers).get_json()
    assert body["meta"]["pagination"]["links"] == {
        "previous": "http://localhost/cs/api/v1/orders?page=1",
        "next": "http://localhost/cs/api/v1/orders?page=3",
    }


def test_links_follow_the_host_and_trusted_proxy_headers(make_app, twin, auth, store):
    headers = {
        **auth(*READ),
        "Host": "shop.example:8443",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "api.shop.example",
    }
    client = make_app().test_client()
    _same(client, twin, "/cs/api/v1/orders", headers)
    links = client.get("/cs/api/v1/orders", headers=headers).get_json()["meta"]["pagination"]
    assert links["links"]["next"] == "http://shop.example:8443/cs/api/v1/orders?page=2"
    behind_proxy = make_app(CS_TRUST_PROXY_HEADERS=True).test_client()
    links = behind_proxy.get("/cs/api/v1/orders", headers=headers).get_json()["meta"]
    assert links["pagination"]["links"]["next"] == (
        "https://api.shop.example/cs/api/v1/orders?page=2"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/cs/api/v1/orders?page=0",
        "/cs/api/v1/orders?page=abc",
        "/cs/api/v1/orders?page=2&paging=5",
        "/cs/api/v1/orders?paymentStatus=paid",
        "/cs/api/v1/orders?view=full",
        "/cs/api/v1/orders/",
        "/cs/api/v1/orders/999999",
        "/cs/api/v1/orders/{order}?view=full",
        "/cs/api/v1/orders/0{order}",
        "/cs/api/v1/products?filter=date_added%20gt%202020-01-01",
        "/cs/api/v1/skus/NOPE",
        "/cs/api/v1/skus/MU%47",
        "/cs/api/v1/skus/MUG?x=1",
    ],
)
def test_everything_else_reaches_flask_and_is_answered_as_before(
    client, twin, auth, store, seen_by_flask, path
):
    path = path.format(order=store["order"])
    _same(client, twin, path, auth(*READ))
    assert seen_by_flask == [path]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "bearer {token}"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-Request-ID": "not sane!"},
    ],
)
def test_token_problems_reach_flask(client, twin, token, store, seen_by_flask, headers):
    minted = token(*READ)
    headers = {key: value.format(token=minted) for key, value in headers.items()}
    response = client.get("/cs/api/v1/orders", headers=headers)
    theirs = twin.get("/cs/api/v1/orders", headers=headers)
    assert response.status_code == theirs.status_code
    assert response.get_json() == theirs.get_json()
    assert seen_by_flask == ["/cs/api/v1/orders"]


def test_a_token_without_the_scope_or_of_a_revoked_client_reaches_flask(
    client, auth, store, seen_by_flask
):
    products_only = auth("cs:products:read")
    assert client.get("/cs/api/v1/orders", headers=products_only).status_code == 403
    headers = auth(*READ)
    assert client.get("/cs/api/v1/skus/MUG", headers=headers).status_code == 200
    ApiClient.update(revoked_at=utcnow()).execute()
    response = client.get("/cs/api/v1/skus/MUG", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert seen_by_flask == ["/cs/api/v1/orders", "/cs/api/v1/skus/MUG"]


def test_conditional_reads_and_other_methods_reach_flask(client, auth, store, seen_by_flask):
    headers = auth(*READ, "cs:orders:write")
    path = f"/cs/api/v1/orders/{store['order']}"
    etag = client.get(path, headers=headers).headers["ETag"]
    assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304
    assert client.head(path, headers=headers).status_code == 200
    assert client.options(path, headers=headers).status_code == 204
    assert seen_by_flask == [path, path, path]


def test_the_lane_costs_the_queries_flask_does(client, twin, auth, store):
    headers = auth(*READ)
    twin.get("/cs/api/v1/skus/MUG", headers=headers)  # its first request checks the schema
    paths = (
        "/cs/api/v1/orders",
        f"/cs/api/v1/orders/{store['order']}",
        "/cs/api/v1/skus/MUG",
        # Left to Flask before the lane has touched the database.
        "/cs/api/v1/orders?view=full",
        f"/cs/api/v1/orders/{store['order']}?view=full",
    )
    for path in paths:
        with count_queries() as lane:
            client.get(path, headers=headers)
        with count_queries() as flask:
            twin.get(path, headers=headers)
        assert lane.count == flask.count, path


def test_a_host_app_gets_no_lane_unless_it_asks(database_url, tmp_path):
    apps = [Flask("host", instance_path=str(tmp_path)) for _ in range(2)]
    for host, asks in zip(apps, (False, True), strict=True):
        host.config["CS_TOKEN_SECRET"] = TEST_SECRET
        api.init_app(host, database_url=database_url, fast_lane=asks)
        assert isinstance(host.wsgi_app, FastLane) is asks
        host.extensions["community_store_api"].database.close_all()


def _level(client, headers, sku):
    return client.get(f"/cs/api/v1/skus/{sku}", headers=headers).get_json()["data"]["stock_level"]


def _stock_events():
    return [
        orjson.loads(data)
        for (data,) in Event.select(Event.data)
        .where(Event.type == "stock.changed")
        .order_by(Event.id)
        .tuples()
    ]


@pytest.mark.parametrize(
    ("sku", "data", "level"),
    [
        ("MUG", {"stock_level": 7}, 7),
        ("MUG", {"stock_adjustment": -2}, 3),
        ("MUG", {"stock_level": 2.25, "stock_unlimited": True}, 2.25),
        ("SHIRT-XL", {"stock_adjustment": 1.5}, 4),
        ("SHIRT-XL", {"stock_level": None, "stock_adjustment": 3}, 5.5),
    ],
)
def test_plain_stock_patches_write_once_and_answer_as_flask_would(
    client, twin, auth, store, seen_by_flask, sku, data, level
):
    headers = auth("cs:products:read", "cs:products:write")
    before = _level(client, headers, sku)
    response = client.patch(f"/cs/api/v1/skus/{sku}", json={"data": data}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["data"]["stock_level"] == level
    # The record it answered with is the record as it now is, as Flask would answer it.
    assert response.data == _same(client, twin, f"/cs/api/v1/skus/{sku}", headers).data
    (event,) = _stock_events()
    assert event["sku"] == sku
    assert (event["previous_stock_level"], event["stock_level"]) == (before, level)
    assert event["reason"] == "patch"
    assert seen_by_flask == []


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"data": {"stock_adjustment": 10**9}}, {}),
        ({"data": {"stock_level": "5"}}, {}),
        ({"data": {"stock_level": 5, "stock_adjustment": 1}}, {}),
        ({"data": {"stock_adjustment": 0}}, {}),
        ({"data": {"stock_level": 1.00001}}, {}),
        ({"data": {"stock_unlimited": "yes"}}, {}),
        ({"data": {}}, {}),
        ({"data": []}, {}),
        ({"data": None}, {}),
        ([1], {}),
        (b"{not json", {}),
        (b"", {}),
    ],
)
def test_stock_patches_the_lane_does_not_take_are_answered_by_flask_unwritten(
    client, twin, auth, store, seen_by_flask, body, headers
):
    headers = {**auth("cs:products:read", "cs:products:write"), **headers}
    sent = {"data": body} if isinstance(body, bytes) else {"json": body}
    ours = client.patch("/cs/api/v1/skus/MUG", headers=headers, **sent)
    theirs = twin.patch("/cs/api/v1/skus/MUG", headers=headers, **sent)
    assert (ours.status_code, ours.get_json()) == (theirs.status_code, theirs.get_json())
    # An empty change is no change: the record as it is.
    assert ours.status_code == (200 if body in ({"data": {}}, {"data": []}) else 400)
    assert _level(client, headers, "MUG") == 5
    assert _stock_events() == []
    assert seen_by_flask[0] == "/cs/api/v1/skus/MUG"


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "level"),
    [
        ("/cs/api/v1/skus/MUG", {"data": {"stock_adjustment": 1, "note": "x"}}, {}, 200, 6),
        (
            "/cs/api/v1/skus/MUG",
            {"data": {"stock_adjustment": 1}},
            {"Idempotency-Key": "k1"},
            200,
            6,
        ),
        ("/cs/api/v1/skus/MUG?x=1", {"data": {"stock_adjustment": 1}}, {}, 200, 6),
        ("/cs/api/v1/skus/MU%47", {"data": {"stock_adjustment": 1}}, {}, 200, 6),
        ("/cs/api/v1/skus/NOPE", {"data": {"stock_adjustment": 1}}, {}, 404, 5),
    ],
)
def test_other_stock_patches_reach_flask_and_write_once(
    client, auth, store, seen_by_flask, path, body, headers, status, level
):
    headers = {**auth("cs:products:read", "cs:products:write"), **headers}
    assert client.patch(path, json=body, headers=headers).status_code == status
    assert _level(client, headers, "MUG") == level
    assert len(_stock_events()) == (1 if status == 200 else 0)
    assert seen_by_flask == [path]


def test_a_stock_patch_without_the_write_scope_reaches_flask(client, auth, store, seen_by_flask):
    headers = auth("cs:products:read", "cs:products:manage")
    body = {"data": {"stock_level": 1}}
    assert client.patch("/cs/api/v1/skus/MUG", json=body, headers=headers).status_code == 403
    assert seen_by_flask == ["/cs/api/v1/skus/MUG"]


def _token_request(client, client_id, secret, **extra):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post("/oauth/2.0/token", data={**form, **extra}, headers=extra.pop("h", {}))


def test_a_plain_token_request_is_answered_as_flask_answers_it(client, twin, seen_by_flask):
    client_id, secret = factories.api_client(scopes=["cs:orders:read", "cs:config:read"])
    ours = _token_request(client, client_id, secret, scope="cs:orders:read")
    theirs = _token_request(twin, client_id, secret, scope="cs:orders:read")
    assert ours.status_code == theirs.status_code == 200
    assert [name for name, _ in ours.headers] == [name for name, _ in theirs.headers]
    for name in ("Content-Type", "Cache-Control", "Pragma", "X-Client-ID"):
        assert ours.headers[name] == theirs.headers[name]
    body, their_body = ours.get_json(), theirs.get_json()
    assert body.keys() == their_body.keys()
    assert {**body, "access_token": None} == {**their_body, "access_token": None}
    assert body["scope"] == "cs:orders:read"
    assert (
        client.get(
            "/cs/api/v1/orders", headers={"Authorization": f"Bearer {body['access_token']}"}
        ).status_code
        == 200
    )
    assert seen_by_flask == []


def test_token_requests_that_fail_or_follow_failures_reach_flask(client, seen_by_flask):
    client_id, secret = factories.api_client()
    assert _token_request(client, client_id, "wrong").status_code == 401
    assert TokenFailure.select().count() == 1
    # The address has failed lately: Flask checks the limits, answers, and clears.
    assert _token_request(client, client_id, secret).status_code == 200
    assert _token_request(client, client_id, secret, scope="cs:nope").status_code == 400
    assert _token_request(client, "0" * 32, secret).status_code == 401
    assert seen_by_flask == ["/oauth/2.0/token"] * 4


@pytest.mark.parametrize("kind", ["basic", "json", "revoked", "grant", "query"])
def test_other_token_requests_reach_flask(client, seen_by_flask, kind):
    client_id, secret = factories.api_client()
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    path, status = "/oauth/2.0/token", 200
    if kind == "basic":
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        sent = {"data": {"grant_type": "client_credentials"}}
        sent["headers"] = {"Authorization": f"Basic {basic}"}
    elif kind == "json":
        sent = {"json": form}
    elif kind == "revoked":
        ApiClient.update(revoked_at=utcnow()).execute()
        sent, status = {"data": form}, 401
    elif kind == "grant":
        sent, status = {"data": {**form, "grant_type": "password"}}, 400
    else:
        path, sent = "/oauth/2.0/token?x=1", {"data": form}
    assert client.post(path, **sent).status_code == status
    assert seen_by_flask == [path]


@pytest.fixture
def feed(app):
    factories.events(5)
    factories.events(4, "stock.changed")
    factories.events(3, "order.paid")


@pytest.mark.parametrize(
    "scopes",
    [("cs:orders:read",), ("cs:products:read",), READ, ("cs:orders:read", "cs:config:read")],
)
def test_plain_feed_reads_are_answered_as_flask_answers_them(
    client, twin, auth, feed, seen_by_flask, scopes
):
    headers = auth(*scopes)
    for query in ("", "?after=0", "?after=3", "?after=3&limit=2", "?limit=5", "?after=99"):
        assert _same(client, twin, f"/cs/api/v1/events{query}", headers).status_code == 200
    assert seen_by_flask == []


@pytest.mark.parametrize(
    "query",
    [
        "?type=order.*",
        "?after=2&type=stock.changed",
        "?limit=0",
        "?limit=1001",
        "?after=abc",
        "?after=",
        "?limit=2&after=3",
        "?after=3&limit=2&x=1",
        "?after=00",
    ],
)
def test_other_feed_reads_reach_flask(client, twin, auth, feed, seen_by_flask, query):
    _same(client, twin, f"/cs/api/v1/events{query}", auth(*READ))
    assert seen_by_flask == [f"/cs/api/v1/events{query}"]


def test_a_pruned_cursor_and_a_token_without_a_read_scope_reach_flask(
    client, twin, auth, feed, seen_by_flask
):
    from store import feed as feed_store

    assert feed_store.prune(before_id=5) == (4, 4)
    _same(client, twin, "/cs/api/v1/events?after=2", auth(*READ))
    assert client.get("/cs/api/v1/events?after=2", headers=auth(*READ)).status_code == 410
    assert client.get("/cs/api/v1/events", headers=auth("cs:config:read")).status_code == 403
    assert seen_by_flask == ["/cs/api/v1/events?after=2"] * 2 + ["/cs/api/v1/events"]
