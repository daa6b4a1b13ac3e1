"""Creating an order from the catalogue (POST) and recording one as it is (PUT), each in
one transaction that writes nothing on any error (manage.md §4)."""

from peewee import IntegrityError

from models.base import for_update_if_supported, sync_id_sequence, utcnow
from models.clients import ApiClient
from models.compiled import CompiledQuery
from models.orders import Order, OrderItem
from models.statuses import FulfilmentStatus
from store import events
from store.actors import client_of
from store.changes import changed_paths
from store.errors import Conflict, Invalid
from store.etags import require_match
from store.fields import MAX_AMOUNT, MAX_EXPLICIT_ID, invalid, load
from store.orders.bodies import NewOrderBody, RecordedOrderBody
from store.orders.checkout import find_records, order_lines, order_total, take_stock
from store.orders.documents import order_state_etag, render_order
from store.orders.kept import render_and_keep
from store.orders.records import (
    delete_children,
    insert_attributes,
    insert_history,
    insert_items,
    insert_order,
    order_columns,
)
from store.render import number
from store.stock import emit_moves

# Built once: a schema loads any number of bodies.
NEW_ORDER = NewOrderBody()
RECORDED_ORDER = RecordedOrderBody()
STATUSES = CompiledQuery(
    lambda p: FulfilmentStatus.select(
        FulfilmentStatus.id, FulfilmentStatus.handle, FulfilmentStatus.is_starting
    ).order_by(FulfilmentStatus.sort_order, FulfilmentStatus.id)
)
KNOWN_CLIENTS = CompiledQuery(
    lambda p: ApiClient.select(ApiClient.client_id).where(ApiClient.client_id.in_(p.ids))
)


def _statuses():
    """{handle in lower case: (id, handle)} and the starting status: one query."""
    by_handle, starting = {}, None
    for status_id, handle, is_starting in STATUSES.rows():
        by_handle[handle.lower()] = (status_id, handle)
        if is_starting and starting is None:
            starting = (status_id, handle)
    return by_handle, starting or next(iter(by_handle.values()))


def _status(statuses, handle, path, problems):
    by_handle, starting = statuses
    if handle is None:
        return starting
    found = by_handle.get(handle.lower())
    if found is None:
        valid = ", ".join(handle for _, handle in by_handle.values())
        problems[path] = [f"Unknown fulfilment status {handle[:100]!r}; valid handles: {valid}."]
    return found


def _total(lines, data, settings, problems):
    """The order's total, checked against a given one (manage.md §4)."""
    total = order_total(lines, data, settings.currency_digits)
    if total < 0:
        problems["data.discount"] = ["Must not exceed the items, shipping and tax."]
    elif total > MAX_AMOUNT:
        problems["data.items"] = [f"The order's total must not exceed {MAX_AMOUNT}."]
    elif "total" in data and data["total"] != total:
        problems["data.total"] = [
            f"Must equal the items, shipping and tax less the discount: {number(total)}."
        ]
    return total


def create_order(data, actor, settings, full=False):
    """Place an order (the `data` of POST /orders) and return it as GET shows it (with
    `full`, its full view).

    Items name SKUs of this store; names, prices and options default to the catalogue's,
    stock is taken unless ALLOW_BACKORDERS lets it go negative, the total is computed. The
    order starts in the starting status (or `fulfilment.handle`) with one status history
    row naming `actor` (store.actors). Invalid for bad input, Conflict (with `shortages`)
    when stock is short; nothing is written then."""
    body = load(NEW_ORDER, data, settings)
    now = utcnow()
    with events.transaction():
        lines, problems = order_lines(body["items"], now)
        handle = (body.get("fulfilment") or {}).get("handle")
        status = _status(_statuses(), handle, "data.fulfilment.handle", problems)
        # A total is only worth checking once every item has its price.
        total = None if problems else _total(lines, body, settings, problems)
        if problems:
            raise invalid(problems)
        moved = take_stock(lines, settings.allow_backorders, now)
        order_id = insert_order(order_columns(body, status[0], total, now))
        insert_items(order_id, lines)
        insert_attributes(order_id, body.get("attributes", ()))
        insert_history(order_id, [(*status, now, actor)], _known_clients([actor]))
        order, plain = _rendered(order_id, settings, full)
        events.emit("order.created", {"order": plain}, actor)
        emit_moves(moved, "order", actor)
        return order


def _rendered(order_id, settings, full):
    """(the order as the caller asked for it, its plain v1 view for the change feed, kept
    as its document): rendered once when they are the same."""
    plain = render_and_keep(order_id, settings)
    return (render_order(order_id, settings, full) if full else plain), plain


