"""Demo catalogue: brands, groups, categories, products with options, variations and images."""

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from commands.demo.words import (
    ADJECTIVES,
    BRANDS,
    CATEGORIES,
    CDN,
    FEATURES,
    GROUPS,
    SITE,
    TEMPLATES,
    slug,
)
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

CENT = Decimal("0.01")
PRICE_ENDINGS = tuple(Decimal(cents) for cents in ("0.00", "0.50", "0.95", "0.99"))
# Products were added over the three years before the reference date.
CATALOGUE_SPAN = datetime.timedelta(days=3 * 365)


@dataclass
class ListOption:
    """A select/radio option as orders see it: its choices' names and price adjustments."""

    name: str
    handle: str
    choices: list  # [(name, price adjustment or None), ...]


@dataclass
class DemoProduct:
    """What an order needs to know about a product to copy it into an order line."""

    id: int
    name: str
    sku: str
    price: Decimal
    sale_price: Decimal | None
    sale_start: datetime.datetime | None
    sale_end: datetime.datetime | None
    shippable: bool
    fractional: bool
    date_added: datetime.datetime
    lists: list = field(default_factory=list)
    extras: list = field(default_factory=list)
    # {(choice index per list option, ...): (variation id, sku, price, sale price)}
    variations: dict = field(default_factory=dict)

    def on_sale(self, when):
        return (
            self.sale_price is not None
            and (self.sale_start is None or self.sale_start <= when)
            and (self.sale_end is None or when < self.sale_end)
        )


def money(rng, low, high):
    """A shop price between low and high, ending in .00, .50, .95 or .99."""
    return Decimal(rng.randint(low, high)) + rng.choice(PRICE_ENDINGS)


def ean13(rng):
    digits = [rng.randrange(10) for _ in range(12)]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _dimension(rng, low, high):
    return Decimal(rng.randint(int(low * 10), int(high * 10))) / 10


