"""Benchmark the hot paths: the service and the bare app (and, with --floor, the floor),
each under gunicorn (two workers of the same worker class), driven by wrk in turns.

    .venv/bin/python bench/run.py                  # the full table
    .venv/bin/python bench/run.py --only orders_page --duration 5
    .venv/bin/python bench/run.py --floor ../shared/floor --database postgresql

The database is built once (`cs db upgrade` + `cs demo`, or with --floor the floor's
dataset loaded by bench/floor_store.py), given its change feed (bench/feed.py) and reused.
Before measuring, every read path is fetched from the service and the bare app and must
give the same bytes; the floor's bodies must show the same data (bench/floor.py says what
of its shape is set aside).
"""

import argparse
import contextlib
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
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import floor as floor_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
HOST = "bench.example"
FORM = "application/x-www-form-urlencoded"
# Events in the store's change feed (bench/feed.py), and a cursor past any it will hold.
FEED_EVENTS = 20_000
HEAD = 10**12
NEWEST = "{newest}"
# Lines of the bulk stock PATCH: distinct random SKUs, each set to a random level.
BULK_LINES = 100


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
    # The feed (bench/feed.py): a full page from its middle, and the poll of a reader that
    # has read everything (the default limit, 100): its cursor is the newest event when the
    # servers start (`newest_event`; the paths measured before it only read).
    HotPath(
        "events",
        f"GET /events?after={FEED_EVENTS // 2}&limit=100",
        "GET",
        f"/cs/api/v1/events?after={FEED_EVENTS // 2}&limit=100",
    ),
    HotPath("events_head", "GET /events (caught up)", "GET", f"/cs/api/v1/events?after={NEWEST}"),
    HotPath(
        "sku_patch",
        "PATCH /skus/{sku} stock_adjustment",
        "PATCH",
        "/cs/api/v1/skus/{sku}",
        body='{"data": {"stock_adjustment": 1}}',
        compare=False,
    ),
    HotPath(
        "stock_bulk",
        f"PATCH /stock ({BULK_LINES} lines)",
        "PATCH",
        "/cs/api/v1/stock",
        body='{"data": {stock_lines}}',
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
    parser.add_argument("--floor", type=Path, help="the floor's directory: serve it too")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "mariadb"),
                        default="sqlite",
                        help="the service's database (the bare app and floor: SQLite)")  # fmt: skip
    parser.add_argument("--worker-class", help="gunicorn worker class for every app "
                        "(default: the shipped one), e.g. sync")  # fmt: skip
    args = parser.parse_args()
    if args.floor:
        args.floor = args.floor.resolve()
        args.products = 2_000  # the floor's dataset always has 2,000
    return args


def flask(env, *args):
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)


