"""GET /orders filters: a table of queries and the orders each must return."""

import datetime

import pytest

from models.base import db
from models.orders import Order
from models.statuses import FulfilmentStatus
from tests import factories

D = datetime.datetime
PAID = D(2024, 3, 10, 12, 0)


@pytest.fixture
def store(app):
    """Ten orders covering every payment state, in the store zone America/Phoenix (UTC-7).

    The placement times sit on the store's day boundaries: 07:00 UTC is local midnight.
    """
    specs = {
        # Local 2024-02-29 23:59:59.999999, the last instant before March in Phoenix.
        "a": {"placed_at": D(2024, 3, 1, 6, 59, 59, 999999), "paid_at": PAID},
        # Local 2024-03-01 00:00:00, the first instant of March 1st.
        "b": {"placed_at": D(2024, 3, 1, 7, 0), "paid_at": PAID, "status_handle": "processing"},
        # Local 2024-03-01 23:59:59.999999.
        "c": {"placed_at": D(2024, 3, 2, 6, 59, 59, 999999), "shipping_method": None},
        # Local 2024-03-02 00:00: paid, then refunded.
        "d": {"placed_at": D(2024, 3, 2, 7, 0), "paid_at": PAID, "refunded_at": PAID},
        "e": {"placed_at": D(2024, 3, 3, 12), "cancelled_at": PAID, "shipping_method": ""},
        # Paid, then cancelled.
        "f": {
            "placed_at": D(2024, 3, 5),
            "paid_at": PAID,
            "cancelled_at": PAID,
            "status_handle": "shipped",
        },
        # Waiting for an off-site payment: hidden from listings.
        "g": {
            "placed_at": D(2024, 3, 6),
            "external_payment_requested_at": D(2024, 3, 6),
            "status_handle": "shipped",
        },
        # Waiting for an off-site payment and cancelled: hidden too.
        "h": {
            "placed_at": D(2024, 3, 7),
            "external_payment_requested_at": D(2024, 3, 7),
            "cancelled_at": PAID,
        },
        # Sent off-site, came back paid: an ordinary paid order.
        "i": {
            "placed_at": D(2024, 3, 8),
            "external_payment_requested_at": D(2024, 3, 8),
            "paid_at": PAID,
            "status_handle": "shipped",
        },
        # Paid, refunded and cancelled.
        "j": {
            "placed_at": D(2024, 3, 9),
            "paid_at": PAID,
            "refunded_at": PAID,
            "cancelled_at": PAID,
        },
    }
    return {name: factories.order(**fields).id for name, fields in specs.items()}


VISIBLE = "abcdefij"

FILTER_CASES = [
    ("", VISIBLE),
    ("foo=bar&sort=asc", VISIBLE),
    ("status=&paymentStatus=&fromDate=&toDate=&paid=&cancelled=&refunded=&shippable=&id=", VISIBLE),
    ("status=shipped", "fi"),
    ("status=SHIPPED", "fi"),
    ("status=processing", "b"),
    ("status=delivered", ""),
    ("status=incomplete", "acdej"),
    ("paymentStatus=paid", "abfi"),
    ("paymentStatus=PAID", "abfi"),
    ("paymentStatus=unpaid", "ce"),
    ("paymentStatus=cancelled", "efj"),
    ("paymentStatus=refunded", "dj"),
    ("paymentStatus=incomplete", "gh"),
    ("paymentStatus=Incomplete&cancelled=1", "h"),
    ("paymentStatus=incomplete&cancelled=0", "g"),
    ("paymentStatus=incomplete&status=shipped", "g"),
    ("paymentStatus=incomplete&paid=1", ""),
    ("paid=1", "abfi"),
    ("paid=true", "abfi"),
    ("paid=YES", "abfi"),
    ("paid=On", "abfi"),
    ("paid=0", "cdej"),
    ("paid=false", "cdej"),
    ("paid=no", "cdej"),
    ("paid=OFF", "cdej"),
    ("cancelled=1", "efj"),
    ("cancelled=0", "abcdi"),
    ("refunded=1", "dj"),
    ("refunded=0", "abcefi"),
    ("shippable=1", "abdfij"),
    ("shippable=0", "ce"),
    ("paymentStatus=paid&shippable=1&status=shipped", "fi"),
    ("paymentStatus=cancelled&paid=1", "f"),
    ("paymentStatus=unpaid&cancelled=1", "e"),
    ("refunded=1&cancelled=0", "d"),
    # Dates are the store's calendar days (America/Phoenix), bounds inclusive.
    ("fromDate=2024-03-01", "bcdefij"),
    ("toDate=2024-02-29", "a"),
    ("toDate=2024-03-01", "abc"),
    ("fromDate=2024-03-01&toDate=2024-03-01", "bc"),
    ("fromDate=2024-03-02&toDate=2024-03-02", "d"),
    ("fromDate=2024-02-29&toDate=2024-02-29", "a"),
    ("fromDate=2024-03-02&toDate=2024-03-01", ""),
    # h (local 2024-03-06 17:00) is hidden; i is local 2024-03-07 17:00.
    ("fromDate=2024-03-06&toDate=2024-03-06", ""),
    ("fromDate=2024-03-06&toDate=2024-03-07", "i"),
    ("fromDate=2024-03-05&paymentStatus=incomplete", "gh"),
    ("fromDate=2024-03-06&paymentStatus=incomplete", "h"),
    ("fromDate=0001-01-01&toDate=9999-12-31", VISIBLE),
    ("fromDate=9999-12-31", ""),
    ("toDate=0500-01-01", ""),
    ("toDate=2024-03-01&paid=1", "ab"),
]


