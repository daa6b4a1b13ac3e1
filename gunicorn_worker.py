"""The gunicorn worker the service runs in: gunicorn's threaded worker, whose own error
answers are JSON in the API's error shape, which drops clients that stall mid-request,
which answers requests one at a time in arrival order (a small body read first, at the
client's pace), which spreads connections evenly over the workers, and which keeps what the
application made at start out of the garbage collector's walks."""

import collections
import gc
import io
import json
import mmap
import multiprocessing
import os
import re
import socket
import struct
import threading
import time

from gunicorn.workers import gthread

# A slow client holds a thread, not a whole worker process: a few of them no longer stall
# the health checks (nginx in front holds them off entirely).
DEFAULT_THREADS = 8
# How long a request waits for its turn before it goes ahead beside the one being answered:
# a long request (an export) holds the others up at most this long.
TURN_PATIENCE = 0.05
# A body sent with its length, up to this size, is read whole before its request waits for
# a turn (a stock PATCH, a token request, a page of bulk lines); a larger or chunked one is
# read by the application, out of turn.
TURN_BODY_LIMIT = 64 * 1024
# The workers a ConnectionTable has rows for (one more accepts connections without counting
# them), and how long a worker that stopped reporting its connections is still counted: a
# worker reports at least once a second, idle or not.
TABLE_SLOTS = 128
STALE_AFTER = 2.0
# How often a worker holding off new connections looks again at the others' counts.
BALANCE_RECHECK = 0.01
# gunicorn writes its own refusals (a request line or header over the limits, a malformed
# request) as one HTML page; its status line is all we keep.
STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9]) ([^\r\n]*)\r\n")
MESSAGES = {500: "Internal server error"}


