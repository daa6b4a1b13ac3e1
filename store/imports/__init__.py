"""Copying a live store through its v1 API (import.md §2): statuses by handle, products
and orders with their ids, page by page, re-runnable.

`source` is any object with the csclient.Client reading methods (`get(path, params)`,
`pages(path, params)`), so this package needs no HTTP library of its own."""

from store import statuses as status_ops
from store.errors import StoreError
from store.imports.original import order_body, product_body
from store.imports.source import (
    ORIGINAL,
    SERVICE,
    ImportRefused,
    actor_for,
    check_settings,
    probe,
    source_key,
)
from store.imports.summary import KINDS, Summary
from store.imports.writing import ORDER, PRODUCT, Target, copied_ids, prune, write_page

__all__ = ["KINDS", "ORIGINAL", "SERVICE", "ImportRefused", "import_v1"]

# Records read per request: the service's default MAX_PAGE_SIZE (a source clamps it).
PAGE_SIZE = 100
INCOMPLETE_LOSS = (
    "orders awaiting an external payment: the original's paymentStatus=incomplete never "
    "matches, so they cannot be read"
)


def _no_progress(kind, total):
    return None


def import_v1(source, url, settings, only=KINDS, prune_gone=False, dry_run=False, progress=None):
    """Copy the store at `url` (read through `source`) into this one: a Summary.
    ImportRefused, before anything is written, when the stores' settings differ.
    `progress(kind, total)` may return an object with `update(n)` and `close()`."""
    flavour, sample = probe(source)
    check_settings(source, settings, sample)
    summary = Summary(source_key(url), flavour, dry_run)
    target = Target(settings, source_key(url), actor_for(url), dry_run)
    progress = progress or _no_progress
    if "statuses" in only:
        _statuses(source, target, summary)
    if "products" in only:
        _products(source, target, summary, flavour, prune_gone, progress)
    if "orders" in only:
        _orders(source, target, summary, flavour, progress)
    return summary


def _statuses(source, target, summary):
    kind = summary.kind("statuses")
    listed = source.get("/fulfilmentstatuses")["data"]
    theirs = [(str(status["handle"]).lower(), status["name"]) for status in listed]
    before = [(status.handle, status.name) for status in status_ops.statuses()]
    names = dict(before)
    after = [handle for handle, _ in theirs]
    after += [handle for handle, _ in before if handle not in set(after)]
    position = {handle: index for index, (handle, _) in enumerate(before)}
    for handle, name in theirs:
        if handle not in names:
            kind.count("created")
        elif names[handle] != name or position[handle] != after.index(handle):
            kind.count("replaced")
        else:
            kind.count("unchanged")
    if target.dry_run:
        return
    try:
        for handle, name in theirs:
            if handle not in names:
                status_ops.add_status(handle, name)
            elif names[handle] != name:
                status_ops.rename_status(handle, name)
        if [handle for handle, _ in before] != after:
            status_ops.reorder_statuses([handle for handle, _ in theirs])
    except StoreError as error:
        raise ImportRefused(f"the source's statuses cannot be copied: {error.message}") from None


def _copy_pages(source, path, listings, target, kind, summary, progress, to_body):
    """Read every page of each listing and write it; the ids seen."""
    seen = set()
    outcome = summary.kind(f"{kind.name}s")
    bar = None
    for params in listings:
        pages = source.pages(path, {**params, "paging": PAGE_SIZE})
        for number, page in enumerate(pages):
            if number == 0:
                if bar is None:
                    bar = progress(f"{kind.name}s", page.total or 0)
                elif bar is not None and page.total:
                    bar.total += page.total
            records = []
            for document in page.items:
                if document["id"] in seen:  # a record that moved to the next page meanwhile
                    continue
                seen.add(document["id"])
                body, losses = to_body(document, params)
                for loss in losses:
                    outcome.lose(loss)
                records.append((document["id"], body))
            write_page(kind, records, target, outcome)
            if bar is not None:
                bar.update(len(page.items))
    if bar is not None:
        bar.close()
    return seen


def _products(source, target, summary, flavour, prune_gone, progress):
    if flavour == SERVICE:
        listings, to_body = [{"view": "full"}], _as_recorded
    else:
        listings, to_body = [{}], lambda document, params: product_body(document)
    seen = _copy_pages(source, "/products", listings, target, PRODUCT, summary, progress, to_body)
    gone = sorted(copied_ids(PRODUCT, target.source) - seen)
    kind = summary.kind("products")
    kind.gone = gone
    if gone and prune_gone and not target.dry_run:
        prune(PRODUCT, gone, target)
        kind.pruned = len(gone)


def _orders(source, target, summary, flavour, progress):
    if flavour == SERVICE:
        listings = [{"view": "full"}, {"view": "full", "paymentStatus": "incomplete"}]
        _copy_pages(source, "/orders", listings, target, ORDER, summary, progress, _as_recorded)
        return
    # The original shows no cancellation on an order: its cancelled=true listing is read
    # first, so that those orders are copied as cancelled.
    listings = [{"cancelled": "true"}, {}, {"paymentStatus": "incomplete"}]

    def to_body(document, params):
        return order_body(document, cancelled="cancelled" in params)

    _copy_pages(source, "/orders", listings, target, ORDER, summary, progress, to_body)
    summary.losses.append(INCOMPLETE_LOSS)


def _as_recorded(document, params):
    """A full-view document of this service is a PUT body as it is (manage.md §2)."""
    return {key: value for key, value in document.items() if key != "date_updated"}, ()
