"""Instructions per request of the service and the floor, counted by valgrind's callgrind.

    .venv/bin/python bench/instructions.py --floor ../shared/floor
    .venv/bin/python bench/instructions.py --floor ../shared/floor --only products --requests 50

CPU time moves with whatever else the machine does; the number of instructions a request
executes does not (callgrind counts them, whatever the load: the same total to within 0.1 %
run after run). Each app serves each read path in one process without HTTP (werkzeug's test
client, as hotspots.py calls them), under callgrind twice: after 5 warm-up requests, once
with no more and once with `--requests` more; the difference, divided, is one request's
instructions, split by the library that executed them (the interpreter, SQLite, libc,
orjson, ...). Over copies of the stores the last `run.py --floor` run served. Needs valgrind
(Debian's package); each run takes about half a minute.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import floor as floor_app  # noqa: E402
from bench.run import RESULTS, concrete, paths  # noqa: E402

# The read paths the floor serves (the writes would grow the stores run after run).
KEYS = ("orders_page", "orders_deep", "order", "products")
# A key whose bytes are varied enough for the service's check of token secrets.
KEY = "aW5zdHJ1Y3Rpb25zLXBlci1yZXF1ZXN0LWZpeGVkLWtleS0yMDI2"
WARM_UP = 5
LIBRARY = re.compile(r"\[([^\]]+)\]\s*$")


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--floor", type=Path, required=True, help="the floor's directory")
    parser.add_argument("--only", nargs="*", choices=KEYS)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--child", nargs=3, metavar=("APP", "PATH", "N"), help=argparse.SUPPRESS)
    return parser.parse_args()


def serve(app_name, path, count, floor):
    """In the child: `count` requests of `path` after the warm-up ones."""
    from werkzeug.test import Client

    if app_name == "floor":
        sys.path.insert(0, str(floor))
        import floor_app as floor_module
        import tokens

        client = Client(floor_module.app)
        headers = {"Authorization": f"Bearer {tokens.mint(KEY)}"}
    else:
        from app import create_app
        from store.clients import create_client

        app = create_app()
        with app.extensions["community_store_api"].session():
            made, secret = create_client("Instructions")
        client = Client(app)
        form = {"grant_type": "client_credentials", "client_id": made.client_id,
                "client_secret": secret}  # fmt: skip
        token = client.post("/oauth/2.0/token", data=form).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
    for _ in range(WARM_UP):
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{app_name} {path}: {response.status_code}")
    for _ in range(count):
        client.get(path, headers=headers)


def by_library(output):
    """{library: instructions} of a callgrind output file."""
    annotated = subprocess.run(
        ["callgrind_annotate", "--threshold=100", str(output)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    totals = Counter()
    for line in annotated.splitlines():
        match = re.match(r"\s*([0-9,]+) (?:\([^)]*\)\s+)?(.*)$", line)
        if not match or "PROGRAM TOTALS" in line or match.group(2).startswith("file:function"):
            continue
        library = LIBRARY.search(match.group(2))
        if library:
            totals[Path(library.group(1)).name] += int(match.group(1).replace(",", ""))
    return totals


def counted(app_name, path, count, env, work):
    """{library: instructions} of one child run under callgrind."""
    output = work / f"callgrind.{app_name}.{count}.out"
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={output}",
        sys.executable, str(Path(__file__).resolve()), "--floor", str(env["FLOOR_DIR"]),
        "--child", app_name, path, str(count),
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return by_library(output)


def per_request(app_name, path, requests, env, work):
    """{library: instructions per request}, the total under None."""
    before = counted(app_name, path, 0, env, work)
    after = counted(app_name, path, requests, env, work)
    libraries = {name: (after[name] - before[name]) / requests for name in after}
    libraries[None] = sum(libraries.values())
    return libraries


def main():
    args = arguments()
    if args.child:
        app_name, path, count = args.child
        serve(app_name, path, int(count), args.floor.resolve())
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install -y valgrind)")
    floor_dir = args.floor.resolve()
    chosen = [
        hot
        for hot in paths(argparse.Namespace(only=args.only or list(KEYS), floor=floor_dir))
        if hot.key in KEYS
    ]
    stem = "floor-100000-orders-2000-products"
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        service_db, floor_db = work / "service.db", work / "floor.sqlite3"
        shutil.copy(RESULTS / f"{stem}.run.db", service_db)
        shutil.copy(RESULTS / "floor.run.sqlite3", floor_db)
        env = {
            **os.environ,
            "FLOOR_DIR": str(floor_dir),
            "DATABASE_URL": f"sqlite:///{service_db}",
            "TOKEN_SECRET": KEY,
            "FLOOR_DB": str(floor_db),
            "BENCH_JWT_KEY": KEY,
            "STORE_TIMEZONE": floor_app.timezone(floor_app.work_dir()),
        }
        print(
            "| path | service | floor | floor ÷ service | service, by library | floor, by library |"
        )
        print("|---|---:|---:|---:|---|---|")
        for hot in chosen:
            path = concrete(hot.path, 50_007, "")
            ours = per_request("service", path, args.requests, env, work)
            theirs = per_request("floor", path, args.requests, env, work)
            print(
                f"| {hot.label} | {ours[None] / 1e6:.2f} M | {theirs[None] / 1e6:.2f} M "
                f"| {theirs[None] / ours[None]:.2f} | {_split(ours)} | {_split(theirs)} |",
                flush=True,
            )


def _split(libraries):
    """The four libraries that executed most, in millions."""
    named = sorted(
        ((name, count) for name, count in libraries.items() if name), key=lambda item: -item[1]
    )
    return ", ".join(f"{_short(name)} {count / 1e6:.2f}" for name, count in named[:4])


def _short(library):
    return library.split(".so")[0].split(".cpython")[0].removeprefix("lib")


if __name__ == "__main__":
    main()
