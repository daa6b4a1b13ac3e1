"""The round-trip rule (manage.md §2): an order's full view, PUT into a second store with
the same settings, reads back identical there; and the listings count the copies alike."""

import pytest

from models.schema import upgrade
from store.clients import create_client
from store.orders import PAYMENT_STATUSES
from tests.databases import SERVERS

URL = "/cs/api/v1/orders"
# Enough demo orders for 200 of every kind (1.2 % wait for an off-site payment).
DEMO_ORDERS = 18_000
SAMPLE = 200
KINDS = {
    "paid": "paymentStatus=paid",
    "unpaid": "paymentStatus=unpaid",
    "refunded": "paymentStatus=refunded",
    "cancelled": "paymentStatus=cancelled",
    "pending external payment": "paymentStatus=incomplete",
    "not shippable": "shippable=false",
}
# The id filter's limit is 250 ids a request.
CHUNK = 200


@pytest.fixture
def second_store(backend, make_app):
    """An app on a second, empty database on the same server, with the same settings."""
    server = SERVERS[backend]()
    url = server.create()
    copy = make_app(CS_DATABASE_URL=url)
    database = copy.extensions["community_store_api"].database
    upgrade(database)
    yield copy
    database.close_all()
    server.drop()


def bearer(app, *scopes):
    with app.extensions["community_store_api"].session():
        client, secret = create_client("round trip", list(scopes))
    reply = app.test_client().post(
        "/oauth/2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
        },
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['access_token']}"}


def sample(client, headers, query):
    """The full views of the newest SAMPLE orders a listing shows."""
    orders = []
    for page in (1, 2):
        url = f"{URL}?view=full&paging={SAMPLE // 2}&page={page}&{query}"
        reply = client.get(url, headers=headers)
        assert reply.status_code == 200, reply.get_json()
        orders.extend(reply.get_json()["data"])
    return orders


def without_date_updated(document):
    return {key: value for key, value in document.items() if key != "date_updated"}


def listing_total(client, headers, query, ids):
    ids_query = "&".join(f"id[]={order_id}" for order_id in ids)
    reply = client.get(f"{URL}?{query}&{ids_query}", headers=headers)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["meta"]["pagination"]["total"]


def test_full_views_put_into_another_store_read_back_the_same(app, client, second_store):
    demo = app.test_cli_runner().invoke(
        args=["cs", "demo", "--orders", str(DEMO_ORDERS), "--products", "80", "--no-progress"]
    )
    assert demo.exit_code == 0, demo.output
    source = bearer(app, "cs:orders:read")
    target_client = second_store.test_client()
    target = bearer(second_store, "cs:orders:read", "cs:orders:manage")

    copied = {}
    for kind, query in KINDS.items():
        orders = sample(client, source, query)
        assert len(orders) == SAMPLE, f"the demo store has fewer than {SAMPLE} {kind} orders"
        for order in orders:
            copied[order["id"]] = order
    for order_id, order in copied.items():
        body = {"data": without_date_updated(order)}
        reply = target_client.put(f"{URL}/{order_id}", json=body, headers=target)
        assert reply.status_code == 201, (order_id, reply.get_json())

    for order_id, order in copied.items():
        original = client.get(f"{URL}/{order_id}?view=full", headers=source).get_json()["data"]
        copy = target_client.get(f"{URL}/{order_id}?view=full", headers=target).get_json()
        assert without_date_updated(copy["data"]) == without_date_updated(original), order_id
        # What was read is what was written: the body sent is the source's GET too.
        assert without_date_updated(order) == without_date_updated(original)

    ids = sorted(copied)
    for status in ("", *PAYMENT_STATUSES):
        query = f"paymentStatus={status}"
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            assert listing_total(client, source, query, chunk) == listing_total(
                target_client, target, query, chunk
            ), (status, start)
