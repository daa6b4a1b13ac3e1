"""Servers the import and client tests talk to: a flaky proxy in front of a real store,
and a fixture server answering in the original PHP add-on's forms."""

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Server:
    """A ThreadingHTTPServer on a free loopback port, served from a thread."""

    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.requests = []  # (method, path with query) of every request
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, method, path_start):
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and p.startswith(path_start))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass  # quiet tests

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def record(self):
        server = self.server.owner
        with server.lock:
            server.requests.append((self.command, self.path))
            return len(server.requests)


class FlakyProxy(_Server):
    """Forwards to `upstream`; every `every`-th request is answered by the proxy itself
    with 429 or 503 (in turn) and `Retry-After: 0` instead. `hold_after` (an /orders
    request count) makes later /orders requests wait until `release` is set."""

    def __init__(self, upstream, every=0, hold_after=None):
        super().__init__(_ProxyHandler)
        self.upstream = upstream
        self.every = every
        self.hold_after = hold_after
        self.held = threading.Event()  # set once a request is being held
        self.release = threading.Event()
        self.refused = 0


class _ProxyHandler(_Handler):
    def do_any(self):
        proxy = self.server.owner
        number = self.record()
        data = self.body()
        if proxy.every and number % proxy.every == 0:
            proxy.refused += 1
            status = 429 if proxy.refused % 2 else 503
            self.reply(status, {"error": True, "errors": ["Try again"]}, [("Retry-After", "0")])
            return
        if proxy.hold_after is not None and self.path.startswith("/cs/api/v1/orders"):
            if proxy.count("GET", "/cs/api/v1/orders") > proxy.hold_after:
                proxy.held.set()
                proxy.release.wait(60)
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() in ("authorization", "content-type", "idempotency-key")
        }
        request = urllib.request.Request(
            proxy.upstream + self.path, data=data or None, headers=headers, method=self.command
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                self.reply(response.status, response.read())
        except urllib.error.HTTPError as error:
            self.reply(error.code, error.read())

    do_GET = do_POST = do_PUT = do_PATCH = do_any


class OriginalStore(_Server):
    """Answers like the original Community Store API add-on, from `recorded` bodies
    (tests/original_v1.py): a token for anyone, listings paged as it pages them."""

    def __init__(self, recorded, per_page=2):
        super().__init__(_OriginalHandler)
        self.recorded = recorded
        self.per_page = per_page


class _OriginalHandler(_Handler):
    def do_POST(self):
        self.record()
        self.body()
        if self.path.startswith("/oauth/2.0/token"):
            self.reply(200, {"token_type": "Bearer", "expires_in": 3600, "access_token": "x"})
        else:
            self.reply(404, b"<html>Page not found</html>")

    def do_GET(self):
        self.record()
        store = self.server.owner
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        path = parts.path.removeprefix("/cs/api/v1")
        recorded = store.recorded
        if path == "/config":
            return self.reply(200, {"data": recorded.CONFIG})
        if path == "/fulfilmentstatuses":
            return self.reply(200, {"data": recorded.STATUSES})
        if path == "/products":
            return self.reply(200, self.listing(recorded.PRODUCTS, query))
        if path == "/orders":
            if query.get("paymentStatus") == "incomplete":
                orders = []  # the original's filter never matches
            elif query.get("cancelled") == "true":
                orders = [o for o in recorded.ORDERS if o["id"] in recorded.CANCELLED]
            else:
                orders = recorded.ORDERS
            return self.reply(200, self.listing(orders, query))
        self.reply(404, b"<html>Page not found</html>")

    def listing(self, records, query):
        per_page = int(query.get("paging") or 20)
        per_page = min(per_page, self.server.owner.per_page)
        pages = max(1, -(-len(records) // per_page))
        page = int(query.get("page") or 1)
        if not 1 <= page <= pages:
            page = 1  # the original answers page 1 again past the end
        items = records[(page - 1) * per_page : page * per_page]
        pagination = {
            "total": len(records),
            "count": len(items),
            "per_page": per_page,
            "current_page": page,
            "total_pages": pages,
            "links": {},
        }
        return {"data": items, "meta": {"pagination": pagination}}
