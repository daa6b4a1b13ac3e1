"""ETags of one order or product: what changes them, If-None-Match, and the If-Match check."""

import re

import pytest
from playhouse.test_utils import count_queries

from api.errors import handle_store_error
from api.records import if_match, if_none_match
from models.catalog import Variation
from store import orders, products, statuses
from store.errors import PreconditionFailed
from store.etags import ANY, require_match
from tests import factories

ORDER_SCOPES = ("cs:orders:read", "cs:orders:write")
PRODUCT_SCOPES = ("cs:products:read", "cs:products:write")
STRONG_TAG = re.compile(r'"[0-9a-f]{32}"')


def etag(client, headers, url):
    reply = client.get(url, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    tag = reply.headers["ETag"]
    assert STRONG_TAG.fullmatch(tag), tag
    return tag


def tags_of(client, auth, url, scope):
    """The ETag of both views, each read with a token of its own: one value."""
    found = {
        etag(client, auth(scope), url),
        etag(client, auth(scope), f"{url}?view=full"),
        etag(client, auth(scope, "cs:config:read"), f"{url}?view="),
    }
    assert len(found) == 1, found
    return found.pop()


@pytest.fixture
def order(app):
    return factories.order()


@pytest.fixture
def product(app):
    made = factories.product(sku="SHIRT")
    _, (small,) = factories.option(made, "Size", choices=["S"])
    factories.variation(made, choices=[small], sku="SHIRT-S")
    return made


def test_an_order_etag_is_the_same_for_both_views_and_every_token(client, auth, order):
    url = f"/cs/api/v1/orders/{order.id}"
    tag = tags_of(client, auth, url, "cs:orders:read")
    assert orders.current_etag(order.id, app_settings(client)) == tag
    other = factories.order()
    assert tags_of(client, auth, f"/cs/api/v1/orders/{other.id}", "cs:orders:read") != tag


def app_settings(client):
    return client.application.extensions["community_store_api"].settings


def test_an_order_etag_changes_with_each_fulfilment_change_and_only_then(client, auth, order):
    url = f"/cs/api/v1/orders/{order.id}"
    headers = auth(*ORDER_SCOPES)
    seen = [etag(client, headers, url)]
    for change in (
        {"handle": "shipped"},
        {"tracking_code": "1Z"},
        {"tracking_code": ""},
        {"handle": "delivered", "tracking_url": "https://t.example/1"},
    ):
        reply = client.patch(url, json={"data": {"fulfilment": change}}, headers=headers)
        assert reply.status_code == 200
        seen.append(etag(client, headers, url))
        assert orders.current_etag(order.id, app_settings(client)) == seen[-1]
    assert len(set(seen)) == len(seen)
    # A PATCH that changes nothing leaves the tag (and everything else) alone.
    for noop in ({"data": {}}, {"data": {"fulfilment": {"handle": "DELIVERED"}}}):
        assert client.patch(url, json=noop, headers=headers).status_code == 200
        assert etag(client, headers, url) == seen[-1]


def test_renaming_the_orders_status_changes_its_etag(client, auth, order):
    url = f"/cs/api/v1/orders/{order.id}"
    headers = auth("cs:orders:read")
    before = etag(client, headers, url)
    statuses.rename_status("incomplete", "Waiting")
    assert etag(client, headers, url) != before


def test_a_product_etag_changes_with_every_stock_change(client, auth, product):
    url = f"/cs/api/v1/products/{product.id}"
    headers = auth(*PRODUCT_SCOPES)
    seen = [tags_of(client, auth, url, "cs:products:read")]
    variation = Variation.get(Variation.sku == "SHIRT-S")
    for path, change in (
        (url, {"stock_level": 7}),
        (url, {"stock_adjustment": -1}),
        (url, {"stock_unlimited": True}),
        ("/cs/api/v1/skus/SHIRT", {"stock_level": 2}),
        ("/cs/api/v1/skus/SHIRT-S", {"stock_adjustment": 3}),
        (f"/cs/api/v1/variations/{variation.id}", {"stock_unlimited": True}),
    ):
        reply = client.patch(path, json={"data": change}, headers=headers)
        assert reply.status_code == 200, reply.get_json()
        seen.append(tags_of(client, auth, url, "cs:products:read"))
        assert products.current_etag(product.id, app_settings(client)) == seen[-1]
    assert len(set(seen)) == len(seen)
    for noop in ({}, {"stock_level": 2}, {"stock_unlimited": True}):
        assert client.patch(url, json={"data": noop}, headers=headers).status_code == 200
        assert etag(client, headers, url) == seen[-1]


def test_the_etag_follows_the_settings_that_shape_documents(make_app, app, order):
    settings = app.extensions["community_store_api"].settings
    tag = orders.current_etag(order.id, settings)
    assert orders.current_etag(order.id, settings) == tag
    for other in ({"CS_STORE_TIMEZONE": "Europe/Rome"}, {"CS_STORE_CURRENCY": "JPY"}):
        moved = make_app(**other).extensions["community_store_api"].settings
        assert orders.current_etag(order.id, moved) != tag


def test_no_record_has_no_etag(app):
    settings = app.extensions["community_store_api"].settings
    assert orders.current_etag(999_999, settings) is None
    assert products.current_etag(999_999, settings) is None


# --- If-None-Match ---


@pytest.mark.parametrize("kind", ["orders", "products"])
def test_if_none_match_answers_304_when_the_copy_is_current(client, auth, order, product, kind):
    record = order if kind == "orders" else product
    url = f"/cs/api/v1/{kind}/{record.id}"
    headers = auth(f"cs:{kind}:read")
    tag = etag(client, headers, url)
    for sent in (tag, f"W/{tag}", '"other", ' + tag, "*"):
        client.get(url, headers=headers)  # the app's first request also checks the schema
        with count_queries() as counted:
            reply = client.get(f"{url}?view=full", headers={**headers, "If-None-Match": sent})
        assert reply.status_code == 304, sent
        assert reply.data == b""
        assert reply.headers["ETag"] == tag
        assert reply.headers["X-Request-ID"]
        # The token's check and the record's state: nothing rendered.
        assert counted.count == 2
    for sent in ('"other"', "", "W/", tag.strip('"') + "0"):
        reply = client.get(url, headers={**headers, "If-None-Match": sent})
        assert reply.status_code == 200, sent
        assert reply.headers["ETag"] == tag
        assert reply.get_json()["data"]["id"] == record.id


def test_if_none_match_is_checked_after_the_token_and_the_input(client, auth, order):
    url = f"/cs/api/v1/orders/{order.id}"
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 401
    headers = {**auth("cs:orders:read"), "If-None-Match": "*"}
    assert client.get(f"{url}?view=bogus", headers=headers).status_code == 400
    missing = client.get("/cs/api/v1/orders/999999", headers=headers)
    assert missing.status_code == 404
    assert "ETag" not in missing.headers


def test_an_old_copy_gets_the_new_state(client, auth, order):
    url = f"/cs/api/v1/orders/{order.id}"
    headers = auth(*ORDER_SCOPES)
    old = etag(client, headers, url)
    body = {"data": {"fulfilment": {"handle": "shipped"}}}
    assert client.patch(url, json=body, headers=headers).status_code == 200
    reply = client.get(url, headers={**headers, "If-None-Match": old})
    assert reply.status_code == 200
    assert reply.headers["ETag"] != old
    assert reply.get_json()["data"]["fulfilment"]["handle"] == "shipped"


def test_lists_carry_no_etag(client, auth, order):
    reply = client.get("/cs/api/v1/orders", headers=auth("cs:orders:read"))
    assert reply.status_code == 200
    assert "ETag" not in reply.headers


# --- the If-Match check the writes use ---


def test_require_match(app, order):
    current = orders.current_etag(order.id, app.extensions["community_store_api"].settings)
    for condition in (None, ANY, frozenset({current}), frozenset({'"x"', current})):
        require_match(condition, current)
    for condition, tag in ((frozenset(), current), (frozenset({'"x"'}), current), (ANY, None)):
        with pytest.raises(PreconditionFailed):
            require_match(condition, tag)


def test_a_failed_precondition_is_a_412_in_the_api_shape(app):
    with app.test_request_context("/cs/api/v1/orders/1"):
        reply = handle_store_error(PreconditionFailed("Precondition failed"))
    assert reply.status_code == 412
    assert reply.get_json() == {"error": True, "errors": ["Precondition failed"]}


@pytest.mark.parametrize(
    "header, none_match, match",
    [
        ('"a"', {'"a"'}, {'"a"'}),
        ('"a", W/"b"', {'"a"', '"b"'}, {'"a"'}),
        ('W/"b"', {'"b"'}, set()),
        (" * ", ANY, ANY),
        ("", None, set()),
        ("nonsense", {'"nonsense"'}, {'"nonsense"'}),
    ],
)
def test_conditional_headers_name_their_tags(app, header, none_match, match):
    def loaded(value):
        return value if value in (None, ANY) else frozenset(value)

    headers = {"If-None-Match": header, "If-Match": header}
    with app.test_request_context("/cs/api/v1/orders/1", headers=headers):
        assert (if_none_match(), if_match()) == (loaded(none_match), loaded(match))
    with app.test_request_context("/cs/api/v1/orders/1"):
        assert (if_none_match(), if_match()) == (None, None)
