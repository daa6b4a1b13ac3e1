"""Each order's kept document (store.orders.kept): written with every change to the order,
sent byte for byte as rendered while current, never once out of date."""

import datetime
import json
from decimal import Decimal

import orjson
import pytest
from playhouse.test_utils import count_queries

from models.base import utcnow
from models.orders import Order, OrderDocument
from store import statuses
from store.orders import kept, refresh_documents
from tests import factories

URL = "/cs/api/v1/orders"
READ = ("cs:orders:read",)
MANAGE = ("cs:orders:manage", "cs:orders:write", "cs:orders:read")


def settings_of(app):
    return app.extensions["community_store_api"].settings


def varied_orders():
    """Orders unlike each other in every part of the document: items with and without
    options, attributes of every JSON kind, no address, a refund, a VAT number."""
    made = [
        factories.order(
            items=[
                {
                    "name": "Mug",
                    "sku": "MUG",
                    "quantity": Decimal(2),
                    "price": Decimal("9.99"),
                    "options": [("Colour", "colour", "Blue"), ("Note", "note", "")],
                },
                {"name": "Tea", "sku": None, "quantity": Decimal("0.5"), "price": Decimal(3)},
            ],
            attributes=[("gift", "Gift", {"to": "Ann"}), ("n", "Number", 3), ("t", "Text", "x")],
        ),  # fmt: skip
        factories.order(
            billing_address1=None,
            billing_city=None,
            billing_state_province=None,
            billing_country=None,
            billing_postal_code=None,
            shipping_address1=None,
            shipping_city=None,
            shipping_state_province=None,
            shipping_country=None,
            shipping_postal_code=None,
            vat_number="GB123",
            status_handle="shipped",
            tracking_code="1Z",
            tracking_url="https://t.example/1Z",
        ),  # fmt: skip
        factories.order(
            paid_at=datetime.datetime(2024, 3, 2, 8, 0),
            refunded_at=datetime.datetime(2024, 3, 5, 9, 30, 0, 500),
            refund_reason="Damaged",
            customer_email="émile@example.com",
            billing_first_name="Émile 🚚",
        ),
    ]
    return [order.id for order in made]


def bodies(client, headers, ids):
    """The raw bodies of the default listing and of each order, and their ETags."""
    pages = [client.get(f"{URL}?paging=100", headers=headers).data]
    ones = [client.get(f"{URL}/{order_id}", headers=headers) for order_id in ids]
    return pages + [one.data for one in ones], [one.headers["ETag"] for one in ones]


def queries(client, headers, url):
    client.get(url, headers=headers)  # the app's first request also checks the schema
    with count_queries() as counted:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return counted.count


def kept_body(order_id):
    return OrderDocument.get_by_id(order_id).body


@pytest.mark.parametrize("vat_number", [False, True])
def test_kept_documents_are_sent_exactly_as_they_would_be_rendered(make_app, app, vat_number):
    shop = make_app(CS_STORE_VAT_NUMBER=vat_number)
    client = shop.test_client()
    client_id, secret = factories.api_client(scopes=READ)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token = client.post("/oauth/2.0/token", data=form).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    ids = varied_orders()
    rendered, tags = bodies(client, headers, ids)
    assert (b'"vat_number":"GB123"' in rendered[0]) is vat_number
    assert OrderDocument.select().count() == 0
    assert refresh_documents(settings_of(shop)) == len(ids)
    assert OrderDocument.select().count() == len(ids)
    assert bodies(client, headers, ids) == (rendered, tags)
    # The same bytes through Flask's routes (a query the fast lane leaves alone).
    page = client.get(f"{URL}?paging=100&page=1", headers=headers)
    assert page.data == rendered[0]
    assert refresh_documents(settings_of(shop)) == 0


def test_a_kept_document_is_what_is_sent(app, client, auth):
    """The listing and the order send the kept text as it is, in fewer statements."""
    headers = auth(*READ)
    (order_id,) = [factories.order().id]
    # Nothing kept: the order is rendered (token check, the order and its document's
    # columns, then the order, options, items and attributes to render it).
    assert queries(client, headers, f"{URL}/{order_id}") == 6
    assert queries(client, headers, URL) == 7
    refresh_documents(settings_of(app))
    document = json.loads(kept_body(order_id))
    document["payment_method"] = "Kept"
    OrderDocument.update(body=json.dumps(document)).where(OrderDocument.order == order_id).execute()
    one = client.get(f"{URL}/{order_id}", headers=headers).get_json()["data"]
    listed = client.get(URL, headers=headers).get_json()["data"]
    assert one["payment_method"] == listed[0]["payment_method"] == "Kept"
    # The token's check and the order with its document; the listing also counts.
    assert queries(client, headers, f"{URL}/{order_id}") == 2
    assert queries(client, headers, URL) == 3


