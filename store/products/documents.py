"""Products as the contract's documents (products.md), and their full view (manage.md §2),
fetched by id in batched queries."""

import operator

from peewee import JOIN, SQL

from models.catalog import (
    LIST_OPTION_TYPES,
    Brand,
    Category,
    Product,
    ProductCategory,
    ProductGroup,
    ProductGroupLink,
    ProductImage,
    ProductOption,
    ProductOptionChoice,
    Variation,
    VariationChoice,
)
from models.compiled import CompiledQuery
from store.etags import entity_tag
from store.products.listing import count_all
from store.render import StoreRenderer, units_number

PRODUCT_COLUMNS = (
    Product.id,
    Product.name,
    Product.sku,
    Product.barcode,
    Product.active,
    Product.stock_unlimited,
    Product.stock_level,
    Product.short_description,
    Product.description,
    Brand.name.alias("brand_name"),
    Product.price,
    Product.wholesale_price,
    Product.cost_price,
    Product.sale_price,
    Product.sale_start,
    Product.sale_end,
    Product.primary_image,
    Product.date_added,
    Product.date_updated,
    Product.shippable,
    Product.width,
    Product.height,
    Product.length,
    Product.number_items,
    Product.stacked_height,
    Product.separate_ship,
)


VARIATION_COLUMNS = (
    Variation.product,
    Variation.id,
    Variation.sku,
    Variation.barcode,
    Variation.stock_unlimited,
    Variation.stock_level,
    Variation.price,
    Variation.wholesale_price,
    Variation.cost_price,
    Variation.sale_price,
    Variation.primary_image,
    Variation.width,
    Variation.height,
    Variation.length,
    Variation.number_items,
)


# The fetches by id list, compiled once per number of ids.
def _products_by_ids(columns):
    return CompiledQuery(
        lambda p: (
            Product.select(*columns)
            .join(Brand, JOIN.LEFT_OUTER, on=(Product.brand == Brand.id))
            .where(Product.id.in_(p.ids))
        ),
        units=True,
    )


def _variations_by_product_ids(columns):
    return CompiledQuery(
        lambda p: (
            Variation.select(*columns)
            .where(Variation.product.in_(p.ids))
            .order_by(Variation.product, Variation.sort_order, Variation.id)
        ),
        units=True,
    )


def _page_of_all(columns):
    """One page of the unfiltered listing's products in one statement, each row ending with
    how many products there are (the listing's total: a round trip fewer than counting
    them apart, 0.2 ms on PostgreSQL): the page is skipped to and cut on the sort key alone
    (a derived table, as MariaDB takes no LIMIT in an IN subquery), then only its rows are
    read. Unordered: its twenty rows are put in order by render_page_of_all, where sorting
    them again in the database cost a quarter of the statement (SQLite's temporary
    b-tree)."""

    def build(p):
        newest_first = (Product.date_added.desc(), Product.id.desc())
        page = (
            Product.select(Product.id)
            .order_by(*newest_first)
            .limit(p.limit)
            .offset(p.offset)
            .alias("page")
        )
        return (
            Product.select(*columns, count_all(Product.alias()))
            .join(page, on=(Product.id == page.c.id))
            .switch(Product)
            .join(Brand, JOIN.LEFT_OUTER, on=(Product.brand == Brand.id))
        )

    # The page size is written into the SQL (a plan per size): see CompiledQuery.
    return CompiledQuery(build, units=True, literal=("limit",))


# The plain view's, and the full view's (which reads the weights too: a plain page would
# convert them for nothing).
PRODUCTS_BY_IDS = _products_by_ids(PRODUCT_COLUMNS)
FULL_PRODUCTS_BY_IDS = _products_by_ids((*PRODUCT_COLUMNS, Product.weight))
PAGE_OF_ALL = _page_of_all(PRODUCT_COLUMNS)
FULL_PAGE_OF_ALL = _page_of_all((*PRODUCT_COLUMNS, Product.weight))
VARIATIONS_BY_PRODUCT_IDS = _variations_by_product_ids(VARIATION_COLUMNS)
FULL_VARIATIONS_BY_PRODUCT_IDS = _variations_by_product_ids((*VARIATION_COLUMNS, Variation.weight))
IMAGES, GROUPS, CATEGORIES = 0, 1, 2
# (kind, product id, position, id) of a _listed row.
LISTED_ORDER = operator.itemgetter(0, 1, 4, 5)


