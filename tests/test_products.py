"""GET /products/{id} and the product document: key order, JSON types, nulls, query counts."""

import datetime
from decimal import Decimal

import pytest
from playhouse.test_utils import count_queries

from models.catalog import ProductCategory, ProductOptionChoice, VariationChoice
from tests import factories

PHOENIX = "America/Phoenix"
READ = "cs:products:read"


def assert_json(actual, expected, path="data"):
    """Equal values, the same key order at every level, and the same JSON types exactly
    (an int is not a float, a bool is not an int)."""
    assert type(actual) is type(expected), f"{path}: {actual!r} is not like {expected!r}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{path}: keys {list(actual)}"
        for key, value in expected.items():
            assert_json(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {actual!r}"
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            assert_json(got, want, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def when(text):
    return {"date": text, "timezone": PHOENIX}


def get_product(client, headers, product_id):
    response = client.get(f"/cs/api/v1/products/{product_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.content_type == "application/json"
    return response.get_json()["data"]


def test_simple_product(client, auth):
    made = factories.product(
        name="Example Product",
        sku="ABCD",
        stock_level=Decimal(10),
        short_description="Short description HTML",
        description="Extended description HTML",
        price=Decimal("100.5"),
        cost_price=Decimal(60),
        primary_image="https://domain.com/product.jpg",
        width=Decimal(10),
        height=Decimal(5),
        length=Decimal(20),
        number_items=1,
        # 15:41 in Phoenix (UTC-7, no daylight saving time).
        date_added=datetime.datetime(2020, 10, 5, 22, 41),
    )
    factories.image(made, "https://domain.com/product2.jpg")
    factories.group(made, "Product Group 1")
    factories.category(made, "Product Category 1", "https://domain.com/category1")

    data = get_product(client, auth(READ), made.id)

    assert_json(
        data,
        {
            "id": made.id,
            "name": "Example Product",
            "sku": "ABCD",
            "barcode": None,
            "active": True,
            "stock_unlimited": False,
            "stock_level": 10,
            "short_description": "Short description HTML",
            "description": "Extended description HTML",
            "brand": None,
            "price": 100.5,
            "wholesale_price": None,
            "cost_price": 60,
            "sale_price": None,
            "sale_start": None,
            "sale_end": None,
            "primary_image": "https://domain.com/product.jpg",
            "additional_images": ["https://domain.com/product2.jpg"],
            "groups": ["Product Group 1"],
            "categories": [{"name": "Product Category 1", "url": "https://domain.com/category1"}],
            "options": [],
            "variations": [],
            "date_added": when("2020-10-05 15:41:00.000000"),
            "date_updated": when("2020-10-05 15:41:00.000000"),
            "shipping": {
                "shippable": True,
                "width": 10,
                "height": 5,
                "length": 20,
                "number_items": 1,
                "stacked_height": None,
                "separate_ship": False,
            },
        },
    )


def _options_product():
    made = factories.product(name="Shirt", sku="SHIRT", price=Decimal("100.5"))
    size, _ = factories.option(made, "Size", kind="select", required=True)
    large = factories.choice(size, "Large", price_adjustment=Decimal(5), sort_order=0)
    small = factories.choice(
        size,
        "Small",
        price_adjustment=Decimal("-2.5"),
        weight_adjustment=Decimal("0.25"),
        sort_order=1,
    )
    finish, (matte,) = factories.option(made, "Finish", kind="radio", choices=["Matte"])
    factories.option(made, "Gift note", handle="note", kind="textarea", required=False)
    factories.option(made, "Empty list", handle="empty", kind="select", required=False)
    for kind in ("text", "checkbox", "hidden", "static"):
        factories.option(made, kind.title(), kind=kind, required=False)
    # Chosen options come in the product's option order, whatever order they were added in.
    first = factories.variation(
        made,
        choices=(matte, large),
        sku="SHIRT-L",
        stock_level=Decimal(3),
        price=Decimal("105.5"),
        primary_image="https://domain.com/large.jpg",
        width=Decimal(11),
        length=Decimal("21.5"),
        number_items=2,
        sort_order=0,
    )
    second = factories.variation(
        made,
        choices=(matte, small),
        sku=None,
        stock_unlimited=True,
        stock_level=Decimal("0.0001"),
        wholesale_price=Decimal(80),
        cost_price=Decimal("50.125"),
        sale_price=Decimal("99.99"),
        sort_order=1,
    )
    return made, first, second


def test_options_and_variations(client, auth):
    made, first, second = _options_product()

    data = get_product(client, auth(READ), made.id)

    no_list = [
        {"name": name, "handle": name.lower(), "type": name.lower(), "required": False}
        for name in ("Text", "Checkbox", "Hidden", "Static")
    ]
    assert_json(
        data["options"],
        [
            {
                "name": "Size",
                "handle": "size",
                "type": "select",
                "required": True,
                "options": [
                    {"name": "Large", "price_adjustment": 5, "weight_adjustment": None},
                    {"name": "Small", "price_adjustment": -2.5, "weight_adjustment": 0.25},
                ],
            },
            {
                "name": "Finish",
                "handle": "finish",
                "type": "radio",
                "required": True,
                "options": [{"name": "Matte", "price_adjustment": None, "weight_adjustment": None}],
            },
            {"name": "Gift note", "handle": "note", "type": "textarea", "required": False},
            {
                "name": "Empty list",
                "handle": "empty",
                "type": "select",
                "required": False,
                "options": [],
            },
            *no_list,
        ],
    )
    assert_json(
        data["variations"],
        [
            {
                "id": first.id,
                "sku": "SHIRT-L",
                "barcode": None,
                "stock_unlimited": False,
                "stock_level": 3,
                "price": 105.5,
                "wholesale_price": None,
                "cost_price": None,
                "sale_price": None,
                "primary_image": "https://domain.com/large.jpg",
                "options": [
                    {"name": "Size", "value": "Large"},
                    {"name": "Finish", "value": "Matte"},
                ],
                "shipping": {"width": 11, "height": None, "length": 21.5, "number_items": 2},
            },
            {
                "id": second.id,
                "sku": None,
                "barcode": None,
                "stock_unlimited": True,
                "stock_level": 0.0001,
                "price": None,
                "wholesale_price": 80,
                # Half-up to the currency's two digits.
                "cost_price": 50.13,
                "sale_price": 99.99,
                "primary_image": None,
                "options": [
                    {"name": "Size", "value": "Small"},
                    {"name": "Finish", "value": "Matte"},
                ],
                "shipping": {"width": None, "height": None, "length": None, "number_items": None},
            },
        ],
    )
    # The product keeps its own values: a variation's overrides stay on the variation.
    assert data["price"] == 100.5
    assert data["sku"] == "SHIRT"


def test_sale_window_and_brand(client, auth):
    made = factories.product(
        name="On sale",
        sku="SALE",
        barcode="4006381333931",
        active=False,
        brand=factories.brand("Acme"),
        price=Decimal("120"),
        wholesale_price=Decimal("70.1"),
        sale_price=Decimal("89.995"),
        sale_start=datetime.datetime(2024, 6, 1, 7, 0),
        sale_end=datetime.datetime(2024, 6, 30, 6, 59, 59, 999999),
        shippable=False,
        stacked_height=Decimal("1.5"),
        separate_ship=True,
        date_added=datetime.datetime(2024, 1, 1, 12, 0),
        date_updated=datetime.datetime(2024, 1, 2, 3, 4, 5, 123456),
    )

    data = get_product(client, auth(READ), made.id)

    assert data["barcode"] == "4006381333931"
    assert data["active"] is False
    assert data["brand"] == "Acme"
    assert_json(data["price"], 120)
    assert_json(data["wholesale_price"], 70.1)
    assert_json(data["sale_price"], 90)
    assert_json(data["sale_start"], when("2024-06-01 00:00:00.000000"))
    assert_json(data["sale_end"], when("2024-06-29 23:59:59.999999"))
    assert_json(data["date_added"], when("2024-01-01 05:00:00.000000"))
    assert_json(data["date_updated"], when("2024-01-01 20:04:05.123456"))
    assert_json(
        data["shipping"],
        {
            "shippable": False,
            "width": None,
            "height": None,
            "length": None,
            "number_items": None,
            "stacked_height": 1.5,
            "separate_ship": True,
        },
    )


def test_nothing_optional(client, auth):
    made = factories.product(
        name="Bare",
        sku=None,
        price=None,
        stock_level=Decimal(0),
        primary_image="",
        date_added=datetime.datetime(2024, 1, 1, 7, 0, 0, 1),
    )

    data = get_product(client, auth(READ), made.id)

    date = when("2024-01-01 00:00:00.000001")
    assert_json(
        data,
        {
            "id": made.id,
            "name": "Bare",
            "sku": None,
            "barcode": None,
            "active": True,
            "stock_unlimited": False,
            "stock_level": 0,
            "short_description": None,
            "description": None,
            "brand": None,
            "price": None,
            "wholesale_price": None,
            "cost_price": None,
            "sale_price": None,
            "sale_start": None,
            "sale_end": None,
            "primary_image": None,
            "additional_images": [],
            "groups": [],
            "categories": [],
            "options": [],
            "variations": [],
            "date_added": date,
            "date_updated": date,
            "shipping": {
                "shippable": True,
                "width": None,
                "height": None,
                "length": None,
                "number_items": None,
                "stacked_height": None,
                "separate_ship": False,
            },
        },
    )


def test_images_groups_and_categories_in_order(client, auth):
    made = factories.product()
    other = factories.product()
    factories.image(made, "https://example.com/3.jpg", sort_order=3)
    factories.image(made, "https://example.com/1.jpg", sort_order=1)
    factories.image(other, "https://example.com/other.jpg")
    factories.image(made, "https://example.com/2.jpg", sort_order=2)
    factories.group(made, "Zebra")
    factories.group(made, "Apple")
    factories.group(other, "Other")
    factories.category(made, "No page")

    data = get_product(client, auth(READ), made.id)

    assert data["additional_images"] == [f"https://example.com/{n}.jpg" for n in (1, 2, 3)]
    assert data["groups"] == ["Zebra", "Apple"]
    assert_json(data["categories"], [{"name": "No page", "url": None}])
    # A page reads every product's in one statement: each keeps its own, in order.
    first = ProductCategory.get(ProductCategory.product == made)
    first.sort_order = 5
    first.save()
    factories.category(made, "Shop", "https://example.com/shop")
    factories.category(other, "Elsewhere", "https://example.com/elsewhere")
    page = client.get("/cs/api/v1/products", headers=auth(READ)).get_json()["data"]
    listed = {product["id"]: product for product in page}
    assert listed[made.id]["additional_images"] == data["additional_images"]
    assert listed[made.id]["groups"] == ["Zebra", "Apple"]
    assert_json(
        listed[made.id]["categories"],
        [{"name": "Shop", "url": "https://example.com/shop"}, {"name": "No page", "url": None}],
    )
    assert listed[other.id]["additional_images"] == ["https://example.com/other.jpg"]
    assert listed[other.id]["groups"] == ["Other"]
    assert_json(
        listed[other.id]["categories"],
        [{"name": "Elsewhere", "url": "https://example.com/elsewhere"}],
    )


def test_money_uses_the_currency_digits(make_app, auth):
    made = factories.product(price=Decimal("100.5"), cost_price=Decimal("0.4999"))
    yen = make_app(CS_STORE_CURRENCY="JPY").test_client()
    data = get_product(yen, auth(READ), made.id)
    assert_json(data["price"], 101)
    assert_json(data["cost_price"], 0)


@pytest.mark.parametrize("path", ["/products/0", "/products/-1", "/products/abc", "/products/1x"])
def test_not_an_id_misses_the_route(client, path):
    response = client.get("/cs/api/v1" + path)
    assert response.status_code == 404
    assert response.get_json() == {"error": True, "errors": ["Not Found"]}


def test_missing_product(client, auth):
    for method in (client.get, client.patch):
        response = method(
            "/cs/api/v1/products/999999",
            json={"data": {"stock_level": 1}},
            headers=auth(READ, "cs:products:write"),
        )
        assert response.status_code == 404
        assert response.get_json() == {"error": True, "errors": ["Product not found"]}


def test_token_before_record_and_scope(client, auth):
    made = factories.product()
    assert client.get("/cs/api/v1/products/999999").status_code == 401
    assert client.get("/cs/api/v1/products").status_code == 401
    wrong = auth("cs:orders:read", "cs:products:write")
    assert client.get(f"/cs/api/v1/products/{made.id}", headers=wrong).status_code == 403
    assert client.get("/cs/api/v1/products", headers=wrong).status_code == 403
    read_only = auth(READ)
    response = client.patch(
        f"/cs/api/v1/products/{made.id}", json={"data": {"stock_level": 1}}, headers=read_only
    )
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"


def test_one_product_costs_constant_queries(client, auth):
    small = factories.rich_product(size=1)
    big = factories.rich_product(size=4)
    headers = auth(READ)
    counts = []
    for made in (small, big):
        with count_queries() as counted:
            data = get_product(client, headers, made.id)
        counts.append(counted.count)
    assert len(data["variations"]) == 16
    # The token's revocation check, the product, its images, groups and categories (one
    # statement), options with their choices and the variations that made them, variations.
    assert counts == [5, 5]


def test_a_page_costs_constant_queries(client, auth):
    headers = auth(READ)
    factories.rich_product(size=1)
    factories.product()
    with count_queries() as few:
        response = client.get("/cs/api/v1/products", headers=headers)
    assert response.get_json()["meta"]["pagination"]["count"] == 2
    for _ in range(6):
        factories.rich_product(size=3)
    with count_queries() as many:
        response = client.get("/cs/api/v1/products?paging=100", headers=headers)
    data = response.get_json()["data"]
    assert len(data) == 8
    assert sum(len(product["variations"]) for product in data) == 1 + 6 * 9
    # What one product costs: the page's rows come with their count.
    assert few.count == many.count == 5
    assert response.get_json()["meta"]["pagination"]["total"] == 8
    # A filtered page counts and selects its ids on their own: two more.
    with count_queries() as filtered:
        response = client.get(
            "/cs/api/v1/products?paging=100&filter=date_added gt '2000-01-01'", headers=headers
        )
    assert response.get_json()["data"] == data
    assert filtered.count == 7


def test_variation_choices_of_other_products_stay_out(client, auth):
    made, first, _ = _options_product()
    other = factories.product()
    size, (medium,) = factories.option(other, "Size", choices=["Medium"])
    VariationChoice.create(variation=factories.variation(other), choice=medium)
    data = get_product(client, auth(READ), made.id)
    assert [option["value"] for option in data["variations"][0]["options"]] == ["Large", "Matte"]


def test_a_choice_made_by_another_products_variation_is_ignored(client, auth):
    made, _, _ = _options_product()
    large = ProductOptionChoice.get(ProductOptionChoice.name == "Large")
    stray = factories.variation(factories.product(), choices=(large,))
    data = get_product(client, auth(READ), made.id)
    assert stray.id not in [variation["id"] for variation in data["variations"]]
    assert [len(variation["options"]) for variation in data["variations"]] == [2, 2]