# The statements that keep a store database between runs, per server.
KEPT_DATABASE_SQL = {
    "postgresql": {
        "drop": 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        "exists": "SELECT 1 FROM pg_database WHERE datname = %s",
        "create": 'CREATE DATABASE "{name}"',
    },
    "mariadb": {
        "drop": "DROP DATABASE IF EXISTS `{name}`",
        "exists": "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
        "create": "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    },
}


def _kept_database(kind, conn, server, name, rebuild):
    """The URL of a database kept between runs (made unless there), and whether it was just
    made; `conn`: an admin connection to its server, closed here."""
    sql = KEPT_DATABASE_SQL[kind]
    with conn.cursor() as cursor:
        if rebuild:
            cursor.execute(sql["drop"].format(name=name))
        cursor.execute(sql["exists"], (name,))
        fresh = cursor.fetchone() is None
        if fresh:
            cursor.execute(sql["create"].format(name=name))
    conn.close()
    return f"{server}/{name}", fresh


def _postgresql(name, rebuild):
    """The URL of a PostgreSQL database kept between runs, and whether it was just made."""
    import psycopg2

    server = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    conn = psycopg2.connect(server + "/postgres")
    conn.autocommit = True
    return _kept_database("postgresql", conn, server, name, rebuild)


def _postgresql_copy(name):
    """A copy of the PostgreSQL database `name` for this run, made from it as a template."""
    import psycopg2

    server = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    conn = psycopg2.connect(server + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}_run" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}_run" TEMPLATE "{name}"')
    conn.close()
    # As autovacuum would have left a store in use: statistics, and the visibility map
    # without which no count or deep page reads only an index. Then a checkpoint, so that
    # the copy's writes (through the WAL, hundreds of MB) are on disk before the first
    # path is measured, not flushed while it is.
    conn = psycopg2.connect(f"{server}/{name}_run")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    conn.close()
    return f"{server}/{name}_run"


def fresh_copy(source, target):
    """A copy of a SQLite database (with what its WAL holds) at `target`."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    original.close()
    copy.close()
    return target


def _load(args, env, fresh, load_file, name):
    flask(env, "cs", "db", "upgrade")
    if fresh:
        print(f"building {name} ...", flush=True)
        started = time.perf_counter()
        if args.floor:
            floor_app.load_service_store(env, ROOT, floor_app.work_dir())
            # Loaded by SQL: its orders' documents are kept from here on.
            flask(env, "cs", "orders", "refresh-documents", "--no-progress")
            output = "the floor's dataset"
        else:
            output = flask(env, "cs", "demo", "--orders", str(args.orders),
                           "--products", str(args.products), "--no-progress").stdout  # fmt: skip
        seconds = time.perf_counter() - started
        load_file.write_text(json.dumps({"seconds": round(seconds, 1), "output": output.strip()}))
    load = json.loads(load_file.read_text()) if load_file.exists() else {}
    feed = write_feed(args, env)
    if feed.get("seconds") is not None:
        load["feed"] = feed
        load_file.write_text(json.dumps(load))
    return load or None


def write_feed(args, env):
    """The store's change feed (bench/feed.py), written once: what it wrote, and in how long."""
    command = [sys.executable, str(BENCH / "feed.py"), "--events", str(FEED_EVENTS),
               "--spare-order", str(checked_order(args))]  # fmt: skip
    written = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    feed = json.loads(written.stdout)
    if feed.get("seconds") is not None:
        print(f"  wrote the change feed in {feed['seconds']} s: {feed['feed']}", flush=True)
    return feed


def checked_order(args):
    """The order whose GET the apps must answer alike before anything is measured."""
    return args.orders // 2 + 7


def _mariadb_server():
    """An admin connection to the MariaDB server (BENCH_MARIADB_URL), and the server's URL."""
    import pymysql

    server = os.environ.get("BENCH_MARIADB_URL", "mysql://root@127.0.0.1:3306")
    parts = urllib.parse.urlsplit(server)
    conn = pymysql.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
        password=urllib.parse.unquote(parts.password or ""), autocommit=True,
    )  # fmt: skip
    return conn, server


def _mariadb(name, rebuild):
    """The URL of a MariaDB database kept between runs, and whether it was just made."""
    conn, server = _mariadb_server()
    return _kept_database("mariadb", conn, server, name, rebuild)


def _mariadb_copy(name, env):
    """A copy of the MariaDB database `name` for this run. MariaDB copies no database
    whole: the copy gets its schema from the migrations, as any store does (keys, foreign
    keys and all), then every table's rows from the original, server-side."""
    conn, server = _mariadb_server()
    copy = f"{name}_run"
    with conn.cursor() as cursor:
        cursor.execute(KEPT_DATABASE_SQL["mariadb"]["drop"].format(name=copy))
        cursor.execute(KEPT_DATABASE_SQL["mariadb"]["create"].format(name=copy))
    flask({**env, "DATABASE_URL": f"{server}/{copy}"}, "cs", "db", "upgrade")
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (name,),
        )
        tables = [table for (table,) in cursor.fetchall()]
        cursor.execute("SET foreign_key_checks = 0")
        for table in tables:
            if table in ("order_tally", "order_visible_block"):
                continue  # moved by the copy's own triggers as its orders are inserted
            # What the migrations seeded (statuses, the ledger) is replaced by the original's.
            cursor.execute(f"DELETE FROM `{copy}`.`{table}`")
            cursor.execute(f"INSERT INTO `{copy}`.`{table}` SELECT * FROM `{name}`.`{table}`")
        for table in tables:
            cursor.execute(f"ANALYZE TABLE `{copy}`.`{table}`")
            cursor.fetchall()
    conn.close()
    return f"{server}/{copy}"


