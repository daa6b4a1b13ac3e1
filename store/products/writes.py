"""Creating, replacing, changing and deleting products (manage.md §3), each in one
transaction that writes nothing on any error, and nothing at all (not even
`date_updated`) when the product would read back the same.

Each operation emits its change-feed events (store.events) in its own transaction:
`product.created`, `product.updated` naming the paths of the plain view that changed,
`product.deleted`, and `stock.changed` for stock its stock keys (or a replacement) moved."""

from decimal import Decimal

from models.base import for_update_if_supported, sync_id_sequence, utcnow
from models.catalog import PRODUCT_SKU, VARIATION_SKU, Product, Variation
from store import events, stock
from store.actors import is_import
from store.changes import changed_paths
from store.errors import Invalid, NotFound
from store.etags import require_match
from store.fields import MAX_EXPLICIT_ID, invalid, load
from store.products.bodies import (
    NewProductBody,
    ProductBody,
    ProductChangeBody,
    VariationChangeBody,
)
from store.products.documents import plain_view, product_state_etag, render_product
from store.products.records import delete_rows, write_product
from store.products.rules import changed, check, replaced
from store.products.state import STOCK_KEYS, load_product

# Built once: a schema loads any number of bodies.
NEW_PRODUCT = NewProductBody()
PRODUCT = ProductBody()
PRODUCT_CHANGE = ProductChangeBody()
VARIATION_CHANGE = VariationChangeBody()


def _stock_change(body):
    """The stock keys of a PATCH body as a checked StockChange (null keys: unchanged)."""
    level, unlimited, adjustment = (body.get(key) for key in STOCK_KEYS)
    return stock.StockChange.of(level=level, unlimited=unlimited, adjustment=adjustment)


def _check_path_id(record_id, body):
    if body.get("id", record_id) != record_id:
        raise Invalid.field("data.id", f"Must be the id of the path, {record_id}.")


def _locked(product_id, settings, if_match):
    """Lock the product's row and check `if_match` against it; NotFound when none."""
    query = Product.select(Product.id).where(Product.id == product_id)
    if not list(for_update_if_supported(query).tuples()):
        raise NotFound("Product not found")
    if if_match is not None:
        require_match(if_match, product_state_etag(product_id, settings))


def _checked(product, price_required=True, problems=None):
    problems = {} if problems is None else problems
    check(product, problems, price_required)
    if problems:
        raise invalid(problems)
    return product


def _answer(scope, product_id, before, settings, full):
    """(the product as GET shows it after a write, with `full` its full view; its plain
    view, for the change feed); a write that changed nothing is rolled back, so that
    nothing at all was written."""
    after = render_product(product_id, settings, full=True)
    if not changed_paths(before, after):
        scope.rollback()
        after = before
    plain = plain_view(after)
    return (after if full else plain), plain


def _record(document, product_id=None):
    """A stock record (store.stock) of a product, or of a variation of `product_id`, from
    its GET document: what `stock.changed` tells."""
    record = {key: document[key] for key in ("id", "sku", "stock_level", "stock_unlimited")}
    if product_id is not None:
        record.update(product_id=product_id, variation=True)
    return record


def _emit_levels(before, after, actor):
    """`stock.changed` for the product and each variation kept whose stock a replacement
    moved (reason `import` for an import, else `patch`)."""
    reason = "import" if is_import(actor) else "patch"
    pairs = [(before, after, None)]
    kept = {variation["id"]: variation for variation in before["variations"]}
    pairs += [(kept[v["id"]], v, after["id"]) for v in after["variations"] if v["id"] in kept]
    for old, new, product_id in pairs:
        if (old["stock_level"], old["stock_unlimited"]) != (
            new["stock_level"],
            new["stock_unlimited"],
        ):
            previous = Decimal(repr(old["stock_level"]))
            stock.stock_event(_record(new, product_id), previous, reason, actor)


def create_product(data, actor, settings, full=False):
    """Create a product from the `data` of POST /products and return it as GET shows it
    (with `full`, its full view). Ids are the service's; `actor` (store.actors) is who
    writes. Invalid for bad input, Conflict for a SKU in use; nothing is written then."""
    body = load(NEW_PRODUCT, data, settings)
    now = utcnow()
    product = _checked(replaced(body, now, None))
    with events.transaction() as scope:
        product_id, _ = write_product(None, product, None, now, stock=True)
        document, plain = _answer(scope, product_id, None, settings, full)
        events.emit_product("product.created", plain, actor)
        return document


