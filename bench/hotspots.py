"""Where the service's time goes on the hot paths, measured in one process without HTTP.

    .venv/bin/python bench/hotspots.py                 # CPU per request, both apps
    .venv/bin/python bench/hotspots.py --profile order # + cProfile of one path
    .venv/bin/python bench/hotspots.py --floor ../shared/floor  # against the floor
    taskset -c 1 .venv/bin/python bench/hotspots.py --floor ../shared/floor --spread

With --floor, the paths the floor serves are measured against it (in this process, over
the copies of the stores the last `run.py --floor` run served), the others against the
bare app over the same store.

Both apps are called through werkzeug's test client (the same WSGI environ building for
each) over the benchmark's database (bench/run.py builds it). CPU time (process time) per
request is compared, so other load on the machine hardly moves the figures.

--spread gives instead each path's own spread: the service's wall time per request, one
request after another on one thread (p50, p99, p99.9 over `--requests`, after a warm-up),
with what the service made at start frozen as the shipped worker freezes it. Served under
load, a request waits beyond that for the requests ahead of it, a CPU and the machine
(bench/tail.py).
"""

import argparse
import cProfile
import gc
import os
import pstats
import random
import re
import secrets
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import floor as floor_app  # noqa: E402
from bench.run import (  # noqa: E402
    HOT_PATHS,
    RESULTS,
    concrete,
    newest_event,
    paths,
    request_body,
)

# Where a function lives, by the path of its file: what each part of the stack costs.
AREAS = (
    ("peewee / playhouse", re.compile(r"/(peewee|playhouse)")),
    ("sqlite3 (C)", re.compile(r"sqlite3|method 'execute'|method 'fetch")),
    ("flask-smorest / webargs / marshmallow", re.compile(r"flask_smorest|webargs|marshmallow")),
    ("flask / werkzeug", re.compile(r"/(flask|werkzeug)/")),
    ("PyJWT", re.compile(r"/jwt/")),
    ("orjson", re.compile(r"orjson")),
    ("decimal / datetime / zoneinfo", re.compile(r"decimal|datetime|zoneinfo|strftime")),
    ("service code (api/, store/, models/)", re.compile(r"/(api|store|models)/")),
)


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", nargs="*", default=[], choices=[p.key for p in HOT_PATHS])
    parser.add_argument("--spread", action="store_true", help="wall time per request: "
                        "p50, p99 and p99.9 of the service alone")  # fmt: skip
    parser.add_argument("--database", default=None, help="SQLite file (default: the bench's)")
    parser.add_argument("--floor", type=Path, help="the floor's directory: measure it too, "
                        "over the stores of the last `run.py --floor` run")  # fmt: skip
    return parser.parse_args()


def clients(database):
    os.environ.setdefault("TOKEN_SECRET", secrets.token_urlsafe(48))
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["BENCH_DATABASE"] = str(database)
    from werkzeug.test import Client

    from app import create_app
    from bench.bare_app import app as bare_app
    from store.clients import create_client

    app = create_app()
    with app.extensions["community_store_api"].session():
        client, secret = create_client("Profile")
    form = {"grant_type": "client_credentials", "client_id": client.client_id,
            "client_secret": secret}  # fmt: skip
    return Client(app), Client(bare_app), form


def floor_client(floor):
    """The floor's app in this process (it needs only PyJWT and orjson), over the copy of
    its store the last `run.py --floor` served, and a token it accepts."""
    from werkzeug.test import Client

    key = secrets.token_urlsafe(48)
    os.environ.update(FLOOR_DB=str(RESULTS / "floor.run.sqlite3"), BENCH_JWT_KEY=key)
    sys.path.insert(0, str(floor))
    import floor_app
    import tokens

    return Client(floor_app.app), {"Authorization": f"Bearer {tokens.mint(key)}"}


def request(client, hot, form, headers, order_id, sku, skus):
    path = concrete(hot.path, order_id, sku)
    if hot.key == "token":
        return client.post(path, data=form)
    if hot.method == "PATCH":
        return client.patch(path, data=request_body(hot, skus), headers=headers)
    return client.get(path, headers=headers)


