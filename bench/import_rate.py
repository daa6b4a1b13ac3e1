"""Measure `cs import v1`: orders copied per second from a demo store served by gunicorn
into an empty store, on SQLite and on PostgreSQL, and the re-run that finds every record
equal.

    .venv/bin/python bench/import_rate.py
    .venv/bin/python bench/import_rate.py --orders 10000 --products 200 --databases sqlite

The source is run.py's demo database (built once, in bench/results/), served by
`gunicorn -c bench/gunicorn_plain.py -w 2`; each target is a new database, dropped after.
"""

import argparse
import json
import os
import re
import resource
import secrets
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import RESULTS, Server, build_database, flask, gunicorn, machine  # noqa: E402

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])  # fmt: skip
    return parser.parse_args()


def target_database(kind):
    """(URL, drop) of a new, empty database of this kind."""
    if kind == "sqlite":
        path = RESULTS / "import-target.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: None
    import psycopg2

    name = f"cs_import_bench_{uuid.uuid4().hex[:8]}"

    def run(statement):
        connection = psycopg2.connect(f"{POSTGRES_SERVER}/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
        connection.close()

    run(f"CREATE DATABASE {name}")
    return f"{POSTGRES_SERVER}/{name}", lambda: run(f"DROP DATABASE {name}")


def timed_import(env, url, client_id, secret):
    """(wall seconds, CPU seconds of the import process, its summary)."""
    started, cpu = time.perf_counter(), _children_cpu()
    output = flask(env, "cs", "import", "v1", url, "--client-id", client_id,
                   "--client-secret", secret, "--json").stdout  # fmt: skip
    return time.perf_counter() - started, _children_cpu() - cpu, json.loads(output)


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    args = arguments()
    RESULTS.mkdir(exist_ok=True)
    env = {**os.environ, "TOKEN_SECRET": secrets.token_urlsafe(48)}
    source_args = SimpleNamespace(
        orders=args.orders, products=args.products, rebuild=False, floor=False, database="sqlite"
    )
    path, _, _ = build_database(source_args, env)
    output = flask(env, "cs", "client", "create", "import-bench").stdout
    client_id = re.search(r"client_id:\s+(\S+)", output).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", output).group(1)
    served = SimpleNamespace(workers=2, worker_class=None)
    source = Server("import-source", lambda port: gunicorn("wsgi:app", served, port), env)
    results = {"machine": machine(), "orders": args.orders, "products": args.products}
    try:
        for kind in args.databases:
            url, drop = target_database(kind)
            target_env = {**env, "DATABASE_URL": url}
            try:
                flask(target_env, "cs", "db", "upgrade")
                first, cpu, summary = timed_import(target_env, source.url, client_id, secret)
                again, rerun_cpu, rerun = timed_import(target_env, source.url, client_id, secret)
            finally:
                drop()
            copied = summary["orders"]["created"]
            results[kind] = {
                "seconds": round(first, 1),
                "cpu_seconds": round(cpu, 1),
                "orders_per_second": round(copied / first),
                "orders_per_cpu_second": round(copied / cpu),
                "rerun_seconds": round(again, 1),
                "rerun_cpu_seconds": round(rerun_cpu, 1),
                "rerun_orders_per_second": round(rerun["orders"]["unchanged"] / again),
                "products": summary["products"]["created"],
                "orders": copied,
            }
            print(kind, json.dumps(results[kind]), flush=True)
    finally:
        source.stop()
    (RESULTS / "import-rate.json").write_text(json.dumps(results, indent=2))
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    main()
