"""Benchmark the hot paths: the service and the bare app, each under gunicorn (two workers
of the shipped worker class), driven by wrk over the same SQLite demo database of 100,000 orders.

    .venv/bin/python bench/run.py                  # the full table
    .venv/bin/python bench/run.py --only orders_page --duration 5

The database is built once (`cs db upgrade` + `cs demo`) into bench/results/ and reused.
Before measuring, every read path is fetched from both apps and must give the same bytes.
"""

import argparse
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
HOST = "bench.example"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class HotPath:
    key: str
    label: str
    method: str
    path: str
    body: str = ""
    content_type: str = ""
    authorized: bool = True
    # Read paths are compared byte for byte between the two apps before measuring.
    compare: bool = True


HOT_PATHS = (
    HotPath("orders_page", "GET /orders (page 1)", "GET", "/cs/api/v1/orders"),
    HotPath("orders_deep", "GET /orders?page=4000", "GET", "/cs/api/v1/orders?page=4000"),
    HotPath(
        "orders_filtered",
        "GET /orders?fromDate&toDate&paymentStatus=paid",
        "GET",
        "/cs/api/v1/orders?fromDate=2025-06-01&toDate=2025-06-30&paymentStatus=paid",
    ),
    HotPath("order", "GET /orders/{id}", "GET", "/cs/api/v1/orders/{order}"),
    HotPath("products", "GET /products (page 1)", "GET", "/cs/api/v1/products"),
    HotPath("sku_get", "GET /skus/{sku}", "GET", "/cs/api/v1/skus/{sku}"),
    HotPath(
        "sku_patch",
        "PATCH /skus/{sku} stock_adjustment",
        "PATCH",
        "/cs/api/v1/skus/{sku}",
        body='{"data": {"stock_adjustment": 1}}',
        compare=False,
    ),
    HotPath(
        "token",
        "POST /oauth/2.0/token",
        "POST",
        "/oauth/2.0/token",
        content_type=FORM,
        authorized=False,
        compare=False,
    ),
)


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds before each one")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=2, help="runs per app; the best counts")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app")
    parser.add_argument("--only", nargs="*", choices=[p.key for p in HOT_PATHS])
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    return parser.parse_args()


def flask(env, *args):
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)


