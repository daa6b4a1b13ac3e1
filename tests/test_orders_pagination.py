"""GET /orders pagination: walking every page, links, limits, and a constant query count."""

import datetime
import json
import math
from decimal import Decimal

import pytest
from playhouse.test_utils import count_queries

from models.base import db
from store.orders import documents, kept, refresh_documents
from store.orders.listing import BLOCK_OF_OFFSET, visible_window
from tests import factories

PENDING = datetime.datetime(2024, 2, 1)


@pytest.fixture
def many(app):
    """250 visible orders and 4 hidden ones (waiting for an off-site payment), interleaved."""
    visible = factories.bare_orders(120)
    factories.bare_orders(2, external_payment_requested_at=PENDING)
    visible += factories.bare_orders(130)
    factories.bare_orders(2, external_payment_requested_at=PENDING)
    return sorted(visible, reverse=True)


def walk(client, headers, url):
    """Follow links.next from `url` until it is absent; every page's body, in order."""
    pages = []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append(body)
        url = body["meta"]["pagination"]["links"].get("next")
        assert len(pages) <= 300, "links.next never ends"
    return pages


@pytest.mark.parametrize("per_page", [1, 7, 20, 100])
def test_following_next_links_sees_every_order_once(client, auth, many, per_page):
    pages = walk(client, auth("cs:orders:read"), f"/cs/api/v1/orders?paging={per_page}")
    seen = [order["id"] for body in pages for order in body["data"]]
    assert seen == many
    total_pages = math.ceil(len(many) / per_page)
    assert len(pages) == total_pages
    for number, body in enumerate(pages, start=1):
        pagination = body["meta"]["pagination"]
        assert pagination == {
            "total": 250,
            "count": len(body["data"]),
            "per_page": per_page,
            "current_page": number,
            "total_pages": total_pages,
            "links": pagination["links"],
        }
        assert pagination["count"] == (
            per_page if number < total_pages else 250 % per_page or per_page
        )
        base = f"http://localhost/cs/api/v1/orders?paging={per_page}&page="
        expected_links = {}
        if number > 1:
            expected_links["previous"] = f"{base}{number - 1}"
        if number < total_pages:
            expected_links["next"] = f"{base}{number + 1}"
        assert pagination["links"] == expected_links


def test_links_keep_every_other_parameter_as_sent(client, auth, many):
    headers = auth("cs:orders:read")
    body = client.get(
        "/cs/api/v1/orders?paid=0&page=2&paging=7&foo=b%20r&id%5B%5D=&shippable=",
        headers=headers,
    ).get_json()
    assert body["meta"]["pagination"]["links"] == {
        "previous": "http://localhost/cs/api/v1/orders?paid=0&paging=7&foo=b%20r&id%5B%5D=&shippable=&page=1",
        "next": "http://localhost/cs/api/v1/orders?paid=0&paging=7&foo=b%20r&id%5B%5D=&shippable=&page=3",
    }


def test_a_page_past_the_end_is_empty_with_the_true_meta(client, auth, many):
    body = client.get("/cs/api/v1/orders?paging=100&page=9", headers=auth("cs:orders:read"))
    assert body.status_code == 200
    assert body.get_json() == {
        "data": [],
        "meta": {
            "pagination": {
                "total": 250,
                "count": 0,
                "per_page": 100,
                "current_page": 9,
                "total_pages": 3,
                "links": {"previous": "http://localhost/cs/api/v1/orders?paging=100&page=3"},
            }
        },
    }


def test_an_empty_store_has_one_empty_page(client, auth):
    body = client.get("/cs/api/v1/orders", headers=auth("cs:orders:read")).get_json()
    assert body == {
        "data": [],
        "meta": {
            "pagination": {
                "total": 0,
                "count": 0,
                "per_page": 20,
                "current_page": 1,
                "total_pages": 1,
                "links": {},
            }
        },
    }


def test_a_page_size_above_the_maximum_is_clamped(make_app, client, auth, many):
    headers = auth("cs:orders:read")
    body = client.get("/cs/api/v1/orders?paging=1000", headers=headers).get_json()
    assert len(body["data"]) == 100
    assert body["meta"]["pagination"]["per_page"] == 100
    assert body["meta"]["pagination"]["total_pages"] == 3
    small = make_app(CS_MAX_PAGE_SIZE=10).test_client()
    body = small.get("/cs/api/v1/orders?paging=50", headers=headers).get_json()
    assert (len(body["data"]), body["meta"]["pagination"]["per_page"]) == (10, 10)
    assert body["meta"]["pagination"]["links"]["next"].endswith("?paging=50&page=2")


