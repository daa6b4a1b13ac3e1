"""POST /orders (manage.md §4): an order from the catalogue, stock taken, total computed;
nothing written on any error."""

import datetime
import json
from decimal import Decimal

import pytest

from models.catalog import Product, Variation
from models.orders import Order
from store import orders
from store.errors import Conflict, Invalid
from tests import factories

URL = "/cs/api/v1/orders"
MANAGE = ("cs:orders:manage", "cs:orders:read")


@pytest.fixture
def manager(auth):
    return auth(*MANAGE)


@pytest.fixture
def mug(app):
    return factories.product(sku="MUG", name="Mug", price=Decimal("9.99"), stock_level=Decimal(5))


def post(client, headers, data):
    body = data if isinstance(data, (str, bytes)) else json.dumps({"data": data})
    return client.post(URL, data=body, headers=headers)


def level(model, record_id):
    return model.get_by_id(record_id).stock_level


def test_an_order_is_created_as_get_shows_it(client, manager, mug):
    data = {
        "customer": {"email": "joe@example.com", "billing": {"first_name": "Joe"}},
        "items": [{"sku": "MUG", "quantity": 2}],
        "shipping_method": "Ground",
        "shipping_total": 4.95,
        "tax": 1.6,
        "discount": 0.5,
        "locale": "en_US",
        "attributes": [{"handle": "gift", "name": "Gift message", "value": {"to": "Ann"}}],
    }
    created = post(client, manager, data)
    assert created.status_code == 201, created.get_json()
    order = created.get_json()["data"]
    assert created.headers["Location"] == f"http://localhost{URL}/{order['id']}"
    shown = client.get(f"{URL}/{order['id']}", headers=manager)
    assert shown.data == created.data
    assert order["items"] == [
        {"id": order["items"][0]["id"], "name": "Mug", "sku": "MUG", "quantity": 2,
         "price": 9.99, "options": []}
    ]  # fmt: skip
    # 2 × 9.99 + 4.95 + 1.6 − 0.5
    assert order["total"] == 26.03
    assert order["payment_date"] is None
    assert order["fulfilment"]["handle"] == "incomplete"
    assert order["customer"]["billing"]["first_name"] == "Joe"
    assert order["customer"]["shipping"]["address"] is None
    assert order["attributes"] == [
        {"handle": "gift", "name": "Gift message", "value": {"to": "Ann"}}
    ]
    assert level(Product, mug.id) == 3
    row = Order.get_by_id(order["id"])
    assert (row.shipping_total, row.tax_total, row.discount_total) == (
        Decimal("4.95"), Decimal("1.6"), Decimal("0.5"),
    )  # fmt: skip


def test_the_status_history_names_the_client(client, token, mug):
    client_id, secret = factories.api_client(scopes=list(MANAGE))
    issued = client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).get_json()
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    data = {"items": [{"sku": "MUG", "quantity": 1}], "fulfilment": {"handle": "PROCESSING"}}
    order = post(client, headers, data).get_json()["data"]
    assert order["fulfilment"]["handle"] == "processing"
    history = factories.status_history_actors(order["id"])
    assert history == [("processing", client_id, f"client:{client_id}")]


def test_names_prices_and_options_default_to_the_catalogue(client, manager):
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    day = datetime.timedelta(days=1)
    shirt = factories.product(
        sku="SHIRT", name="Shirt", price=Decimal(20), sale_price=Decimal(15),
        sale_start=now - day, sale_end=now + day, stock_level=Decimal(9),
    )  # fmt: skip
    _, (small, large) = factories.option(shirt, "Size", choices=["S", "L"])
    own = factories.variation(shirt, (large,), sku="SHIRT-L", price=Decimal(22))
    plain = factories.variation(shirt, (small,), sku="SHIRT-S")
    ended = factories.product(
        sku="OLD", price=Decimal(7), sale_price=Decimal(5), sale_end=now - day
    )
    data = {
        "items": [
            {"sku": "SHIRT", "quantity": 1},
            {"sku": "SHIRT-L", "quantity": 1},
            {"sku": "SHIRT-S", "quantity": 1},
            {"sku": "OLD", "quantity": 1},
            {"sku": "SHIRT-S", "quantity": 1, "price": 1.2345, "name": "Gift", "options": []},
        ]
    }
    response = post(client, manager, data)
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["data"]["items"]
    assert [(i["name"], i["sku"], i["price"]) for i in items] == [
        ("Shirt", "SHIRT", 15),  # on sale
        ("Shirt", "SHIRT-L", 22),  # a price of its own, no sale of its own
        ("Shirt", "SHIRT-S", 15),  # the product's price, so the product's sale
        (ended.name, "OLD", 7),  # the sale is over
        ("Gift", "SHIRT-S", 1.2345),
    ]
    size = [{"name": "Size", "handle": "size", "value": "L"}]
    assert items[1]["options"] == size
    assert items[2]["options"] == [{"name": "Size", "handle": "size", "value": "S"}]
    assert items[0]["options"] == items[4]["options"] == []
    assert level(Variation, own.id) == 2
    assert level(Variation, plain.id) == 1
    assert level(Product, shirt.id) == 8


