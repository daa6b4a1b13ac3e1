"""Measure POST /orders: orders placed per second by the service under gunicorn with two
sync workers, on SQLite, PostgreSQL and MariaDB, driven by wrk (bench/orders_post.lua).

    .venv/bin/python bench/orders_post.py
    .venv/bin/python bench/orders_post.py --databases sqlite --duration 5

Each database is new for the run: `cs db upgrade`, a demo store (`cs demo`), every product
and variation given ten million units of limited stock (so each order takes stock, and
none runs short), an integration with `cs:orders:manage`. Every request places a paid order
of two random SKUs (one unit, two units) with a customer and shipping.
"""

import argparse
import json
import os
import random
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases  # noqa: E402
from bench.run import BENCH, RESULTS, Server, fetch, flask, gunicorn, machine  # noqa: E402

# Ten million units, in stored ten-thousandths.
STOCK_UNITS = 10_000_000 * 10_000
RAISE_STOCK = (
    f"UPDATE product SET stock_level = {STOCK_UNITS}, stock_unlimited = {{false}}",
    f"UPDATE variation SET stock_level = {STOCK_UNITS}, stock_unlimited = {{false}}",
)
SYNC_WORKERS = "sync"


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql", "mariadb"])  # fmt: skip
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--orders", type=int, default=1000, help="demo orders already there")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="runs; the best counts")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    return parser.parse_args()


class Database(databases.Database):
    """A new store database for the run, dropped afterwards; statements run on it."""

    def run(self, *statements, fetch_all=False):
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                rows = [conn.execute(s.format(false=0)).fetchall() for s in statements]
        elif self.kind == "postgresql":
            import psycopg2

            with psycopg2.connect(self.url) as conn, conn.cursor() as cursor:
                rows = []
                for statement in statements:
                    cursor.execute(statement.format(false="false"))
                    rows.append(cursor.fetchall() if cursor.description else [])
        else:
            import pymysql

            conn = pymysql.connect(host="127.0.0.1", user="root", database=self.name,
                                   autocommit=True)  # fmt: skip
            with conn.cursor() as cursor:
                rows = []
                for statement in statements:
                    cursor.execute(statement.format(false="false").replace('"', "`"))
                    found = cursor.fetchall() if cursor.description else []
                    # SKUs are binary there (compared exactly): their bytes, as text.
                    rows.append([
                        tuple(v.decode() if isinstance(v, bytes) else v for v in row)
                        for row in found
                    ])  # fmt: skip
            conn.close()
        return rows[-1]


def prepare(database, args, env):
    """The demo store with plenty of stock; a token allowed to place orders; SKUs."""
    flask(env, "cs", "db", "upgrade")
    flask(env, "cs", "demo", "--products", str(args.products), "--orders", str(args.orders),
          "--no-progress")  # fmt: skip
    database.run(*RAISE_STOCK)
    skus = [code for (code,) in database.run("SELECT code FROM sku ORDER BY code")]
    sample = random.Random(1).sample(skus, min(500, len(skus)))
    (RESULTS / "orders-post-skus.txt").write_text("\n".join(sample) + "\n")
    created = flask(env, "cs", "client", "create", "Bench", "--scope", "cs:orders:manage").stdout
    client_id = re.search(r"client_id:\s+(\S+)", created).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", created).group(1)
    return f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"


def wrk(server, token, args, duration):
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_SKUS": str(RESULTS / "orders-post-skus.txt")}
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{duration}s", "--latency",
               "-s", str(BENCH / "orders_post.lua"), server.url + "/"]  # fmt: skip
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    times = {}
    for name in ("50", "99"):
        value, unit = re.search(rf"{name}%\s+([\d.]+)(us|ms|s)\b", output).groups()
        times[name] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "orders_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": times["50"],
        "p99_ms": times["99"],
        "non_2xx": int(failed.group(1)) if failed else 0,
    }


def measure(kind, args):
    database = Database(kind, "orders-post")
    env = {**os.environ, "TOKEN_SECRET": secrets.token_urlsafe(48), "DATABASE_URL": database.url}
    server = None
    try:
        form = prepare(database, args, env)
        served = argparse.Namespace(workers=args.workers, worker_class=SYNC_WORKERS)
        # One thread: gunicorn runs threaded sync workers as gthread otherwise.
        command = lambda port: [*gunicorn("wsgi:app", served, port), "--threads", "1"]  # noqa: E731
        server = Server(f"orders-post-{kind}", command, env)
        status, body = fetch(server.url + "/oauth/2.0/token", "POST", form.encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        token = json.loads(body)["access_token"]
        (before,) = database.run('SELECT COUNT(*) FROM "order"')[0]
        best, placed = None, 0
        for _ in range(args.rounds):
            if args.warmup:
                placed += wrk(server, token, args, args.warmup)["requests"]
            result = wrk(server, token, args, args.duration)
            placed += result["requests"]
            if result["non_2xx"]:
                raise SystemExit(
                    f"{kind}: {result['non_2xx']} orders refused: see {server.log.name}"
                )
            if best is None or result["orders_per_s"] > best["orders_per_s"]:
                best = result
        (after,) = database.run('SELECT COUNT(*) FROM "order"')[0]
        # wrk counts the answers it read; a request cut off by the end of a run may still
        # have placed its order.
        best["orders_placed"] = after - before
        best["requests_answered"] = placed
        return best
    finally:
        if server is not None:
            server.stop()
        database.drop()


def main():
    args = arguments()
    RESULTS.mkdir(exist_ok=True)
    rows = {kind: measure(kind, args) for kind in args.databases}
    lines = [
        "| database | gunicorn | orders/s | p50 | p99 |",
        "|---|---|---:|---:|---:|",
    ]
    for kind, result in rows.items():
        lines.append(
            f"| {kind} | sync × {args.workers} | {result['orders_per_s']:,.0f} | "
            f"{result['p50_ms']:.2f} ms | {result['p99_ms']:.2f} ms |"
        )
    report = "\n".join(lines)
    print(report)
    summary = {"machine": machine(), "args": vars(args), "results": rows,
               "command": " ".join([Path(sys.executable).name, *sys.argv])}  # fmt: skip
    (RESULTS / "orders-post.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
