"""Writing a product whole, in the caller's transaction: its row, its SKUs (claimed in the
Sku table, whose constraint decides duplicates), images, groups, categories, options and
variations. Children without ids of their own in the API are written again."""

from peewee import IntegrityError

from models.base import db
from models.catalog import (
    PRODUCT_SKU,
    VARIATION_SKU,
    Brand,
    Category,
    Product,
    ProductCategory,
    ProductGroup,
    ProductGroupLink,
    ProductImage,
    ProductOption,
    ProductOptionChoice,
    Sku,
    Variation,
    VariationChoice,
)
from store.errors import Conflict
from store.products.state import (
    PRODUCT_SCALARS,
    PRODUCT_SHIPPING,
    VARIATION_SCALARS,
    VARIATION_SHIPPING,
)

STOCK_COLUMNS = ("stock_level", "stock_unlimited")
IN_USE = "Already in use by another product or variation."


def _sku_path(variation):
    return f"{variation.get('path') or 'data.variations'}.sku"


def _skus(product):
    """{code: kind} of the SKUs a product would have and {code: [paths]}; Conflict for a
    SKU given twice."""
    kinds, paths, twice = {}, {}, {}
    owners = [(product["sku"], PRODUCT_SKU, "data.sku")]
    owners += [(v["sku"], VARIATION_SKU, _sku_path(v)) for v in product["variations"]]
    for code, kind, path in owners:
        if code is None:
            continue
        if code in kinds:
            twice[path] = code
        else:
            kinds[code], paths[code] = kind, [path]
    if twice:
        raise Conflict(f"SKU already in use: {next(iter(twice.values()))}",
                       {path: [IN_USE] for path in twice})  # fmt: skip
    return kinds, paths


def _stored_skus(current):
    if current is None:
        return {}
    kinds = {current["sku"]: PRODUCT_SKU} if current["sku"] is not None else {}
    kinds.update({v["sku"]: VARIATION_SKU for v in current["variations"] if v["sku"]})
    return kinds


def _claim(rows, paths):
    """Insert the new SKUs; Conflict naming each one the database refuses."""
    if not rows:
        return
    try:
        with db.atomic():
            Sku.insert_many(rows).execute()
        return
    except IntegrityError:
        pass
    # One by one, each in a savepoint, to tell which ones are taken.
    taken = []
    for row in rows:
        try:
            with db.atomic():
                Sku.insert(row).execute()
        except IntegrityError:
            taken.append(row["code"])
    if taken:
        fields = {path: [IN_USE] for code in taken for path in paths[code]}
        raise Conflict(f"SKU already in use: {taken[0]}", fields)


def _release(product_id, product, current, removed):
    """Detach and drop the SKUs the product gives up, before new ones are claimed."""
    stored = _stored_skus(current)
    wanted, paths = _skus(product)
    gone = [code for code, kind in stored.items() if wanted.get(code) != kind]
    if current is not None and current["sku"] is not None and current["sku"] != product["sku"]:
        Product.update(sku=None).where(Product.id == product_id).execute()
    kept = {v["id"]: v["sku"] for v in product["variations"] if v["id"] is not None}
    detach = [
        v["id"]
        for v in (current or {}).get("variations", ())
        if v["sku"] is not None and (v["id"] in removed or kept.get(v["id"]) != v["sku"])
    ]
    if detach:
        Variation.update(sku=None).where(Variation.id.in_(detach)).execute()
    if gone:
        Sku.delete().where(Sku.code.in_(gone)).execute()
    added = [{"code": code, "kind": kind} for code, kind in wanted.items()
             if stored.get(code) != kind]  # fmt: skip
    _claim(added, paths)


