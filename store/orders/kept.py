"""Each order's plain document, kept as JSON text beside the order (models.OrderDocument):
written in the transaction of every change to the order, sent as it is by the listings and
`GET /orders/{id}` instead of being rendered again.

A kept document is served only while it is current: the order's `updated_at` equal to the
one it was rendered at (every write to an order sets it, as its entity tag already relies
on), and its key naming what else shapes the document as it is now: the status's handle and
name (a rename touches no order), the store settings (time zone, currency digits, VAT
numbers) and the renderer's own code. Anything else (an order written before documents were
kept, by plain SQL, or under other settings) is rendered as before, and `refresh_documents`
(`flask cs orders refresh-documents`) brings them all up to date. So a kept document can
make a read faster, never different.
"""

import functools
import hashlib
from pathlib import Path

import orjson
from peewee import JOIN, MySQLDatabase

from models import base as models_base
from models import compiled
from models.base import db, locking_atomic
from models.compiled import CompiledQuery
from models.orders import Order, OrderDocument
from models.statuses import FulfilmentStatus
from store import render
from store.orders import documents
from store.orders.documents import order_etag

_KEPT = (OrderDocument.updated_at, OrderDocument.key, OrderDocument.body)
# What a kept document is read with: its order's id, the entity tag's parts, and the
# document's key and text when it was rendered at the order's `updated_at` (else NULLs).
_COLUMNS = (
    Order.id,
    Order.updated_at,
    FulfilmentStatus.handle.alias("status_handle"),
    FulfilmentStatus.name.alias("status_name"),
    OrderDocument.key,
    OrderDocument.body,
)


def _renderer_digest():
    """A digest of the code that renders an order's document (the renderer, the values'
    conversions from the database and to JSON, orjson's version): new code, new keys."""
    digest = hashlib.blake2b(orjson.__version__.encode(), digest_size=8)
    for module in (documents, render, models_base, compiled):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


RENDERER = _renderer_digest()


@functools.lru_cache(maxsize=256)
def _key(handle, name, timezone_name, currency_digits, vat_number):
    parts = (RENDERER, handle, name, timezone_name, currency_digits, vat_number)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def document_key(settings, handle, name):
    """The key of an order's document in status `handle`/`name` under `settings`."""
    return _key(handle, name, settings.timezone_name, settings.currency_digits, settings.vat_number)


def _with_documents(query):
    """`query` over orders joined to their status and to their document, when it is the
    one rendered at the order's `updated_at`."""
    current = (OrderDocument.order == Order.id) & (OrderDocument.updated_at == Order.updated_at)
    return query.join_from(
        Order, FulfilmentStatus, on=(Order.status == FulfilmentStatus.id)
    ).join_from(Order, OrderDocument, JOIN.LEFT_OUTER, on=current)


def _page(shape):
    """One page of the default listing, newest first: skipped to on the ids alone (as
    documents._visible_page), then the page's orders and their documents."""

    def build(p):
        page = documents.visible_page_ids(p, shape)
        query = Order.select(*_COLUMNS).join(page, on=(Order.id == page.c.id))
        return _with_documents(query).order_by(Order.id.desc())

    return CompiledQuery(build, literal=("limit", "bound"))


VISIBLE_PAGE = {shape: _page(shape) for shape in documents.SHAPES}
BY_IDS = CompiledQuery(
    lambda p: _with_documents(Order.select(*_COLUMNS).where(Order.id.in_(p.ids)))
)
# Every order from an id on, with its kept key (or NULL), for refresh_documents.
KEYS_FROM = CompiledQuery(
    lambda p: (
        _with_documents(
            Order.select(
                Order.id,
                FulfilmentStatus.handle,
                FulfilmentStatus.name,
                OrderDocument.key,
            ).where(Order.id >= p.start)
        )
        .order_by(Order.id)
        .limit(p.limit)
    )
)


def _upsert(p):
    row = {
        OrderDocument.order: p.order,
        OrderDocument.updated_at: p.updated_at,
        OrderDocument.key: p.key,
        OrderDocument.body: p.body,
    }
    query = OrderDocument.insert(row)
    if isinstance(db.obj, MySQLDatabase):
        return query.on_conflict(preserve=_KEPT)
    return query.on_conflict(conflict_target=[OrderDocument.order], preserve=_KEPT)


UPSERT = CompiledQuery(_upsert)


def _documents(rows, settings):
    """(order id, document) of `rows` (id, updated_at, handle, name, key, body) in their
    order: a kept document as an orjson.Fragment when it is current, else the document
    rendered now (four queries for all those: rows, options, items, attributes)."""
    found, stale = [], []
    for order_id, _, handle, name, key, body in rows:
        if key is not None and key == document_key(settings, handle, name):
            found.append((order_id, orjson.Fragment(body)))
        else:
            found.append((order_id, None))
            stale.append(order_id)
    if stale:
        rendered = dict(documents.render_pairs(stale, settings))
        # (An order deleted in between is left out, as if it had been gone already.)
        found = [
            (order_id, rendered.get(order_id) if document is None else document)
            for order_id, document in found
        ]
        found = [pair for pair in found if pair[1] is not None]
    return found


def visible_page(offset, limit, below, settings):
    """One page of the default listing, as documents._visible_page renders it: each order
    its kept document where current (orjson.Fragment), else a dict rendered now."""
    shape, args = documents.window_args(offset, limit, below)
    rows = VISIBLE_PAGE[shape].rows(**args)
    return [document for _, document in _documents(rows, settings)]


def orders_by_ids(ids, settings):
    """The orders with these ids, in the order of `ids` (missing ones left out), as
    visible_page gives them."""
    if not ids:
        return []
    rows = {row[0]: row for row in BY_IDS.rows(ids=ids)}
    ordered = [rows[order_id] for order_id in ids if order_id in rows]
    return [document for _, document in _documents(ordered, settings)]


def tagged_order(order_id, settings):
    """(document, entity tag) of one order as visible_page gives it, or None."""
    rows = BY_IDS.rows(ids=[order_id])
    found = _documents(rows, settings)
    if not found:
        return None
    order_id, updated_at, handle, name = rows[0][:4]
    row = {"id": order_id, "updated_at": updated_at, "status_handle": handle, "status_name": name}
    return found[0][1], order_etag(settings, row)


def keep(row, document, settings):
    """Keep `document`, the plain document of the order of `row` (documents' row, with the
    entity tag's columns) as just rendered, in the transaction that changed the order."""
    UPSERT.execute(
        order=row["id"],
        updated_at=row["updated_at"],
        key=document_key(settings, row["status_handle"], row["status_name"]),
        body=orjson.dumps(document).decode(),
    )


def render_and_keep(order_id, settings):
    """The plain document of an order just written (inside its transaction), kept."""
    row, document = documents.render_tagged_pairs([order_id], settings)[0]
    keep(row, document, settings)
    return document


def refresh_documents(settings, batch=500, progress=None):
    """Render and keep the document of every order whose kept one is missing or no longer
    current, `batch` orders to a transaction; how many were written. `progress`, when
    given, is called with the number of orders checked after each batch."""
    written, start = 0, 1
    while True:
        rows = KEYS_FROM.rows(start=start, limit=batch)
        if not rows:
            return written
        stale = [
            order_id
            for order_id, handle, name, key in rows
            if key != document_key(settings, handle, name)
        ]
        if stale:
            with locking_atomic():
                for row, document in documents.render_tagged_pairs(stale, settings):
                    keep(row, document, settings)
            written += len(stale)
        if progress is not None:
            progress(len(rows))
        start = rows[-1][0] + 1
