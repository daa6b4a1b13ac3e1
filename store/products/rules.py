"""A product as a write would leave it: a body laid over a new product's defaults (POST,
PUT) or over the stored product (PATCH), and the rules that span keys (manage.md §3),
every problem keyed by its dotted path in the body."""

import copy

from models.catalog import LIST_OPTION_TYPES
from store.products.state import (
    STOCK_KEYS,
    handle_of,
    new_choice,
    new_option,
    new_product,
    new_variation,
)

# Keys a variation's body may hold that are not its own stored fields.
_NOT_FIELDS = ("id", "options", "shipping", *STOCK_KEYS)


def combination(variation):
    """What identifies a variation within its product: its chosen (option, choice) names."""
    return frozenset((chosen["name"], chosen["value"]) for chosen in variation["options"])


def _option(body):
    option = new_option(body["name"])
    option.update({key: value for key, value in body.items() if key != "options"})
    option["options"] = [{**new_choice(c["name"]), **c} for c in body.get("options", ())]
    return option


def _overlay_variation(variation, body, stock):
    """`variation` with the body's fields; stock keys only when `stock`."""
    for key, value in body.items():
        if key == "shipping":
            variation["shipping"] = {**variation["shipping"], **value}
        elif key == "options":
            variation["options"] = list(value)
        elif key not in _NOT_FIELDS or (stock and key in STOCK_KEYS):
            variation[key] = value
    return variation


def _categories(product):
    product["categories"] = [
        {"name": c["name"], "url": c.get("url")} for c in product["categories"]
    ]
    return product


def replaced(body, now, current):
    """The product a POST or PUT body describes: absent keys take their defaults. On PUT
    (`current`, the stored product or None for a new one), a variation without an `id` keeps
    the id of the stored variation with its combination."""
    product = new_product(now)
    for key, value in body.items():
        if key == "shipping":
            product["shipping"] = {**product["shipping"], **value}
        elif key not in ("variations", "options", "id"):
            product[key] = value
    product["options"] = [_option(option) for option in body.get("options", ())]
    claimed = {v["id"] for v in body.get("variations", ()) if "id" in v}
    stored = {}
    for variation in (current or {}).get("variations", ()):
        if variation["id"] not in claimed:
            stored.setdefault(combination(variation), variation["id"])
    product["variations"] = []
    for index, given in enumerate(body.get("variations", ())):
        variation = _overlay_variation(new_variation(), given, stock=True)
        variation["id"] = given.get("id") or stored.pop(combination(variation), None)
        variation["path"] = f"data.variations.{index}"
        product["variations"].append(variation)
    return _categories(product)


def changed(current, body, problems):
    """The stored product with a PATCH body laid over it: scalars replace, `shipping` keys
    replace one by one, a list replaces the whole list. Variations are matched by id, else
    by combination, and keep id and stock; stock inside them is ignored."""
    product = copy.deepcopy(current)
    for key, value in body.items():
        if key == "shipping":
            product["shipping"] = {**product["shipping"], **value}
        elif key not in ("variations", "options", "id", *STOCK_KEYS):
            product[key] = value
    if "options" in body:
        product["options"] = [_option(option) for option in body["options"]]
    _categories(product)
    if "variations" not in body:
        return product
    by_id = {variation["id"]: variation for variation in product["variations"]}
    by_combination = {combination(v): v for v in reversed(product["variations"])}
    matched, variations = set(), []
    for index, given in enumerate(body["variations"]):
        path = f"data.variations.{index}"
        if "id" in given:
            found = by_id.get(given["id"])
            if found is None:
                problems[f"{path}.id"] = ["Not a variation of this product."]
                continue
        else:
            wanted = combination({"options": given.get("options", ())})
            found = by_combination.get(wanted) if "options" in given else None
            if found is not None and found["id"] in matched:
                found = None
        if found is not None and found["id"] in matched:
            problems[f"{path}.id"] = ["Another variation of the body has this id."]
            continue
        variation = new_variation() if found is None else found
        if found is not None:
            matched.add(found["id"])
        variation = _overlay_variation(variation, given, stock=False)
        variation["path"] = path
        variations.append(variation)
    product["variations"] = variations
    return product


def _folded(handle):
    return handle.casefold().rstrip()


def _check_options(options, problems):
    """Names and handles unique, choices unique and only on list options; handles made
    from names where none is given."""
    # Handles are compared as MariaDB's unique index does: case and trailing spaces aside.
    names, handles = set(), {_folded(o["handle"]) for o in options if o["handle"] is not None}
    seen_handles = set()
    for index, option in enumerate(options):
        path = f"data.options.{index}"
        if option["name"] in names:
            problems[f"{path}.name"] = ["Another option of the product has this name."]
        names.add(option["name"])
        if option["handle"] is None:
            base = handle = handle_of(option["name"])
            suffix = 1
            while _folded(handle) in handles:
                suffix += 1
                handle = f"{base}_{suffix}"
            option["handle"] = handle
            handles.add(_folded(handle))
        elif _folded(option["handle"]) in seen_handles:
            problems[f"{path}.handle"] = ["Another option of the product has this handle."]
        seen_handles.add(_folded(option["handle"]))
        if option["options"] and option["type"] not in LIST_OPTION_TYPES:
            problems[f"{path}.options"] = ["Only select and radio options have choices."]
        seen = set()
        for position, choice in enumerate(option["options"]):
            if choice["name"] in seen:
                problems[f"{path}.options.{position}.name"] = ["Another choice has this name."]
            seen.add(choice["name"])


def _check_variations(product, problems):
    """Each variation names choices of list options, one per option; no two alike."""
    lists = {
        option["name"]: {choice["name"] for choice in option["options"]}
        for option in product["options"]
        if option["type"] in LIST_OPTION_TYPES
    }
    seen = set()
    for variation in product["variations"]:
        path = variation.get("path")
        named = set()
        for position, chosen in enumerate(variation["options"]):
            where = f"{path}.options.{position}" if path else "data.variations"
            choices = lists.get(chosen["name"])
            if choices is None:
                problems.setdefault(f"{where}.name" if path else where, []).append(
                    f"No select or radio option of the product is named {chosen['name']!r}."
                )
            elif chosen["value"] not in choices:
                problems.setdefault(f"{where}.value" if path else where, []).append(
                    f"Not a choice of the option {chosen['name']!r}: {chosen['value']!r}."
                )
            elif chosen["name"] in named:
                problems[f"{where}.name"] = ["The variation names this option twice."]
            named.add(chosen["name"])
        key = combination(variation)
        if key in seen:
            problems[f"{path}.options" if path else "data.variations"] = [
                "Another variation has the same choices."
            ]
        seen.add(key)


def check(product, problems, price_required=True):
    """Add to `problems` what breaks a rule spanning keys (manage.md §3)."""
    if price_required and product["active"] and product["price"] is None:
        problems.setdefault("data.price", []).append("Required while the product is active.")
    _check_options(product["options"], problems)
    _check_variations(product, problems)