def test_stock_is_taken_unless_unlimited_and_variations_touch_their_product(client, manager):
    before = datetime.datetime(2024, 1, 1)
    free = factories.product(sku="FREE", stock_unlimited=True, stock_level=Decimal(0))
    shirt = factories.product(sku="TEE", date_updated=before)
    variation = factories.variation(shirt, sku="TEE-M", stock_level=Decimal("2.5"))
    data = {"items": [{"sku": "FREE", "quantity": 7}, {"sku": "TEE-M", "quantity": 1.25}]}
    assert post(client, manager, data).status_code == 201
    assert level(Product, free.id) == 0
    assert level(Variation, variation.id) == Decimal("1.25")
    assert Product.get_by_id(shirt.id).date_updated > before


def test_date_times_come_as_objects_or_iso_strings(client, manager, mug):
    # The store's zone is America/Phoenix (UTC-7, no daylight saving time).
    cases = {
        "object in another zone": (
            {"date": "2024-05-01 10:00:00.000000", "timezone": "Europe/Rome"},
            "2024-05-01 01:00:00.000000",
        ),
        "ISO with Z": ("2024-05-01T10:00:00Z", "2024-05-01 03:00:00.000000"),
        "ISO with an offset": ("2024-05-01T10:00:00.5+02:00", "2024-05-01 01:00:00.500000"),
        "naive: the store zone": ("2024-05-01 10:00:00", "2024-05-01 10:00:00.000000"),
    }
    for name, (given, shown) in cases.items():
        data = {"items": [{"sku": "MUG", "quantity": 1}], "payment_date": given}
        response = post(client, manager, data)
        assert response.status_code == 201, (name, response.get_json())
        paid = response.get_json()["data"]["payment_date"]
        assert paid == {"date": shown, "timezone": "America/Phoenix"}, name


def test_the_total_is_rounded_half_up_and_a_given_one_must_match(client, manager):
    factories.product(sku="HALF", price=Decimal("0.125"), stock_level=Decimal(10))
    data = {"items": [{"sku": "HALF", "quantity": 1}]}
    assert post(client, manager, data).get_json()["data"]["total"] == 0.13
    assert post(client, manager, {**data, "total": 0.13}).status_code == 201
    wrong = post(client, manager, {**data, "total": 0.12})
    assert wrong.status_code == 400
    assert wrong.get_json()["fields"] == {
        "data.total": ["Must equal the items, shipping and tax less the discount: 0.13."]
    }


def test_money_follows_the_currency_digits(make_app, app):
    factories.product(sku="YEN", price=Decimal(100), stock_level=Decimal(10))
    yen = make_app(CS_STORE_CURRENCY="JPY")
    client = yen.test_client()
    client_id, secret = factories.api_client(scopes=list(MANAGE))
    issued = client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).get_json()
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    data = {"items": [{"sku": "YEN", "quantity": 1, "price": 99.5}], "shipping_total": 1.5}
    refused = post(client, headers, data)
    assert refused.status_code == 400
    assert refused.get_json()["fields"] == {
        "data.shipping_total": ["Must have at most 0 decimal places."]
    }
    data["shipping_total"] = 1
    # 99.5 + 1 = 100.5, rounded half-up to whole yen.
    assert post(client, headers, data).get_json()["data"]["total"] == 101