def _known_clients(actors):
    """The client ids among these actors that are integrations of this store."""
    wanted = {client_of(actor) for actor in actors} - {None}
    if not wanted:
        return frozenset()
    return frozenset(client_id for (client_id,) in KNOWN_CLIENTS.rows(ids=sorted(wanted)))


def _check_ids(order_id, body):
    if not 1 <= order_id <= MAX_EXPLICIT_ID:
        raise Invalid.field("id", f"Must be an integer from 1 to {MAX_EXPLICIT_ID}.")
    if body.get("id", order_id) != order_id:
        raise Invalid.field("data.id", f"Must be the id of the path, {order_id}.")


def _taken_item_ids(order_id, items):
    """409 naming the explicit item ids that belong to other orders."""
    ids = {item["id"]: index for index, item in enumerate(items) if "id" in item}
    if not ids:
        return
    query = OrderItem.select(OrderItem.id).where(
        OrderItem.id.in_(sorted(ids)), OrderItem.order != order_id
    )
    taken = sorted(item_id for (item_id,) in query.tuples())
    if taken:
        fields = {f"data.items.{ids[item_id]}.id": ["Used by another order."] for item_id in taken}
        raise Conflict(f"Item id {taken[0]} is used by another order", fields)


def _recorded_lines(items):
    """The lines of a recorded order, linked to the catalogue's records by SKU where they
    exist (so a later restock finds them)."""
    records = find_records(item.get("sku") for item in items)
    lines = []
    for item in items:
        record = records.get(item.get("sku"))
        line = dict(item)
        if record is not None:
            line["product"] = record.product_id
            line["variation"] = record.id if record.kind == "V" else None
        lines.append(line)
    return lines


def put_order(order_id, data, actor, settings, if_match=None, full=False):
    """Create the order with this id, or replace it whole, as recorded (the `data` of
    PUT /orders/{id}, the full view's keys): (the order as GET shows it, or with `full`
    its full view; whether it was created). `if_match` (as store.etags.require_match
    takes it) makes the write conditional: PreconditionFailed when it fails.

    Every value is stored as given (absent ones take their defaults: now, the starting
    status, the items' total); stock is never touched. Explicit item ids are kept when
    free (Conflict when another order has one). `actor` is not written: the body's status
    history says who did what. Invalid for bad input."""
    body = load(RECORDED_ORDER, data, settings)
    _check_ids(order_id, body)
    now = utcnow()
    problems = {}
    with events.transaction():
        statuses = _statuses()
        handle = (body.get("fulfilment") or {}).get("handle")
        status = _status(statuses, handle, "data.fulfilment.handle", problems)
        history = []
        for index, entry in enumerate(body.get("status_history", ())):
            path = f"data.status_history.{index}.handle"
            found = _status(statuses, entry["handle"], path, problems)
            history.append((*(found or (None, None)), entry["date"], entry.get("actor")))
        items = body.get("items", [])
        total = body["total"] if "total" in body else _total(items, body, settings, problems)
        if problems:
            raise invalid(problems)
        existing = for_update_if_supported(Order.select(Order.id).where(Order.id == order_id))
        created = not list(existing.tuples())
        before = None if created else render_order(order_id, settings)
        if if_match is not None:
            require_match(if_match, None if created else order_state_etag(order_id, settings))
        _taken_item_ids(order_id, items)
        columns = order_columns(body, status[0], total, now)
        try:
            if created:
                insert_order(columns, order_id)
            else:
                delete_children(order_id)
                Order.update(columns).where(Order.id == order_id).execute()
            insert_items(order_id, _recorded_lines(items))
        except IntegrityError:
            raise Conflict(f"Order {order_id} or one of its item ids was taken meanwhile") from None
        insert_attributes(order_id, body.get("attributes", ()))
        insert_history(order_id, history, _known_clients(actor for *_, actor in history))
        if created:
            sync_id_sequence(Order)
        order, plain = _rendered(order_id, settings, full)
        _emit_recorded(plain, before, actor)
        return order, created


def _emit_recorded(order, before, actor):
    """`order.created` for a new order; `order.updated` naming what a replacement changed
    in the plain view, nothing when it changed nothing there."""
    if before is None:
        events.emit("order.created", {"order": order}, actor)
        return
    changes = changed_paths(before, order)
    if changes:
        events.emit("order.updated", {"order": order, "changes": changes}, actor)