def json_error_page(page):
    """gunicorn's HTML error page as the same status with an API error body."""
    found = STATUS_LINE.match(page)
    if found is None:
        return page
    status, reason = int(found.group(1)), found.group(2).decode("latin-1")
    body = json.dumps(
        {"error": True, "errors": [MESSAGES.get(status, reason)]}, separators=(",", ":")
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorSocket:
    """The client's socket, through which gunicorn's error page goes out as JSON."""

    def __init__(self, sock):
        self._sock = sock

    def sendall(self, data, *args):
        return self._sock.sendall(json_error_page(data), *args)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class TurnQueue:
    """Turns taken one at a time, in the order they were asked for (a lock's waiters are
    woken in no order: some waited 150 ms behind others served many times over)."""

    def __init__(self, patience):
        self.patience = patience
        self._lock = threading.Lock()
        self._waiting = collections.deque()
        self._taken = False

    def take(self):
        """True once this thread holds the turn (it must give() it back); False when it
        waited `patience` seconds and goes ahead without it."""
        with self._lock:
            if not self._taken:
                self._taken = True
                return True
            signal = threading.Lock()
            signal.acquire()
            self._waiting.append(signal)
        if signal.acquire(timeout=self.patience):
            return True
        with self._lock:
            if signal in self._waiting:
                self._waiting.remove(signal)
                return False
        # Handed over just as the wait ran out.
        signal.acquire()
        return True

    def give(self):
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._taken = False


def has_body(environ):
    return environ.get("CONTENT_LENGTH") not in (None, "", "0") or bool(
        environ.get("HTTP_TRANSFER_ENCODING")
    )


class UnreadableBody:
    """A request body whose reading failed (the client stalled or left): the application
    reading it meets the same error it would have met reading the socket itself."""

    def __init__(self, error):
        self.error = error

    def read(self, *args):
        raise self.error

    readline = read

    def __iter__(self):
        raise self.error


def read_ahead(environ, limit=TURN_BODY_LIMIT):
    """Read a body sent with its length of at most `limit` bytes into memory, where the
    application finds it as before; False for a larger or chunked one, or one that could not
    be read (left as the failure it was)."""
    length = environ.get("CONTENT_LENGTH", "")
    if "HTTP_TRANSFER_ENCODING" in environ or not length.isdigit() or int(length) > limit:
        return False
    try:
        raw = environ["wsgi.input"].read(int(length))
    except Exception as error:  # whatever reading the socket raised, raised again
        environ["wsgi.input"] = UnreadableBody(error)
        return False
    environ["wsgi.input"] = io.BytesIO(raw)
    return True


def in_turns(app, turns):
    """`app` answering requests one at a time, in arrival order (their answers are sent
    after, out of turn). A request's small body is read before it waits, at the client's
    pace, so a client slow to send it holds up nobody; a larger or chunked body is read
    by the application itself, and its request goes ahead without a turn."""

    def answer(environ, start_response):
        taken = (not has_body(environ) or read_ahead(environ)) and turns.take()
        try:
            return app(environ, start_response)
        finally:
            if taken:
                turns.give()

    return answer


def answers_in_turns(environ):
    """REQUEST_TURNS when set ("1" or "0", as gunicorn.conf.py writes it); else whether
    the store is SQLite (DATABASE_URL unset or sqlite:). A request to SQLite is all work
    for this process, which its threads cannot share; a request to a database server
    waits for it, and another request's work can fill that wait."""
    chosen = environ.get("REQUEST_TURNS")
    if chosen is not None:
        return chosen == "1"
    return environ.get("DATABASE_URL", "sqlite:").startswith("sqlite:")


class ConnectionTable:
    """Each worker's count of open connections, in memory its master shares with every
    worker it forks (made when the master loads the worker class). A row is a worker's
    pid, its count and when it last reported (ms of the monotonic clock, which every
    process reads alike); a worker that stopped reporting is not counted."""

    def __init__(self, slots=TABLE_SLOTS, clock=time.monotonic):
        self._clock = clock
        self._memory = mmap.mmap(-1, (1 + 3 * slots) * 8)
        # Cell 0: how many rows were ever used; then each row's pid, count, report time.
        self._cells = memoryview(self._memory).cast("q")
        self._slots = slots
        self._lock = multiprocessing.Lock()

    def _now(self):
        return int(self._clock() * 1000)

    def join(self, pid):
        """The row this worker reports in: a free one, or one whose worker stopped
        reporting (it died without leaving); None when every row is taken."""
        with self._lock:
            stale = self._now() - STALE_AFTER * 1000
            used = self._cells[0]
            for row in range(self._slots):
                cell = 1 + 3 * row
                if row < used and self._cells[cell] and self._cells[cell + 2] >= stale:
                    continue
                self._cells[cell + 1] = 0
                self._cells[cell + 2] = self._now()
                self._cells[cell] = pid
                self._cells[0] = max(used, row + 1)
                return row
        return None

    def leave(self, row):
        self._cells[1 + 3 * row] = 0

    def report(self, row, count):
        """Record this worker's count; True when it holds more connections than another
        worker that reports: it then leaves the next ones to the others."""
        cell = 1 + 3 * row
        now = self._now()
        self._cells[cell + 1] = count
        self._cells[cell + 2] = now
        stale = now - STALE_AFTER * 1000
        rows = self._cells[1 : 1 + 3 * self._cells[0]].tolist()
        for other in range(0, len(rows), 3):
            if other + 1 == cell:
                continue
            pid, others, reported = rows[other : other + 3]
            if pid and others < count and reported >= stale:
                return True
        return False


# Made in the master, which imports this module to load the worker class before it forks.
CONNECTIONS = ConnectionTable()


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's threaded worker, which holds off new connections while it has more open
    than another worker. Workers take the connections they accept in no order: of 8 that
    wrk (or nginx's keep-alive pool) opened at once, one worker often kept 6 to 8 and the
    other 0 to 2, so half the CPUs sat idle while requests queued behind each other on
    the rest. Counted, each worker accepts only while it has no more than the others,
    whose counts it reads at each pass of its loop."""

    _row = None
    _holding_off = False

    def run(self):
        self._row = CONNECTIONS.join(self.pid)
        try:
            super().run()
        finally:
            self._leave()

    def _leave(self):
        if self._row is not None:
            CONNECTIONS.leave(self._row)
            self._row = None
        self._holding_off = False

    def notify(self):
        super().notify()
        if not self.alive:
            # Stopping: it accepts no more, and the others no longer wait on its count.
            self._leave()
        elif self._row is not None:
            self._holding_off = CONNECTIONS.report(self._row, self.nr_conns)
            if self._holding_off and self._accepting:
                super().set_accept_enabled(False)

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and not self._holding_off)

    def wait_for_and_dispatch_events(self, timeout):
        if self._holding_off:
            timeout = min(timeout, BALANCE_RECHECK)
        super().wait_for_and_dispatch_events(timeout)

    def load_wsgi(self):
        super().load_wsgi()
        # A worker's threads share one interpreter lock, which a thread reading rows from
        # the database gives up at every row and then waits for behind the others: with
        # four requests at once, some were answered in 0.8 ms and others in 27 ms, and a
        # product page could fall to a quarter of its rate. Answered in turns, each waits
        # for the ones before it and no longer.
        if answers_in_turns(os.environ):
            self.wsgi = in_turns(self.wsgi, TurnQueue(TURN_PATIENCE))
        # What loading the application made (modules, models, compiled queries: 75,000
        # objects) lives as long as the worker. Left to the collector, each full collection
        # walked all of it: 30 ms, once every few thousand requests, a stall for every
        # request queued behind it. Frozen, those collections take under 5 ms.
        gc.collect()
        gc.freeze()

    def handle_error(self, req, client, addr, exc):
        super().handle_error(req, JsonErrorSocket(client), addr, exc)

    def enqueue_req(self, conn):
        # gthread reads a request on a blocking socket with no time limit, so a client that
        # stops halfway through its request would hold a thread for good. A receive timeout
        # at the socket level survives gthread's own setblocking() calls; a client silent
        # for TIMEOUT seconds mid-request is then disconnected.
        if self.cfg.timeout:
            limit = struct.pack("ll", self.cfg.timeout, 0)
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
        super().enqueue_req(conn)