def _listed(p):
    """What the products with ids `p.ids` list beside themselves, in one statement: rows of
    (kind, product id, name or URL, URL), the images' URLs (IMAGES), the groups' names
    (GROUPS) and the categories' names and URLs (CATEGORIES), each kind in its order."""
    images = ProductImage.select(
        SQL(str(IMAGES)),
        ProductImage.product,
        ProductImage.url,
        SQL("NULL"),
        ProductImage.sort_order,
        ProductImage.id,
    ).where(ProductImage.product.in_(p.ids))
    groups = (
        ProductGroupLink.select(
            SQL(str(GROUPS)),
            ProductGroupLink.product,
            ProductGroup.name,
            SQL("NULL"),
            SQL("0"),
            ProductGroupLink.id,
        )
        .join(ProductGroup)
        .where(ProductGroupLink.product.in_(p.ids))
    )
    categories = (
        ProductCategory.select(
            SQL(str(CATEGORIES)),
            ProductCategory.product,
            Category.name,
            Category.url,
            ProductCategory.sort_order,
            ProductCategory.id,
        )
        .join(Category)
        .where(ProductCategory.product.in_(p.ids))
    )
    # Unordered: SQLite would sort each branch in a temporary b-tree to merge them, which
    # took longer than three statements; the rows are few, and sorted here.
    return images.union_all(groups).union_all(categories)


LISTED_BY_PRODUCT_IDS = CompiledQuery(_listed)
# Each option of the products with ids `p.ids`, each of its choices and each variation that
# made that choice, in one statement: rows of (product id, option id, name, handle, type,
# required, choice id, choice name, price adjustment, weight adjustment, variation id), a
# choice that no variation made once with no variation, an option with no choices once with
# no choice. Every database walks indexes from the page's product ids; a round trip fewer
# than reading the options and the variations' choices apart (0.2 ms on PostgreSQL).
OPTIONS_BY_PRODUCT_IDS = CompiledQuery(
    lambda p: (
        ProductOption.select(
            ProductOption.product,
            ProductOption.id,
            ProductOption.name,
            ProductOption.handle,
            ProductOption.kind,
            ProductOption.required,
            ProductOptionChoice.id.alias("choice_id"),
            ProductOptionChoice.name.alias("choice_name"),
            ProductOptionChoice.price_adjustment,
            ProductOptionChoice.weight_adjustment,
            VariationChoice.variation,
        )
        .join(ProductOptionChoice, JOIN.LEFT_OUTER)
        .join(VariationChoice, JOIN.LEFT_OUTER)
        .where(ProductOption.product.in_(p.ids))
        .order_by(
            ProductOption.product,
            ProductOption.sort_order,
            ProductOption.id,
            ProductOptionChoice.sort_order,
            ProductOptionChoice.id,
        )
    ),
    units=True,
)


def _listed_by_product(ids):
    """({product id: [image URL, ...]}, {...: [group name, ...]}, {...: [category, ...]})."""
    images, groups, categories = ({product_id: [] for product_id in ids} for _ in range(3))
    rows = LISTED_BY_PRODUCT_IDS.rows(ids=ids)
    # Each kind of each product in its order: position, then id (both never NULL).
    rows.sort(key=LISTED_ORDER)
    for kind, product_id, name, url, _, _ in rows:
        if kind == IMAGES:
            images[product_id].append(name)
        elif kind == GROUPS:
            groups[product_id].append(name)
        else:
            categories[product_id].append({"name": name, "url": url})
    return images, groups, categories


