"""GET /events (events.md §2): the cursor, type filters, per-scope visibility, bad
parameters, retention (410 and `cs events prune`)."""

import datetime
import json
import re

import pytest
from playhouse.test_utils import count_queries

from api.schemas.events import TYPE_LIST_PATTERN
from models.base import utcnow
from models.events import Event
from store import events, feed
from store.errors import Invalid

URL = "/cs/api/v1/events"
BOTH = ("cs:orders:read", "cs:products:read")


def emit(*event_types, actor="app"):
    """Events of these types in one transaction, each with a small `data`."""
    with events.transaction():
        for event_type in event_types:
            events.emit(event_type, {"n": event_type}, actor)


def read(client, headers, query=""):
    response = client.get(f"{URL}?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return [event["id"] for event in body["data"]], body["meta"]["next_after"]


@pytest.fixture
def reader(auth):
    return auth(*BOTH)


def test_an_event_is_shown_as_events_md_says(client, reader):
    before = utcnow()
    emit("stock.changed", actor="client:abc")
    response = client.get(URL, headers=reader)
    ordered = json.loads(response.data, object_pairs_hook=list)
    event = dict(ordered[0][1][0])
    assert [key for key, _ in ordered[0][1][0]] == [
        "id", "type", "occurred_at", "actor", "imported", "data"
    ]  # fmt: skip
    assert event["id"] == 1
    assert (event["type"], event["actor"], event["imported"]) == (
        "stock.changed",
        "client:abc",
        False,
    )
    assert event["data"] == [("n", "stock.changed")]
    occurred = dict(event["occurred_at"])
    assert occurred["timezone"] == "America/Phoenix"
    local = datetime.datetime.strptime(occurred["date"], "%Y-%m-%d %H:%M:%S.%f")
    # Phoenix keeps UTC-7 all year.
    utc = local + datetime.timedelta(hours=7)
    assert before <= utc <= utcnow()
    assert ordered[1] == ("meta", [("next_after", 1)])


def test_a_reader_pages_with_next_after_until_caught_up(client, reader):
    emit("order.created", "stock.changed")
    emit("order.paid")
    emit("product.updated", "order.updated")
    assert read(client, reader, "limit=2") == ([1, 2], 2)
    assert read(client, reader, "after=2&limit=2") == ([3, 4], 4)
    assert read(client, reader, "after=4&limit=2") == ([5], 5)
    assert read(client, reader, "after=5") == ([], 5)
    assert read(client, reader, "after=99") == ([], 99)
    assert read(client, reader) == ([1, 2, 3, 4, 5], 5)


@pytest.mark.parametrize(
    "query, ids, next_after",
    [
        ("type=order.*", [1, 3, 5], 6),
        ("type=order.paid,stock.changed", [2, 3, 6], 6),
        ("type=order.paid&type=stock.changed", [2, 3, 6], 6),
        ("type=stock.*&type=product.*", [2, 4, 6], 6),
        ("type=order.created&limit=1&after=1", [], 6),
        ("type=order.*&limit=2", [1, 3], 3),
        ("type=order.*&after=3", [5], 6),
        ("type=product.deleted", [], 6),
    ],
)
def test_type_filters_skip_but_still_move_the_cursor(client, reader, query, ids, next_after):
    emit("order.created", "stock.changed", "order.paid", "product.updated")
    emit("order.updated", "stock.changed")
    assert read(client, reader, query) == (ids, next_after)


@pytest.mark.parametrize(
    "scopes, ids",
    [
        (("cs:orders:read",), [1, 3]),
        (("cs:products:read",), [2, 4]),
        (("cs:products:read", "cs:orders:write"), [2, 4]),
        (BOTH, [1, 2, 3, 4]),
    ],
)
def test_a_token_sees_the_events_its_scopes_read(client, auth, scopes, ids):
    emit("order.created", "stock.changed", "order.paid", "product.deleted")
    assert read(client, auth(*scopes)) == (ids, 4)
    assert read(client, auth(*scopes), "type=order.*,stock.*") == (
        [event_id for event_id in ids if event_id != 4],
        4,
    )


def test_a_token_reading_neither_is_refused_naming_both(client, auth):
    response = client.get(URL, headers=auth("cs:config:read", "cs:orders:write"))
    assert response.status_code == 403
    assert 'scope="cs:orders:read cs:products:read"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("after=-1", "after"),
        ("after=x", "after"),
        ("after=1.5", "after"),
        ("after=99999999999999999999", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("type=order", "type"),
        ("type=order.shipped", "type"),
        ("type=bogus.*", "type"),
        ("type=order.*,nope", "type"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, reader, query, parameter):
    response = client.get(f"{URL}?{query}", headers=reader)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["error"] is True
    assert parameter in body["fields"]


def test_empty_parameters_take_their_defaults(client, reader):
    emit("order.created")
    assert read(client, reader, "after=&limit=&type=") == ([1], 1)
    assert read(client, reader, "after=000") == ([1], 1)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=["cs", "events", *args])
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_pruned_events_are_gone_for_a_reader_behind(client, reader, cli):
    for _ in range(5):
        emit("order.created")
    assert cli("prune", "--before-id", "4") == (
        "deleted 3 events; events up to 3 are no longer kept\n"
    )
    response = client.get(f"{URL}?after=1", headers=reader)
    assert response.status_code == 410
    assert response.get_json() == {
        "error": True,
        "errors": ["Events up to 3 are no longer kept; resync"],
    }
    assert client.get(f"{URL}?after=2", headers=reader).status_code == 410
    assert read(client, reader, "after=3") == ([4, 5], 5)
    assert read(client, reader) == ([4, 5], 5)
    # Pruning less than is already pruned changes nothing.
    assert cli("prune", "--before-id", "2") == (
        "deleted 0 events; events up to 3 are no longer kept\n"
    )
    cli("prune", "--before-id", "100")
    assert client.get(f"{URL}?after=4", headers=reader).status_code == 410
    assert read(client, reader, "after=5") == ([], 5)
    assert read(client, reader) == ([], 0)
    emit("order.created")
    assert read(client, reader) == ([6], 6)
    assert read(client, reader, "after=5") == ([6], 6)


def test_prune_by_age_keeps_the_retention_days(client, reader, cli):
    for _ in range(4):
        emit("order.created")
    now = utcnow()
    ages = {1: 40, 2: 31, 3: 29, 4: 0}
    for event_id, days in ages.items():
        occurred = now - datetime.timedelta(days=days)
        Event.update(occurred_at=occurred).where(Event.id == event_id).execute()
    assert cli("prune") == "deleted 2 events; events up to 2 are no longer kept\n"
    assert read(client, reader) == ([3, 4], 4)


def test_retention_days_is_a_setting(make_app, app):
    short = make_app(CS_EVENT_RETENTION_DAYS=1)
    assert short.extensions["community_store_api"].settings.event_retention_days == 1
    assert app.extensions["community_store_api"].settings.event_retention_days == 30


def test_a_read_is_one_range_query(client, reader):
    emit("order.created", "stock.changed")
    client.get(URL, headers=reader)  # the app's first request checks the schema
    for query in ("", "after=1", "type=order.*", "after=0&limit=1"):
        with count_queries() as counted:
            client.get(f"{URL}?{query}", headers=reader)
        # The token check and the range.
        assert counted.count == 2, query
    with count_queries() as counted:
        reply = client.get(f"{URL}?after=2", headers=reader)
    # Caught up: the range finds the reader's own last event, so nothing after it was
    # pruned; "nothing new" needs no second statement.
    assert counted.count == 2
    assert reply.get_json() == {"data": [], "meta": {"next_after": 2}}
    with count_queries() as counted:
        reply = client.get(f"{URL}?after=5", headers=reader)
    # Past the newest event, the pruned mark tells "nothing new" from "pruned".
    assert counted.count == 3
    assert reply.get_json() == {"data": [], "meta": {"next_after": 5}}


def test_a_transaction_with_many_events_writes_them_all_in_order(client, reader):
    emit(*["stock.changed"] * 250)
    emit("order.created")
    assert read(client, reader, "limit=1000") == (list(range(1, 252)), 251)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "order.*",
        "order.",
        "stock.changed",
        " order.created , stock.changed ,",
        ",,product.*",
        "order.created,,stock.",
        "order",
        "orders.*",
        "*",
        "order.created stock.changed",
        "stock.changed.",
        "order.shipped",
        "ORDER.*",
        "order.*;",
    ],
)
def test_the_documented_type_pattern_takes_what_the_feed_reads(value):
    # The OpenAPI document's pattern for one `type` value, against the feed's own parsing:
    # a client (or a fuzzer) that follows the document is never refused.
    try:
        feed.parse_types([value])
        readable = True
    except Invalid:
        readable = False
    assert bool(re.search(TYPE_LIST_PATTERN, value)) is readable