def test_the_full_view_is_always_rendered(app, client, auth):
    order_id = factories.order().id
    refresh_documents(settings_of(app))
    OrderDocument.update(body='{"kept": true}').execute()
    headers = auth("cs:orders:manage", "cs:orders:read")
    for url in (f"{URL}/{order_id}?view=full", f"{URL}?view=full"):
        body = client.get(url, headers=headers).get_json()["data"]
        one = body if isinstance(body, dict) else body[0]
        assert one["id"] == order_id and "kept" not in one


def test_every_write_keeps_the_document_it_returns(client, auth):
    headers = auth(*MANAGE)
    factories.product(sku="MUG", name="Mug", price=Decimal("9.99"), stock_level=Decimal(5))

    def check(response, status=200):
        assert response.status_code == status, response.get_json()
        order = response.get_json()["data"]
        kept_text = kept_body(order["id"])
        assert json.loads(kept_text) == order
        shown = client.get(f"{URL}/{order['id']}", headers=headers)
        assert shown.data == orjson.dumps({"data": orjson.Fragment(kept_text)})
        return order

    data = {"items": [{"sku": "MUG", "quantity": 1}], "customer": {"email": "a@example.com"}}
    order = check(client.post(URL, json={"data": data}, headers=headers), 201)
    url = f"{URL}/{order['id']}"
    changes = (
        {"fulfilment": {"handle": "shipped", "tracking_code": "1Z"}},
        {"payment": {"paid": True, "reference": "R1"}},
        {"payment": {"refunded": True, "reason": "Broken"}},
    )
    for change in changes:
        check(client.patch(url, json={"data": change}, headers=headers))
    assert kept_body(order["id"]).count('"Broken"') == 1
    recorded = {
        "date_placed": "2024-01-02T03:04:05+00:00",
        "items": [{"name": "Pen", "sku": "PEN", "quantity": 3, "price": 1.5}],
        "customer": {"email": "b@example.com"},
    }
    check(client.put(url, json={"data": recorded}, headers=headers))
    check(client.put(f"{URL}/4242", json={"data": recorded}, headers=headers), 201)


def test_a_change_that_changes_nothing_writes_nothing(app, client, auth):
    order_id = factories.order(status_handle="shipped").id
    headers = auth(*MANAGE)
    reply = client.patch(
        f"{URL}/{order_id}", json={"data": {"fulfilment": {"handle": "shipped"}}}, headers=headers
    )
    assert reply.status_code == 200
    assert OrderDocument.select().count() == 0


def test_an_out_of_date_document_is_never_sent(make_app, app, client, auth):
    headers = auth(*READ)
    order_id = factories.order(status_handle="shipped").id
    settings = settings_of(app)
    refresh_documents(settings)

    def shown(test_client=client):
        return test_client.get(f"{URL}/{order_id}", headers=headers).get_json()["data"]

    # A write by plain SQL that sets `updated_at`, as every write must.
    Order.update(tracking_code="NEW", updated_at=utcnow()).where(Order.id == order_id).execute()
    assert shown()["fulfilment"]["tracking_code"] == "NEW"
    assert refresh_documents(settings) == 1
    # A status renamed touches no order.
    statuses.rename_status("shipped", "Sent")
    assert shown()["fulfilment"]["status"] == "Sent"
    assert client.get(URL, headers=headers).get_json()["data"][0]["fulfilment"]["status"] == "Sent"
    assert refresh_documents(settings) == 1
    # Other settings: another time zone.
    rome = make_app(CS_STORE_TIMEZONE="Europe/Rome").test_client()
    assert shown(rome)["date_placed"]["timezone"] == "Europe/Rome"
    assert shown()["date_placed"]["timezone"] == "America/Phoenix"
    # Other code: a renderer that is not the one that kept the document.
    kept._key.cache_clear()
    original = kept.RENDERER
    kept.RENDERER = "other"
    try:
        assert refresh_documents(settings) == 1
    finally:
        kept.RENDERER = original
        kept._key.cache_clear()
    assert refresh_documents(settings) == 1
    assert refresh_documents(settings) == 0


def test_the_refresh_command_and_the_upgrade_keep_every_document(app):
    ids = factories.bare_orders(1203)

    def run(*args):
        result = app.test_cli_runner().invoke(args=["cs", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "1203 order documents written" in run("orders", "refresh-documents", "--no-progress")
    assert OrderDocument.select().count() == 1203
    Order.update(updated_at=utcnow()).where(Order.id == ids[7]).execute()
    assert "1 order documents written" in run("db", "upgrade", "--no-progress")
    assert "0 order documents written" in run("db", "upgrade", "--no-progress")
    Order.update(updated_at=utcnow()).where(Order.id == ids[8]).execute()
    assert "order documents" not in run("db", "upgrade", "--no-documents")