def listed(client, headers, query):
    response = client.get(f"/cs/api/v1/orders?{query}&paging=100", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("query, expected", FILTER_CASES)
def test_filter(client, auth, store, query, expected):
    body = listed(client, auth("cs:orders:read"), query)
    wanted = sorted((store[name] for name in expected), reverse=True)
    assert [order["id"] for order in body["data"]] == wanted
    assert body["meta"]["pagination"]["total"] == len(wanted)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("id={b}", "b"),
        ("id={b}&id={c}", "bc"),
        ("id[]={b}&id[]={c}", "bc"),
        ("id%5B%5D={b}&id%5B%5D={c}", "bc"),
        ("id[0]={b}&id[1]={c}&id[2]={d}", "bcd"),
        ("id%5B0%5D={b}&id%5B1%5D={c}", "bc"),
        ("id={b}&id[]={c}&id[5]={d}", "bcd"),
        ("id={b}&id={b}", "b"),
        ("id=0{b}", "b"),
        ("id[]=&id[]={c}", "c"),
        # Hidden orders stay hidden when asked for by id...
        ("id={g}", ""),
        ("id={g}&id={b}", "b"),
        # ...unless the listing asks for exactly those.
        ("id={g}&paymentStatus=incomplete", "g"),
        ("id=999999&id={c}", "c"),
        ("id={b}&paid=0", ""),
    ],
)
def test_id_filter_in_every_spelling(client, auth, store, query, expected):
    body = listed(client, auth("cs:orders:read"), query.format(**store))
    assert [order["id"] for order in body["data"]] == sorted(
        (store[name] for name in expected), reverse=True
    )


def test_a_status_the_store_added_can_be_filtered_on(client, auth, store):
    packed = FulfilmentStatus.create(handle="packed", name="Packed", sort_order=7)
    Order.update(status=packed).where(Order.id == store["c"]).execute()
    body = listed(client, auth("cs:orders:read"), "status=Packed")
    assert [order["id"] for order in body["data"]] == [store["c"]]
    assert body["data"][0]["fulfilment"] == {
        "status": "Packed",
        "handle": "packed",
        "tracking_id": None,
        "tracking_code": None,
        "tracking_url": None,
    }


def test_dates_follow_the_store_zone_across_a_daylight_saving_change(make_app, app, auth):
    # Europe/Rome moved from UTC+1 to UTC+2 on 2024-03-31: a day of 23 hours.
    inside = [
        factories.order(placed_at=D(2024, 3, 30, 23, 0)).id,  # local 03-31 00:00 (+1)
        factories.order(placed_at=D(2024, 3, 31, 21, 59, 59, 999999)).id,  # 23:59:59.9 (+2)
    ]
    factories.order(placed_at=D(2024, 3, 30, 22, 59, 59))  # local 03-30 23:59:59
    factories.order(placed_at=D(2024, 3, 31, 22, 0))  # local 04-01 00:00
    store = make_app(CS_STORE_TIMEZONE="Europe/Rome").test_client()
    body = listed(store, auth("cs:orders:read"), "fromDate=2024-03-31&toDate=2024-03-31")
    assert [order["id"] for order in body["data"]] == sorted(inside, reverse=True)
    assert body["data"][0]["date_placed"] == {
        "date": "2024-03-31 23:59:59.999999",
        "timezone": "Europe/Rome",
    }