def test_shortages_are_all_listed_and_nothing_is_written(client, manager, mug):
    shirt = factories.product(sku="TEE")
    small = factories.variation(shirt, sku="TEE-S", stock_level=Decimal(0))
    factories.product(sku="CAP", stock_level=Decimal(1))
    before = factories.store_rows()
    data = {
        "items": [
            {"sku": "CAP", "quantity": 1},
            {"sku": "MUG", "quantity": 4},
            {"sku": "TEE-S", "quantity": 1},
            {"sku": "MUG", "quantity": 2},
        ]
    }
    response = post(client, manager, data)
    assert response.status_code == 409
    assert response.get_json() == {
        "error": True,
        "errors": [
            "Not enough stock for TEE-S: 0 left, 1 ordered",
            "Not enough stock for MUG: 5 left, 6 ordered",
        ],
        "shortages": [
            {"sku": "TEE-S", "available": 0, "requested": 1},
            {"sku": "MUG", "available": 5, "requested": 6},
        ],
    }
    assert factories.store_rows() == before
    assert level(Variation, small.id) == 0


def test_backorders_let_stock_go_negative(make_app, app, mug):
    backorders = make_app(CS_ALLOW_BACKORDERS=True)
    with backorders.extensions["community_store_api"].session() as state:
        order = orders.create_order(
            {"items": [{"sku": "MUG", "quantity": 7}]}, "app:pos", state.settings
        )
    assert order["items"][0]["quantity"] == 7
    assert level(Product, mug.id) == -2


def test_empty_arrays_count_as_empty_objects(client, manager, mug):
    data = {"items": [{"sku": "MUG", "quantity": 1}], "customer": [], "fulfilment": []}
    response = post(client, manager, data)
    assert response.status_code == 201, response.get_json()
    assert post(client, manager, b'{"data": []}').get_json()["fields"] == {
        "data.items": ["Missing data for required field."]
    }


def test_read_only_keys_of_the_full_view_are_accepted_and_ignored(client, manager, mug):
    data = {
        "id": 999,
        "date_updated": "2020-01-01T00:00:00Z",
        "items": [{"id": 999, "sku": "MUG", "quantity": 1}],
        "fulfilment": {"status": "Whatever", "handle": "shipped"},
        "status_history": [{"handle": "incomplete", "date": "2020-01-01T00:00:00Z", "actor": None}],
    }
    response = post(client, manager, data)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()["data"]
    assert order["id"] != 999 and order["items"][0]["id"] != 999
    assert order["fulfilment"]["status"] == "Shipped"
    assert [handle for handle, _ in factories.status_history(order["id"])] == ["shipped"]