@pytest.mark.parametrize(
    "query", ["page=0", "page=-2", "page=x", "paging=0", "paging=-5", "paging=000", "paging=1e3"]
)
def test_bad_page_or_page_size_is_400(client, auth, query):
    response = client.get(f"/cs/api/v1/orders?{query}", headers=auth("cs:orders:read"))
    assert response.status_code == 400
    assert query.split("=")[0] in response.get_json()["fields"]


@pytest.mark.parametrize(
    "paging", ["101", "1000000000000", "1" + "0" * 30, "9" * 5000, "0" * 40 + "200"]
)
def test_any_page_size_of_digits_is_clamped(client, auth, many, paging):
    body = client.get(f"/cs/api/v1/orders?paging={paging}", headers=auth("cs:orders:read"))
    assert body.status_code == 200, body.get_json()
    pagination = body.get_json()["meta"]["pagination"]
    assert (pagination["per_page"], pagination["count"]) == (100, 100)
    assert pagination["links"]["next"].endswith(f"?paging={paging}&page=2")


@pytest.mark.parametrize("page", ["1000000001", "1000000000000", "1" + "0" * 30, "9" * 5000])
def test_a_page_past_the_largest_is_400(client, auth, page):
    response = client.get(f"/cs/api/v1/orders?page={page}", headers=auth("cs:orders:read"))
    assert response.status_code == 400
    body = response.get_json()
    assert body["fields"] == {"page": ["Must be at most 1000000000."]}
    assert "at most 1000000000" in body["errors"][0]


def test_leading_zeros_are_read_as_decimal(client, auth, many):
    body = client.get("/cs/api/v1/orders?page=002&paging=010", headers=auth("cs:orders:read"))
    pagination = body.get_json()["meta"]["pagination"]
    assert (pagination["current_page"], pagination["per_page"]) == (2, 10)


PROXY_HEADERS = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "shop.example.com",
    "X-Forwarded-Port": "8443",
}


def test_links_behind_a_trusted_proxy_use_the_forwarded_origin(make_app, app, auth, many):
    trusting = make_app(CS_TRUST_PROXY_HEADERS=True).test_client()
    headers = {**auth("cs:orders:read"), **PROXY_HEADERS}
    body = trusting.get("/cs/api/v1/orders?page=2", headers=headers).get_json()
    assert body["meta"]["pagination"]["links"] == {
        "previous": "https://shop.example.com:8443/cs/api/v1/orders?page=1",
        "next": "https://shop.example.com:8443/cs/api/v1/orders?page=3",
    }
    standard_port = {**headers, "X-Forwarded-Port": "443"}
    body = trusting.get("/cs/api/v1/orders", headers=standard_port).get_json()
    assert body["meta"]["pagination"]["links"] == {
        "next": "https://shop.example.com/cs/api/v1/orders?page=2"
    }


def test_forwarded_headers_are_ignored_unless_trusted(client, auth, many):
    headers = {**auth("cs:orders:read"), **PROXY_HEADERS}
    body = client.get("/cs/api/v1/orders", headers=headers).get_json()
    assert body["meta"]["pagination"]["links"] == {
        "next": "http://localhost/cs/api/v1/orders?page=2"
    }


def rich_order(items=5, options=3, attributes=4):
    return factories.order(
        items=[
            {
                "name": f"Item {n}",
                "sku": f"SKU-{n}",
                "quantity": Decimal(n + 1),
                "price": Decimal("1.25"),
                "options": [(f"Option {k}", f"option_{k}", f"Value {k}") for k in range(options)],
            }
            for n in range(items)
        ],
        attributes=[(f"attr_{k}", f"Attribute {k}", {"k": k}) for k in range(attributes)],
    )


def queries_for(client, headers, url):
    client.get(url, headers=headers)  # the first request of an app also checks the schema
    with count_queries() as counted:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return counted.count, response.get_json()


