"""GET /products: order, pagination and the date `filter`, in the store time zone."""

import datetime
from urllib.parse import quote

import pytest

from tests import factories

READ = "cs:products:read"
UTC = datetime.datetime


def listing(client, headers, query=""):
    response = client.get(f"/cs/api/v1/products{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids_for(client, headers, expression):
    body = listing(client, headers, f"?paging=100&filter={quote(expression)}")
    return [product["id"] for product in body["data"]]


def test_newest_first_then_highest_id_active_or_not(client, auth):
    same = datetime.datetime(2024, 5, 1, 10, 0)
    old = factories.product(date_added=same - datetime.timedelta(days=1), active=False)
    first = factories.product(date_added=same, stock_level=0)
    second = factories.product(date_added=same)
    newest = factories.product(date_added=same + datetime.timedelta(seconds=1), active=False)

    body = listing(client, auth(READ))

    assert [p["id"] for p in body["data"]] == [newest.id, second.id, first.id, old.id]
    assert body["meta"] == {
        "pagination": {
            "total": 4,
            "count": 4,
            "per_page": 20,
            "current_page": 1,
            "total_pages": 1,
            "links": {},
        }
    }


def test_walking_links_next_sees_every_product_once(client, auth):
    start = datetime.datetime(2023, 1, 1)
    # Pairs share a date_added, so the id decides their order.
    made = [
        factories.product(date_added=start + datetime.timedelta(hours=n // 2)) for n in range(23)
    ]
    expected = [p.id for p in sorted(made, key=lambda p: (p.date_added, p.id), reverse=True)]
    headers = auth(READ)

    seen, url, pages = [], "/cs/api/v1/products?paging=5&filter=date_added%20ge%202000-01-01", 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        body = response.get_json()
        seen.extend(p["id"] for p in body["data"])
        pagination = body["meta"]["pagination"]
        assert pagination["total"] == 23 and pagination["total_pages"] == 5
        assert type(pagination["count"]) is int
        pages += 1
        url = pagination["links"].get("next")
        if url:
            assert url.startswith("http://localhost/cs/api/v1/products?")
            assert "filter=date_added%20ge%202000-01-01" in url

    assert pages == 5
    assert seen == expected


def test_a_page_past_the_end_is_empty(client, auth):
    for _ in range(3):
        factories.product()
    body = listing(client, auth(READ), "?paging=2&page=7")
    assert body["data"] == []
    pagination = body["meta"]["pagination"]
    assert (pagination["total"], pagination["count"], pagination["current_page"]) == (3, 0, 7)
    assert pagination["links"] == {
        "previous": "http://localhost/cs/api/v1/products?paging=2&page=2"
    }


def test_empty_store(client, auth):
    body = listing(client, auth(READ))
    assert body["data"] == []
    assert body["meta"]["pagination"]["total_pages"] == 1


@pytest.mark.parametrize("query", ["?page=0", "?paging=-1", "?page=x", "?paging=1.5"])
def test_bad_page_arguments(client, auth, query):
    response = client.get(f"/cs/api/v1/products{query}", headers=auth(READ))
    assert response.status_code == 400
    assert "must be a positive integer" in response.get_json()["errors"][0].lower()


# --- filter ---

# Store time zone America/Phoenix: UTC-7 all year. (local time) -> stored UTC.
TIMES = {
    "before": UTC(2021, 1, 1, 6, 59, 59, 999999),  # 2020-12-31 23:59:59.999999
    "midnight": UTC(2021, 1, 1, 7, 0),  # 2021-01-01 00:00
    "evening": UTC(2021, 1, 2, 3, 0),  # 2021-01-01 20:00
    "evening+1s": UTC(2021, 1, 2, 3, 0, 1),  # 2021-01-01 20:00:01
    "next day": UTC(2021, 1, 2, 7, 0),  # 2021-01-02 00:00
}

FILTERS = [
    ("date_added gt '2021-01-01'", ["next day", "evening+1s", "evening"]),
    ("date_added ge 2021-01-01", ["next day", "evening+1s", "evening", "midnight"]),
    ("date_added lt 2021-01-01", ["before"]),
    ('date_added le "2021-01-01"', ["midnight", "before"]),
    ("date_added eq 2021-01-01", ["evening+1s", "evening", "midnight"]),
    ("date_added eq '2020-12-31'", ["before"]),
    ("date_added gt '2021-01-01T20:00'", ["next day", "evening+1s"]),
    ("date_added ge 2021-01-01T20:00", ["next day", "evening+1s", "evening"]),
    ("date_added eq 2021-01-01T20:00", ["evening"]),
    ("date_added eq '2021-01-01 20:00:00.000000'", ["evening"]),
    ("date_added le 2020-12-31T23:59:59.999999", ["before"]),
    # An offset wins over the store time zone.
    ("date_added eq '2021-01-02T03:00:00Z'", ["evening"]),
    ("date_added lt 2021-01-02T03:00:00+00:00", ["midnight", "before"]),
    ("date_added gt 2021-01-01T20:00:00-07:00", ["next day", "evening+1s"]),
    ("date_added eq 2021-01-02T05:00+02:00", ["evening"]),
    (
        "date_added ge 2021-01-01 and date_added lt 2021-01-02",
        ["evening+1s", "evening", "midnight"],
    ),
    (
        "date_added gt 2020-12-31  and  date_added le 2021-01-01T20:00",
        ["evening", "midnight", "before"],
    ),
    ("date_added gt 2021-01-01T00:00:00.000001 and date_added le 2021-01-01T20:00", ["evening"]),
    ("date_added eq 2021-01-05", []),
    ("date_added gt 0001-01-01", ["next day", "evening+1s", "evening", "midnight", "before"]),
    (
        "date_added lt 9999-12-31T23:59:59",
        ["next day", "evening+1s", "evening", "midnight", "before"],
    ),
    ("date_added eq 9999-12-31", []),
    ("date_added lt 0001-01-01T00:00+14:00", []),
    ("date_updated gt 2021-06-01", ["evening"]),
    ("date_updated eq 2021-01-01 and date_added lt 2021-01-01T20:00", ["midnight"]),
]


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
def test_filter(client, auth, expression, expected):
    made = {}
    for name, moment in TIMES.items():
        updated = UTC(2021, 6, 2) if name == "evening" else moment
        made[name] = factories.product(date_added=moment, date_updated=updated).id
    assert ids_for(client, auth(READ), expression) == [made[name] for name in expected]


def test_filter_in_another_store_time_zone(make_app, auth):
    made = factories.product(date_added=UTC(2021, 1, 1, 23, 30)).id
    tokyo = make_app(CS_STORE_TIMEZONE="Asia/Tokyo").test_client()
    headers = auth(READ)
    # 2021-01-02 08:30 in Tokyo (UTC+9); 16:30 on the 1st in Phoenix.
    assert ids_for(tokyo, headers, "date_added eq 2021-01-02") == [made]
    assert ids_for(tokyo, headers, "date_added eq 2021-01-01") == []
    assert ids_for(tokyo, headers, "date_added eq 2021-01-02T08:30") == [made]


def test_an_empty_filter_is_no_filter(client, auth):
    made = factories.product()
    assert ids_for(client, auth(READ), "") == [made.id]


MALFORMED = [
    ("date_added", "is not `<field> <operator> <value>`"),
    ("date_added gt", "is not `<field> <operator> <value>`"),
    ("   ", "empty filter"),
    ("price gt 2021-01-01", "unknown field 'price'"),
    ("DATE_ADDED gt 2021-01-01", "unknown field 'DATE_ADDED'"),
    ("date_added gte 2021-01-01", "unknown operator 'gte'"),
    ("date_added ne 2021-01-01", "unknown operator 'ne'"),
    ("date_added > 2021-01-01", "unknown operator '>'"),
    ("date_added gt yesterday", "'yesterday' in 'date_added gt yesterday' is not an ISO-8601"),
    ("date_added gt 2021-13-01", "'2021-13-01'"),
    ("date_added gt 2021-02-30", "'2021-02-30'"),
    ("date_added gt 2021-01-01T25:00", "'2021-01-01T25:00'"),
    ("date_added gt '2021-01-01", '"\'2021-01-01" in'),
    ("date_added gt '2021-01-01\"", "is not an ISO-8601"),
    ("date_added gt ''", "'' in"),
    ("date_added gt 2021-01-01 and", "'2021-01-01 and'"),
    ("date_added gt 2021-01-01 or date_added lt 2022-01-01", "is not an ISO-8601"),
    ("date_added gt 2021-01-01 and price lt 5", "unknown field 'price'"),
    ("and date_added gt 2021-01-01", "unknown field 'and'"),
    ("date_added gt ２０２１-01-01", "is not an ISO-8601"),
    ("date_added gt 1612137600", "is not an ISO-8601"),
    ("date_added gt 2021-01-01T20:00+25:00", "is not an ISO-8601"),
    ("date_added gt 2021-01-01\x00", "is not an ISO-8601"),
    (" and ".join(["date_added gt 2021-01-01"] * 11), "more than 10 conditions"),
    ("date_added gt " + "1" * 1000, "longer than 1000 characters"),
]


@pytest.mark.parametrize(("expression", "problem"), MALFORMED)
def test_malformed_filter(client, auth, expression, problem):
    response = client.get(f"/cs/api/v1/products?filter={quote(expression)}", headers=auth(READ))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] is True
    assert body["errors"][0].startswith("Invalid filter: ")
    assert problem in body["errors"][0]
    assert list(body["fields"]) == ["filter"]


def test_malformed_filter_needs_a_token_first(client):
    response = client.get("/cs/api/v1/products?filter=nonsense")
    assert response.status_code == 401
