"""Many stock changes by SKU in one transaction, all or nothing (import.md §1): PATCH /stock
and the CSV import share this operation."""

from decimal import Decimal
from typing import NamedTuple

from models.base import locking_atomic, utcnow
from models.catalog import PRODUCT_SKU, VARIATION_SKU, Product, Variation
from store import stock_rows
from store.errors import Invalid
from store.stock import (
    MAX_QUANTITY,
    QUANTITY_RANGE,
    StockChange,
    render_product_record,
    render_variation_record,
    searchable_sku,
)

DEFAULT_MAX_LINES = 10_000
LINE_KEYS = ("sku", "stock_level", "stock_adjustment", "stock_unlimited")
QUANTITY_KEYS = ("stock_level", "stock_adjustment")
NOTHING_TO_CHANGE = "Nothing to change: send stock_level, stock_adjustment or stock_unlimited."
OUT_OF_RANGE = f"The adjusted stock level would be outside {QUANTITY_RANGE}."


class StockMove(NamedTuple):
    """A line that changed a stock record: what the change feed records of it."""

    sku: str
    product_id: int
    variation_id: int | None
    old_level: Decimal
    new_level: Decimal
    unlimited: bool


class BulkResult(NamedTuple):
    """The stock records in request order, and the lines that changed something."""

    records: list
    moves: list

    @property
    def meta(self):
        return {"changed": len(self.moves), "unchanged": len(self.records) - len(self.moves)}


class _Line(NamedTuple):
    number: int
    sku: str
    change: StockChange


def _raise(problems):
    """Invalid listing every problem, in line order."""

    def line_of(path):
        parts = path.split(".")
        return int(parts[1]) if len(parts) > 1 else -1

    ordered = dict(sorted(problems.items(), key=lambda item: line_of(item[0])))
    path, messages = next(iter(ordered.items()))
    raise Invalid(f"Invalid {path}: {messages[0]}", ordered)


# --- checking the lines ---


def _line_problems(number, raw):
    """(StockChange or None, {path: [message]}) of one line; the value rules are
    StockChange's, as for a single record."""
    prefix = f"data.{number}"
    if not isinstance(raw, dict):
        return None, {prefix: ["Must be a JSON object."]}
    problems = {f"{prefix}.{key}": ["Unknown field."] for key in raw if key not in LINE_KEYS}
    sku = raw.get("sku")
    if sku is None:
        problems[f"{prefix}.sku"] = ["Missing data for required field."]
    elif not isinstance(sku, str):
        problems[f"{prefix}.sku"] = ["Must be a string."]
    for key in QUANTITY_KEYS:
        value = raw.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float | Decimal)
        ):
            problems[f"{prefix}.{key}"] = ["Must be a JSON number."]
    if problems:
        return None, problems
    try:
        change = StockChange.of(
            raw.get("stock_level"), raw.get("stock_unlimited"), raw.get("stock_adjustment")
        )
    except Invalid as error:
        # StockChange names a single record's fields (`data.stock_level`).
        return None, {f"{prefix}.{path[5:]}": texts for path, texts in error.fields.items()}
    if change.is_noop:
        return None, {prefix: [NOTHING_TO_CHANGE]}
    return change, {}


def check_lines(data, max_lines=DEFAULT_MAX_LINES):
    """The lines of a bulk request as [_Line], and {path: [message]} of every problem
    found without the database (the SKUs of good and bad lines alike are looked up)."""
    if not isinstance(data, list):
        return [], {"data": ["Must be a JSON array of lines."]}
    if not data:
        return [], {"data": ["At least 1 line."]}
    if len(data) > max_lines:
        return [], {"data": [f"At most {max_lines} lines."]}
    lines, problems, seen = [], {}, {}
    for number, raw in enumerate(data):
        change, found = _line_problems(number, raw)
        sku = raw.get("sku") if isinstance(raw, dict) else None
        if isinstance(sku, str):
            first = seen.setdefault(sku, number)
            if first != number:
                found.setdefault(f"data.{number}.sku", []).append(
                    f"The same SKU as data.{first}.sku."
                )
        problems.update(found)
        if isinstance(sku, str):
            lines.append(_Line(number, sku, change))
    return lines, problems


# --- writing ---


def _after(change, level, unlimited):
    """(level, unlimited) once `change` is applied to a record at (level, unlimited)."""
    if change.level is not None:
        level = change.level
    elif change.adjustment is not None:
        level = level + change.adjustment
    return level, unlimited if change.unlimited is None else change.unlimited