def put_product(product_id, data, actor, settings, if_match=None, full=False):
    """Create the product with this id, or replace it whole (the `data` of
    PUT /products/{id}, the full view's keys; absent ones take their defaults): (the
    product as GET shows it, or with `full` its full view; whether it was created).

    Variation ids are kept when free (Conflict when another product has one); without
    one, a variation keeps the id of the stored variation with its choices. Stock is taken
    as given. `if_match` makes the write conditional (PreconditionFailed)."""
    body = load(PRODUCT, data, settings)
    if not 1 <= product_id <= MAX_EXPLICIT_ID:
        raise Invalid.field("id", f"Must be an integer from 1 to {MAX_EXPLICIT_ID}.")
    _check_path_id(product_id, body)
    now = utcnow()
    with events.transaction() as scope:
        query = Product.select(Product.id).where(Product.id == product_id)
        created = not list(for_update_if_supported(query).tuples())
        if if_match is not None:
            current_tag = None if created else product_state_etag(product_id, settings)
            require_match(if_match, current_tag)
        current = None if created else load_product(product_id)
        product = _checked(replaced(body, now, current))
        before = None if created else render_product(product_id, settings, full=True)
        shown = None if created else plain_view(before)
        _, explicit = write_product(product_id, product, current, now, stock=True)
        if created:
            sync_id_sequence(Product)
        if explicit:
            sync_id_sequence(Variation)
        document, plain = _answer(scope, product_id, before, settings, full)
        if created:
            events.emit_product("product.created", plain, actor)
        else:
            events.emit_product("product.updated", plain, actor, before=shown)
            _emit_levels(shown, plain, actor)
        return document, created


def update_product(product_id, data, actor, settings, if_match=None, full=False):
    """Change a product (the `data` of PATCH /products/{id}: any subset of its keys) and
    return it as GET shows it (with `full`, its full view).

    Scalars replace, lists replace whole; variations are matched by id, else by choices,
    keeping id and stock (stock inside them is ignored; new ones start at 0), and unlisted
    ones are removed. The stock keys set or adjust the product's own stock. Raises
    Invalid, NotFound, Conflict, PreconditionFailed; nothing is written then."""
    body = load(PRODUCT_CHANGE, data, settings)
    _check_path_id(product_id, body)
    change = _stock_change(body)
    with events.transaction() as scope:
        _locked(product_id, settings, if_match)
        current = load_product(product_id)
        problems = {}
        product = changed(current, body, problems)
        _checked(product, "price" in body or "active" in body, problems)
        before = render_product(product_id, settings, full=True)
        shown = plain_view(before)
        write_product(product_id, product, current, utcnow(), stock=False)
        stock.change_and_emit(stock.Owner(PRODUCT_SKU, product_id), change, actor)
        document, plain = _answer(scope, product_id, before, settings, full)
        events.emit_product("product.updated", plain, actor, before=shown)
        return document


def update_variation(variation_id, data, actor, settings, if_match=None):
    """Change a variation's own fields (the `data` of PATCH /variations/{id} with catalog
    keys) and return its stock record, as GET /variations/{id} shows it. The stock keys
    set or adjust its stock; `if_match` names the state of its product (whose ETag covers
    its variations). Raises Invalid, NotFound, Conflict, PreconditionFailed."""
    body = load(VARIATION_CHANGE, data, settings)
    _check_path_id(variation_id, body)
    change = _stock_change(body)
    with events.transaction() as scope:
        product_id = Variation.select(Variation.product).where(Variation.id == variation_id)
        product_id = product_id.scalar()
        if product_id is None:
            raise NotFound("Variation not found")
        _locked(product_id, settings, if_match)
        current = load_product(product_id)
        fields = {key: value for key, value in body.items() if key not in STOCK_KEYS}
        given = [{**fields, "id": variation_id} if v["id"] == variation_id else {"id": v["id"]}
                 for v in current["variations"]]  # fmt: skip
        problems = {}
        product = changed(current, {"variations": given}, problems)
        for variation in product["variations"]:
            variation["path"] = "data" if variation["id"] == variation_id else None
        _checked(product, False, problems)
        before = render_product(product_id, settings, full=True)
        shown = plain_view(before)
        write_product(product_id, product, current, utcnow(), stock=False)
        stock.change_and_emit(stock.Owner(VARIATION_SKU, variation_id), change, actor)
        _, plain = _answer(scope, product_id, before, settings, True)
        events.emit_product("product.updated", plain, actor, before=shown)
        return stock.variation_stock(variation_id)


def delete_product(product_id, actor, settings, if_match=None):
    """Delete a product with its variations, options and SKUs (the SKUs can be used
    again); orders keep their items as they were. NotFound, PreconditionFailed."""
    with events.transaction():
        _locked(product_id, settings, if_match)
        shown = render_product(product_id, settings)
        delete_rows(product_id, load_product(product_id))
        events.emit_product("product.deleted", shown, actor)
