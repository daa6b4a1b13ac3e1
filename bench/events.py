"""What the change feed costs writes: stock PATCH and order PATCH throughput of this checkout
against the commit before events (a temporary `git worktree`), in one run, the two taking
turns on the same database; medians and their ratio.

    .venv/bin/python bench/events.py                       # SQLite, 5 rounds of 5 s
    .venv/bin/python bench/events.py --rounds 7 --duration 8
    .venv/bin/python bench/events.py --database-url postgresql://postgres@127.0.0.1/bench
"""

import argparse
import json
import os
import random
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import RESULTS, Server  # noqa: E402

# The last commit of main without events: the baseline.
BASELINE = "7dc261e"
FORM = "application/x-www-form-urlencoded"
PATHS = {
    "stock": ("PATCH /skus/{sku} stock_adjustment", "/cs/api/v1/skus/{sku}",
              '{"data": {"stock_adjustment": 1}}'),
    "order": ("PATCH /orders/{id} tracking_code", "/cs/api/v1/orders/{order}",
              '{"data": {"fulfilment": {"tracking_code": "T{n}"}}}'),
}  # fmt: skip


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per checkout and path")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds before each run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--database-url", help="default: a SQLite file in bench/results")
    parser.add_argument("--only", nargs="*", choices=sorted(PATHS))
    return parser.parse_args()


def flask(env, *args, cwd=ROOT):
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def prepare_database(args, env):
    """A migrated demo store (built once for SQLite); a sample of its SKUs, written for wrk."""
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        path = RESULTS / f"events-{args.orders}-orders-{args.products}-products.db"
        env["DATABASE_URL"] = f"sqlite:///{path}"
    flask(env, "cs", "db", "upgrade")
    demo = ["cs", "demo", "--orders", str(args.orders), "--products", str(args.products),
            "--no-progress"]  # fmt: skip
    # A store that has its demo data already refuses it: then it is used as it is.
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *demo], cwd=ROOT, env=env,
                   capture_output=True)  # fmt: skip
    skus = subprocess.run([sys.executable, "-c", SKU_SCRIPT], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout.split()  # fmt: skip
    sample = random.Random(1).sample(skus, min(2000, len(skus)))
    (RESULTS / "event-skus.txt").write_text("\n".join(sample) + "\n")


SKU_SCRIPT = """
from app import create_app
from config import EXTENSION
from models.base import db
from models.catalog import Product, Variation
database = create_app().extensions[EXTENSION].database
with db.bound(database), database.connection_context():
    for model in (Product, Variation):
        for (sku,) in model.select(model.sku).where(model.sku.is_null(False)).tuples():
            print(sku)
"""


def baseline_checkout():
    """A temporary checkout of the baseline commit (removed by `remove_checkout`)."""
    folder = Path(tempfile.mkdtemp(prefix="cs-before-events-")) / "checkout"
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), BASELINE], cwd=ROOT,
                   check=True, capture_output=True)  # fmt: skip
    return folder


def remove_checkout(folder):
    subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT,
                   capture_output=True)  # fmt: skip


def serve(name, checkout, workers, env):
    """gunicorn of one checkout, with that checkout's bench/gunicorn_plain.py settings."""
    config = str(checkout / "bench" / "gunicorn_plain.py")

    def command(port):
        return [sys.executable, "-m", "gunicorn", "-c", config, "-w", str(workers),
                "-b", f"127.0.0.1:{port}", "wsgi:app"]  # fmt: skip

    return Server(name, command, env, cwd=checkout)


def token(server, form):
    request = urllib.request.Request(
        server.url + "/oauth/2.0/token", form.encode(), {"Content-Type": FORM}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def wrk(server, key, args, bearer, duration):
    _, path, body = PATHS[key]
    env = {**os.environ, "BENCH_METHOD": "PATCH", "BENCH_PATH": path, "BENCH_BODY": body,
           "BENCH_TOKEN": bearer, "BENCH_MAX_ORDER": str(args.orders),
           "BENCH_SKUS": str(RESULTS / "event-skus.txt")}  # fmt: skip
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{duration}s", "-s",
               str(ROOT / "bench" / "events.lua"), server.url + "/"]  # fmt: skip
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if failed:
        raise SystemExit(f"{server.name} {key}: {failed.group(1)} failed requests\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def measure(key, servers, tokens, args):
    """`rounds` runs per checkout, taking turns (ABBA...) so drifting load hits both alike."""
    rates = {server.name: [] for server in servers}
    for round_ in range(args.rounds):
        turn = servers if round_ % 2 == 0 else servers[::-1]
        for server in turn:
            if args.warmup:
                wrk(server, key, args, tokens[server.name], args.warmup)
            rates[server.name].append(wrk(server, key, args, tokens[server.name], args.duration))
    return rates


def main():
    args = arguments()
    RESULTS.mkdir(exist_ok=True)
    env = {**os.environ, "TOKEN_SECRET": secrets.token_urlsafe(48)}
    prepare_database(args, env)
    scopes = ["--scope", "cs:products:write", "--scope", "cs:orders:write"]
    created = flask(env, "cs", "client", "create", "Events benchmark", *scopes).stdout
    client_id = re.search(r"client_id:\s+(\S+)", created).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", created).group(1)
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    servers, checkout = [], baseline_checkout()
    try:
        servers.append(serve("before", checkout, args.workers, env))
        servers.append(serve("events", ROOT, args.workers, env))
        tokens = {server.name: token(server, form) for server in servers}
        lines = ["| path | before req/s (median) | events req/s (median) | ratio |",
                 "|---|---:|---:|---:|"]  # fmt: skip
        results = {}
        for key in args.only or sorted(PATHS):
            rates = measure(key, servers, tokens, args)
            before, after = (statistics.median(rates[name]) for name in ("before", "events"))
            results[key] = {"rates": rates, "ratio": after / before}
            lines.append(
                f"| {PATHS[key][0]} | {before:,.0f} | {after:,.0f} | {after / before:.2f} |"
            )
            print(f"  {key}: {rates}", flush=True)
    finally:
        for server in servers:
            server.stop()
        remove_checkout(checkout)
    report = "\n".join(lines)
    print(report)
    print(f"sqlite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.1f}")
    (RESULTS / "events.json").write_text(json.dumps({"args": vars(args), "results": results}))


if __name__ == "__main__":
    main()