def _plan(lines, owners, current):
    """Each line with its record's (level, unlimited) before and after, and the problems of
    adjustments that would leave the range."""
    planned, problems = [], {}
    for line in lines:
        kind, record_id, _, _ = owners[line.sku]
        before = current[kind][record_id]
        after = _after(line.change, *before)
        if abs(after[0]) > MAX_QUANTITY:
            problems[f"data.{line.number}.stock_adjustment"] = [OUT_OF_RANGE]
        planned.append((line, before, after))
    return planned, problems


def _record(owner, sku, state):
    kind, record_id, product_id, name = owner
    if kind == PRODUCT_SKU:
        return render_product_record(record_id, sku, name, *state)
    return render_variation_record(record_id, product_id, sku, name, *state)


def apply_stock_lines(data, actor=None, settings=None, dry_run=False, max_lines=None):
    """Apply a bulk request's lines (`data`: the JSON array) in one transaction; a
    BulkResult. Any problem raises Invalid listing them all, and nothing changes.

    Rows are locked variations first, then products, each in id order: the order every
    stock write takes them in, so concurrent writers wait instead of deadlocking.
    `actor` (who asks) is recorded with the changes; `dry_run` checks and counts, then
    rolls everything back; `max_lines` replaces the setting MAX_BULK_LINES."""
    if max_lines is None:
        max_lines = settings.max_bulk_lines if settings is not None else DEFAULT_MAX_LINES
    lines, problems = check_lines(data, max_lines)
    with locking_atomic() as transaction:
        owners = stock_rows.resolve({line.sku for line in lines if searchable_sku(line.sku)})
        for line in lines:
            if line.sku not in owners:
                problems.setdefault(f"data.{line.number}.sku", []).insert(0, "SKU not found")
        if problems:
            _raise(problems)
        moves = _apply(lines, owners, actor)
        records = [_record(owners[line.sku], line.sku, after) for line, _, after in moves.plan]
        if dry_run:
            transaction.rollback()
    return BulkResult(records, moves.changed)


class _Applied(NamedTuple):
    plan: list
    changed: list


def _apply(lines, owners, actor):
    """Lock, check the ranges, write; the plan and the StockMoves of the changed lines."""
    ids = {PRODUCT_SKU: set(), VARIATION_SKU: set()}
    for kind, record_id, _, _ in owners.values():
        ids[kind].add(record_id)
    current = {VARIATION_SKU: stock_rows.lock(Variation, ids[VARIATION_SKU])}
    # The products whose stock records are lines, and those of variation lines (their
    # date_updated may change): locked after every variation.
    parents = {owners[line.sku][2] for line in lines if owners[line.sku][0] == VARIATION_SKU}
    current[PRODUCT_SKU] = stock_rows.lock(Product, ids[PRODUCT_SKU] | parents)
    missing = [line for line in lines if owners[line.sku][1] not in current[owners[line.sku][0]]]
    if missing:
        # Deleted between the lookup and the lock.
        _raise({f"data.{line.number}.sku": ["SKU not found"] for line in missing})
    plan, problems = _plan(lines, owners, current)
    if problems:
        _raise(problems)
    writes = {kind: ({}, {}, {}) for kind in (PRODUCT_SKU, VARIATION_SKU)}
    moves, touched = [], set()
    for line, before, after in plan:
        if before == after:
            continue
        kind, record_id, product_id, _ = owners[line.sku]
        levels, adjustments, flags = writes[kind]
        if line.change.adjustment is not None:
            # Added by the database to the locked row, as a single write adds it.
            adjustments[record_id] = line.change.adjustment
        elif after[0] != before[0]:
            levels[record_id] = after[0]
        if after[1] != before[1]:
            flags[record_id] = after[1]
        touched.add(product_id)
        variation_id = record_id if kind == VARIATION_SKU else None
        moves.append(StockMove(line.sku, product_id, variation_id, before[0], after[0], after[1]))
    stock_rows.update(Variation, *writes[VARIATION_SKU])
    stock_rows.update(Product, *writes[PRODUCT_SKU], touch=touched, now=utcnow())
    # Every changed line, known once, inside the transaction: where the change feed
    # records its stock.changed events (reason "bulk", by `actor`).
    return _Applied(plan, moves)
