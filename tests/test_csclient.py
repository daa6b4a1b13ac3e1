"""The v1 client against a real server: one token for many calls and a new one before
expiry, retries that honour Retry-After, pages by their count, typed errors."""

import re

import pytest

from csclient import AuthError, Client, NotFound, TransportError, Unavailable
from tests import factories
from tests.import_servers import FlakyProxy, OriginalStore
from tests.servers import ROOT, free_port

pytestmark = pytest.mark.slow


class Clock:
    """A monotonic clock the test moves; sleeps are recorded, not slept."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def server(app, gunicorn_server):
    factories.bare_orders(45)
    return gunicorn_server(workers=1, TOKEN_LIFETIME="600")


@pytest.fixture
def credentials(server):
    return factories.api_client()


def test_one_token_serves_many_calls_and_is_renewed_before_expiry(server, credentials):
    clock = Clock()
    with FlakyProxy(server.url) as proxy:
        with Client(proxy.url, *credentials, clock=clock, sleep=clock.sleep) as api:
            for _ in range(10):
                api.get("/fulfilmentstatuses")
            assert proxy.count("POST", "/oauth/2.0/token") == 1
            clock.now += 600 - 61  # one second before the renewal margin
            api.get("/config")
            assert proxy.count("POST", "/oauth/2.0/token") == 1
            clock.now += 2
            api.get("/config")
            api.get("/config")
            assert proxy.count("POST", "/oauth/2.0/token") == 2
            assert api.tokens_issued == 2


def test_pages_are_counted_by_total_pages(server, credentials):
    with Client(server.url, *credentials) as api:
        pages = list(api.pages("/orders", {"paging": 20}))
        assert [(page.number, page.total_pages, len(page.items)) for page in pages] == [
            (1, 3, 20),
            (2, 3, 20),
            (3, 3, 5),
        ]
        assert len({order["id"] for order in api.records("/orders")}) == 45


def test_a_source_that_repeats_page_one_is_read_once():
    from tests import original_v1

    with OriginalStore(original_v1, per_page=1) as original:
        with Client(original.url, "anyone", "secret") as api:
            ids = [product["id"] for product in api.records("/products")]
        assert ids == [31, 22, 13]
        assert original.count("GET", "/cs/api/v1/products") == 3


def test_429_and_503_are_retried_after_retry_after(server, credentials):
    clock = Clock()
    with FlakyProxy(server.url, every=2) as proxy:
        with Client(proxy.url, *credentials, clock=clock, sleep=clock.sleep) as api:
            for _ in range(5):
                assert api.get("/fulfilmentstatuses")["data"]
        assert proxy.refused >= 5 and api.retried == proxy.refused
        assert clock.slept == [0.0] * proxy.refused  # the proxy says Retry-After: 0


def test_retries_give_up_with_a_typed_error(server, credentials):
    clock = Clock()
    with FlakyProxy(server.url, every=1) as proxy:
        api = Client(proxy.url, *credentials, retries=3, clock=clock, sleep=clock.sleep)
        with pytest.raises(Unavailable) as raised:
            api.get("/config")
        assert raised.value.status in (429, 503) and proxy.refused == 4

    closed = Client(f"http://127.0.0.1:{free_port()}", "x", "y", retries=4, sleep=clock.sleep)
    clock.slept.clear()
    with pytest.raises(TransportError):
        closed.get("/config")
    # Exponential backoff with jitter: each wait within [half, all] of 0.5 s × 2ⁿ.
    assert len(clock.slept) == 4
    for attempt, waited in enumerate(clock.slept):
        assert 0.25 * 2**attempt <= waited <= 0.5 * 2**attempt


def test_errors_are_typed(server, credentials):
    with Client(server.url, *credentials) as api:
        with pytest.raises(NotFound) as raised:
            api.get("/orders/999999")
        assert raised.value.messages == ["Order not found"]
    with pytest.raises(AuthError) as raised:
        Client(server.url, credentials[0], "wrong").get("/config")
    assert raised.value.status == 401


def test_the_documented_example_runs(server, credentials, monkeypatch, capsys):
    text = (ROOT / "docs" / "client.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.setenv("CS_URL", server.url)
    monkeypatch.setenv("CS_CLIENT_ID", credentials[0])
    monkeypatch.setenv("CS_CLIENT_SECRET", credentials[1])
    exec(compile(code, "docs/client.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "as expected: ['Order not found']" in printed
    assert "tokens requested: 1 retries: 0" in printed