MUG_LINE = {"sku": "MUG", "quantity": 1}
BAD_BODIES = [
    ("not json", b"{", "body"),
    ("not an object", b"[1]", "body"),
    ("another top-level key", b'{"data": {}, "extra": 1}', "extra"),
    ("data not an object", b'{"data": 5}', "data"),
    ("no items", {}, "data.items"),
    ("no item", {"items": []}, "data.items"),
    ("items not a list", {"items": {}}, "data.items"),
    ("unknown key", {"items": [MUG_LINE], "shiping_total": 1}, "data.shiping_total"),
    ("nested unknown key", {"items": [MUG_LINE], "customer": {"emial": "x"}},
     "data.customer.emial"),
    ("unknown SKU", {"items": [MUG_LINE, {"sku": "NOPE", "quantity": 1}]}, "data.items.1.sku"),
    ("no SKU", {"items": [{"quantity": 1}]}, "data.items.0.sku"),
    ("zero quantity", {"items": [{"sku": "MUG", "quantity": 0}]}, "data.items.0.quantity"),
    ("negative quantity", {"items": [{"sku": "MUG", "quantity": -1}]}, "data.items.0.quantity"),
    ("string quantity", {"items": [{"sku": "MUG", "quantity": "1"}]}, "data.items.0.quantity"),
    ("5 decimals", {"items": [{"sku": "MUG", "quantity": 1.00001}]}, "data.items.0.quantity"),
    ("huge quantity", {"items": [{"sku": "MUG", "quantity": 1e20}]}, "data.items.0.quantity"),
    ("negative price", {"items": [{**MUG_LINE, "price": -1}]}, "data.items.0.price"),
    ("3-digit money", {"items": [MUG_LINE], "tax": 0.001}, "data.tax"),
    ("boolean money", {"items": [MUG_LINE], "tax": True}, "data.tax"),
    ("discount too big", {"items": [MUG_LINE], "discount": 100}, "data.discount"),
    ("a wrong total", {"items": [MUG_LINE], "total": 1}, "data.total"),
    ("unknown status", {"items": [MUG_LINE], "fulfilment": {"handle": "x"}},
     "data.fulfilment.handle"),
    ("bad tracking URL", {"items": [MUG_LINE], "fulfilment": {"tracking_url": "ftp://x"}},
     "data.fulfilment.tracking_url"),
    ("date words", {"items": [MUG_LINE], "payment_date": "yesterday"}, "data.payment_date"),
    ("date number", {"items": [MUG_LINE], "payment_date": 1700000000}, "data.payment_date"),
    ("date object, no time", {"items": [MUG_LINE], "payment_date": {"date": "2024-01-01",
     "timezone": "UTC"}}, "data.payment_date"),
    ("unknown zone", {"items": [MUG_LINE], "payment_date": {"date": "2024-01-01 00:00:00",
     "timezone": "Mars/Base"}}, "data.payment_date"),
    ("no such day", {"items": [MUG_LINE], "payment_date": "2024-02-30T00:00:00Z"},
     "data.payment_date"),
    ("year 999", {"items": [MUG_LINE], "payment_date": "0999-12-31T00:00:00Z"},
     "data.payment_date"),
    ("NUL", {"items": [MUG_LINE], "locale": "en\u0000"}, "data.locale"),
    ("long name", {"items": [{**MUG_LINE, "name": "x" * 256}]}, "data.items.0.name"),
    ("attribute without value", {"items": [MUG_LINE], "attributes": [{"handle": "a", "name": "A"}]},
     "data.attributes.0.value"),
    ("refund unpaid", {"items": [MUG_LINE], "refunded": {"date": "2024-01-01T00:00:00Z"}},
     "data.refunded"),
    ("address not an object", {"items": [MUG_LINE], "customer": {"billing": {"address": "x"}}},
     "data.customer.billing.address"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "path"), [case[1:] for case in BAD_BODIES],
                         ids=[case[0] for case in BAD_BODIES])  # fmt: skip
def test_bad_bodies_are_refused_naming_the_field_and_write_nothing(
    client, manager, mug, body, path
):
    before = factories.store_rows()
    response = post(client, manager, body)
    assert response.status_code == 400, response.get_json()
    reply = response.get_json()
    assert reply["error"] is True
    assert path in reply["fields"], reply
    assert factories.store_rows() == before


def test_an_unknown_sku_is_named_by_its_line(client, manager, mug):
    data = {"items": [MUG_LINE, {"sku": "ABCD-L", "quantity": 1}]}
    reply = post(client, manager, data).get_json()
    assert reply == {
        "error": True,
        "errors": ["Invalid data.items.1.sku: SKU not found"],
        "fields": {"data.items.1.sku": ["SKU not found"]},
    }


@pytest.mark.parametrize(
    "scopes", [("cs:orders:write", "cs:orders:read"), ("cs:products:manage",)], ids=str
)
def test_creating_needs_the_manage_scope(client, auth, mug, scopes):
    before = factories.store_rows()
    response = post(client, auth(*scopes), {"items": [MUG_LINE]})
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="cs:orders:manage"'
    )
    assert factories.store_rows() == before


def test_python_callers_get_the_same_checks_and_may_pass_python_values(app, mug):
    settings = app.extensions["community_store_api"].settings
    paid = datetime.datetime(2024, 5, 1, 10, 0, tzinfo=datetime.UTC)
    order = orders.create_order(
        {"items": [{"sku": "MUG", "quantity": Decimal("1.5")}], "payment_date": paid},
        actor="app:checkout",
        settings=settings,
    )
    assert order["payment_date"]["date"] == "2024-05-01 03:00:00.000000"
    assert factories.status_history_actors(order["id"]) == [("incomplete", None, "app:checkout")]
    with pytest.raises(Invalid) as refused:
        orders.create_order({"items": [{"sku": "NOPE", "quantity": 1}]}, "app", settings)
    assert refused.value.fields == {"data.items.0.sku": ["SKU not found"]}
    with pytest.raises(Conflict) as short:
        orders.create_order({"items": [{"sku": "MUG", "quantity": 9}]}, "app", settings)
    assert short.value.details["shortages"] == [{"sku": "MUG", "available": 3.5, "requested": 9}]