class Catalogue:
    """Generates the catalogue's rows into `rows` and keeps what orders need in `products`."""

    def __init__(self, rng, ids, rows, until, lookups):
        self.rng = rng
        self.ids = ids
        self.rows = rows
        self.until = until
        self.products = []
        self.brands = self._named(Brand, BRANDS, lookups["brands"])
        self.groups = self._named(ProductGroup, GROUPS, lookups["groups"])
        self.categories = self._named(
            Category,
            [name for name, _ in CATEGORIES],
            lookups["categories"],
            lambda name: {"url": f"{SITE}/category/{dict(CATEGORIES)[name]}"},
        )

    def _named(self, model, names, existing, extra=lambda name: {}):
        """{name: id}: reuse rows the store already has, create the others."""
        found = {}
        for name in names:
            if name in existing:
                found[name] = existing[name]
            else:
                found[name] = self.ids.take(model)
                self.rows.add(model, id=found[name], name=name, **extra(name))
        return found

    def product_dates(self, count):
        """When each product was added, oldest first, the first one at the very start."""
        start = self.until - CATALOGUE_SPAN
        span = int(CATALOGUE_SPAN.total_seconds()) - 7 * 86400
        offsets = sorted(self.rng.randrange(span) for _ in range(count))
        if offsets:
            offsets[0] = 0
        return [start + datetime.timedelta(seconds=offset) for offset in offsets]

    def template(self, index):
        # Every template once first, so even a small catalogue has every kind of product.
        if index < len(TEMPLATES):
            return TEMPLATES[index]
        return self.rng.choices(TEMPLATES, weights=[t.frequency for t in TEMPLATES])[0]

    def product(self, index, date_added):
        rng = self.rng
        template = self.template(index)
        product_id = self.ids.take(Product)
        noun = rng.choice(template.nouns)
        name = noun if not template.adjective else f"{rng.choice(ADJECTIVES)} {noun}"
        sku = f"{template.prefix}-{product_id:05d}"
        brand = rng.choice(list(self.brands)) if rng.random() < 0.85 else None
        price = money(rng, *template.price)
        sale_price = sale_start = sale_end = None
        if rng.random() < 0.15:
            sale_price = (price * Decimal(rng.choice(("0.8", "0.85", "0.9")))).quantize(CENT)
            sale_start = date_added + datetime.timedelta(days=rng.randint(30, 600))
            if rng.random() < 0.8:
                sale_end = sale_start + datetime.timedelta(days=rng.randint(3, 45))
        updated = date_added
        if rng.random() < 0.5:
            updated += (self.until - date_added) * rng.random()
        demo = DemoProduct(
            id=product_id,
            name=name,
            sku=sku,
            price=price,
            sale_price=sale_price,
            sale_start=sale_start,
            sale_end=sale_end,
            shippable=template.shippable,
            fractional=template.fractional,
            date_added=date_added,
            extras=list(template.extras),
        )
        self.rows.add(Sku, code=sku, kind=PRODUCT_SKU)
        self.rows.add(
            Product,
            **self._product_row(template, demo, brand, updated),
        )
        self._images(template, demo)
        self._links(template, demo)
        self._options(template, demo)
        self.products.append(demo)
        return demo

    def _product_row(self, template, demo, brand, updated):
        rng = self.rng
        shipping = self._shipping(template) if template.shippable else {}
        stock_unlimited = not template.shippable
        stock = Decimal(0)
        if not stock_unlimited:
            stock = Decimal(rng.choice((0, 2, 5, 12, 25, 40, 80, 150, 300)))
            if template.fractional:
                stock += Decimal(rng.choice(("0", "0.25", "0.5", "0.75")))
            if rng.random() < 0.02:
                stock = -Decimal(rng.randint(1, 4))  # back orders
        brand_name = f" by {brand}" if brand else ""
        features = "".join(f"<li>{line}</li>" for line in rng.sample(FEATURES, 3))
        return {
            "id": demo.id,
            "name": demo.name,
            "sku": demo.sku,
            "sku_kind": PRODUCT_SKU,
            "barcode": ean13(rng) if rng.random() < 0.7 else None,
            "active": rng.random() < 0.95,
            "stock_level": stock,
            "stock_unlimited": stock_unlimited,
            "short_description": f"<p>{demo.name}{brand_name}.</p>",
            "description": f"<p>{demo.name}{brand_name}.</p><ul>{features}</ul>",
            "brand": self.brands[brand] if brand else None,
            "price": demo.price,
            "wholesale_price": (
                (demo.price * Decimal("0.7")).quantize(CENT) if rng.random() < 0.3 else None
            ),
            "cost_price": (demo.price * Decimal(rng.choice(("0.4", "0.5", "0.6")))).quantize(CENT),
            "sale_price": demo.sale_price,
            "sale_start": demo.sale_start,
            "sale_end": demo.sale_end,
            "primary_image": f"{CDN}/{slug(demo.name)}-{demo.id}.jpg"
            if rng.random() < 0.9
            else None,
            "shippable": template.shippable,
            "width": shipping.get("width"),
            "height": shipping.get("height"),
            "length": shipping.get("length"),
            "weight": shipping.get("weight"),
            "number_items": shipping.get("number_items"),
            "stacked_height": shipping.get("stacked_height"),
            "separate_ship": shipping.get("separate_ship", False),
            "date_added": demo.date_added,
            "date_updated": updated,
        }

    def _shipping(self, template):
        rng = self.rng
        low, high = template.size
        weight = Decimal(rng.randint(int(template.weight[0] * 100), int(template.weight[1] * 100)))
        return {
            "width": _dimension(rng, low, high),
            "height": _dimension(rng, low / 2, high / 2),
            "length": _dimension(rng, low, high),
            "weight": weight / 100,
            "number_items": 1 if rng.random() < 0.8 else None,
            "stacked_height": _dimension(rng, 1, 5) if template.stackable else None,
            "separate_ship": template.separate_ship,
        }

    def _images(self, template, demo):
        for position in range(self.rng.choice((0, 0, 1, 2, 3))):
            self.rows.add(
                ProductImage,
                id=self.ids.take(ProductImage),
                product=demo.id,
                url=f"{CDN}/{slug(demo.name)}-{demo.id}-{position + 2}.jpg",
                sort_order=position,
            )

    def _links(self, template, demo):
        rng = self.rng
        for group in rng.sample(sorted(self.groups), rng.choice((0, 0, 1, 1, 2))):
            self.rows.add(
                ProductGroupLink,
                id=self.ids.take(ProductGroupLink),
                product=demo.id,
                group=self.groups[group],
            )
        names = {handle: name for name, handle in CATEGORIES}
        for position, handle in enumerate(template.categories):
            self.rows.add(
                ProductCategory,
                id=self.ids.take(ProductCategory),
                product=demo.id,
                category=self.categories[names[handle]],
                sort_order=position,
            )

    def _option(self, demo, spec, position):
        option_id = self.ids.take(ProductOption)
        self.rows.add(
            ProductOption,
            id=option_id,
            product=demo.id,
            name=spec.name,
            handle=spec.handle,
            kind=spec.kind,
            required=spec.required,
            sort_order=position,
        )
        return option_id

    def _options(self, template, demo):
        rng = self.rng
        chosen_lists = []
        for position, spec in enumerate(template.lists):
            option_id = self._option(demo, spec, position)
            count = len(spec.choices)
            keep = sorted(rng.sample(range(count), rng.randint(min(2, count), count)))
            choices = []
            for order, index in enumerate(keep):
                choice_name, code, adjustment, weight = spec.choices[index]
                choice_id = self.ids.take(ProductOptionChoice)
                self.rows.add(
                    ProductOptionChoice,
                    id=choice_id,
                    option=option_id,
                    name=choice_name,
                    price_adjustment=adjustment,
                    weight_adjustment=weight,
                    sort_order=order,
                )
                choices.append((choice_id, choice_name, code, adjustment))
            chosen_lists.append(choices)
            demo.lists.append(ListOption(spec.name, spec.handle, [(c[1], c[3]) for c in choices]))
        for position, spec in enumerate(template.extras, start=len(template.lists)):
            self._option(demo, spec, position)
        if chosen_lists:
            self._variations(demo, chosen_lists)

    def _variations(self, demo, chosen_lists):
        rng = self.rng
        combos = itertools.product(*(range(len(choices)) for choices in chosen_lists))
        for position, combo in enumerate(combos):
            picked = [chosen_lists[n][i] for n, i in enumerate(combo)]
            variation_id = self.ids.take(Variation)
            sku = "-".join([demo.sku, *(choice[2] for choice in picked)])
            adjustment = sum((choice[3] or 0 for choice in picked), Decimal(0))
            # Most variations inherit the product's price (plus the choices' adjustments);
            # some have a price of their own.
            price = demo.price + adjustment if rng.random() < 0.3 else None
            sale_price = None
            if price is not None and demo.sale_price is not None:
                sale_price = (price * Decimal("0.85")).quantize(CENT)
            stock = Decimal(rng.choice((0, 1, 3, 6, 10, 20, 35)))
            if demo.fractional:
                stock += Decimal(rng.choice(("0", "0.5")))
            self.rows.add(Sku, code=sku, kind=VARIATION_SKU)
            self.rows.add(
                Variation,
                id=variation_id,
                product=demo.id,
                sku=sku,
                sku_kind=VARIATION_SKU,
                barcode=ean13(rng) if rng.random() < 0.5 else None,
                stock_level=stock,
                stock_unlimited=not demo.shippable,
                price=price,
                wholesale_price=None,
                cost_price=(price * Decimal("0.5")).quantize(CENT) if price else None,
                sale_price=sale_price,
                primary_image=(
                    f"{CDN}/{slug(demo.name)}-{demo.id}-{'-'.join(c[2] for c in picked).lower()}"
                    ".jpg"
                    if rng.random() < 0.4
                    else None
                ),
                width=None,
                height=None,
                length=None,
                weight=None,
                number_items=None,
                sort_order=position,
            )
            for choice in picked:
                self.rows.add(
                    VariationChoice,
                    id=self.ids.take(VariationChoice),
                    variation=variation_id,
                    choice=choice[0],
                )
            demo.variations[combo] = (variation_id, sku, price, sale_price)
