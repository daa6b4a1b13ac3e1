"""SQLite's writers take turns on a lock of their process, then on a file lock beside the
database shared by every process (models.base._WriterTurn): a writer of another process
that holds it makes the next one wait, up to DATABASE_TIMEOUT, then get the 503 of a
database that stays locked."""

import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager

import pytest

from models.base import _WriterFile, db, locking_atomic
from models.catalog import Product
from tests import factories


@pytest.fixture(autouse=True)
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("the file lock orders SQLite's writers")


def other_process_lock(database):
    """The writers' file opened as another process opens it (its own open file)."""
    return os.open(f"{database.database}-writer", os.O_RDWR | os.O_CREAT)


@contextmanager
def another_process_s_turn(database):
    """Hold the writers' turn as a writer of another process would, for the block."""
    fd = other_process_lock(database)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def test_the_lock_file_is_beside_the_database_and_taken_for_a_write(app):
    database = db.obj
    path = f"{database.database}-writer"
    made = factories.product(sku="TURN", stock_level=1)
    with locking_atomic():
        pass
    assert os.path.exists(path)
    fd = other_process_lock(database)
    try:
        with locking_atomic():
            Product.update(stock_level=2).where(Product.id == made.id).execute()
            # Held for the whole transaction: another process cannot take it now.
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with locking_atomic():  # a savepoint: taken once, released once
                pass
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once committed
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    assert Product.get_by_id(made.id).stock_level == 2


def test_a_write_waits_for_another_process_s_turn_then_goes(make_app, app, auth):
    made = factories.product(sku="WAIT", stock_level=1)
    headers = auth("cs:products:write")
    client = make_app(CS_DATABASE_TIMEOUT=3).test_client()
    answers = []
    sent = threading.Thread(
        target=lambda: answers.append(
            client.patch("/cs/api/v1/skus/WAIT", json={"data": {"stock_level": 5}}, headers=headers)
        )
    )
    with another_process_s_turn(db.obj):
        sent.start()
        time.sleep(0.5)
        assert answers == [], "the write waits while another process has its turn"
        assert Product.get_by_id(made.id).stock_level == 1
    sent.join(10)
    assert answers[0].status_code == 200
    assert answers[0].get_json()["data"]["stock_level"] == 5


def test_a_turn_held_past_the_timeout_is_a_503_and_writes_nothing(make_app, app, auth):
    made = factories.product(sku="STUCK", stock_level=1)
    headers = auth("cs:products:write")
    client = make_app(CS_DATABASE_TIMEOUT=1).test_client()
    with another_process_s_turn(db.obj):
        started = time.monotonic()
        response = client.patch(
            "/cs/api/v1/skus/STUCK", json={"data": {"stock_adjustment": 1}}, headers=headers
        )
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert json.loads(response.get_data())["error"] is True
    assert waited >= 1
    assert Product.get_by_id(made.id).stock_level == 1
    again = client.patch(
        "/cs/api/v1/skus/STUCK", json={"data": {"stock_adjustment": 1}}, headers=headers
    )
    assert again.get_json()["data"]["stock_level"] == 2


def test_a_forked_process_opens_its_own_file(tmp_path):
    """A worker forked after the parent took a turn must not share the parent's open file,
    whose lock would then be the child's too."""
    turns = _WriterFile(str(tmp_path / "store.db"))
    assert turns.acquire(time.monotonic() + 1)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: try for a moment, tell whether it got the turn
        try:
            got = turns.acquire(time.monotonic() + 0.3)
            os.write(write, b"1" if got else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(child, 0)
    os.close(read)
    turns.release()
    assert answer == b"0"
    assert turns.acquire(time.monotonic() + 1)
    turns.release()


def test_an_in_memory_database_has_no_file():
    turns = _WriterFile(":memory:")
    assert turns.path is None and turns.acquire(time.monotonic())
    turns.release()
