"""Where webhooks may go (SSRF): refused addresses, the operator's allowed hosts."""

import pytest

from store.webhooks.addresses import Refused, check_url


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10:8443/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://100.64.0.1/hook", "non-public"),
        ("https://2130706433/hook", "loopback"),
    ],
)
def test_private_addresses_are_refused(url, reason):
    with pytest.raises(Refused) as refused:
        check_url(url, frozenset())
    assert f"which is not public ({reason})" in refused.value.message
    assert "WEBHOOK_ALLOWED_HOSTS" in refused.value.message


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://93.184.215.14/hook", "Must use https"),
        ("ftp://93.184.215.14/hook", "https URL with a host"),
        ("https:///hook", "https URL with a host"),
        ("https://user:pw@93.184.215.14/hook", "credentials"),
        ("https://93.184.215.14/hook#x", "fragment"),
        ("https://93.184.215.14:99999/hook", "port"),
        ("https://93.184.215.14/ho ok", "spaces"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("https://93.184.215.14/" + "a" * 2000, "at most 2000"),
        ("hook", "https URL with a host"),
    ],
)
def test_malformed_urls_are_refused(url, problem):
    with pytest.raises(Refused) as refused:
        check_url(url, frozenset())
    assert problem in refused.value.message


def test_a_public_address_is_the_one_connected_to():
    target = check_url("https://93.184.215.14:8443/hooks/a?x=1", frozenset())
    assert target.address == "93.184.215.14" and target.port == 8443
    assert target.path == "/hooks/a?x=1" and target.host_header == "93.184.215.14:8443"


def test_allowed_hosts_may_be_private_and_plain_http():
    target = check_url("http://LocalHost:8080/hook", frozenset({"localhost"}))
    assert target.address in ("127.0.0.1", "::1") and target.scheme == "http"
    with pytest.raises(Refused):
        check_url("http://127.0.0.2/hook", frozenset({"localhost"}))
