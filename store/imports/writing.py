"""Writing one page of copied records: in its own transaction, records this store made
left alone, equal records not written, the provenance table kept."""

from contextlib import nullcontext
from typing import NamedTuple

import orjson

from models.base import locking_atomic
from models.imports import ImportRecord
from store import orders, products
from store.errors import NotFound, StoreError
from store.fields import load
from store.orders.writes import RECORDED_ORDER
from store.products.writes import PRODUCT as PRODUCT_BODY


class Kind(NamedTuple):
    """One kind of copied record: its name in the provenance table, how this store
    renders it (full view), replaces it, and checks a body without writing (dry runs)."""

    name: str
    render: object
    put: object
    check: object


def _put_product(product_id, body, actor, settings):
    # The one place an import writes a product; its events name `actor` and, being an
    # import's, are `imported`.
    return products.put_product(product_id, body, actor, settings)


def _put_order(order_id, body, actor, settings):
    # The one place an import writes an order; its events name `actor` and, being an
    # import's, are `imported`.
    return orders.put_order(order_id, body, actor, settings)


def _checker(schema):
    return lambda body, settings: load(schema, body, settings)


PRODUCT = Kind("product", products.render_products, _put_product, _checker(PRODUCT_BODY))
ORDER = Kind("order", orders.render_orders, _put_order, _checker(RECORDED_ORDER))


class Target(NamedTuple):
    """Where and how the records are written."""

    settings: object
    source: str  # the provenance key (store.imports.source.source_key)
    actor: str
    dry_run: bool


def comparable(document):
    """A document as its JSON reads back, `date_updated` left out (a copy's own)."""
    plain = orjson.loads(orjson.dumps(document, default=float))
    plain.pop("date_updated", None)
    return plain


def covers(stored, wanted):
    """Whether the stored document already holds every value of `wanted` (a PUT body:
    keys a source cannot show are absent from it and compared by nothing)."""
    if isinstance(wanted, dict):
        return isinstance(stored, dict) and all(
            key in stored and covers(stored[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(wanted)
            and all(covers(mine, theirs) for mine, theirs in zip(stored, wanted, strict=True))
        )
    if isinstance(wanted, bool) or isinstance(stored, bool):
        return type(stored) is type(wanted) and stored == wanted
    return stored == wanted


def _owners(kind, ids):
    rows = ImportRecord.select(ImportRecord.target_id, ImportRecord.source).where(
        (ImportRecord.kind == kind.name) & ImportRecord.target_id.in_(ids)
    )
    return dict(rows.tuples())


def _record_owner(kind, record_id, source, owner):
    if owner == source:
        return
    if owner is not None:  # the record another source had copied is gone here
        ImportRecord.delete().where(
            (ImportRecord.kind == kind.name) & (ImportRecord.target_id == record_id)
        ).execute()
    ImportRecord.create(source=source, kind=kind.name, source_id=record_id, target_id=record_id)


def write_page(kind, records, target, summary):
    """Copy one page of (id, PUT body) records in one transaction; outcomes counted in
    `summary` (a KindSummary)."""
    ids = [record_id for record_id, _ in records]
    with nullcontext() if target.dry_run else locking_atomic():
        owners = _owners(kind, ids)
        stored = {doc["id"]: doc for doc in kind.render(ids, target.settings, True)}
        for record_id, body in records:
            body = comparable(body)
            owner = owners.get(record_id)
            if record_id in stored:
                if owner != target.source:
                    reason = "made by this store" if owner is None else f"copied from {owner}"
                    summary.skip(record_id, f"{kind.name} exists here, {reason}")
                    continue
                if covers(comparable(stored[record_id]), body):
                    summary.count("unchanged")
                    continue
            try:
                _write(kind, record_id, body, target, owner)
            except StoreError as error:
                summary.skip(record_id, f"refused: {error.message}")
                continue
            summary.count("replaced" if record_id in stored else "created")


def _write(kind, record_id, body, target, owner):
    if target.dry_run:
        # The body's shapes and values only: what the database would decide (SKUs and
        # ids taken) is not known without writing.
        kind.check(body, target.settings)
        return
    with locking_atomic():  # a savepoint: a refused record undoes only itself
        kind.put(record_id, body, target.actor, target.settings)
        _record_owner(kind, record_id, target.source, owner)


def copied_ids(kind, source):
    """Source ids of every record of this kind copied from `source`."""
    rows = ImportRecord.select(ImportRecord.source_id).where(
        (ImportRecord.kind == kind.name) & (ImportRecord.source == source)
    )
    return {source_id for (source_id,) in rows.tuples()}


def prune(kind, record_ids, target):
    """Delete the copies of records gone from the source, with their provenance rows."""
    with locking_atomic():
        for record_id in record_ids:
            try:
                products.delete_product(record_id, target.actor, target.settings)
            except NotFound:
                pass  # already deleted here: only its provenance row is left to remove
            ImportRecord.delete().where(
                (ImportRecord.kind == kind.name)
                & (ImportRecord.source == target.source)
                & (ImportRecord.source_id == record_id)
            ).execute()
