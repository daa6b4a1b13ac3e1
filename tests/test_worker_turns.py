"""The shipped worker answers requests without a body one at a time, in arrival order
(gunicorn_worker.TurnQueue, in_turns)."""

import threading
import time

from gunicorn_worker import TurnQueue, answers_in_turns, has_body, in_turns

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


def app_holding(entered, release):
    def app(environ, start_response):
        entered.append(environ["PATH_INFO"])
        release[environ["PATH_INFO"]].wait(LONG)
        start_response("200 OK", [])
        return [b"ok"]

    return app


def call(app, path, **environ):
    thread = threading.Thread(target=app, args=({"PATH_INFO": path, **environ}, lambda *a: None))
    thread.start()
    return thread


def test_a_request_without_a_body_waits_for_the_one_before_it():
    entered, release = [], {"/first": threading.Event(), "/second": threading.Event()}
    turns = TurnQueue(patience=LONG)
    app = in_turns(app_holding(entered, release), turns)
    first = call(app, "/first")
    wait_until(lambda: entered == ["/first"])
    second = call(app, "/second")
    wait_until(queued(turns, 1))
    assert entered == ["/first"]
    release["/second"].set()
    release["/first"].set()
    first.join(LONG)
    second.join(LONG)
    assert entered == ["/first", "/second"]
    assert turns.take()


def test_a_request_with_a_body_does_not_wait_for_its_turn():
    entered = []
    release = {
        "/held": threading.Event(),
        "/post": threading.Event(),
        "/chunked": threading.Event(),
    }
    turns = TurnQueue(patience=LONG)
    app = in_turns(app_holding(entered, release), turns)
    held = call(app, "/held")
    wait_until(lambda: entered == ["/held"])
    post = call(app, "/post", CONTENT_LENGTH="12")
    wait_until(lambda: "/post" in entered)
    chunked = call(app, "/chunked", HTTP_TRANSFER_ENCODING="chunked")
    wait_until(lambda: "/chunked" in entered)
    for event in release.values():
        event.set()
    for thread in (held, post, chunked):
        thread.join(LONG)
    assert not turns._waiting


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
