"""Real sender processes (`cs webhook run`) against a real receiver: several senders never
send an attempt twice, a killed one loses nothing, SIGTERM exits cleanly, and the database
going away is waited out."""

import dataclasses
import signal
import socket
import threading
import time

import pytest

from config import WebhookSettings
from models.webhooks import WebhookDelivery
from tests import factories
from tests.webhook_receiver import Receiver, SenderProcess


def wait_until(condition, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def all_succeeded(count):
    def check():
        done = WebhookDelivery.select().where(WebhookDelivery.state == "succeeded").count()
        return done == count

    return check


@pytest.fixture
def senders(database_url, tmp_path):
    started = []

    def start(**env):
        process = SenderProcess(database_url, tmp_path / f"sender-{len(started)}.log", **env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop(signal.SIGKILL)


def ids_received(receiver):
    return [request.headers["webhook-id"] for request in receiver.requests]


def test_two_senders_deliver_each_of_1000_events_exactly_once(app, senders):
    with Receiver() as receiver:
        hook = factories.webhook(url=receiver.url)
        event_ids = factories.events(1000)
        first, second = senders(), senders()
        wait_until(all_succeeded(1000))
        assert first.stop() == 0 and second.stop() == 0
        got = ids_received(receiver)
    assert sorted(got) == sorted(f"msg_{event_id}_{hook.id}" for event_id in event_ids)
    # Both took part: the work was shared, not serialised behind one.
    assert "started" in first.output() and "started" in second.output()


def test_a_killed_sender_loses_nothing(app, senders):
    with Receiver(delay=0.05) as receiver:
        hook = factories.webhook(url=receiver.url)
        event_ids = factories.events(200)
        victim = senders()
        receiver.wait_for(20)
        victim.stop(signal.SIGKILL)
        # Its leases lapse; another sender takes the deliveries over.
        senders()
        wait_until(all_succeeded(200))
        got = set(ids_received(receiver))
    assert got == {f"msg_{event_id}_{hook.id}" for event_id in event_ids}


def test_sigterm_finishes_the_attempts_under_way_and_gives_back_the_rest(app, senders):
    with Receiver(delay=0.3) as receiver:
        factories.webhook(url=receiver.url)
        factories.events(60)
        first = senders()
        receiver.wait_for(3)
        assert first.stop(signal.SIGTERM) == 0
        assert "stopped" in first.output()
        leased = WebhookDelivery.select().where(WebhookDelivery.lease_owner.is_null(False))
        assert leased.count() == 0
        sent_before = len(receiver.requests)
        done = WebhookDelivery.select().where(WebhookDelivery.state == "succeeded").count()
        # Every attempt it made was recorded before it went.
        assert done == sent_before
        second = senders()
        wait_until(all_succeeded(60))
        assert second.stop() == 0
        got = ids_received(receiver)
    assert len(got) == len(set(got)) == 60


class Proxy:
    """A TCP relay to the database that can drop every connection and refuse new ones."""

    def __init__(self, port):
        self.upstream = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        self.lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            with self.lock:
                self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.open = False
        with self.lock:
            dropped, self.sockets = self.sockets, []
        for sock in dropped:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def restore(self):
        self.open = True

    def close(self):
        self.listener.close()
        self.cut()


def _through(database_url, backend, proxy_port):
    scheme, rest = database_url.split("://", 1)
    credentials, _, path = rest.partition("@")[2].partition("/")
    user = rest.partition("@")[0]
    return f"{scheme}://{user}@127.0.0.1:{proxy_port}/{path}", int(credentials.split(":")[1])


def test_the_database_going_away_is_waited_out(app, senders, backend, database_url):
    if backend == "sqlite":
        pytest.skip("a SQLite file does not go away; its lock does (next test)")
    url, port = _through(database_url, backend, 0)
    proxy = Proxy(port)
    url, _ = _through(database_url, backend, proxy.port)
    try:
        with Receiver() as receiver:
            factories.webhook(url=receiver.url)
            factories.event()
            sender = senders(DATABASE_URL=url, DATABASE_TIMEOUT="2")
            receiver.wait_for(1)
            proxy.cut()
            factories.event()
            wait_until(lambda: "database unavailable" in sender.output(), timeout=60)
            assert sender.process.poll() is None
            proxy.restore()
            receiver.wait_for(2)
            wait_until(all_succeeded(2))
            assert sender.stop() == 0
    finally:
        proxy.close()


def test_a_locked_sqlite_database_is_waited_out(app, senders, backend, database_url):
    if backend != "sqlite":
        pytest.skip("the servers' outage is the previous test")
    from models.base import db

    # The first attempt fails: the sender must write (record it, claim the retry) while
    # the database is locked.
    with Receiver(statuses=[500]) as receiver:
        factories.webhook(url=receiver.url)
        sender = senders(DATABASE_TIMEOUT="1")
        factories.event()
        receiver.wait_for(1)
        with db.atomic("EXCLUSIVE"):
            wait_until(lambda: "database unavailable" in sender.output(), timeout=60)
        assert sender.process.poll() is None
        receiver.wait_for(2)
        wait_until(all_succeeded(1))
        assert sender.stop() == 0


def test_a_patch_that_fulfils_an_order_reaches_the_receiver(app, client, auth, senders):
    from store.webhooks import add_subscription

    settings = app.extensions["community_store_api"].settings
    order = factories.order()
    product = factories.product(stock_level=5)
    with Receiver() as receiver:
        senders()
        allowed = dataclasses.replace(
            settings, webhooks=WebhookSettings(allowed_hosts=frozenset({"127.0.0.1"}))
        )
        hook = add_subscription(
            {"url": receiver.url, "events": ["order.updated", "stock.*"]}, allowed
        )
        headers = auth("cs:orders:write", "cs:products:write")
        shipped = {"data": {"fulfilment": {"handle": "shipped", "tracking_code": "1Z9"}}}
        reply = client.patch(f"/cs/api/v1/orders/{order.id}", json=shipped, headers=headers)
        assert reply.status_code == 200
        stock = {"data": {"stock_level": 3}}
        reply = client.patch(f"/cs/api/v1/products/{product.id}", json=stock, headers=headers)
        assert reply.status_code == 200
        received = receiver.wait_for(2)
    # Sent in parallel: in any order.
    updated, changed = sorted(
        (got.verify(hook["secret"]) for got in received), key=lambda e: e["id"]
    )
    assert updated["type"] == "order.updated" and updated["data"]["order"]["id"] == order.id
    assert "fulfilment.handle" in updated["data"]["changes"]
    assert updated["actor"].startswith("client:")
    assert changed["type"] == "stock.changed"
    assert (changed["data"]["stock_level"], changed["data"]["previous_stock_level"]) == (3, 5)


def test_a_sender_retries_with_the_same_webhook_id(app, senders):
    with Receiver(statuses=[500, 500], default=200) as receiver:
        hook = factories.webhook(url=receiver.url)
        event = factories.event()
        sender = senders()
        received = receiver.wait_for(3)
        wait_until(all_succeeded(1))
        assert sender.stop() == 0
    assert [got.headers["webhook-id"] for got in received] == [f"msg_{event.id}_{hook.id}"] * 3
    for got in received:
        got.verify(hook.secret)
