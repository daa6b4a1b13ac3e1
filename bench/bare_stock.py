"""The bare app's bulk stock write, PATCH /stock: the service's statements (a SKU lookup,
locking reads in id order, one `UPDATE … CASE` per table and thousand rows, the feed's
counter and its events' INSERT) with its answer, and no more checking than the benchmark
needs."""

import datetime
import math
import sqlite3
from decimal import Decimal

import orjson

from bench.bare_base import Fail, db, marks, number

MAX_UNITS = 999_999_999_999
MAX_LINES = 10_000
BATCH = 1000
LINE_KEYS = frozenset(("sku", "stock_level", "stock_adjustment", "stock_unlimited"))
RESOLVE_SQL = (
    'SELECT \'P\', "product".sku, "product".id, "product".id, "product".name '
    'FROM "product" WHERE "product".sku IN ({0}) UNION ALL '
    'SELECT \'V\', "variation".sku, "variation".id, "variation".product_id, '
    '"product".name FROM "variation" JOIN "product" ON "product".id = "variation".product_id '
    'WHERE "variation".sku IN ({0})'
)
LOCK_SQL = 'SELECT id, stock_level, stock_unlimited FROM "{}" WHERE id IN ({}) ORDER BY id'
TAKE_IDS_SQL = (
    "UPDATE event_mark SET value = value + ? WHERE name = 'last' RETURNING value"
    if sqlite3.sqlite_version_info >= (3, 35, 0)
    else None
)
EVENT_COLUMNS = '("id", "type", "occurred_at", "actor", "imported", "data")'


def _bad(message):
    return Fail("400 Bad Request", {"error": True, "errors": [message]})


def _units(value):
    """A JSON quantity in stored ten-thousandths."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad("Must be a JSON number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise _bad("Must be a JSON number.")
    units = (Decimal(repr(value)) if isinstance(value, float) else Decimal(value)) * 10_000
    if units != units.to_integral_value() or abs(units) > MAX_UNITS:
        raise _bad("Out of range.")
    return int(units)


def _lines(raw):
    """[(sku, level units or None, adjustment units or None, unlimited or None)]."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _bad("The body is not valid JSON.") from None
    if not isinstance(body, dict) or set(body) != {"data"}:
        raise _bad("Bad Request")
    data = body["data"]
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_LINES:
        raise _bad("Bad data")
    lines, seen = [], set()
    for line in data:
        if not isinstance(line, dict) or not LINE_KEYS.issuperset(line):
            raise _bad("Bad line")
        sku, unlimited = line.get("sku"), line.get("stock_unlimited")
        level, adjustment = line.get("stock_level"), line.get("stock_adjustment")
        if not isinstance(sku, str) or sku in seen or not isinstance(unlimited, bool | None):
            raise _bad("Bad line")
        if level is not None and adjustment is not None:
            raise _bad("Bad line")
        seen.add(sku)
        level = None if level is None else _units(level)
        adjustment = None if adjustment is None else _units(adjustment)
        if adjustment == 0 or (level is None and adjustment is None and unlimited is None):
            raise _bad("Bad line")
        lines.append((sku, level, adjustment, unlimited))
    return lines


def _chunks(values):
    values = sorted(values)
    return (values[start : start + BATCH] for start in range(0, len(values), BATCH))


def _resolve(conn, skus):
    found = {}
    for chunk in _chunks(skus):
        for kind, sku, rid, pid, name in conn.execute(RESOLVE_SQL.format(marks(chunk)), chunk * 2):
            found[sku] = (kind, rid, pid, name)
    return found


def _lock(conn, table, ids):
    current = {}
    for chunk in _chunks(ids):
        for rid, units, flag in conn.execute(LOCK_SQL.format(table, marks(chunk)), chunk):
            current[rid] = (units, bool(flag))
    return current


