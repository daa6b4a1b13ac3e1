"""The floor beside the service in bench/run.py: its own venv, dataset and SQLite database
(as its setup.sh makes them), its own tokens, and the check that it serves the same store.

The floor is a directory given on the command line (`run.py --floor DIR`); nothing here
depends on where it lives. Its work directory is FLOOR_WORK, else ${TMPDIR:-/tmp}/cs-floor,
as in its setup.sh.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

# The hot paths the floor serves; the others are measured against the bare app.
SERVED = ("orders_page", "orders_deep", "order", "products", "sku_patch")
# The floor's PATCH sets stock_level and stock_unlimited only (an adjustment is not one of
# its writes): both apps are sent absolute levels, random (wrk.lua) so that each is a write.
PATCH_BODY = '{"data": {"stock_level": {level}}}'
DEEP_PAGE = 2500


def work_dir():
    base = os.environ.get("FLOOR_WORK") or Path(os.environ.get("TMPDIR") or "/tmp") / "cs-floor"
    return Path(base)


def prepare(floor, orders):
    """The floor's work directory, built by its setup.sh when missing or of another size."""
    work = work_dir()
    meta = work / "data" / "meta.json"
    built = meta.exists() and json.loads(meta.read_text()).get("orders") == orders
    if not built or not (work / "floor.sqlite3").exists():
        print(f"building the floor's store in {work} ...", flush=True)
        subprocess.run(["bash", str(floor / "setup.sh"), str(orders)], check=True,
                       capture_output=True)  # fmt: skip
    return work


def timezone(work):
    return json.loads((work / "data" / "meta.json").read_text()).get(
        "store_timezone", "America/Phoenix"
    )


def settings_arguments(workers, worker_class):
    """The gunicorn settings of bench/gunicorn_plain.py as command-line arguments: the
    floor's venv cannot read the project's config (it lacks the project's packages)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench import gunicorn_plain as plain

    arguments = ["-w", str(workers), "-k", worker_class or plain.worker_class,
                 "--threads", str(plain.threads), "--keep-alive", str(plain.keepalive),
                 "--timeout", str(plain.timeout), "--no-control-socket",
                 "--limit-request-line", str(plain.limit_request_line),
                 "--limit-request-field_size", str(plain.limit_request_field_size)]  # fmt: skip
    return arguments


def command(floor, work, port, workers, worker_class):
    gunicorn = str(work / "venv" / "bin" / "gunicorn")
    return [gunicorn, *settings_arguments(workers, worker_class),
            "-b", f"127.0.0.1:{port}", "floor_app:app"]  # fmt: skip


def environment(work, database, root, key):
    return {
        **os.environ,
        "FLOOR_DB": str(database),
        "BENCH_JWT_KEY": key,
        "STORE_TIMEZONE": timezone(work),
        # The project's worker class, importable by the floor's gunicorn.
        "PYTHONPATH": str(root),
    }


def new_key():
    return secrets.token_urlsafe(48)


def token(floor, work, key):
    """A token the floor accepts (its tokens.py, its bench client), valid four hours."""
    return subprocess.run(
        [str(work / "venv" / "bin" / "python"), str(floor / "tokens.py"), "bench-client", "14400"],
        env={**os.environ, "BENCH_JWT_KEY": key}, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def _normal(value, key=None):
    """A body with the floor's known shortcuts undone: money as floats (140.0 for 140), no
    shipping object for an order without one, groups and categories sorted by name (the
    service keeps the store's order) and pagination links without their host."""
    if isinstance(value, dict):
        if (
            key == "shipping"
            and value.get("address", 0) is None
            and not any(value.get(k) for k in ("first_name", "last_name", "company"))
        ):
            return None
        return {k: _normal(v, k) for k, v in value.items() if key != "links"} | (
            {k: v.partition("/cs/")[2] for k, v in value.items()} if key == "links" else {}
        )
    if isinstance(value, list):
        items = [_normal(v) for v in value]
        if key in ("groups", "categories"):
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def same_store(ours, floor):
    """None when two bodies show the same data, else where they first differ."""
    a, b = _normal(json.loads(ours)), _normal(json.loads(floor))
    if a == b:
        return None
    return _first_difference(a, b, "")


def _first_difference(a, b, path):
    if type(a) is not type(b) or not isinstance(a, dict | list):
        return f"{path}: {a!r} / {b!r}" if a != b else None
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path} keys: {list(a)} / {list(b)}"
        pairs = [(f"{path}.{k}", a[k], b[k]) for k in a]
    else:
        if len(a) != len(b):
            return f"{path} length: {len(a)} / {len(b)}"
        pairs = [(f"{path}[{i}]", x, y) for i, (x, y) in enumerate(zip(a, b, strict=True))]
    for where, x, y in pairs:
        found = _first_difference(x, y, where)
        if found:
            return found
    return None


def load_service_store(env, root, work):
    """The floor's dataset in the service's schema (bench/floor_store.py)."""
    subprocess.run(
        [sys.executable, str(root / "bench" / "floor_store.py"), str(work / "data")],
        cwd=root, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