BAD_QUERIES = [
    ("status=nope", "status"),
    ("status=shipped2", "status"),
    ("paymentStatus=maybe", "paymentStatus"),
    ("paymentStatus=paid,unpaid", "paymentStatus"),
    ("fromDate=2024-02-30", "fromDate"),
    ("fromDate=2024-13-01", "fromDate"),
    ("fromDate=yesterday", "fromDate"),
    ("toDate=2024-1-1", "toDate"),
    ("toDate=2024/01/01", "toDate"),
    ("toDate=20240101", "toDate"),
    ("toDate=2024-01-01T00:00:00", "toDate"),
    ("toDate=%EF%BC%92024-01-01", "toDate"),
    ("paid=2", "paid"),
    ("paid=tru", "paid"),
    ("cancelled=maybe", "cancelled"),
    ("refunded=null", "refunded"),
    ("shippable=y", "shippable"),
    ("id=abc", "id"),
    ("id=-1", "id"),
    ("id=0", "id"),
    ("id=1.5", "id"),
    ("id=1e3", "id"),
    ("id=%201", "id"),
    ("id=1,2", "id"),
    ("id[]=x", "id"),
    ("id[0]=1&id[1]=y", "id"),
    ("id=" + "9" * 19, "id"),
    ("id=" + "9" * 5000, "id"),
    ("&".join(f"id[]={n}" for n in range(1, 1002)), "id"),
    # The limit is on the ids sent, as the document's maxItems says, repeated or not.
    ("&".join(["id=1"] * 251), "id"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=1.0", "page"),
    ("paging=0", "paging"),
    ("paging=x", "paging"),
]


@pytest.mark.parametrize("query, parameter", BAD_QUERIES, ids=[q[:40] for q, _ in BAD_QUERIES])
def test_bad_filter_values_are_400_naming_the_parameter(client, auth, store, query, parameter):
    response = client.get(f"/cs/api/v1/orders?{query}", headers=auth("cs:orders:read"))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] is True
    assert len(body["errors"]) == 1 and parameter in body["errors"][0]
    assert parameter in body["fields"]


def test_unknown_status_lists_the_valid_handles(client, auth, store):
    response = client.get("/cs/api/v1/orders?status=lost", headers=auth("cs:orders:read"))
    message = response.get_json()["errors"][0]
    assert "lost" in message
    for handle in ("incomplete", "processing", "shipped", "delivered", "nodelivery", "returned"):
        assert handle in message


def test_bad_input_is_checked_after_the_token_and_scope(client, auth):
    assert client.get("/cs/api/v1/orders?paid=maybe").status_code == 401
    response = client.get("/cs/api/v1/orders?paid=maybe", headers=auth("cs:orders:write"))
    assert response.status_code == 403


def test_id_lists_share_a_statement_per_power_of_two_and_count_each_order_once(client, auth, store):
    from store.orders.listing import _filtered_count, _filtered_page

    _filtered_count.cache_clear()  # compiled afresh: other tests' lists left plans behind
    _filtered_page.cache_clear()
    headers = auth("cs:orders:read")
    for names in ("bcd", "abcd", "abcde"):
        query = "&".join(f"id={store[name]}" for name in names)
        body = listed(client, headers, query)
        assert [order["id"] for order in body["data"]] == sorted(
            (store[name] for name in names), reverse=True
        )
        assert body["meta"]["pagination"]["total"] == len(names)
    # Three and four ids padded to four share plans; five take the next size, eight.
    for compiled in (_filtered_count(("ids",), "visible"), _filtered_page(("ids",), "visible")):
        sizes = [dict(shape)["ids"] for kind, _, shape in compiled.plans if kind is type(db.obj)]
        assert sorted(sizes) == [4, 8]
