"""The shipped worker answers requests one at a time, in arrival order, a small body read
first (gunicorn_worker.TurnQueue, in_turns, read_ahead)."""

import io
import threading
import time

import pytest

from gunicorn_worker import (
    TURN_BODY_LIMIT,
    TurnQueue,
    UnreadableBody,
    answers_in_turns,
    has_body,
    in_turns,
    read_ahead,
)

LONG = 30  # seconds: a wait that only a broken queue would reach


def wait_until(condition):
    deadline = time.monotonic() + LONG
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def queued(turns, count):
    return lambda: len(turns._waiting) == count


def test_turns_are_given_in_the_order_they_were_asked_for():
    turns, served = TurnQueue(patience=LONG), []
    assert turns.take()

    def ask(n):
        assert turns.take()
        served.append(n)
        turns.give()

    threads = []
    for n in range(5):
        threads.append(threading.Thread(target=ask, args=(n,)))
        threads[-1].start()
        # The next one asks only once this one waits.
        wait_until(queued(turns, n + 1))
    turns.give()
    for thread in threads:
        thread.join(LONG)
    assert served == [0, 1, 2, 3, 4]
    # Free again: the next turn is taken at once.
    assert turns.take()


def test_a_request_that_waited_its_patience_goes_ahead_and_leaves_the_queue():
    turns = TurnQueue(patience=0.01)
    assert turns.take()
    assert turns.take() is False
    assert not turns._waiting
    turns.give()
    # Nobody waits: the turn is free, not handed to the one that went ahead.
    assert turns.take()


def app_holding(entered, release, bodies=None):
    def app(environ, start_response):
        entered.append(environ["PATH_INFO"])
        if bodies is not None and "wsgi.input" in environ:
            try:
                bodies[environ["PATH_INFO"]] = environ["wsgi.input"].read()
            except TimeoutError as error:
                bodies[environ["PATH_INFO"]] = error
        release[environ["PATH_INFO"]].wait(LONG)
        start_response("200 OK", [])
        return [b"ok"]

    return app


def call(app, path, **environ):
    thread = threading.Thread(target=app, args=({"PATH_INFO": path, **environ}, lambda *a: None))
    thread.start()
    return thread


def held_app(*paths):
    """An app in turns whose requests stay inside until released, `/held` already in."""
    entered, bodies = [], {}
    release = {path: threading.Event() for path in ("/held", *paths)}
    turns = TurnQueue(patience=LONG)
    app = in_turns(app_holding(entered, release, bodies), turns)
    held = call(app, "/held")
    wait_until(lambda: entered == ["/held"])
    return app, turns, entered, bodies, release, held


def test_a_request_without_a_body_waits_for_the_one_before_it():
    app, turns, entered, _, release, held = held_app("/second")
    second = call(app, "/second")
    wait_until(queued(turns, 1))
    assert entered == ["/held"]
    release["/second"].set()
    release["/held"].set()
    held.join(LONG)
    second.join(LONG)
    assert entered == ["/held", "/second"]
    assert turns.take()


def test_a_small_body_is_read_before_its_request_waits_its_turn():
    app, turns, entered, bodies, release, held = held_app("/patch")
    body = b'{"data": {"stock_adjustment": 1}}'
    stream = io.BytesIO(body)
    patch = call(app, "/patch", CONTENT_LENGTH=str(len(body)), **{"wsgi.input": stream})
    wait_until(queued(turns, 1))
    # Read whole while it waits; the application reads the same bytes from memory.
    assert stream.tell() == len(body)
    assert entered == ["/held"]
    for event in release.values():
        event.set()
    held.join(LONG)
    patch.join(LONG)
    assert entered == ["/held", "/patch"]
    assert bodies["/patch"] == body


class TrickledBody:
    """A socket's body whose client sends nothing until told to."""

    def __init__(self, body):
        self.body, self.sent = body, threading.Event()
        self.reading = threading.Event()

    def read(self, size=-1):
        self.reading.set()
        assert self.sent.wait(LONG)
        return self.body


