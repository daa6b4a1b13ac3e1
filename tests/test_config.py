"""GET /config and GET /fulfilmentstatuses: shapes, key order and JSON types."""

import secrets

import pytest

from config import ConfigurationError


def test_config_shape(make_app):
    app = make_app(CS_STORE_CURRENCY="EUR", CS_STORE_TIMEZONE="Europe/Rome")
    client = app.test_client()
    from tests import factories

    with app.app_context():
        client_id, secret = factories.api_client(scopes=["cs:config:read"])
    token = client.post(
        "/oauth/2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).get_json()["access_token"]
    response = client.get("/cs/api/v1/config", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {
        "data": {
            "currency": {"code": "EUR", "symbol": "€", "decimal_digits": 2},
            "community_store": {"version": "1.0.0"},
            "community_store_api": {"version": "1.0.0"},
            "system": {"time_zone": "Europe/Rome"},
        }
    }
    data = body["data"]
    assert list(data) == ["currency", "community_store", "community_store_api", "system"]
    assert list(data["currency"]) == ["code", "symbol", "decimal_digits"]
    assert type(data["currency"]["decimal_digits"]) is int


@pytest.mark.parametrize(
    "code, symbol, digits",
    [("USD", "$", 2), ("GBP", "£", 2), ("JPY", "¥", 0), ("CHF", "CHF", 2), ("BHD", "BHD", 3)],
)
def test_currency_data_comes_from_cldr(make_app, code, symbol, digits):
    settings = make_app(CS_STORE_CURRENCY=code).extensions["community_store_api"].settings
    assert (settings.currency_symbol, settings.currency_digits) == (symbol, digits)


def test_symbol_override(make_app):
    settings = make_app(CS_STORE_CURRENCY_SYMBOL="US$").extensions["community_store_api"].settings
    assert settings.currency_symbol == "US$"


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("CS_STORE_CURRENCY", "EURO", "STORE_CURRENCY"),
        ("CS_STORE_CURRENCY", "usd", "STORE_CURRENCY"),
        ("CS_STORE_TIMEZONE", "Mars/Olympus", "STORE_TIMEZONE"),
        ("CS_STORE_TIMEZONE", "../../etc/passwd", "STORE_TIMEZONE"),
        ("CS_TOKEN_SECRET", "short", "TOKEN_SECRET"),
        ("CS_MAX_PAGE_SIZE", 0, "MAX_PAGE_SIZE"),
        ("CS_TOKEN_LIFETIME", -5, "TOKEN_LIFETIME"),
        ("CS_TOKEN_SECRET", "a" * 32, "TOKEN_SECRET is not random"),
        ("CS_TOKEN_SECRET", "abcabcab" * 8, "TOKEN_SECRET is not random"),
        ("CS_TOKEN_SECRET", "0123456" * 10, "TOKEN_SECRET is not random"),
        ("CS_TOKEN_MAX_FAILURES", 0, "TOKEN_MAX_FAILURES"),
        ("CS_TOKEN_MAX_ADDRESS_FAILURES", "many", "TOKEN_MAX_ADDRESS_FAILURES"),
        ("CS_TOKEN_FAILURE_WINDOW", -1, "TOKEN_FAILURE_WINDOW"),
    ],
)
def test_bad_settings_stop_the_service_at_start(make_app, setting, value, message):
    with pytest.raises(ConfigurationError, match=message):
        make_app(**{setting: value})


def test_random_signing_keys_are_accepted(make_app):
    for key in (secrets.token_hex(16), secrets.token_urlsafe(32), "01234567" * 4):
        settings = make_app(CS_TOKEN_SECRET=key).extensions["community_store_api"].settings
        assert settings.token_secret == key.encode()


def test_token_failure_limits_default_and_come_from_the_environment(make_app, monkeypatch):
    settings = make_app().extensions["community_store_api"].settings
    limits = settings.token_max_failures, settings.token_max_address_failures
    assert (*limits, settings.token_failure_window) == (10, 50, 300)
    monkeypatch.setenv("TOKEN_MAX_FAILURES", "4")
    monkeypatch.setenv("TOKEN_MAX_ADDRESS_FAILURES", "8")
    monkeypatch.setenv("TOKEN_FAILURE_WINDOW", "60")
    settings = make_app().extensions["community_store_api"].settings
    limits = settings.token_max_failures, settings.token_max_address_failures
    assert (*limits, settings.token_failure_window) == (4, 8, 60)


def test_no_signing_key_refuses_to_start_outside_demo_mode(make_app):
    with pytest.raises(ConfigurationError, match="TOKEN_SECRET is not set"):
        make_app(CS_TOKEN_SECRET=None, CS_DEMO_MODE=False)


def test_demo_mode_generates_and_keeps_a_key(make_app, tmp_path):
    first = make_app(CS_TOKEN_SECRET=None, CS_DEMO_MODE=True)
    second = make_app(CS_TOKEN_SECRET=None, CS_DEMO_MODE=True)
    key = first.extensions["community_store_api"].settings.token_secret
    assert len(key) >= 32
    assert second.extensions["community_store_api"].settings.token_secret == key


def test_statuses_shape(client, auth):
    response = client.get("/cs/api/v1/fulfilmentstatuses", headers=auth("cs:orders:read"))
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["data"]
    assert body["data"] == [
        {"id": 1, "handle": "incomplete", "name": "Awaiting Processing"},
        {"id": 2, "handle": "processing", "name": "Processing"},
        {"id": 3, "handle": "shipped", "name": "Shipped"},
        {"id": 4, "handle": "delivered", "name": "Delivered"},
        {"id": 5, "handle": "nodelivery", "name": "Will not deliver"},
        {"id": 6, "handle": "returned", "name": "Returned"},
    ]
    for status in body["data"]:
        assert list(status) == ["id", "handle", "name"]
        assert type(status["id"]) is int


def test_statuses_follow_sort_order(client, auth):
    from models.statuses import FulfilmentStatus

    FulfilmentStatus.create(handle="packed", name="Packed", sort_order=2)
    handles = [
        s["handle"]
        for s in client.get(
            "/cs/api/v1/fulfilmentstatuses", headers=auth("cs:orders:read")
        ).get_json()["data"]
    ]
    # Equal sort order falls back to id: "processing" (id 2) before "packed" (id 7).
    assert handles == [
        "incomplete",
        "processing",
        "packed",
        "shipped",
        "delivered",
        "nodelivery",
        "returned",
    ]