def _named_ids(model, names):
    """{name: id} of rows of a table with unique names, created where missing (a
    concurrent creation is ignored, then read)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}

    def found():
        query = model.select(model.id, model.name).where(model.name.in_(wanted))
        return {name: row_id for row_id, name in query.tuples()}

    ids = found()
    missing = [name for name in wanted if name not in ids]
    if missing:
        model.insert_many([{"name": name} for name in missing]).on_conflict_ignore().execute()
        ids = found()
    # A collation that folds case or trailing spaces finds the row under its stored name.
    folded = {name.casefold().rstrip(): row_id for name, row_id in ids.items()}
    return {name: ids.get(name, folded.get(name.casefold().rstrip())) for name in wanted}


def _category_ids(categories):
    pairs = list(dict.fromkeys((c["name"], c["url"]) for c in categories))
    if not pairs:
        return {}
    names = sorted({name for name, _ in pairs})
    query = Category.select(Category.id, Category.name, Category.url)
    ids = {}
    for row_id, name, url in query.where(Category.name.in_(names)).tuples():
        ids.setdefault((name, url), row_id)
    for name, url in pairs:
        if (name, url) not in ids:
            ids[(name, url)] = Category.insert(name=name, url=url).execute()
    return ids


def _links(product_id, product):
    """Images, groups and categories, written again in their order."""
    for model in (ProductImage, ProductGroupLink, ProductCategory):
        model.delete().where(model.product == product_id).execute()
    images = product["additional_images"]
    if images:
        ProductImage.insert_many(
            [{"product": product_id, "url": url, "sort_order": n} for n, url in enumerate(images)]
        ).execute()
    groups = _named_ids(ProductGroup, product["groups"])
    if groups:
        rows = [{"product": product_id, "group": groups[name]} for name in
                dict.fromkeys(product["groups"])]  # fmt: skip
        ProductGroupLink.insert_many(rows).execute()
    categories = _category_ids(product["categories"])
    if categories:
        pairs = dict.fromkeys((c["name"], c["url"]) for c in product["categories"])
        rows = [{"product": product_id, "category": categories[pair], "sort_order": n}
                for n, pair in enumerate(pairs)]  # fmt: skip
        ProductCategory.insert_many(rows).execute()


def _options(product_id, product, variation_ids):
    """The options and choices written again: {(option name, choice name): choice id}."""
    if variation_ids:
        VariationChoice.delete().where(VariationChoice.variation.in_(variation_ids)).execute()
    option_ids = [
        row_id
        for (row_id,) in ProductOption.select(ProductOption.id)
        .where(ProductOption.product == product_id)
        .tuples()
    ]
    if option_ids:
        ProductOptionChoice.delete().where(ProductOptionChoice.option.in_(option_ids)).execute()
        ProductOption.delete().where(ProductOption.id.in_(option_ids)).execute()
    choice_ids = {}
    for position, option in enumerate(product["options"]):
        option_id = ProductOption.insert(
            product=product_id,
            name=option["name"],
            handle=option["handle"],
            kind=option["type"],
            required=option["required"],
            sort_order=position,
        ).execute()
        for order, choice in enumerate(option["options"]):
            choice_ids[(option["name"], choice["name"])] = ProductOptionChoice.insert(
                option=option_id,
                name=choice["name"],
                price_adjustment=choice["price_adjustment"],
                weight_adjustment=choice["weight_adjustment"],
                sort_order=order,
            ).execute()
    return choice_ids


def _variation_columns(variation, position, stock):
    columns = {key: variation[key] for key in VARIATION_SCALARS
               if stock or key not in STOCK_COLUMNS}  # fmt: skip
    columns.update({key: variation["shipping"][key] for key in VARIATION_SHIPPING})
    columns["sort_order"] = position
    return columns


def _taken_variation_ids(product_id, product, stored_ids):
    """409 naming the explicit variation ids that belong to other products."""
    given = {v["id"]: v["path"] for v in product["variations"]
             if v["id"] is not None and v["id"] not in stored_ids}  # fmt: skip
    if not given:
        return
    query = Variation.select(Variation.id).where(Variation.id.in_(sorted(given)))
    taken = sorted(row_id for (row_id,) in query.tuples())
    if taken:
        fields = {f"{given[row_id]}.id": ["Used by another product."] for row_id in taken}
        raise Conflict(f"Variation id {taken[0]} is used by another product", fields)


def _variations(product_id, product, stored_ids, choice_ids, stock):
    """Update the kept variations, insert the new ones, link each to its choices; the
    stock of a kept variation is written only with `stock`."""
    links = []
    explicit = False
    for position, variation in enumerate(product["variations"]):
        kept = variation["id"] in stored_ids
        columns = _variation_columns(variation, position, stock or not kept)
        if kept:
            Variation.update(columns).where(Variation.id == variation["id"]).execute()
        else:
            if variation["id"] is not None:
                columns["id"], explicit = variation["id"], True
            variation["id"] = Variation.insert(product=product_id, **columns).execute()
        for chosen in variation["options"]:
            choice = choice_ids[(chosen["name"], chosen["value"])]
            links.append({"variation": variation["id"], "choice": choice})
    if links:
        VariationChoice.insert_many(links).execute()
    return explicit


def product_columns(product, brand_id, now, stock):
    columns = {key: product[key] for key in PRODUCT_SCALARS if stock or key not in STOCK_COLUMNS}
    columns.update({key: product["shipping"][key] for key in PRODUCT_SHIPPING})
    columns.update(brand=brand_id, date_updated=now)
    return columns


def write_product(product_id, product, current, now, stock):
    """Write `product` (the state rules.py makes) over `current` (the stored state, None
    to create it; `product_id` None: a new id). Stock columns are written for new records
    and, with `stock`, for kept ones. Conflict for a SKU or variation id in use; the id."""
    stored_ids = {v["id"] for v in (current or {}).get("variations", ())}
    kept_ids = {v["id"] for v in product["variations"]} & stored_ids
    removed = stored_ids - kept_ids
    _taken_variation_ids(product_id, product, stored_ids)
    _release(product_id, product, current, removed)
    if removed:
        VariationChoice.delete().where(VariationChoice.variation.in_(sorted(removed))).execute()
        Variation.delete().where(Variation.id.in_(sorted(removed))).execute()
    brand = _named_ids(Brand, [product["brand"]] if product["brand"] is not None else [])
    columns = product_columns(product, brand.get(product["brand"]), now, stock or current is None)
    try:
        if current is None:
            if product_id is not None:
                columns["id"] = product_id
            product_id = Product.insert(**columns).execute()
        else:
            Product.update(columns).where(Product.id == product_id).execute()
        _links(product_id, product)
        choice_ids = _options(product_id, product, sorted(kept_ids))
        explicit = _variations(product_id, product, kept_ids, choice_ids, stock)
    except IntegrityError:
        raise Conflict("The product's id or a variation id was taken meanwhile") from None
    return product_id, explicit


def delete_rows(product_id, current):
    """Delete a product, its variations, options, links and SKUs (orders keep their items:
    their references are set to null by the database)."""
    variation_ids = [v["id"] for v in current["variations"]]
    if variation_ids:
        VariationChoice.delete().where(VariationChoice.variation.in_(variation_ids)).execute()
        Variation.delete().where(Variation.id.in_(variation_ids)).execute()
    _options(product_id, {"options": []}, [])
    for model in (ProductImage, ProductGroupLink, ProductCategory):
        model.delete().where(model.product == product_id).execute()
    Product.delete().where(Product.id == product_id).execute()
    codes = list(_stored_skus(current))
    if codes:
        Sku.delete().where(Sku.code.in_(codes)).execute()
