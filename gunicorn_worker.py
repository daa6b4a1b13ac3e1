"""The gunicorn worker the service runs in: gunicorn's threaded worker, whose own error
answers are JSON in the API's error shape, which drops clients that stall mid-request and
which keeps what the application made at start out of the garbage collector's walks."""

import gc
import json
import re
import socket
import struct

from gunicorn.workers import gthread

# A slow client holds a thread, not a whole worker process: a few of them no longer stall
# the health checks (nginx in front holds them off entirely).
DEFAULT_THREADS = 8
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


class ThreadWorker(gthread.ThreadWorker):
    def load_wsgi(self):
        super().load_wsgi()
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
