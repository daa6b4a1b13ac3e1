"""Fuzz every operation of the live OpenAPI document with schemathesis, on a seeded store.

Each operation gets the same cases on every run (a fixed seed): the document's examples,
up to EXAMPLES generated requests, some following it (positive) and some breaking it
(negative), and schemathesis' boundary cases. Every response must be no 5xx, a documented
status in its documented content type and schema, a 2xx for a valid request and a 4xx
for an invalid one. TEST_FUZZ_EXAMPLES and TEST_FUZZ_SEED run a longer or another hunt.
"""

import os
import re
import zlib
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app import create_app
from models.clients import ALL_SCOPES
from tests import factories
from tests.conftest import TEST_SECRET

DOCUMENT = "/cs/api/v1/openapi.json"
TOKEN_PATH = "/oauth/2.0/token"
EXAMPLES = int(os.environ.get("TEST_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("TEST_FUZZ_SEED", "20240301"))


def _document():
    """The document as the service serves it (building it needs no database)."""
    app = create_app(
        {"TESTING": True, "CS_DATABASE_URL": "sqlite:///:memory:", "CS_TOKEN_SECRET": TEST_SECRET}
    )
    reply = app.test_client().get(DOCUMENT)
    assert reply.status_code == 200
    return reply.get_json()


# No example database either: nothing is written to disk and nothing carries over.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)

# Valid requests that the store's state refuses, as the contract says: a well-formed
# status handle that is no defined status, a stock adjustment whose result would leave
# the range (400 both), an Idempotency-Key already used for another request (422). No
# document can tell them from accepted ones.
STATE_REFUSALS = re.compile(
    "Unknown fulfilment status|[Tt]he adjusted stock level would be outside"
    # A bulk stock body names each SKU once, which no JSON Schema can say.
    "|The same SKU as"
    "|Idempotency-Key was used for another request"
    # An order's items must be SKUs of this store with a price, its total add up, a
    # recorded order's ids agree with its path and each other (manage.md §4).
    "|SKU not found|The catalogue has no price|Must equal the items, shipping and tax"
    "|Must not exceed the items, shipping and tax|total must not exceed"
    "|Must be the id of the path|Item ids must be distinct|must have been paid"
    # A product's options and variations agree with each other (manage.md §3); a PATCH
    # that makes an active product's price null.
    "|Another option of the product has this|Another choice has this name"
    "|Only select and radio options have choices|No select or radio option of the product"
    "|Not a choice of the option|The variation names this option twice"
    "|Another variation has the same choices|Not a variation of this product"
    "|Variation ids must be distinct|Required while the product is active"
)


@schema.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but a valid request's refusal that the store's state explains:
    those above, and an If-Match naming another state than the record's (412)."""
    refused = response.status_code == 412 or (
        response.status_code in (400, 422) and STATE_REFUSALS.search(response.text or "")
    )
    return not (refused and "positive_data_acceptance" in failure.checks)


@pytest.fixture
def seeded(app):
    """A few products, variations and orders, and their ids and SKUs by parameter name."""
    made = [factories.rich_product(size=2) for _ in range(2)]
    plain = factories.product(sku="ABCD", name="Example Product")
    factories.variation(plain, sku="ABCD-L")
    factories.product(sku="NO-STOCK", stock_unlimited=True)
    orders = [
        factories.order(
            items=[{"name": "Example", "sku": "ABCD", "quantity": 1, "price": Decimal("100.5")}],
            status_handle=handle,
            shipping_total=Decimal("5"),
        )
        for handle in ("incomplete", "shipped", "delivered")
    ]
    variations = [v for p in made for v in p.variations] + list(plain.variations)
    products = [*made, plain]
    return {
        "order_id": [o.id for o in orders],
        "product_id": [p.id for p in products],
        "variation_id": [v.id for v in variations],
        "sku": [p.sku for p in products] + [v.sku for v in variations],
    }


@pytest.fixture
def credentials(app):
    """(client_id, secret) of an integration with every scope, the manage ones included."""
    return factories.api_client(scopes=list(ALL_SCOPES))


@pytest.fixture
def headers(client, credentials):
    """Bearer headers with a token minted through the real token endpoint."""
    client_id, secret = credentials
    reply = client.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['access_token']}"}


def _positive(case):
    return case.meta is not None and case.meta.generation.mode.is_positive


def _key(value):
    """A number for a generated value, the same on every run (str hashes are salted)."""
    return value if isinstance(value, int) else zlib.crc32(repr(value).encode())


def _aim_at_records(case, seeded):
    """Send half the valid ids and SKUs to seeded records, so that reads and writes find
    real ones; the rest stay as generated (and are mostly not found)."""
    if not _positive(case):
        return
    for name, value in (case.path_parameters or {}).items():
        records, key = seeded.get(name), _key(value)
        if records and key % 2 == 0:
            case.path_parameters[name] = records[key // 2 % len(records)]


def _real_credentials(case, credentials):
    """Half the valid token requests carry a real client's credentials; the others ask
    as generated (for an unknown client, or none)."""
    body = case.body
    if case.operation.path == TOKEN_PATH and isinstance(body, dict) and _positive(case):
        if _key(body) % 2 == 0:
            body["client_id"], body["client_secret"] = credentials


@schema.parametrize()
# The store and the token are made once per operation and kept across its examples.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzz(case, app, seeded, credentials, headers):
    _aim_at_records(case, seeded)
    _real_credentials(case, credentials)
    case.call_and_validate(app=app, headers=headers)
