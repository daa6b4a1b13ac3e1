"""Fulfilment statuses: listing them, resolving a handle, and managing the list."""

import re
from typing import NamedTuple

from peewee import IntegrityError, fn

from models.base import db
from models.statuses import FulfilmentStatus
from store.errors import Conflict, Invalid, NotFound

HANDLE = re.compile(r"[a-z0-9_]{1,100}")


class StatusRef(NamedTuple):
    id: int
    handle: str


def _ordered():
    return FulfilmentStatus.select().order_by(FulfilmentStatus.sort_order, FulfilmentStatus.id)


def list_statuses():
    """The statuses in their sort order, as the contract's documents."""
    rows = _ordered().select(FulfilmentStatus.id, FulfilmentStatus.handle, FulfilmentStatus.name)
    return [{"id": id_, "handle": handle, "name": name} for id_, handle, name in rows.tuples()]


def resolve_handle(text, path):
    """The status with this handle (any case); Invalid at `path` listing the valid ones."""
    handles = list(_ordered().select(FulfilmentStatus.id, FulfilmentStatus.handle).tuples())
    for status_id, handle in handles:
        if handle.lower() == text.lower():
            return StatusRef(status_id, handle)
    valid = ", ".join(handle for _, handle in handles)
    raise Invalid.field(path, f"Unknown fulfilment status {text[:100]!r}; valid handles: {valid}.")


# --- managing the list (the `cs status` commands) ---


def statuses():
    """Every status model, in sort order."""
    return list(_ordered())


def _get(handle):
    status = FulfilmentStatus.get_or_none(FulfilmentStatus.handle == handle.lower())
    if status is None:
        raise NotFound(f"no status with handle {handle}")
    return status


def add_status(handle, name):
    """Add a status at the end of the list."""
    if not HANDLE.fullmatch(handle):
        raise Invalid.field("handle", "A handle is 1-100 characters of a-z, 0-9 and _.")
    try:
        with db.atomic():
            last = FulfilmentStatus.select(fn.MAX(FulfilmentStatus.sort_order)).scalar() or 0
            return FulfilmentStatus.create(handle=handle, name=name, sort_order=last + 1)
    except IntegrityError:
        raise Conflict(f"a status with handle {handle} exists") from None


def rename_status(handle, name):
    """Change a status's display name (its handle stays)."""
    with db.atomic():
        status = _get(handle)
        FulfilmentStatus.update(name=name).where(FulfilmentStatus.id == status.id).execute()
    return status


def reorder_statuses(handles):
    """Put these statuses first, in this order; the others keep their order after them."""
    with db.atomic():
        named = [_get(handle) for handle in handles]
        named_ids = {status.id for status in named}
        ordered = named + [status for status in _ordered() if status.id not in named_ids]
        for position, status in enumerate(ordered, start=1):
            FulfilmentStatus.update(sort_order=position).where(
                FulfilmentStatus.id == status.id
            ).execute()
    return ordered


def set_starting_status(handle):
    """Make this the status new orders start in (exactly one is)."""
    with db.atomic():
        status = _get(handle)
        FulfilmentStatus.update(is_starting=(FulfilmentStatus.id == status.id)).execute()
    return status