# Where a product row (PRODUCT_COLUMNS' order) holds its id, date_added and date_updated.
ID, DATE_ADDED, DATE_UPDATED = 0, 17, 18
# The listing's order (newest date_added first, then highest id), reversed.
OLDEST_FIRST = operator.itemgetter(DATE_ADDED, ID)


def product_etag(settings, product_id, date_updated):
    """The entity tag of a product, from its id and date_updated."""
    return entity_tag(settings, "product", product_id, date_updated)


class ProductRenderer(StoreRenderer):
    """Turns product rows into the contract's JSON, in the store's zone and currency; with
    `full`, into the full view: the plain document with more keys at the ends (each
    product's and each variation's `weight`, the stored fields the plain one omits)."""

    def __init__(self, settings, full=False):
        super().__init__(settings)
        self.full = full

    def options(self, ids):
        """({product id: [option, ...]}, {variation id: [chosen option, ...]}): the options
        with their choices, and what each variation chose, in the options' order."""
        options = {product_id: [] for product_id in ids}
        by_id, chosen, choice_id = {}, {}, None
        for (product_id, option_id, name, handle, kind, required, row_choice_id, choice,
             price, weight, variation_id) in OPTIONS_BY_PRODUCT_IDS.rows(ids=ids):  # fmt: skip
            option = by_id.get(option_id)
            if option is None:
                option = {"name": name, "handle": handle, "type": kind, "required": required}
                # Only list types have choices to show; the others have no inner list.
                if kind in LIST_OPTION_TYPES:
                    option["options"] = []
                by_id[option_id] = option
                options[product_id].append(option)
            # A choice comes once for each variation that made it, in a run of rows.
            if row_choice_id != choice_id and choice is not None and kind in LIST_OPTION_TYPES:
                option["options"].append(
                    {
                        "name": choice,
                        "price_adjustment": self.money_units(price),
                        "weight_adjustment": units_number(weight),
                    }
                )
            choice_id = row_choice_id
            if variation_id is not None:
                chosen.setdefault(variation_id, []).append({"name": name, "value": choice})
        return options, chosen

    def variations(self, ids, chosen):
        """{product id: [variation, ...]}, each with its options chosen (`chosen`, by
        variation id, from options()): one query."""
        query = FULL_VARIATIONS_BY_PRODUCT_IDS if self.full else VARIATIONS_BY_PRODUCT_IDS
        # Tuples in VARIATION_COLUMNS' order (the full view's weight last): a page has
        # dozens of variations, and a dict for each cost more than reading them.
        rows = query.rows(ids=ids)
        variations = {product_id: [] for product_id in ids}
        money, full = self.money_units, self.full
        for row in rows:
            (product_id, variation_id, sku, barcode, unlimited, level, price, wholesale,
             cost, sale, image, width, height, length, items) = row[:15]  # fmt: skip
            variation = {
                "id": variation_id,
                "sku": sku,
                "barcode": barcode,
                "stock_unlimited": bool(unlimited),
                "stock_level": units_number(level),
                "price": money(price),
                "wholesale_price": money(wholesale),
                "cost_price": money(cost),
                "sale_price": money(sale),
                "primary_image": image or None,
                "options": chosen.get(variation_id) or [],
                "shipping": {
                    "width": units_number(width),
                    "height": units_number(height),
                    "length": units_number(length),
                    "number_items": items,
                },
            }
            if full:
                variation["weight"] = units_number(row[15])
            variations[product_id].append(variation)
        return variations

    def product(self, row, children):
        """One product's document from its row (a tuple in PRODUCT_COLUMNS' order, the full
        view's weight last: twenty rows of 26 columns read as dicts cost more than this)."""
        (product_id, name, sku, barcode, active, unlimited, level, short_description,
         description, brand, price, wholesale, cost, sale, sale_start, sale_end, image,
         added, updated, shippable, width, height, length, items, stacked,
         separate) = row[:26]  # fmt: skip
        images, groups, categories, options, variations = (part[product_id] for part in children)
        money, date = self.money_units, self.date
        product = {
            "id": product_id,
            "name": name,
            "sku": sku,
            "barcode": barcode,
            "active": active,
            "stock_unlimited": unlimited,
            "stock_level": units_number(level),
            "short_description": short_description,
            "description": description,
            "brand": brand,
            "price": money(price),
            "wholesale_price": money(wholesale),
            "cost_price": money(cost),
            "sale_price": money(sale),
            "sale_start": date(sale_start),
            "sale_end": date(sale_end),
            "primary_image": image or None,
            "additional_images": images,
            "groups": groups,
            "categories": categories,
            "options": options,
            "variations": variations,
            "date_added": date(added),
            "date_updated": date(updated),
            "shipping": {
                "shippable": shippable,
                "width": units_number(width),
                "height": units_number(height),
                "length": units_number(length),
                "number_items": items,
                "stacked_height": units_number(stacked),
                "separate_ship": separate,
            },
        }
        if self.full:
            product["weight"] = units_number(row[26])
        return product


