"""A real webhook receiver on 127.0.0.1 for the tests, and the sender as its own process."""

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

from tests.servers import ROOT


class Received:
    def __init__(self, path, headers, body):
        self.path, self.headers, self.body = path, headers, body

    def verify(self, secret):
        """The body as the receiver's library reads it, after checking the signature."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Records every request; answers with the next scripted status (then `default`)."""

    def __init__(self, statuses=(), default=200, location=None, delay=0):
        self.requests = []
        self.delay = delay
        self.statuses = list(statuses)
        self.default = default
        self.location = location
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.location or "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.requests)} requests received, {count} expected")


SENDER_ENV = {
    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    "WEBHOOK_POLL_INTERVAL": "0.05",
    "WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2",
    "WEBHOOK_TIMEOUT": "2",
    "WEBHOOK_LEASE": "4",
}


class SenderProcess:
    """`flask --app app cs webhook run` in its own process group."""

    def __init__(self, database_url, log_path, **env):
        from tests.conftest import TEST_SECRET

        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "cs", "webhook", "run"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "TOKEN_SECRET": TEST_SECRET,
                **SENDER_ENV,
                **env,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def send_signal(self, signum):
        os.killpg(self.process.pid, signum)

    def stop(self, signum=signal.SIGTERM, timeout=30):
        """Signal it and wait; its exit status."""
        if self.process.poll() is None:
            self.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.send_signal(signal.SIGKILL)
                self.process.wait()
            self.log.close()

    def output(self):
        with open(self.log_path) as fh:
            return fh.read()
