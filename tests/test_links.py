"""Pagination links: only valid forwarded headers count, and PUBLIC_BASE_URL wins over all."""

import pytest

from config import ConfigurationError
from tests import factories

ORDERS = "/cs/api/v1/orders?paging=1"
GOOD_PROXY = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "shop.example.com",
    "X-Forwarded-Port": "8443",
}


@pytest.fixture
def three(app):
    factories.bare_orders(3)


def next_link(client, headers, url=ORDERS, **environ):
    response = client.get(url, headers=headers, environ_overrides=environ)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["meta"]["pagination"]["links"]["next"]


@pytest.fixture
def trusting(make_app, app, three):
    return make_app(CS_TRUST_PROXY_HEADERS=True).test_client()


@pytest.mark.parametrize(
    "header, value, expected",
    [
        ("X-Forwarded-Proto", "javascript:alert(1)//", "http://shop.example.com:8443"),
        ("X-Forwarded-Proto", "ftp", "http://shop.example.com:8443"),
        ("X-Forwarded-Proto", "HTTPS", "https://shop.example.com:8443"),
        ("X-Forwarded-Host", "evil.example/steal?x=", "https://localhost:8443"),
        ("X-Forwarded-Host", "evil.example#", "https://localhost:8443"),
        ("X-Forwarded-Host", "user@evil.example", "https://localhost:8443"),
        ("X-Forwarded-Host", "-bad-.example", "https://localhost:8443"),
        ("X-Forwarded-Host", "a" * 64 + ".example", "https://localhost:8443"),
        ("X-Forwarded-Host", "[fe80::1%25eth0]", "https://localhost:8443"),
        ("X-Forwarded-Host", "[not:an:ip]", "https://localhost:8443"),
        ("X-Forwarded-Host", "evil.example:80@x", "https://localhost:8443"),
        ("X-Forwarded-Host", "[2001:db8::1]", "https://[2001:db8::1]:8443"),
        ("X-Forwarded-Host", "192.0.2.7:9000", "https://192.0.2.7:8443"),
        ("X-Forwarded-Host", "Shop.Example.COM.", "https://Shop.Example.COM.:8443"),
        ("X-Forwarded-Port", "80@evil.example", "https://shop.example.com"),
        ("X-Forwarded-Port", "0", "https://shop.example.com"),
        ("X-Forwarded-Port", "65536", "https://shop.example.com"),
        ("X-Forwarded-Port", "-1", "https://shop.example.com"),
        ("X-Forwarded-Port", "8443/x", "https://shop.example.com"),
        ("X-Forwarded-Port", "443", "https://shop.example.com"),
        ("X-Forwarded-Port", "0444", "https://shop.example.com:444"),
    ],
)
def test_a_bad_forwarded_header_is_ignored_alone(trusting, auth, header, value, expected):
    headers = {**auth("cs:orders:read"), **GOOD_PROXY, header: value}
    if header == "X-Forwarded-Port":
        # No Host port to fall back on: a bad forwarded port leaves the scheme's default.
        headers["X-Forwarded-Host"] = "shop.example.com"
    assert next_link(trusting, headers) == f"{expected}/cs/api/v1/orders?paging=1&page=2"


def test_only_the_first_forwarded_value_counts(trusting, auth):
    headers = {
        **auth("cs:orders:read"),
        "X-Forwarded-Proto": "https, http",
        "X-Forwarded-Host": "shop.example.com, evil.example",
        "X-Forwarded-Port": "443, 80",
    }
    assert next_link(trusting, headers).startswith("https://shop.example.com/cs/api/v1/")


@pytest.mark.parametrize(
    "host, expected",
    [
        ("evil.example/steal?x=", "http://10.1.2.3:8000"),
        ("evil.example:80@x", "http://10.1.2.3:8000"),
        ("evil.example:0", "http://10.1.2.3:8000"),
        ("ev il.example", "http://10.1.2.3:8000"),
        ("api.example.com:8080", "http://api.example.com:8080"),
        ("[::1]:8080", "http://[::1]:8080"),
    ],
)
@pytest.mark.parametrize("trusted", [False, True])
def test_a_bad_host_header_falls_back_to_the_server_address(
    make_app, app, three, auth, host, expected, trusted
):
    client = make_app(CS_TRUST_PROXY_HEADERS=trusted).test_client()
    headers = {**auth("cs:orders:read"), "Host": host}
    link = next_link(client, headers, SERVER_NAME="10.1.2.3", SERVER_PORT="8000")
    assert link == f"{expected}/cs/api/v1/orders?paging=1&page=2"


def test_a_server_address_that_is_no_host_gives_localhost(client, three, auth):
    headers = {**auth("cs:orders:read"), "Host": "bad/host"}
    link = next_link(client, headers, SERVER_NAME="/run/gunicorn.sock", SERVER_PORT="")
    assert link == "http://localhost/cs/api/v1/orders?paging=1&page=2"


@pytest.mark.parametrize(
    "base, expected",
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("https://shop.example.com/", "https://shop.example.com"),
        ("http://example.com:8080/store/", "http://example.com:8080/store"),
        ("https://[2001:db8::1]/a%20b", "https://[2001:db8::1]/a%20b"),
    ],
)
@pytest.mark.parametrize("trusted", [False, True])
def test_public_base_url_is_the_only_base(make_app, app, three, auth, base, expected, trusted):
    client = make_app(CS_PUBLIC_BASE_URL=base, CS_TRUST_PROXY_HEADERS=trusted).test_client()
    headers = {**auth("cs:orders:read"), **GOOD_PROXY, "Host": "evil.example"}
    link = next_link(client, headers, SCRIPT_NAME="/mounted")
    assert link == f"{expected}/cs/api/v1/orders?paging=1&page=2"


@pytest.mark.parametrize(
    "value",
    [
        "shop.example.com",
        "ftp://shop.example.com",
        "javascript:alert(1)//",
        "https://",
        "https:///path",
        "https://shop.example.com/?next=1",
        "https://shop.example.com/#top",
        "https://shop.example.com?",
        "https://user:pass@shop.example.com",
        "https://shop.example.com:0",
        "https://shop.example.com:99999",
        "https://shop.example.com:port",
        "https://shop example.com",
        "https://shop.example.com/my store",
        "https://shop.example.com/<script>",
        "https://[fe80::1%25eth0]",
        42,
    ],
)
def test_a_bad_public_base_url_stops_the_service_at_start(make_app, value):
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL"):
        make_app(CS_PUBLIC_BASE_URL=value)


def test_links_keep_the_mount_point_without_public_base_url(client, three, auth):
    link = next_link(client, auth("cs:orders:read"), SCRIPT_NAME="/mounted")
    assert link == "http://localhost/mounted/cs/api/v1/orders?paging=1&page=2"