# A page whose orders' kept documents are current (store.orders.kept): the token's
# revocation check, the count of the listed orders (all minus the hidden ones, one
# statement), the page's orders with their documents (skipped to on their ids in the same
# statement).
KEPT_LIST_QUERIES = 3
# A page of orders with no current kept document: the same, then the orders rendered: their
# rows, items, options and attributes.
LIST_QUERIES = KEPT_LIST_QUERIES + 4
# The full view, always rendered: the token's check, the count, the page's orders (with
# their status; skipped to on their ids in the same statement), their items, options,
# attributes and status history.
FULL_LIST_QUERIES = 7
# A filtered page: the token's check, the count of matching orders (less the hidden ones
# among them, in the same statement), the page's ids, then the orders with their documents;
# those without a current one rendered in four more.
KEPT_FILTERED_QUERIES = 4
FILTERED_QUERIES = KEPT_FILTERED_QUERIES + 4


def test_a_page_costs_the_same_queries_for_one_order_or_twenty(app, client, auth):
    headers = auth("cs:orders:read")
    rich_order(items=1, options=1, attributes=1)
    count, body = queries_for(client, headers, "/cs/api/v1/orders")
    assert (count, len(body["data"])) == (LIST_QUERIES, 1)
    for _ in range(24):
        rich_order(items=6, options=4, attributes=5)
    count, body = queries_for(client, headers, "/cs/api/v1/orders")
    assert (count, len(body["data"])) == (LIST_QUERIES, 20)
    assert sum(len(item["options"]) for order in body["data"] for item in order["items"]) == 480
    count, body = queries_for(client, headers, "/cs/api/v1/orders?paging=100")
    assert (count, len(body["data"])) == (LIST_QUERIES, 25)
    refresh_documents(app.extensions["community_store_api"].settings)
    for url, orders in (("/cs/api/v1/orders", 20), ("/cs/api/v1/orders?paging=100", 25)):
        count, kept = queries_for(client, headers, url)
        assert (count, kept) == (KEPT_LIST_QUERIES, queries_for(client, headers, url)[1])
        assert len(kept["data"]) == orders


@pytest.mark.parametrize(
    "query, queries",
    [
        # paid and unpaid orders can never be hidden: no subtraction.
        ("paymentStatus=paid", FILTERED_QUERIES),
        ("paymentStatus=incomplete", FILTERED_QUERIES),
        ("cancelled=0", FILTERED_QUERIES),
        # Resolving the status handle is one more.
        ("status=incomplete", FILTERED_QUERIES + 1),
    ],
)
def test_filtered_pages_cost_a_constant_number_of_queries(app, client, auth, query, queries):
    headers = auth("cs:orders:read")
    for _ in range(3):
        rich_order()
    factories.order(paid_at=PENDING)
    factories.order(external_payment_requested_at=PENDING)
    count, rendered = queries_for(client, headers, f"/cs/api/v1/orders?{query}")
    assert count == queries
    refresh_documents(app.extensions["community_store_api"].settings)
    count, kept = queries_for(client, headers, f"/cs/api/v1/orders?{query}")
    assert (count, kept) == (queries - 4, rendered)


def test_one_order_costs_two_queries_with_its_kept_document_else_six(app, client, auth):
    order = rich_order()
    url = f"/cs/api/v1/orders/{order.id}"
    # The token's check, the order with its kept document's columns; with none, the order
    # rendered: its row, items, options and attributes.
    count, body = queries_for(client, auth("cs:orders:read"), url)
    assert count == 6
    assert len(body["data"]["items"]) == 5
    refresh_documents(app.extensions["community_store_api"].settings)
    assert queries_for(client, auth("cs:orders:read"), url) == (2, body)


def test_a_page_past_the_end_does_not_fetch_orders(client, auth):
    rich_order()
    count, body = queries_for(client, auth("cs:orders:read"), "/cs/api/v1/orders?page=2")
    assert (count, body["data"]) == (2, [])


def test_pages_are_stable_whatever_the_placement_times(client, auth):
    same_time = datetime.datetime(2024, 5, 1, 12, 0)
    ids = [factories.order(placed_at=same_time).id for _ in range(9)]
    pages = walk(client, auth("cs:orders:read"), "/cs/api/v1/orders?paging=2")
    assert [order["id"] for body in pages for order in body["data"]] == sorted(ids, reverse=True)
    assert json.dumps(pages[0]["data"][0]["date_placed"]) == json.dumps(
        {"date": "2024-05-01 05:00:00.000000", "timezone": "America/Phoenix"}
    )