def build_database(args, env):
    """The SQLite database (built once; the bare app's), the service's database URL (the
    same, or a PostgreSQL copy), its load time, and a sample of its SKUs."""
    stem = f"{'floor' if args.floor else 'demo'}-{args.orders}-orders-{args.products}-products"
    path = RESULTS / f"{stem}.db"
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    env["DATABASE_URL"] = f"sqlite:///{path}"
    load = _load(args, env, not path.exists(), path.with_suffix(".load.json"), path.name)
    if args.database != "sqlite":
        # The store on the server: loaded once and kept, then copied for this run.
        kept, copied, suffix = {
            "postgresql": (_postgresql, lambda name: _postgresql_copy(name), "pg"),
            "mariadb": (_mariadb, lambda name: _mariadb_copy(name, env), "mariadb"),
        }[args.database]
        name = f"cs_bench_{stem.replace('-', '_')}"
        load_file = RESULTS / f"{stem}.{suffix}.json"
        env["DATABASE_URL"], fresh = kept(name, args.rebuild)
        if fresh:
            load_file.unlink(missing_ok=True)
        load = _load(args, env, fresh, load_file, name)
        env["DATABASE_URL"] = copied(name)
    # Every run starts from the store as loaded: the stock writes of earlier runs would
    # otherwise show in the product pages (the floor's are reset the same way).
    path = fresh_copy(path, RESULTS / f"{stem}.run.db")
    if args.database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{path}"
    with sqlite3.connect(path) as conn:
        skus = [code for (code,) in conn.execute("SELECT code FROM sku ORDER BY code")]
    sample = random.Random(1).sample(skus, min(2000, len(skus)))
    (RESULTS / "skus.txt").write_text("\n".join(sample) + "\n")
    return path, load, sample


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(target, args, port):
    """The command serving `target` with bench/gunicorn_plain.py's settings."""
    config = str(BENCH / "gunicorn_plain.py")
    worker = ["-k", args.worker_class] if args.worker_class else []
    return [sys.executable, "-m", "gunicorn", "-c", config, "-w", str(args.workers), *worker,
            "-b", f"127.0.0.1:{port}", target]  # fmt: skip


