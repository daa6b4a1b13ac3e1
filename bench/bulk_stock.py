"""Measure PATCH /stock: 10,000 lines over HTTP against gunicorn on a demo store, on SQLite,
PostgreSQL and MariaDB.

    .venv/bin/python bench/bulk_stock.py
    .venv/bin/python bench/bulk_stock.py --databases sqlite --rounds 3

Each database is new for the run: `cs db upgrade`, a demo store (`cs demo --products 2000`:
2,000 products and 10,874 variations), an integration with `cs:products:write`, the service
under gunicorn (the shipped worker class, two workers). Each round sends one request of
`--lines` distinct random SKUs (a third set a level, a third adjust it, a third switch
unlimited stock; nearly all of them change something), and times it from the first byte sent to
the last byte read; the best and the median round are reported.
"""

import argparse
import json
import os
import platform
import random
import re
import secrets
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import Database  # noqa: E402
from bench.run import RESULTS, Server, fetch, flask, gunicorn  # noqa: E402


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql", "mariadb"],
                        choices=["sqlite", "postgresql", "mariadb"])  # fmt: skip
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    return parser.parse_args()


def skus(server, token):
    """Every SKU of the store, read through the API's product list."""
    found, page = [], 1
    while True:
        status, body = fetch(f"{server.url}/cs/api/v1/products?page={page}&paging=100",
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert status == 200, body
        reply = json.loads(body)
        for product in reply["data"]:
            found.append(product["sku"])
            found.extend(variation["sku"] for variation in product["variations"])
        if page >= reply["meta"]["pagination"]["total_pages"]:
            return [sku for sku in found if sku]
        page += 1


def body(codes, lines, rounds_done):
    """`lines` lines over distinct random SKUs, each of which changes its record."""
    rng = random.Random(rounds_done)
    chosen = rng.sample(codes, lines)
    data = []
    for n, sku in enumerate(chosen):
        if n % 3 == 0:
            # A level no earlier round set.
            data.append({"sku": sku, "stock_level": 1_000 + rounds_done * 10 + n % 7})
        elif n % 3 == 1:
            data.append({"sku": sku, "stock_adjustment": rng.choice((-2, -1, 1, 3))})
        else:
            data.append({"sku": sku, "stock_unlimited": rounds_done % 2 == 0})
    return json.dumps({"data": data}).encode()


def measure(kind, args):
    database = Database(kind, "bulk-stock")
    env = {**os.environ, "TOKEN_SECRET": secrets.token_urlsafe(48), "DATABASE_URL": database.url}
    server = None
    try:
        flask(env, "cs", "db", "upgrade")
        flask(env, "cs", "demo", "--products", str(args.products), "--orders", "100",
              "--no-progress")  # fmt: skip
        created = flask(env, "cs", "client", "create", "Bench").stdout
        client_id = re.search(r"client_id:\s+(\S+)", created).group(1)
        secret = re.search(r"client_secret:\s+(\S+)", created).group(1)
        served = argparse.Namespace(workers=args.workers, worker_class=None)
        server = Server(f"bulk-stock-{kind}", lambda port: gunicorn("wsgi:app", served, port), env)
        form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        status, reply = fetch(server.url + "/oauth/2.0/token", "POST", form.encode(),
                              {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        token = json.loads(reply)["access_token"]
        codes = skus(server, token)
        if len(codes) < args.lines:
            raise SystemExit(f"{kind}: only {len(codes)} SKUs; raise --products")
        headers = {"Authorization": f"Bearer {token}"}
        times, changed = [], []
        for round_number in range(args.rounds):
            payload = body(codes, args.lines, round_number)
            started = time.perf_counter()
            status, reply = fetch(server.url + "/cs/api/v1/stock", "PATCH", payload, headers)
            times.append(time.perf_counter() - started)
            if status != 200:
                raise SystemExit(f"{kind}: {status} {reply[:300]!r}")
            meta = json.loads(reply)["meta"]
            assert meta["changed"] + meta["unchanged"] == args.lines, meta
            changed.append(meta["changed"])
        return {"best_s": min(times), "median_s": statistics.median(times), "times_s": times,
                "body_bytes": len(payload), "skus": len(codes), "changed": changed}  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        database.drop()


def main():
    args = arguments()
    RESULTS.mkdir(exist_ok=True)
    rows = {kind: measure(kind, args) for kind in args.databases}
    lines = [f"| database | {args.lines:,} lines: best | median of {args.rounds} |",
             "|---|---:|---:|"]  # fmt: skip
    for kind, result in rows.items():
        lines.append(f"| {kind} | {result['best_s']:.2f} s | {result['median_s']:.2f} s |")
    report = "\n".join(lines)
    print(report)
    machine = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
               "cpus": os.cpu_count(), "os": platform.platform()}  # fmt: skip
    summary = {"machine": machine, "args": vars(args), "results": rows}
    (RESULTS / "bulk-stock.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