def build_database(args, env):
    """The demo database (built once), its load time, and a sample of its SKUs."""
    path = RESULTS / f"demo-{args.orders}-orders-{args.products}-products.db"
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    env["DATABASE_URL"] = f"sqlite:///{path}"
    fresh = not path.exists()
    flask(env, "cs", "db", "upgrade")
    load_file = path.with_suffix(".load.json")
    if fresh:
        print(f"building {path.name} ...", flush=True)
        started = time.perf_counter()
        output = flask(env, "cs", "demo", "--orders", str(args.orders),
                       "--products", str(args.products), "--no-progress").stdout  # fmt: skip
        seconds = time.perf_counter() - started
        load_file.write_text(json.dumps({"seconds": round(seconds, 1), "output": output.strip()}))
    load = json.loads(load_file.read_text()) if load_file.exists() else None
    with sqlite3.connect(path) as conn:
        skus = [code for (code,) in conn.execute("SELECT code FROM sku ORDER BY code")]
    sample = random.Random(1).sample(skus, min(2000, len(skus)))
    (RESULTS / "skus.txt").write_text("\n".join(sample) + "\n")
    return path, load, sample


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own process group, stopped by its own id."""

    def __init__(self, name, target, env, workers, extra_args=()):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(RESULTS / f"{name}.log", "wb")
        config = str(BENCH / "gunicorn_plain.py")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", config, "-w", str(workers),
             "-b", f"127.0.0.1:{self.port}", *extra_args, target],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited: see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not start: see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        self.log.close()


def fetch(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def concrete(path, order_id, sku):
    return path.replace("{order}", str(order_id)).replace("{sku}", sku)


def check_same_output(ours, bare, token, order_id, sku):
    """Every read path must give the same bytes from both apps, or nothing is measured."""
    headers = {"Authorization": f"Bearer {token}", "Host": HOST}
    for hot in HOT_PATHS:
        if not hot.compare:
            continue
        path = concrete(hot.path, order_id, sku)
        a, b = fetch(ours.url + path, headers=headers), fetch(bare.url + path, headers=headers)
        if a[0] != 200 or a != b:
            at = next((i for i, (x, y) in enumerate(zip(a[1], b[1], strict=False)) if x != y), 0)
            raise SystemExit(
                f"{hot.label}: the apps differ ({a[0]} / {b[0]})\n"
                f"  service: {a[1][max(0, at - 120) : at + 120]!r}\n"
                f"  bare:    {b[1][max(0, at - 120) : at + 120]!r}"
            )
        print(f"  same output: {hot.label} ({len(a[1]):,} bytes)", flush=True)


def wrk(server, hot, args, token, form, duration):
    env = {
        **os.environ,
        "BENCH_METHOD": hot.method,
        "BENCH_PATH": hot.path,
        "BENCH_TOKEN": token if hot.authorized else "",
        "BENCH_BODY": form if hot.key == "token" else hot.body,
        "BENCH_CONTENT_TYPE": hot.content_type,
        "BENCH_MAX_ORDER": str(args.orders),
        "BENCH_SKUS": str(RESULTS / "skus.txt"),
    }
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s",
               "--latency", "-s", str(BENCH / "wrk.lua"), server.url + "/"]  # fmt: skip
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output).groups()
    median = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rate,
        "p50_ms": median,
        "non_2xx": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def measure(hot, servers, args, token, form):
    """The best of `rounds` runs per app, the apps taking turns (other load on the machine
    only ever slows a run down)."""
    best = [None] * len(servers)
    for round_ in range(args.rounds):
        order = range(len(servers)) if round_ % 2 == 0 else reversed(range(len(servers)))
        for index in order:
            if args.warmup:
                wrk(servers[index], hot, args, token, form, args.warmup)
            result = wrk(servers[index], hot, args, token, form, args.duration)
            if best[index] is None or result["rps"] > best[index]["rps"]:
                best[index] = result
    return best


def machine():
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor()
    )  # fmt: skip
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version,
        "os": platform.platform(),
    }


def table(rows):
    lines = [
        "| path | service req/s | bare req/s | ratio | service p50 | bare p50 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, ours, bare in rows:
        lines.append(
            f"| {label} | {ours['rps']:,.0f} | {bare['rps']:,.0f} | "
            f"{ours['rps'] / bare['rps']:.2f} | {ours['p50_ms']:.2f} ms | {bare['p50_ms']:.2f} ms |"
        )
    return "\n".join(lines)


def main():
    args = arguments()
    RESULTS.mkdir(exist_ok=True)
    env = {**os.environ, "TOKEN_SECRET": secrets.token_urlsafe(48)}
    path, load, skus = build_database(args, env)
    credentials = flask(env, "cs", "client", "create", "Benchmark").stdout
    client_id = re.search(r"client_id:\s+(\S+)", credentials).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", credentials).group(1)
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    servers = []
    try:
        ours = Server("service", "wsgi:app", env, args.workers)
        servers.append(ours)
        bare = Server(
            "bare", "bench.bare_app:app", {**env, "BENCH_DATABASE": str(path)}, args.workers
        )
        servers.append(bare)
        status, body = fetch(
            ours.url + "/oauth/2.0/token", "POST", form.encode(), {"Content-Type": FORM}
        )
        token = json.loads(body)["access_token"]
        check_same_output(ours, bare, token, args.orders // 2 + 7, skus[0])
        rows, raw = [], {}
        for hot in HOT_PATHS:
            if args.only and hot.key not in args.only:
                continue
            measured = measure(hot, (ours, bare), args, token, form)
            rows.append((hot.label, *measured))
            raw[hot.key] = {"label": hot.label, "service": measured[0], "bare": measured[1]}
            print(f"  {hot.label}: {measured[0]['rps']:,.0f} vs {measured[1]['rps']:,.0f} req/s",
                  flush=True)  # fmt: skip
    finally:
        for server in servers:
            server.stop()
    report = table(rows)
    print(report)
    summary = {"machine": machine(), "args": vars(args), "load": load, "paths": raw,
               "command": " ".join([Path(sys.executable).name, *sys.argv])}  # fmt: skip
    (RESULTS / "latest.json").write_text(json.dumps(summary, indent=2))
    (RESULTS / "latest.md").write_text(report + "\n")
    for key, result in raw.items():
        if result["service"]["non_2xx"] or result["bare"]["non_2xx"]:
            print(f"warning: {key} had non-2xx responses: {result}", file=sys.stderr)


if __name__ == "__main__":
    main()