class Server:
    """gunicorn in its own process group, stopped by its own id."""

    def __init__(self, name, command, env, token=None, cwd=ROOT):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        self.log = open(RESULTS / f"{name}.log", "wb")
        self.process = subprocess.Popen(
            command(self.port), cwd=cwd, env=env, stdout=self.log, stderr=self.log,
            start_new_session=True,
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


def request_body(hot, skus, rng=random):
    """A body as wrk.lua sends it: `{level}` a random stock level, `{stock_lines}` BULK_LINES
    lines setting distinct random SKUs to random levels."""
    body = hot.body.replace("{level}", str(rng.randint(0, 100_000)))
    if "{stock_lines}" in body:
        lines = [{"sku": sku, "stock_level": rng.randint(0, 100_000)}
                 for sku in rng.sample(skus, BULK_LINES)]  # fmt: skip
        body = body.replace("{stock_lines}", json.dumps(lines))
    return body


def newest_event(database):
    """The id of the newest event in the feed of the SQLite store `database` (the bare app's;
    the service's, on any database, holds the same feed)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT MAX(id) FROM event").fetchone()[0] or 0


def paths(args, newest=HEAD):
    """The hot paths of this run, with the floor's deep page and stock write when it runs;
    the caught-up poll's cursor is `newest` (by default past any event)."""
    chosen = [
        replace(hot, path=hot.path.replace(NEWEST, str(newest)))
        for hot in HOT_PATHS
        if not args.only or hot.key in args.only
    ]
    if not args.floor:
        return chosen
    floor_paths = {
        "orders_deep": (f"GET /orders?page={floor_app.DEEP_PAGE}",
                        f"/cs/api/v1/orders?page={floor_app.DEEP_PAGE}", ""),
        "sku_patch": ("PATCH /skus/{sku} stock_level", None, floor_app.PATCH_BODY),
    }  # fmt: skip
    changed = []
    for hot in chosen:
        if hot.key in floor_paths:
            label, path, body = floor_paths[hot.key]
            hot = HotPath(hot.key, label, hot.method, path or hot.path, body or hot.body,
                          hot.content_type, hot.authorized, hot.compare)  # fmt: skip
        changed.append(hot)
    return changed


def check_same_output(hot_paths, ours, bare, floor, order_id, sku):
    """Every read path must give the same bytes from the service and the bare app, and the
    same data from the floor where it serves the path, or nothing is measured."""
    for hot in hot_paths:
        if not hot.compare:
            continue
        path = concrete(hot.path, order_id, sku)
        a, b = (fetch(server.url + path, headers=headers(server)) for server in (ours, bare))
        if a[0] != 200 or a != b:
            at = next((i for i, (x, y) in enumerate(zip(a[1], b[1], strict=False)) if x != y), 0)
            raise SystemExit(
                f"{hot.label}: the apps differ ({a[0]} / {b[0]})\n"
                f"  service: {a[1][max(0, at - 120) : at + 120]!r}\n"
                f"  bare:    {b[1][max(0, at - 120) : at + 120]!r}"
            )
        note = ""
        if floor and hot.key in floor_app.SERVED:
            c = fetch(floor.url + path, headers=headers(floor))
            difference = floor_app.same_store(a[1], c[1]) if c[0] == 200 else c
            if difference:
                raise SystemExit(f"{hot.label}: the floor shows other data: {difference}")
            note = f", same data as the floor's {len(c[1]):,}"
        print(f"  same output: {hot.label} ({len(a[1]):,} bytes{note})", flush=True)


def headers(server):
    return {"Authorization": f"Bearer {server.token}", "Host": HOST}


def wrk(server, hot, args, form, duration):
    env = {
        **os.environ,
        "BENCH_METHOD": hot.method,
        "BENCH_PATH": hot.path,
        "BENCH_TOKEN": server.token if hot.authorized else "",
        "BENCH_BODY": form if hot.key == "token" else hot.body,
        "BENCH_CONTENT_TYPE": hot.content_type,
        "BENCH_MAX_ORDER": str(args.orders),
        "BENCH_SKUS": str(RESULTS / "skus.txt"),
        "BENCH_LINES": str(BULK_LINES),
    }
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s",
               "--latency", "-s", str(BENCH / "wrk.lua"), server.url + "/"]  # fmt: skip
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rate,
        "p50_ms": _percentile(output, "50%"),
        "p99_ms": _percentile(output, "99%"),
        "non_2xx": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def _percentile(output, which):
    value, unit = re.search(which + r"\s+([\d.]+)(us|ms|s)\b", output).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def measure(hot, servers, args, form):
    """The best of `rounds` runs per app, the apps taking turns (other load on the machine
    only ever slows a run down)."""
    best = [None] * len(servers)
    for round_ in range(args.rounds):
        order = range(len(servers)) if round_ % 2 == 0 else reversed(range(len(servers)))
        for index in order:
            if args.warmup:
                wrk(servers[index], hot, args, form, args.warmup)
            result = wrk(servers[index], hot, args, form, args.duration)
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
    """One line per path: the service against the floor where it serves the path, else
    against the bare app."""
    lines = [
        "| path | service req/s | yardstick | its req/s | ratio | service p50 / p99 "
        "| its p50 / p99 | p99 ÷ p50, service / its |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for label, ours, name, other in rows:
        lines.append(
            f"| {label} | {ours['rps']:,.0f} | {name} | {other['rps']:,.0f} | "
            f"{ours['rps'] / other['rps']:.2f} | {ours['p50_ms']:.2f} / {ours['p99_ms']:.2f} ms"
            f" | {other['p50_ms']:.2f} / {other['p99_ms']:.2f} ms"
            f" | {ours['p99_ms'] / ours['p50_ms']:.1f} / {other['p99_ms'] / other['p50_ms']:.1f} |"
        )
    return "\n".join(lines)


def mirror_client(url, path, client_id):
    """The service's client (made in PostgreSQL or MariaDB) in the bare app's SQLite
    database too: the bare app looks up the token's client on every request, as the
    service does."""
    columns = ("name", "client_id", "secret_digest", "scopes", "created_at")
    if url.startswith("postgresql"):
        import psycopg2

        conn = psycopg2.connect(url)
    else:
        conn, _ = _mariadb_server()
        conn.select_db(urllib.parse.urlsplit(url).path.lstrip("/"))
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM api_client WHERE client_id = %s", (client_id,)
        )
        row = cursor.fetchone()
    conn.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"INSERT INTO api_client ({', '.join(columns)}) VALUES (?, ?, ?, ?, ?)",
            (*row[:4], str(row[4])),
        )


