"""The hot paths' shortcuts give exactly what the plain ways give."""

import datetime
import random
import time
from zoneinfo import ZoneInfo

import orjson
import pytest

from api.auth import tokens
from api.auth.lookups import client_is_active, find_client
from api.values import DATE_FORMAT, date_time, money, money_from_units, number, number_from_units
from models.base import MAX_UNITS, from_units, utcnow
from models.clients import ApiClient
from tests import factories

KEY = b"k" * 40
CLAIMS = {"issuer": "iss", "audience": "aud"}


def some_units(count=20_000):
    rng = random.Random(5)
    edges = [0, 1, -1, 5_000, -5_000, 4_999, 15_000, -15_000, MAX_UNITS, -MAX_UNITS]
    return edges + [rng.randint(-MAX_UNITS, MAX_UNITS) for _ in range(count)] + [
        rng.randint(-10**6, 10**6) for _ in range(count)
    ]  # fmt: skip


def test_numbers_from_units_are_the_decimal_ones():
    for units in some_units():
        expected = number(from_units(units))
        assert orjson.dumps(number_from_units(units)) == orjson.dumps(expected), units
    assert number_from_units(None) is None


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4])
def test_money_from_units_is_the_decimal_money(digits):
    for units in some_units(5_000):
        expected = money(from_units(units), digits)
        assert orjson.dumps(money_from_units(units, digits)) == orjson.dumps(expected), units
    assert money_from_units(None, digits) is None


@pytest.mark.parametrize("zone_name", ["UTC", "America/Phoenix", "Europe/Rome", "Asia/Kathmandu"])
def test_date_times_read_as_strftime_writes_them(zone_name):
    zone, rng = ZoneInfo(zone_name), random.Random(7)
    for _ in range(5_000):
        value = datetime.datetime(1000, 1, 2) + datetime.timedelta(
            seconds=rng.randrange(9_000 * 365 * 86_400), microseconds=rng.choice((0, 1, 999_999))
        )
        local = value.replace(tzinfo=datetime.UTC).astimezone(zone)
        expected = {"date": local.strftime(DATE_FORMAT), "timezone": zone_name}
        assert date_time(value, zone, zone_name) == expected, value


def issue(lifetime=60, now=None):
    return tokens.issue("client", ["cs:orders:read"], key=KEY, lifetime=lifetime, now=now, **CLAIMS)


def test_a_verified_token_still_expires():
    # Issued to expire in one to two seconds (PyJWT reads the real clock).
    issued = int(time.time())
    token = issue(lifetime=62, now=issued - 60)
    assert tokens.verify(token, key=KEY, **CLAIMS)["client_id"] == "client"
    time.sleep(max(0, issued + 2.05 - time.time()))
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.verify(token, key=KEY, **CLAIMS)


def test_a_verified_token_is_only_good_with_its_key_and_claims():
    token = issue()
    tokens.verify(token, key=KEY, **CLAIMS)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, key=b"o" * 40, **CLAIMS)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, key=KEY, issuer="other", audience="aud")
    head, payload, signature = token.split(".")
    with pytest.raises(tokens.TokenError):
        tokens.verify(f"{head}.{payload}.{signature[:-2]}AA", key=KEY, **CLAIMS)


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_CACHE_SIZE", 3)
    tokens._verified.clear()
    for _ in range(10):
        tokens.verify(issue(), key=KEY, **CLAIMS)
    assert len(tokens._verified) <= 3


def test_client_lookups(app):
    client_id, _ = factories.api_client()
    revoked_id, _ = factories.api_client()
    ApiClient.update(revoked_at=utcnow()).where(ApiClient.client_id == revoked_id).execute()
    assert client_is_active(client_id)
    assert not client_is_active(revoked_id)
    assert not client_is_active("nobody")
    row = find_client(client_id)
    assert row.client_id == client_id and row.revoked_at is None
    assert row.scope_list == ApiClient.get(ApiClient.client_id == client_id).scope_list
    assert find_client(revoked_id).revoked_at is not None
    assert find_client("nobody") is None
