"""The shipped worker holds off new connections while it has more open than another worker
(gunicorn_worker.ConnectionTable, ThreadWorker)."""

from gunicorn_worker import STALE_AFTER, ConnectionTable


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def table(slots=4):
    clock = Clock()
    return ConnectionTable(slots=slots, clock=clock), clock


def test_a_worker_holds_off_only_while_another_has_fewer_connections():
    connections, _ = table()
    first, second = connections.join(101), connections.join(102)
    assert (first, second) == (0, 1)
    assert connections.report(first, 0) is False
    assert connections.report(second, 0) is False
    # One more than the other: the next connection is the other's.
    assert connections.report(first, 1) is True
    assert connections.report(second, 0) is False
    # Even again: both accept.
    assert connections.report(second, 1) is False
    assert connections.report(first, 1) is False
    # Fewer than the other: never holds off.
    assert connections.report(first, 0) is False
    assert connections.report(second, 3) is True


def test_a_worker_that_left_or_stopped_reporting_is_not_counted():
    connections, clock = table()
    alone, left, silent = connections.join(101), connections.join(102), connections.join(103)
    connections.report(left, 0)
    connections.report(silent, 0)
    assert connections.report(alone, 2) is True
    connections.leave(left)
    assert connections.report(alone, 2) is True
    # The silent one last reported STALE_AFTER seconds ago (it died without leaving).
    clock.now += STALE_AFTER + 0.001
    assert connections.report(alone, 2) is False


def test_rows_are_reused_once_free_or_stale_and_a_full_table_balances_nobody():
    connections, clock = table(slots=2)
    first, second = connections.join(101), connections.join(102)
    assert connections.join(103) is None
    connections.leave(first)
    assert connections.join(104) == first
    # A row reported within STALE_AFTER is taken; one older is free again.
    clock.now += STALE_AFTER - 0.5
    connections.report(first, 0)
    assert connections.join(105) is None
    clock.now += 1.0
    assert connections.join(106) == second
