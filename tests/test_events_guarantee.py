"""The feed's guarantee (events.md §2): a reader following `next_after` sees every committed
event exactly once, in id order, while writers commit concurrently, in threads and across
two app servers, on every database."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from models.base import db
from models.events import Event
from store import orders, stock
from store.stock import StockChange
from tests import factories
from tests.servers import cs_command, http_json

URL = "/cs/api/v1/events"
READ = ("cs:orders:read", "cs:products:read")


def _in_thread(database, work):
    """Run `work` in a new thread (with its own connection, unless `database` is None: a
    reader through the app, which connects per request); (thread, errors raised)."""
    errors = []

    def run():
        try:
            if database is None:
                work()
                return
            with database.connection_context():
                work()
        except BaseException as error:  # reported to the test, which fails on it
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def _adjust(sku, amount=-1):
    return lambda: stock.set_stock_by_sku(sku, StockChange.of(adjustment=Decimal(amount)))


def _read(client, headers, after, limit=100):
    response = client.get(f"{URL}?after={after}&limit={limit}", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return [event["id"] for event in body["data"]], body["meta"]["next_after"], body["data"]


def test_a_reader_does_not_pass_a_writer_that_has_taken_its_id_until_it_commits(
    app, client, auth, monkeypatch
):
    database = app.extensions["community_store_api"].database
    for sku in ("A", "B", "C"):
        factories.product(sku=sku, stock_level=Decimal(100))
    stock.set_stock_by_sku("C", StockChange.of(adjustment=Decimal(-1)))  # event 1
    headers = auth(*READ)
    took, release = threading.Event(), threading.Event()
    holder = []

    def hold(first, last):
        # Only writer A pauses, after numbering its event and before committing.
        if not holder:
            holder.append((first, last))
            took.set()
            assert release.wait(30)

    monkeypatch.setattr("store.events.before_commit", hold)
    writer_a, errors_a = _in_thread(database, _adjust("A"))
    assert took.wait(30)
    assert holder == [(2, 2)]
    # B starts after A has taken id 2: it waits for A's lock on the mark (SQLite: for the
    # write lock), so it can only commit id 3 after A commits.
    writer_b, errors_b = _in_thread(database, _adjust("B"))
    # Given time to finish, B cannot: ids taken at insert time (a sequence) would let it
    # commit id 3 now, and a reader at 1 would pass id 2 for good.
    writer_b.join(1)
    assert writer_b.is_alive()
    for _ in range(5):
        assert _read(client, headers, 1)[:2] == ([], 1)
        assert _read(client, headers, 0)[:2] == ([1], 1)
    assert writer_a.is_alive()
    release.set()
    writer_a.join(30)
    writer_b.join(30)
    assert errors_a == errors_b == []
    ids, next_after, events = _read(client, headers, 1)
    assert (ids, next_after) == ([2, 3], 3)
    assert [event["data"]["sku"] for event in events] == ["A", "B"]
    assert _read(client, headers, 3)[:2] == ([], 3)


def _follow(read_page, done, seen):
    """Read the feed as a client would, in a tight loop, until the writers are done and
    an answer is empty at the cursor; every id seen, in order, into `seen`."""
    after = 0
    while True:
        finished = done.is_set()
        ids, next_after = read_page(after)
        seen.extend(ids)
        assert next_after >= after
        if finished and not ids and next_after == after:
            return
        after = next_after


def _logged():
    return [(row.id, row.type) for row in Event.select(Event.id, Event.type).order_by(Event.id)]


def test_concurrent_writers_in_threads_against_a_tight_reader(app, client, auth):
    skus = [f"T{n}" for n in range(4)]
    for sku in skus:
        factories.product(sku=sku, stock_level=Decimal(10_000))
    settings = app.extensions["community_store_api"].settings
    headers = auth(*READ)

    def write(n):
        with db.connection_context():
            if n % 5 == 0:
                items = [
                    {"sku": skus[n % 4], "quantity": 1},
                    {"sku": skus[(n + 1) % 4], "quantity": 2},
                ]
                orders.create_order({"items": items}, "app", settings)
            else:
                _adjust(skus[n % 4], 1 if n % 2 else -1)()

    done, seen = threading.Event(), []

    def read_page(after):
        ids, next_after, _ = _read(client, headers, after, limit=7)
        return ids, next_after

    reader, errors = _in_thread(None, lambda: _follow(read_page, done, seen))
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(120)))
    done.set()
    reader.join(60)
    assert errors == []
    logged = _logged()
    # 96 stock changes, 24 orders with three events each.
    assert len(logged) == 96 + 24 * 3
    assert seen == [event_id for event_id, _ in logged] == list(range(1, len(logged) + 1))


def _new_client(database_url, *scopes):
    options = [arg for scope in scopes for arg in ("--scope", scope)]
    output = cs_command(database_url, "client", "create", "Feed", *options)
    client_id = re.search(r"client_id:\s+(\S+)", output).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", output).group(1)
    return client_id, secret


def _token(server, client_id, secret):
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    status, _, body = http_json(
        "POST",
        server.url + "/oauth/2.0/token",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}


@pytest.mark.slow
def test_concurrent_writers_on_two_servers_against_a_tight_reader(
    app, gunicorn_server, database_url
):
    servers = [gunicorn_server(workers=2), gunicorn_server(workers=2)]
    for n in range(3):
        factories.product(sku=f"S{n}", stock_level=Decimal(10_000))
    credentials = _new_client(
        database_url, "cs:products:read cs:products:write cs:orders:read cs:orders:manage"
    )
    headers = [_token(server, *credentials) for server in servers]

    def write(n):
        server, auth_headers = servers[n % 2], headers[n % 2]
        if n % 4 == 0:
            body = {"data": {"items": [{"sku": f"S{n % 3}", "quantity": 1}]}}
            status, _, reply = http_json(
                "POST", server.url + "/cs/api/v1/orders", body, auth_headers
            )
            assert status == 201, reply
        else:
            body = {"data": {"stock_adjustment": 1 if n % 2 else -1}}
            url = f"{server.url}/cs/api/v1/skus/S{n % 3}"
            status, _, reply = http_json("PATCH", url, body, auth_headers)
            assert status == 200, reply

    done, seen, turn = threading.Event(), [], [0]

    def read_page(after):
        # Each answer from the other server.
        turn[0] += 1
        server = servers[turn[0] % 2]
        url = f"{server.url}{URL}?after={after}&limit=5"
        status, _, body = http_json("GET", url, headers=headers[turn[0] % 2])
        assert status == 200, body
        return [event["id"] for event in body["data"]], body["meta"]["next_after"]

    reader, reader_errors = _in_thread(None, lambda: _follow(read_page, done, seen))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(80)))
    done.set()
    reader.join(120)
    assert reader_errors == []
    logged = _logged()
    # 60 stock changes, 20 orders with two events each.
    assert len(logged) == 60 + 20 * 2
    assert seen == [event_id for event_id, _ in logged] == list(range(1, len(logged) + 1))