def start(args, env, path):
    """The servers of the run: the service, the bare app and (with --floor) the floor."""
    credentials = flask(env, "cs", "client", "create", "Benchmark").stdout
    client_id = re.search(r"client_id:\s+(\S+)", credentials).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", credentials).group(1)
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    if args.database != "sqlite":
        mirror_client(env["DATABASE_URL"], path, client_id)
    servers = [Server("service", lambda port: gunicorn("wsgi:app", args, port), env)]
    bare_env = {**env, "BENCH_DATABASE": str(path)}
    servers.append(Server("bare", lambda port: gunicorn("bench.bare_app:app", args, port),
                          bare_env))  # fmt: skip
    if args.floor:
        work, key = floor_app.work_dir(), floor_app.new_key()
        database = fresh_copy(work / "floor.sqlite3", RESULTS / "floor.run.sqlite3")
        servers.append(
            Server(
                "floor",
                lambda port: floor_app.command(
                    args.floor, work, port, args.workers, args.worker_class
                ),  # fmt: skip
                floor_app.environment(work, database, ROOT, key),
                floor_app.token(args.floor, work, key),
                cwd=args.floor,
            )
        )
    status, body = fetch(
        servers[0].url + "/oauth/2.0/token", "POST", form.encode(), {"Content-Type": FORM}
    )
    servers[0].token = servers[1].token = json.loads(body)["access_token"]
    return servers, form


def main():
    args = arguments()
    RESULTS.mkdir(exist_ok=True)
    env = {**os.environ, "TOKEN_SECRET": secrets.token_urlsafe(48)}
    if args.floor:
        work = floor_app.prepare(args.floor, args.orders)
        env["STORE_TIMEZONE"] = floor_app.timezone(work)
    path, load, skus = build_database(args, env)
    hot_paths = paths(args, newest_event(path))
    servers = []
    try:
        servers, form = start(args, env, path)
        floor = servers[2] if args.floor else None
        check_same_output(hot_paths, servers[0], servers[1], floor, checked_order(args), skus[0])
        rows, raw = [], {}
        for hot in hot_paths:
            against = floor if floor and hot.key in floor_app.SERVED else servers[1]
            measured = measure(hot, (servers[0], against), args, form)
            rows.append((hot.label, measured[0], against.name, measured[1]))
            raw[hot.key] = {"label": hot.label, "service": measured[0], against.name: measured[1]}
            ours, other = measured[0]["rps"], measured[1]["rps"]
            print(f"  {hot.label}: {ours:,.0f} vs {against.name} {other:,.0f} req/s "
                  f"({ours / other:.2f})", flush=True)  # fmt: skip
    finally:
        for server in servers:
            server.stop()
    report = table(rows)
    print(report)
    summary = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()},
               "load": load, "paths": raw,
               "command": " ".join([Path(sys.executable).name, *sys.argv])}  # fmt: skip
    (RESULTS / "latest.json").write_text(json.dumps(summary, indent=2))
    (RESULTS / "latest.md").write_text(report + "\n")
    for key, result in raw.items():
        if any(r.get("non_2xx") for r in result.values() if isinstance(r, dict)):
            print(f"warning: {key} had non-2xx responses: {result}", file=sys.stderr)


if __name__ == "__main__":
    main()