def _update(conn, table, levels, adjustments, flags, touch=(), now=None):
    """One `UPDATE … CASE` per thousand rows, as the service writes them."""
    for chunk in _chunks(set(levels) | set(adjustments) | set(flags) | set(touch)):
        sets, params, cases = [], [], []
        for rid in chunk:
            if rid in adjustments:
                cases.append("WHEN ? THEN stock_level + ?")
                params += (rid, adjustments[rid])
            elif rid in levels:
                cases.append("WHEN ? THEN ?")
                params += (rid, levels[rid])
        if cases:
            sets.append(f"stock_level = CASE id {' '.join(cases)} ELSE stock_level END")
        chosen = [rid for rid in chunk if rid in flags]
        if chosen:
            sets.append(f"stock_unlimited = CASE id {' '.join(['WHEN ? THEN ?'] * len(chosen))} "
                        "ELSE stock_unlimited END")  # fmt: skip
            for rid in chosen:
                params += (rid, flags[rid])
        if table == "product":
            sets.append("date_updated = ?")
            params.append(now)
        if sets:
            conn.execute(
                f'UPDATE "{table}" SET {", ".join(sets)} WHERE id IN ({marks(chunk)})',
                params + chunk,
            )


def _record(owner, sku, units, unlimited):
    kind, rid, pid, name = owner
    if kind == "P":
        return {"id": rid, "sku": sku, "name": name, "stock_level": number(units),
                "stock_unlimited": unlimited}  # fmt: skip
    return {"id": rid, "product_id": pid, "sku": sku, "name": name, "stock_level": number(units),
            "stock_unlimited": unlimited, "variation": True}  # fmt: skip


def _write_events(conn, moves, actor, now):
    """One stock.changed per changed line, numbered from the feed's counter."""
    if not moves:
        return
    if TAKE_IDS_SQL:
        last = conn.execute(TAKE_IDS_SQL, (len(moves),)).fetchone()[0]
    else:
        conn.execute("UPDATE event_mark SET value = value + ? WHERE name = 'last'", (len(moves),))
        last = conn.execute("SELECT value FROM event_mark WHERE name = 'last'").fetchone()[0]
    first = last - len(moves) + 1
    rows = [(first + index, "stock.changed", now, actor, False, orjson.dumps(data).decode())
            for index, data in enumerate(moves)]  # fmt: skip
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(batch))
        conn.execute(f'INSERT INTO "event" {EVENT_COLUMNS} VALUES {values}',
                     [value for row in batch for value in row])  # fmt: skip


def _apply(conn, lines, owners, actor, now):
    ids = {"P": set(), "V": set()}
    for kind, rid, _, _ in owners.values():
        ids[kind].add(rid)
    current = {"V": _lock(conn, "variation", ids["V"])}
    parents = {owners[sku][2] for sku, *_ in lines if owners[sku][0] == "V"}
    current["P"] = _lock(conn, "product", ids["P"] | parents)
    writes = {"P": ({}, {}, {}), "V": ({}, {}, {})}
    records, moves, touched = [], [], set()
    for sku, level, adjustment, unlimited in lines:
        kind, rid, pid, _ = owner = owners[sku]
        if rid not in current[kind]:
            raise _bad("SKU not found")
        before = current[kind][rid]
        after_level = level if level is not None else before[0] + (adjustment or 0)
        after = (after_level, before[1] if unlimited is None else unlimited)
        if abs(after_level) > MAX_UNITS:
            raise _bad("Out of range.")
        records.append(_record(owner, sku, *after))
        if after == before:
            continue
        levels, adjustments, flags = writes[kind]
        if adjustment is not None:
            adjustments[rid] = adjustment
        elif after[0] != before[0]:
            levels[rid] = after[0]
        if after[1] != before[1]:
            flags[rid] = after[1]
        touched.add(pid)
        moves.append({"sku": sku, "product_id": pid, "variation_id": rid if kind == "V" else None,
                      "stock_level": number(after[0]), "previous_stock_level": number(before[0]),
                      "stock_unlimited": after[1], "reason": "bulk"})  # fmt: skip
    _update(conn, "variation", *writes["V"])
    _update(conn, "product", *writes["P"], touch=touched, now=now)
    _write_events(conn, moves, actor, now)
    return records, moves


def patch_stock(raw, client_id):
    """Set or adjust the stock of many SKUs in one transaction, all or nothing."""
    lines = _lines(raw)
    conn = db()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn.execute("BEGIN IMMEDIATE")
    try:
        owners = _resolve(conn, {sku for sku, *_ in lines})
        if any(sku not in owners for sku, *_ in lines):
            raise _bad("SKU not found")
        records, moves = _apply(conn, lines, owners, f"client:{client_id}", now)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    meta = {"changed": len(moves), "unchanged": len(records) - len(moves)}
    return {"data": records, "meta": meta}
