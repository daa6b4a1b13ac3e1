"""Measure the time from a write's commit to the webhook receiver, on loopback.

    .venv/bin/python bench/webhooks.py                 # 100 writes on a fresh SQLite store
    DATABASE_URL=postgresql://... .venv/bin/python bench/webhooks.py --writes 200

Starts gunicorn (the service) and one webhook sender (`cs webhook run`, default settings but
WEBHOOK_ALLOWED_HOSTS=127.0.0.1), subscribes a receiver running in this process to
`stock.changed`, then PATCHes a SKU's stock through the API once every `--gap` seconds.
Each latency is counted from just before the PATCH is sent (so it includes the request
itself: an upper bound of commit to receipt) to the moment the receiver has the body.
"""

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import free_port  # noqa: E402

FLASK = [sys.executable, "-m", "flask", "--app", "app", "cs"]


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between writes")
    return parser.parse_args()


def receiver(arrivals):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            arrivals[json.loads(body)["data"]["stock_level"]] = time.monotonic()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def call(method, url, body=None, headers=None):
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def prepare(env):
    """A store with one SKU and an integration; (client_id, secret, sku)."""
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    script = (
        "from app import create_app\n"
        "from models.catalog import create_product\n"
        "from store.clients import create_client\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    database = app.extensions['community_store_api'].database\n"
        "    from models.base import db\n"
        "    with db.bound(database), database.connection_context():\n"
        "        sku = 'BENCH-' + __import__('secrets').token_hex(4)\n"
        "        create_product(name='Bench', sku=sku, price=1, stock_level=0)\n"
        "        client, secret = create_client('bench', ['cs:products:write'])\n"
        "        print(client.client_id, secret, sku)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return done.stdout.decode().split()


def main():
    args = arguments()
    folder = tempfile.mkdtemp(prefix="cs-bench-webhooks-")
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/store.db",
        "TOKEN_SECRET": secrets.token_urlsafe(48),
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    }
    client_id, secret, sku = prepare(env)
    arrivals = {}
    hook = receiver(arrivals)
    subprocess.run(
        [*FLASK, "webhook", "add", f"http://127.0.0.1:{hook.server_port}/", "--event", "stock.*"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env={**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        ),
        subprocess.Popen(
            [*FLASK, "webhook", "run"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        ),
    ]
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        token = call("POST", f"{base}/oauth/2.0/token", form.encode())["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        sent = {}
        for level in range(1, args.writes + 1):
            sent[level] = time.monotonic()
            call("PATCH", f"{base}/cs/api/v1/skus/{sku}", {"data": {"stock_level": level}}, headers)
            time.sleep(args.gap)
        deadline = time.monotonic() + 30
        while len(arrivals) < args.writes and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        hook.shutdown()
    latencies = sorted((arrivals[level] - sent[level]) * 1000 for level in arrivals)
    print(
        f"database: {env['DATABASE_URL'].split(':', 1)[0]}, writes: {args.writes}, "
        f"received: {len(latencies)}"
    )
    print(
        f"commit -> receiver, ms: median {statistics.median(latencies):.0f}, "
        f"p90 {latencies[int(len(latencies) * 0.9) - 1]:.0f}, max {latencies[-1]:.0f}"
    )


if __name__ == "__main__":
    main()
