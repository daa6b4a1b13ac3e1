"""`view=full` on the four GETs: the plain document untouched, then the stored fields it omits."""

import datetime
import json
from decimal import Decimal

import orjson
import pytest
from playhouse.test_utils import count_queries

from models.orders import OrderStatusHistory
from tests import factories
from tests.test_openapi import check
from tests.test_orders_pagination import FULL_LIST_QUERIES, LIST_QUERIES, rich_order

ZONE = "America/Phoenix"  # UTC-7, no daylight saving time
ORDERS, PRODUCTS = "/cs/api/v1/orders", "/cs/api/v1/products"
ORDER_FULL_KEYS = [
    "shipping_total",
    "tax",
    "discount",
    "cancelled",
    "external_payment_requested",
    "status_history",
]


def when(text):
    return {"date": text, "timezone": ZONE}


def token_of(client, scopes):
    """(client_id, headers) of a new integration, its token minted by the token endpoint."""
    client_id, secret = factories.api_client(scopes=scopes)
    reply = client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert reply.status_code == 200
    return client_id, {"Authorization": f"Bearer {reply.get_json()['access_token']}"}


def get(client, headers, url):
    reply = client.get(url, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    return reply


def plain_and_full(client, headers, url):
    """(plain reply, full document) of one GET: the full view minus what it adds must be
    the plain reply's body, byte for byte."""
    separator = "&" if "?" in url else "?"
    plain = get(client, headers, url)
    full = get(client, headers, f"{url}{separator}view=full")
    return plain, full.get_json()


def strip_order(order):
    """The full view of an order as the plain view: its own additions taken off."""
    plain = {key: value for key, value in order.items() if key not in ORDER_FULL_KEYS}
    shipping = {k: v for k, v in order["customer"]["shipping"].items() if k != "phone"}
    return {**plain, "customer": {**order["customer"], "shipping": shipping}}


def strip_product(product):
    plain = {key: value for key, value in product.items() if key != "weight"}
    plain["variations"] = [
        {key: value for key, value in variation.items() if key != "weight"}
        for variation in product["variations"]
    ]
    return plain


def assert_extends_plain(plain_reply, full_body, strip):
    """The full view is the plain one with keys added at the ends, every other byte equal."""
    data = full_body["data"]
    if isinstance(data, list):
        stripped = {**full_body, "data": [strip(item) for item in data]}
    else:
        stripped = {"data": strip(data)}
    if "meta" in full_body:
        # The same page; only the links differ, as they carry `view=full` on.
        plain_meta = plain_reply.get_json()["meta"]
        full_pagination = dict(full_body["meta"]["pagination"], links=None)
        assert full_pagination == dict(plain_meta["pagination"], links=None)
        stripped["meta"] = plain_meta
    assert orjson.dumps(stripped) == plain_reply.data


# --- orders ---

PLACED = datetime.datetime(2024, 3, 1, 15, 30, 0, 123456)  # 08:30 in Phoenix


def _states():
    """One order in each payment and shipping state, with totals that need rounding."""
    paid = datetime.datetime(2024, 3, 2, 10, 0)
    common = {
        "items": [{"name": "Mug", "sku": "MUG", "quantity": Decimal(2), "price": Decimal(5)}],
        "placed_at": PLACED,
        "shipping_phone": "555-0100",
        "shipping_total": Decimal("4.955"),
        "tax_total": Decimal("1.1"),
        "discount_total": Decimal("0.5"),
        "total": Decimal("15.555"),
    }
    no_shipping = {
        f"shipping_{name}": None
        for name in ("first_name", "last_name", "phone", "address1", "city")
        + ("state_province", "country", "postal_code")
    }
    return {
        "unpaid": factories.order(**common),
        "paid": factories.order(paid_at=paid, **common),
        "refunded": factories.order(
            paid_at=paid, refunded_at=paid + datetime.timedelta(days=1), **common
        ),
        "cancelled": factories.order(cancelled_at=datetime.datetime(2024, 3, 4, 7, 0), **common),
        "pending": factories.order(
            external_payment_requested_at=datetime.datetime(2024, 3, 1, 15, 31), **common
        ),
        "unshippable": factories.order(
            **{**common, **no_shipping, "shipping_method": None, "shipping_total": Decimal(0)}
        ),
    }


def expected_additions(state):
    return {
        "shipping_total": 0 if state == "unshippable" else 4.96,
        "tax": 1.1,
        "discount": 0.5,
        "cancelled": {"date": when("2024-03-04 00:00:00.000000")} if state == "cancelled" else None,
        "external_payment_requested": (
            when("2024-03-01 08:31:00.000000") if state == "pending" else None
        ),
        "status_history": [
            {"handle": "incomplete", "date": when("2024-03-01 08:30:00.123456"), "actor": None}
        ],
    }


def test_full_order_in_every_state(client, auth):
    headers = auth("cs:orders:read")
    for state, order in _states().items():
        plain, full = plain_and_full(client, headers, f"{ORDERS}/{order.id}")
        assert_extends_plain(plain, full, strip_order)
        data = full["data"]
        plain_keys = list(plain.get_json()["data"])
        assert list(data) == plain_keys + ORDER_FULL_KEYS, state
        additions = {key: data[key] for key in ORDER_FULL_KEYS}
        # Same values and the same JSON types (4.96 a float, 0 an int, null not {}).
        assert json.dumps(additions) == json.dumps(expected_additions(state)), state
        shipping = data["customer"]["shipping"]
        assert list(shipping) == ["first_name", "last_name", "company", "address", "phone"]
        assert shipping["phone"] == (None if state == "unshippable" else "555-0100")
        assert ("refunded" in data) is (state == "refunded")


def test_full_orders_match_the_documented_schema(client, auth):
    document = client.get("/cs/api/v1/openapi.json").get_json()
    headers = auth("cs:orders:read")
    for order in _states().values():
        reply = get(client, headers, f"{ORDERS}/{order.id}?view=full")
        check(document, "/cs/api/v1/orders/{order_id}", "get", reply)
    reply = get(client, headers, f"{ORDERS}?view=full&paymentStatus=incomplete")
    check(document, ORDERS, "get", reply)


def test_status_history_names_the_client_that_changed_it(client):
    order = factories.order(placed_at=PLACED)
    writer_id, writer = token_of(client, ["cs:orders:write"])
    _, reader = token_of(client, ["cs:orders:read"])
    body = {"data": {"fulfilment": {"handle": "shipped"}}}
    assert client.patch(f"{ORDERS}/{order.id}", json=body, headers=writer).status_code == 200
    body = {"data": {"fulfilment": {"handle": "delivered"}}}
    assert client.patch(f"{ORDERS}/{order.id}", json=body, headers=writer).status_code == 200
    history = get(client, reader, f"{ORDERS}/{order.id}?view=full").get_json()["data"][
        "status_history"
    ]
    assert [(row["handle"], row["actor"]) for row in history] == [
        ("incomplete", None),
        ("shipped", f"client:{writer_id}"),
        ("delivered", f"client:{writer_id}"),
    ]
    assert history[0]["date"] == when("2024-03-01 08:30:00.123456")
    assert all(set(row["date"]) == {"date", "timezone"} for row in history)


def test_status_history_is_oldest_first_whatever_the_order_rows_were_written_in(client, auth):
    order = factories.order(placed_at=PLACED)
    for handle, day, actor in (
        ("delivered", 5, "import:shop.example.com"),
        ("shipped", 3, "cli"),
        ("processing", 3, "app:checkout"),
    ):
        OrderStatusHistory.create(
            order=order,
            status=factories.status(handle),
            handle=handle,
            changed_at=datetime.datetime(2024, 3, day, 12, 0),
            actor=actor,
        )
    data = get(client, auth("cs:orders:read"), f"{ORDERS}/{order.id}?view=full").get_json()
    # By date; rows of the same instant in the order they were written. Actors as recorded.
    assert [(row["handle"], row["actor"]) for row in data["data"]["status_history"]] == [
        ("incomplete", None),
        ("shipped", "cli"),
        ("processing", "app:checkout"),
        ("delivered", "import:shop.example.com"),
    ]


def test_full_order_list_and_its_links(client, auth):
    headers = auth("cs:orders:read")
    states = _states()
    plain, full = plain_and_full(client, headers, f"{ORDERS}?paging=2&page=2")
    assert_extends_plain(plain, full, strip_order)
    assert all(list(order)[-6:] == ORDER_FULL_KEYS for order in full["data"])
    links = full["meta"]["pagination"]["links"]
    assert links["next"].endswith("/cs/api/v1/orders?paging=2&view=full&page=3")
    # The pending order is hidden from listings in the full view too, unless asked for.
    listed = {order["id"] for order in get(client, headers, f"{ORDERS}?view=full&paging=100")
              .get_json()["data"]}  # fmt: skip
    assert states["pending"].id not in listed and len(listed) == 5
    reply = get(client, headers, f"{ORDERS}?paymentStatus=incomplete&view=full").get_json()
    assert [order["id"] for order in reply["data"]] == [states["pending"].id]
    assert reply["data"][0]["external_payment_requested"] == when("2024-03-01 08:31:00.000000")


def test_the_full_view_shows_vat_numbers_where_the_plain_one_does(make_app, app):
    order = factories.order(vat_number="IT123", shipping_phone="1")
    vat_app = make_app(CS_STORE_VAT_NUMBER=True)
    client = vat_app.test_client()
    _, headers = token_of(client, ["cs:orders:read"])
    plain, full = plain_and_full(client, headers, f"{ORDERS}/{order.id}")
    assert_extends_plain(plain, full, strip_order)
    assert full["data"]["customer"]["billing"]["vat_number"] == "IT123"


# --- products ---


def _product_with_variations():
    made = factories.product(weight=Decimal("1.25"), width=Decimal(3))
    _, (small, large) = factories.option(made, "Size", choices=["S", "L"])
    factories.variation(made, choices=[small], weight=Decimal("0.5"), sort_order=0)
    factories.variation(made, choices=[large], sort_order=1)
    return made


def test_full_product_with_variations(client, auth):
    made = _product_with_variations()
    headers = auth("cs:products:read")
    plain, full = plain_and_full(client, headers, f"{PRODUCTS}/{made.id}")
    assert_extends_plain(plain, full, strip_product)
    data = full["data"]
    assert list(data) == [*plain.get_json()["data"], "weight"]
    assert data["weight"] == 1.25
    assert [list(variation)[-2:] for variation in data["variations"]] == [
        ["shipping", "weight"]
    ] * 2
    assert [variation["weight"] for variation in data["variations"]] == [0.5, None]


def test_full_product_weights_keep_their_json_types(client, auth):
    whole = factories.product(weight=Decimal(2))
    unset = factories.product()
    headers = auth("cs:products:read")
    for made, weight in ((whole, "2"), (unset, "null")):
        reply = get(client, headers, f"{PRODUCTS}/{made.id}?view=full")
        assert reply.data.endswith(f',"weight":{weight}}}}}'.encode())


def test_full_product_list(client, auth):
    _product_with_variations()
    factories.product(weight=Decimal("0.0001"))
    headers = auth("cs:products:read")
    plain, full = plain_and_full(client, headers, f"{PRODUCTS}?paging=1")
    assert_extends_plain(plain, full, strip_product)
    assert full["data"][0]["weight"] == 0.0001
    assert full["meta"]["pagination"]["links"]["next"].endswith("?paging=1&view=full&page=2")
    plain, full = plain_and_full(client, headers, f"{PRODUCTS}?filter=date_added+gt+'2000-01-01'")
    assert_extends_plain(plain, full, strip_product)
    assert len(full["data"]) == 2


# --- the view parameter ---

ROUTES = ["orders", "orders/{order}", "products", "products/{product}"]
SCOPE = {"orders": "cs:orders:read", "products": "cs:products:read"}


def _url(route, ids):
    return "/cs/api/v1/" + route.format(**ids)


@pytest.fixture
def ids():
    return {"order": factories.order().id, "product": factories.product().id}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("value", ["bogus", "plain", "FULL", "full ", "1"])
def test_an_unknown_view_is_refused_by_name(client, auth, ids, route, value):
    headers = auth(SCOPE[route.split("/")[0]])
    reply = client.get(_url(route, ids), query_string={"view": value}, headers=headers)
    assert reply.status_code == 400
    body = reply.get_json()
    assert body["error"] is True
    assert body["errors"][0].startswith("Invalid view: ")
    assert repr(value) in body["errors"][0]
    assert list(body["fields"]) == ["view"]


@pytest.mark.parametrize("route", ROUTES)
def test_an_empty_view_is_the_plain_view(client, auth, ids, route):
    headers = auth(SCOPE[route.split("/")[0]])
    plain = get(client, headers, _url(route, ids))
    assert get(client, headers, _url(route, ids) + "?view=").data == plain.data
    assert get(client, headers, _url(route, ids) + "?other=full").data == plain.data


@pytest.mark.parametrize("route", ROUTES)
def test_the_routes_read_scope_is_enough_and_the_checks_keep_their_order(client, auth, ids, route):
    kind = route.split("/")[0]
    url = _url(route, ids)
    assert client.get(f"{url}?view=full", headers=auth(SCOPE[kind])).status_code == 200
    assert client.get(f"{url}?view=bogus").status_code == 401
    wrong = auth("cs:config:read")
    assert client.get(f"{url}?view=bogus", headers=wrong).status_code == 403


@pytest.mark.parametrize("kind", ["orders", "products"])
def test_bad_input_comes_before_the_lookup(client, auth, kind):
    headers = auth(SCOPE[kind])
    assert client.get(f"/cs/api/v1/{kind}/999999?view=bogus", headers=headers).status_code == 400
    missing = client.get(f"/cs/api/v1/{kind}/999999?view=full", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["errors"] == [f"{kind[:-1].title()} not found"]


# --- query counts ---


def count(client, headers, url):
    client.get(url, headers=headers)  # the app's first request also checks the schema
    with count_queries() as counted:
        reply = get(client, headers, url)
    return counted.count, reply.get_json()


def test_a_full_page_of_orders_costs_the_same_queries_however_many_orders(client, auth):
    headers = auth("cs:orders:read")
    rich_order(items=1, options=1, attributes=1)
    assert count(client, headers, f"{ORDERS}?view=full")[0] == FULL_LIST_QUERIES
    for _ in range(24):
        order = rich_order(items=3, options=2, attributes=2)
        for handle in ("processing", "shipped"):
            OrderStatusHistory.create(order=order, status=factories.status(handle), handle=handle)
    queries, body = count(client, headers, f"{ORDERS}?view=full")
    assert (queries, len(body["data"])) == (FULL_LIST_QUERIES, 20)
    assert sum(len(order["status_history"]) for order in body["data"]) == 60
    queries, body = count(client, headers, f"{ORDERS}?view=full&paging=100")
    assert (queries, len(body["data"])) == (FULL_LIST_QUERIES, 25)
    # The plain view renders what it has not kept in as many: the history is not read.
    assert count(client, headers, f"{ORDERS}?paging=100")[0] == LIST_QUERIES


def test_one_full_order_costs_what_an_unkept_plain_one_does(client, auth):
    headers = auth("cs:orders:read")
    small, big = rich_order(items=1, options=1, attributes=1), rich_order()
    for handle in ("processing", "shipped", "delivered"):
        OrderStatusHistory.create(order=big, status=factories.status(handle), handle=handle)
    for order in (small, big):
        # The token's check, the order with its kept document's columns (none kept here),
        # then the order rendered: its row, items, options and attributes.
        assert count(client, headers, f"{ORDERS}/{order.id}")[0] == 6
        # The token's check, the order, its items, their options, its attributes and its
        # status history.
        assert count(client, headers, f"{ORDERS}/{order.id}?view=full")[0] == 6


def test_full_products_cost_what_plain_ones_do(client, auth):
    headers = auth("cs:products:read")
    small = factories.rich_product(size=1)
    big = factories.rich_product(size=4)
    for made in (small, big):
        assert count(client, headers, f"{PRODUCTS}/{made.id}?view=full")[0] == 5
    for _ in range(5):
        factories.rich_product(size=3)
    # As a plain page: the count comes with the page's rows.
    queries, body = count(client, headers, f"{PRODUCTS}?view=full&paging=100")
    assert (queries, len(body["data"])) == (5, 7)
    assert body["meta"]["pagination"]["total"] == 7