def test_a_client_slow_to_send_its_body_holds_no_turn():
    entered, release = [], {"/slow": threading.Event(), "/get": threading.Event()}
    turns = TurnQueue(patience=LONG)
    app = in_turns(app_holding(entered, release), turns)
    trickled = TrickledBody(b"grant_type=client_credentials")
    slow = call(app, "/slow", CONTENT_LENGTH="29", **{"wsgi.input": trickled})
    assert trickled.reading.wait(LONG)
    # While its body is awaited, a request without one is answered, and not behind it.
    release["/get"].set()
    call(app, "/get").join(LONG)
    assert entered == ["/get"]
    trickled.sent.set()
    release["/slow"].set()
    slow.join(LONG)
    assert entered == ["/get", "/slow"]
    assert not turns._waiting and turns.take()


def test_a_chunked_or_large_body_goes_ahead_without_a_turn():
    app, turns, entered, bodies, release, held = held_app("/chunked", "/large")
    chunked = call(
        app, "/chunked", HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(b"x")}
    )
    wait_until(lambda: "/chunked" in entered)
    large_body = b"x" * (TURN_BODY_LIMIT + 1)
    large = call(
        app, "/large", CONTENT_LENGTH=str(len(large_body)), **{"wsgi.input": io.BytesIO(large_body)}
    )
    wait_until(lambda: "/large" in entered)
    for event in release.values():
        event.set()
    for thread in (held, chunked, large):
        thread.join(LONG)
    assert not turns._waiting
    # The application read them itself, whole.
    assert bodies["/chunked"] == b"x" and bodies["/large"] == large_body


class FailingBody:
    def read(self, size=-1):
        raise TimeoutError("timed out")


def test_a_body_that_cannot_be_read_fails_the_application_the_same_way_out_of_turn():
    environ = {"CONTENT_LENGTH": "10", "wsgi.input": FailingBody()}
    assert read_ahead(environ) is False
    assert isinstance(environ["wsgi.input"], UnreadableBody)
    with pytest.raises(TimeoutError, match="timed out"):
        environ["wsgi.input"].read(10)
    app, turns, entered, bodies, release, held = held_app("/failed")
    release["/failed"].set()
    call(app, "/failed", CONTENT_LENGTH="10", **{"wsgi.input": FailingBody()}).join(LONG)
    # It went ahead (and failed reading) while /held still had the turn.
    assert entered == ["/held", "/failed"] and not turns._waiting
    assert isinstance(bodies["/failed"], TimeoutError)
    release["/held"].set()
    held.join(LONG)


def test_a_short_body_is_handed_on_as_it_came():
    # A client that sent less than its length and closed: the application sees what came.
    environ = {"CONTENT_LENGTH": "10", "wsgi.input": io.BytesIO(b"abc")}
    assert read_ahead(environ)
    assert environ["wsgi.input"].read() == b"abc"


def test_what_counts_as_a_body():
    assert not has_body({})
    assert not has_body({"CONTENT_LENGTH": ""})
    assert not has_body({"CONTENT_LENGTH": "0"})
    assert has_body({"CONTENT_LENGTH": "1"})
    assert has_body({"HTTP_TRANSFER_ENCODING": "chunked"})


def test_turns_are_for_sqlite_unless_told():
    assert answers_in_turns({})
    assert answers_in_turns({"DATABASE_URL": "sqlite:///instance/store.db"})
    assert not answers_in_turns({"DATABASE_URL": "postgresql://localhost/store"})
    assert not answers_in_turns({"DATABASE_URL": "mysql://root@localhost/store"})
    assert answers_in_turns({"DATABASE_URL": "postgresql://localhost/store", "REQUEST_TURNS": "1"})
    assert not answers_in_turns({"REQUEST_TURNS": "0"})