def test_a_deep_page_walks_the_visible_orders_ids_alone(app, backend):
    """The default listing skips to a page on the partial index of visible orders' ids
    (migration 0020): SQLite is told to, PostgreSQL's planner takes it by itself."""
    if backend == "mariadb":
        pytest.skip("MySQL/MariaDB have no partial indexes: the listing walks 0012's")
    # As many hidden orders as visible ones, so that on this small table too the partial
    # index is plainly the cheaper walk (on 100,000 orders it is, however few are hidden).
    visible = []
    for _ in range(3):
        visible += factories.bare_orders(1000)
        factories.bare_orders(1000, external_payment_requested_at=PENDING)
    database = db.obj
    explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
    # Skipped to from the newest order, and (a deep page, listing.visible_window) below an id.
    windows = dict([documents.window_args(2000, 20, None)])
    windows.update([documents.window_args(500, 20, visible[2000])])
    assert list(windows) == [documents.SKIP, documents.BELOW]
    if backend == "postgresql":
        # As autovacuum leaves a store in use: statistics and the visibility map (without
        # which no index is read alone). So few rows could still be read whole and sorted:
        # that plan is set aside, to see which index the walk takes.
        database.execute_sql('VACUUM ANALYZE "order"')
        database.execute_sql("SET enable_seqscan = off")
    try:
        for shape, window in windows.items():
            plan = kept.VISIBLE_PAGE[shape]._plan(database, window)
            sql = explain + plan.sql
            steps = database.execute_sql(sql, plan.parameters(window)).fetchall()
            assert "order_visible_id" in " ".join(str(step) for step in steps), steps
    finally:
        if backend == "postgresql":
            database.execute_sql("RESET enable_seqscan")
    settings = app.extensions["community_store_api"].settings
    ids = [order["id"] for order in kept.visible_page(2000, 20, None, settings)]
    assert ids == sorted(visible, reverse=True)[2000:2020]
    ids = [order["id"] for order in kept.visible_page(500, 20, visible[2000], settings)]
    assert ids == sorted((i for i in visible if i < visible[2000]), reverse=True)[500:520]


def prepared_plans(name):
    """(generic, custom) plans PostgreSQL has run for this connection's statement `name`."""
    return db.obj.execute_sql(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
        (name,),
    ).fetchone()


def test_page_one_is_planned_once_per_connection(app, backend):
    """Page 1 of the default listing is a statement without parameters: PostgreSQL plans
    its prepared statement once, where with an OFFSET parameter it planned it anew at every
    execution (a custom plan: the generic one's OFFSET is priced as a tenth of the table)."""
    if backend != "postgresql":
        pytest.skip("only PostgreSQL prepares the compiled statements")
    factories.bare_orders(30)
    settings = app.extensions["community_store_api"].settings
    for _ in range(8):
        assert len(kept.visible_page(0, 20, None, settings)) == 20
    assert documents.window_args(0, 20, None) == (documents.NEWEST, {"limit": 20})
    plan = kept.VISIBLE_PAGE[documents.NEWEST]._plan(db.obj, {"limit": 20})
    assert "OFFSET" not in plan.sql
    assert prepared_plans(plan.prepared[0]) == (8, 0)


def test_a_deep_page_is_planned_once_per_connection(app, backend):
    """A deep page's two statements (listing.visible_window: its block, then its orders
    below an id) are planned afresh for their first five runs only, as PostgreSQL tries a
    prepared statement's custom plans, then run on one generic plan: neither has a LIMIT
    or OFFSET parameter it must price blind."""
    if backend != "postgresql":
        pytest.skip("only PostgreSQL prepares the compiled statements")
    visible = factories.bare_orders(1100)
    settings = app.extensions["community_store_api"].settings
    for _ in range(8):
        window = visible_window(1050, 20, 1100)
        assert window.below is not None
        ids = [order["id"] for order in kept.visible_page(*window, settings)]
        assert ids == sorted(visible, reverse=True)[1050:1070]
    shape, args = documents.window_args(*window)
    assert shape == documents.BELOW
    names = (
        BLOCK_OF_OFFSET._plan(db.obj, {"offset": 1050}).prepared[0],
        kept.VISIBLE_PAGE[shape]._plan(db.obj, args).prepared[0],
    )
    for name in names:
        assert prepared_plans(name) == (3, 5), name
