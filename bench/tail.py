"""The machine's own latency tail: p50, p99 and p99.9 of servers that do no work at all,
driven by `wrk` as run.py drives the apps. What a request to one of these waits beyond
its median is the machine's (the scheduler, the host, the interpreter), not an
application's, and no application served the same way can have a smaller tail.

    .venv/bin/python bench/tail.py                     # about 2 minutes
    .venv/bin/python bench/tail.py --duration 10 --rounds 3

Four servers, each answering every request with the same 15 bytes of JSON:
- `gunicorn`: bench/gunicorn_plain.py's settings (the shipped worker class, 2 workers), as
  run.py serves every app; at 1, 4 and 8 connections. Then the same with gunicorn's own
  sync workers (one thread each, a connection per request: no threads handing requests
  to each other).
- `gunicorn, 1 worker on a CPU of its own`: one worker held to the last CPU (taskset), wrk
  to the first, so that nothing else competes for the server's CPU.
- `one Python thread`: a selectors loop on a single thread (no gunicorn, no WSGI), on a
  CPU of its own the same way.
The best round (by requests per second) of each line counts, as in run.py.
"""

import argparse
import os
import re
import selectors
import socket
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import BENCH, RESULTS, Server

BODY = b'{"status":"ok"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
RAW_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
)
PERCENTILES = re.compile(r"p50=([\d.]+) p99=([\d.]+) p99\.9=([\d.]+) max=([\d.]+)")


def app(environ, start_response):
    """The WSGI app that does nothing: the same answer to every request."""
    start_response("200 OK", HEADERS)
    return [BODY]


def serve_raw(port):
    """Answer every request on one thread, with no server framework: read what came, send
    one answer per request head in it (wrk sends one at a time on each connection)."""
    chooser = selectors.DefaultSelector()
    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    listener.setblocking(False)
    chooser.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in chooser.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                chooser.register(conn, selectors.EVENT_READ)
                continue
            try:
                received = key.fileobj.recv(65536)
            except OSError:
                received = b""
            if not received:
                chooser.unregister(key.fileobj)
                key.fileobj.close()
                continue
            key.fileobj.sendall(RAW_ANSWER * received.count(b"\r\n\r\n"))


def pinned(cpu, command):
    return ["taskset", "-c", str(cpu), *command]


def setups(cpus):
    """(label, command(port) -> argv, the CPU wrk is held to or None, connections)."""
    config = str(BENCH / "gunicorn_plain.py")

    def gunicorn(workers, *more):
        return lambda port: [sys.executable, "-m", "gunicorn", "-c", config, "-w", str(workers),
                             *more, "-b", f"127.0.0.1:{port}", "bench.tail:app"]  # fmt: skip

    def raw(port):
        return [sys.executable, str(Path(__file__).resolve()), "--serve-raw", str(port)]

    found = [
        ("gunicorn, 2 workers", gunicorn(2), None, (1, 4, 8)),
        ("gunicorn, 2 sync workers", gunicorn(2, "-k", "sync"), None, (4, 8)),
    ]
    if cpus >= 2:
        last = cpus - 1
        found.append(
            ("gunicorn, 1 worker on a CPU of its own",
             lambda port: pinned(last, gunicorn(1)(port)), 0, (1, 4))
        )  # fmt: skip
        found.append(
            ("one Python thread on a CPU of its own",
             lambda port: pinned(last, raw(port)), 0, (1, 4))
        )  # fmt: skip
    return found


def wrk(url, connections, duration, cpu):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s",
               "-s", str(BENCH / "percentiles.lua"), url + "/"]  # fmt: skip
    if cpu is not None:
        command = pinned(cpu, command)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50, p99, p999, longest = map(float, PERCENTILES.search(output).groups())
    return {"rps": rate, "p50_ms": p50, "p99_ms": p99, "p999_ms": p999, "max_ms": longest}


def table(rows):
    lines = [
        "| server | connections | req/s | p50 | p99 | p99.9 | p99 ÷ p50 | p99 − p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, connections, best in rows:
        lines.append(
            f"| {label} | {connections} | {best['rps']:,.0f} | {best['p50_ms']:.2f} ms | "
            f"{best['p99_ms']:.2f} ms | {best['p999_ms']:.2f} ms | "
            f"{best['p99_ms'] / best['p50_ms']:.1f} | {best['p99_ms'] - best['p50_ms']:.2f} ms |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=1, help="seconds before each")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve-raw", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_raw:
        return serve_raw(args.serve_raw)
    RESULTS.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(BENCH.parent)}
    rows = []
    for label, command, cpu, connections_list in setups(len(os.sched_getaffinity(0))):
        server = Server("tail", command, env)
        try:
            for connections in connections_list:
                best = None
                for _ in range(args.rounds):
                    if args.warmup:
                        wrk(server.url, connections, args.warmup, cpu)
                    result = wrk(server.url, connections, args.duration, cpu)
                    if best is None or result["rps"] > best["rps"]:
                        best = result
                rows.append((label, connections, best))
                print(f"  {label}, {connections} connections: {best}", flush=True)
        finally:
            server.stop()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