def plain_view(full):
    """The plain document of a product from its full view, which only adds `weight` to the
    product and to each of its variations (ProductRenderer): no query."""
    product = {key: value for key, value in full.items() if key != "weight"}
    product["variations"] = [
        {key: value for key, value in variation.items() if key != "weight"}
        for variation in full["variations"]
    ]
    return product


# What a product's entity tag is made of, without the rest of the product.
PRODUCT_STATE = CompiledQuery(
    lambda p: Product.select(Product.id, Product.date_updated).where(Product.id == p.id)
)


def _render(ids, settings, full):
    """(row, document) of each product with these ids, in the order of `ids` (missing ones
    left out): at most four queries, however many children the products have."""
    if not ids:
        return []
    query = FULL_PRODUCTS_BY_IDS if full else PRODUCTS_BY_IDS
    rows = {row[ID]: row for row in query.rows(ids=ids)}
    found = [product_id for product_id in ids if product_id in rows]
    return _documents(rows, found, settings, full)


def _documents(rows, found, settings, full):
    """(row, document) of the products `found` (ids, in order) of `rows` (by id): three
    queries, for what they list (images, groups, categories), their options (with what
    each variation chose) and their variations."""
    if not found:
        return []
    renderer = ProductRenderer(settings, full)
    options, chosen = renderer.options(found)
    children = (*_listed_by_product(found), options, renderer.variations(found, chosen))
    return [
        (rows[product_id], renderer.product(rows[product_id], children)) for product_id in found
    ]


def render_products(ids, settings, full=False):
    """The products with these ids as JSON-ready dicts (with `full`, their full view), in
    the order of `ids`, missing ones left out."""
    return [document for _, document in _render(ids, settings, full)]


def render_page_of_all(offset, limit, settings, full=False):
    """(one page of the unfiltered listing (every product, newest first) as JSON-ready
    dicts, how many products there are): four queries, the page's rows and the count read
    in the first. The count is None when the page is empty (past the end)."""
    query = FULL_PAGE_OF_ALL if full else PAGE_OF_ALL
    page = sorted(query.rows(offset=offset, limit=limit), key=OLDEST_FIRST, reverse=True)
    if not page:
        return [], None
    rows = {row[ID]: row for row in page}
    documents = [document for _, document in _documents(rows, list(rows), settings, full)]
    return documents, page[0][-1]


def render_product(product_id, settings, full=False):
    """One product as a JSON-ready dict, or None."""
    products = render_products([product_id], settings, full)
    return products[0] if products else None


def render_tagged_product(product_id, settings, full=False):
    """(document, entity tag) of one product, or None: no query more than the document."""
    found = _render([product_id], settings, full)
    if not found:
        return None
    row, document = found[0]
    return document, product_etag(settings, row[ID], row[DATE_UPDATED])


def product_state_etag(product_id, settings):
    """A product's entity tag in one query; None when there is no such product."""
    found = PRODUCT_STATE.first(id=product_id)
    return product_etag(settings, *found) if found else None