def cpu_per_request(client, hot, form, headers, count, rng, max_order, skus):
    for _ in range(20):
        request(client, hot, form, headers, rng.randint(1, max_order), rng.choice(skus), skus)
    started = time.process_time()
    for _ in range(count):
        order_id, sku = rng.randint(1, max_order), rng.choice(skus)
        response = request(client, hot, form, headers, order_id, sku, skus)
        assert response.status_code == 200, (hot.key, response.status_code, response.data[:200])
    return (time.process_time() - started) / count * 1000


def spread(client, hot, form, headers, count, rng, max_order, skus):
    """p50, p99 and p99.9 of the wall time per request, in ms, after a tenth as warm-up."""
    times = []
    for _ in range(count + count // 10):
        order_id, sku = rng.randint(1, max_order), rng.choice(skus)
        started = time.perf_counter()
        request(client, hot, form, headers, order_id, sku, skus)
        times.append((time.perf_counter() - started) * 1000)
    times = sorted(times[count // 10 :])
    return [times[min(int(len(times) * share), len(times) - 1)] for share in (0.5, 0.99, 0.999)]


def print_spreads(ours, form, headers, count, max_order, skus, floor, newest):
    gc.collect()
    gc.freeze()
    print(f"{'path':48} {'p50':>9} {'p99':>9} {'p99.9':>9} {'p99 ÷ p50':>10}")
    for hot in paths(argparse.Namespace(only=None, floor=floor), newest):
        p50, p99, p999 = spread(ours, hot, form, headers, count, random.Random(1), max_order, skus)
        print(f"{hot.label:48} {p50:6.3f} ms {p99:6.3f} ms {p999:6.3f} ms {p99 / p50:10.2f}")


def breakdown(profile):
    """Own time (tottime) per area of the stack, in ms per request and as a share."""
    stats = pstats.Stats(profile)
    totals = defaultdict(float)
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():
        where = f"{filename} {name}"
        area = next((label for label, pattern in AREAS if pattern.search(where)), "other")
        totals[area] += tottime
    return totals, stats


def main():
    args = arguments()
    pattern = "floor-*.run.db" if args.floor else "demo-*.db"
    database = args.database or next(RESULTS.glob(pattern))
    if args.floor:
        os.environ["STORE_TIMEZONE"] = floor_app.timezone(floor_app.work_dir())
    ours, bare, form = clients(database)
    token = ours.post("/oauth/2.0/token", data=form).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    skus = (RESULTS / "skus.txt").read_text().split()
    max_order = int(re.search(r"-(\d+)-orders", str(database)).group(1))
    newest = newest_event(database)
    if args.spread:
        return print_spreads(
            ours, form, headers, args.requests, max_order, skus, args.floor, newest
        )
    apps = [("service", ours, headers), ("bare", bare, headers)]
    if args.floor:
        apps.append(("floor", *floor_client(args.floor)))
    print(f"{'path':48} {'service':>12} {'yardstick':>18} {'ratio':>6}")
    for hot in paths(argparse.Namespace(only=None, floor=args.floor), newest):
        name, other, other_headers = apps[2] if hot.key in floor_app.SERVED else apps[1]
        costs = [
            cpu_per_request(c, hot, form, h, args.requests, random.Random(1), max_order, skus)
            for c, h in ((ours, headers), (other, other_headers))
        ]
        print(f"{hot.label:48} {costs[0]:9.2f} ms {name:>6} {costs[1]:8.2f} ms "
              f"{costs[1] / costs[0]:6.2f}")  # fmt: skip
    for key in args.profile:
        hot = next(p for p in HOT_PATHS if p.key == key)
        profile = cProfile.Profile()
        rng = random.Random(2)
        profile.enable()
        for _ in range(args.requests):
            request(ours, hot, form, headers, rng.randint(1, max_order), rng.choice(skus), skus)
        profile.disable()
        totals, stats = breakdown(profile)
        whole = sum(totals.values())
        print(f"\n{hot.label}: {whole / args.requests * 1000:.2f} ms per request (profiled)")
        for area, seconds in sorted(totals.items(), key=lambda item: -item[1]):
            print(f"  {area:40} {seconds / args.requests * 1000:7.3f} ms  {seconds / whole:6.1%}")
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
