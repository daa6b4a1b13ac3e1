"""Failed client authentications: counted in the database per (client, address) and per
address, answered with 429 and Retry-After over the limits."""

import base64
import datetime

import pytest
from playhouse.test_utils import count_queries

from api.auth.addresses import client_address
from models.base import utcnow
from models.token_failures import TokenFailure
from store import token_failures
from store.token_failures import Limits
from tests import factories

TOKEN_URL = "/oauth/2.0/token"
LIMITS = {"CS_TOKEN_MAX_FAILURES": 3, "CS_TOKEN_MAX_ADDRESS_FAILURES": 5}


def ask(client, client_id, secret, address="198.51.100.7", **kwargs):
    return client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def assert_slowed_down(response):
    assert response.status_code == 429, response.get_data(as_text=True)
    body = response.get_json()
    assert list(body) == ["error", "error_description", "hint", "message"]
    assert body["error"] == "slow_down"
    assert body["message"] == body["error_description"]
    assert 1 <= int(response.headers["Retry-After"]) <= 300
    assert response.headers["Cache-Control"] == "no-store"
    assert "WWW-Authenticate" not in response.headers


@pytest.fixture
def limited(app, make_app):
    """Two app instances on the same database, as two servers (or workers) would be."""
    return make_app(**LIMITS).test_client(), make_app(**LIMITS).test_client()


def test_failures_count_across_instances_sharing_the_database(limited):
    first, second = limited
    client_id, secret = factories.api_client()
    assert ask(first, client_id, "wrong").status_code == 401
    assert ask(second, client_id, "wrong").status_code == 401
    assert ask(first, client_id, "wrong").status_code == 401
    # The third failure reached the limit, whichever instance saw which.
    assert_slowed_down(ask(second, client_id, "wrong"))
    assert_slowed_down(ask(first, client_id, "wrong"))
    # Checked before the secret: from this address, trying teaches nothing.
    assert_slowed_down(ask(second, client_id, secret))
    assert TokenFailure.select().count() == 3


def test_the_client_still_gets_tokens_from_another_address(limited):
    first, second = limited
    client_id, secret = factories.api_client()
    for _ in range(3):
        assert ask(first, client_id, "wrong", "203.0.113.1").status_code == 401
    assert_slowed_down(ask(first, client_id, secret, "203.0.113.1"))
    assert ask(second, client_id, secret, "203.0.113.2").status_code == 200
    # And another address that fails is counted apart, from zero.
    assert ask(second, client_id, "wrong", "203.0.113.3").status_code == 401


def test_failures_of_one_client_id_from_many_addresses_never_lock_it_out(limited):
    first, _ = limited
    client_id, secret = factories.api_client()
    for n in range(10):
        assert ask(first, client_id, "wrong", f"192.0.2.{n}").status_code == 401
    assert ask(first, client_id, secret, "192.0.2.200").status_code == 200


def test_an_address_guessing_at_many_client_ids_is_stopped(limited):
    first, second = limited
    client_id, secret = factories.api_client()
    guesses = ["0" * 32, "1" * 32, "a\x00b", "legacy-erp", "x" * 100]
    for guess in guesses:
        assert ask(first, guess, "wrong", "203.0.113.9").status_code == 401
    assert_slowed_down(ask(second, "2" * 32, "wrong", "203.0.113.9"))
    assert_slowed_down(ask(second, client_id, secret, "203.0.113.9"))
    assert ask(second, client_id, secret, "203.0.113.10").status_code == 200
    # A malformed client id is kept out of the table too: it counts for its address only.
    stored = {row.client_id for row in TokenFailure.select()}
    assert stored == {"0" * 32, "1" * 32, "legacy-erp", None}


def test_basic_auth_failures_count_and_are_slowed_down_too(limited):
    first, _ = limited
    client_id, _secret = factories.api_client()
    basic = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:wrong".encode()).decode()}
    for _ in range(3):
        response = first.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers=basic,
            environ_base={"REMOTE_ADDR": "198.51.100.20"},
        )
        assert response.status_code == 401
    response = first.post(
        TOKEN_URL,
        json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "x"},
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
    )
    assert_slowed_down(response)


def test_a_success_forgets_the_clients_failures_from_that_address(limited):
    first, _ = limited
    client_id, secret = factories.api_client()
    for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2"):
        assert ask(first, client_id, "wrong", address).status_code == 401
    assert ask(first, "0" * 32, "wrong", "198.51.100.1").status_code == 401
    assert ask(first, client_id, secret, "198.51.100.1").status_code == 200
    left = sorted((row.client_id, row.address) for row in TokenFailure.select())
    assert left == [("0" * 32, "198.51.100.1"), (client_id, "198.51.100.2")]
    # Two more failures are allowed again before the third locks.
    for _ in range(2):
        assert ask(first, client_id, "wrong", "198.51.100.1").status_code == 401


def test_a_success_without_failures_costs_no_extra_query(app, client):
    """The client lookup itself asks whether the address failed lately."""
    client_id, secret = factories.api_client()
    assert ask(client, client_id, secret).status_code == 200
    with count_queries() as counted:
        assert ask(client, client_id, secret).status_code == 200
    (statement,) = [query.msg[0] for query in counted.get_queries()]
    assert "api_client" in statement and "token_failure" in statement
    # With a failure on record, the details are read (and the failure cleared on success):
    # the fast lane's lookup sees the failure and leaves the request to Flask's three.
    assert ask(client, client_id, "wrong").status_code == 401
    with count_queries() as counted:
        assert ask(client, client_id, secret).status_code == 200
    assert len(counted.get_queries()) == 1 + 3
    assert TokenFailure.select().count() == 0


@pytest.mark.parametrize(
    "trusted, headers, expected",
    [
        (False, {"X-Forwarded-For": "203.0.113.5"}, "10.0.0.1"),
        (False, {"X-Real-IP": "203.0.113.5"}, "10.0.0.1"),
        (True, {}, "10.0.0.1"),
        # The proxy appended the last entry; the caller wrote the rest.
        (True, {"X-Forwarded-For": "198.51.100.66, 203.0.113.5"}, "203.0.113.5"),
        (True, {"X-Forwarded-For": "203.0.113.5"}, "203.0.113.5"),
        (True, {"X-Forwarded-For": "203.0.113.5", "X-Real-IP": "198.51.100.66"}, "203.0.113.5"),
        (True, {"X-Real-IP": "203.0.113.5"}, "203.0.113.5"),
        (True, {"X-Forwarded-For": "203.0.113.5, not-an-address"}, "10.0.0.1"),
        (True, {"X-Forwarded-For": "203.0.113.5, 1.2.3.4:80"}, "10.0.0.1"),
        (True, {"X-Forwarded-For": ""}, "10.0.0.1"),
        (True, {"X-Real-IP": "a\x00b"}, "10.0.0.1"),
        (True, {"X-Forwarded-For": "::ffff:203.0.113.5"}, "203.0.113.5"),
        # IPv6 callers count per /64: one host holds a whole /64.
        (True, {"X-Forwarded-For": "2001:db8:1:2:aaaa::1"}, "2001:db8:1:2::/64"),
        (True, {"X-Forwarded-For": "2001:db8:1:2:bbbb::9"}, "2001:db8:1:2::/64"),
    ],
)
def test_client_address(trusted, headers, expected):
    environ = {"REMOTE_ADDR": "10.0.0.1"}
    environ.update({"HTTP_" + name.upper().replace("-", "_"): v for name, v in headers.items()})
    assert client_address(environ, trusted) == expected


def test_client_address_without_an_ip_peer():
    assert client_address({"REMOTE_ADDR": ""}, False) == "unknown"
    assert client_address({}, True) == "unknown"


def test_behind_a_trusted_proxy_the_last_forwarded_hop_is_counted(app, make_app):
    proxied = make_app(CS_TRUST_PROXY_HEADERS=True, **LIMITS).test_client()
    client_id, secret = factories.api_client()

    def via(forwarded, secret_=secret):
        return ask(proxied, client_id, secret_, "127.0.0.1", headers=forwarded)

    for claimed in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        assert via({"X-Forwarded-For": f"{claimed}, 203.0.113.50"}, "wrong").status_code == 401
    # Whatever the caller puts first, the proxy's own entry decides.
    assert_slowed_down(via({"X-Forwarded-For": "9.9.9.9, 203.0.113.50"}))
    assert via({"X-Forwarded-For": "203.0.113.50, 203.0.113.51"}).status_code == 200
    # Untrusted, the same headers are ignored: every caller is the peer.
    direct = make_app(**LIMITS).test_client()
    assert ask(direct, client_id, secret, "127.0.0.1").status_code == 200
    assert {row.address for row in TokenFailure.select()} == {"203.0.113.50"}


LIMITS_2_4 = Limits(per_client=2, per_address=4, window=60)
T0 = datetime.datetime(2025, 1, 1, 12, 0, 0)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def test_check_counts_within_the_window_and_says_when_to_retry(app):
    token_failures.record("c1", "a1", 60, now=at(0))
    token_failures.record("c1", "a1", 60, now=at(10))
    # Locked at the second failure; free once the first has left the window (60 s later).
    assert token_failures.check("c1", "a1", LIMITS_2_4, now=at(11)) == (49, 2)
    assert token_failures.check("c1", "a1", LIMITS_2_4, now=at(59.5)) == (1, 2)
    assert token_failures.check("c1", "a1", LIMITS_2_4, now=at(60)) == (0, 1)
    assert token_failures.check("c2", "a1", LIMITS_2_4, now=at(11)) == (0, 0)
    assert token_failures.check(None, "a1", LIMITS_2_4, now=at(11)) == (0, 0)
    assert token_failures.check("c1", "a2", LIMITS_2_4, now=at(11)) == (0, 0)
    token_failures.record("c2", "a1", 60, now=at(20))
    token_failures.record(None, "a1", 60, now=at(30))
    # Four from the address: locked for all until the oldest of the four leaves.
    assert token_failures.check("c3", "a1", LIMITS_2_4, now=at(31)) == (29, 0)
    # The client's own lock may last longer than the address's.
    token_failures.record("c2", "a1", 60, now=at(40))
    assert token_failures.check("c2", "a1", LIMITS_2_4, now=at(61)) == (19, 2)


def test_recording_deletes_failures_that_left_the_window_now_and_then(app, monkeypatch):
    monkeypatch.setattr(token_failures, "PRUNE_CHANCE", 0)
    for second in (0, 10, 20):
        token_failures.record("c1", "a1", 60, now=at(second))
    token_failures.record("c2", "a2", 60, now=at(75))
    assert TokenFailure.select().count() == 4
    monkeypatch.setattr(token_failures, "PRUNE_CHANCE", 1)
    token_failures.record("c3", "a3", 60, now=at(80))
    # Those at or before 80 - 60 seconds.
    assert sorted(row.failed_at for row in TokenFailure.select()) == [at(75), at(80)]
    assert token_failures.prune(at(75)) == 1


def test_clear_forgets_a_client_or_an_address(app):
    for address in ("a1", "a1", "a2"):
        token_failures.record("c1", address, 60, now=utcnow())
    token_failures.record("c2", "a1", 60, now=utcnow())
    token_failures.record(None, "a1", 60, now=utcnow())
    token_failures.record("c3", "a3", 60, now=utcnow())
    assert token_failures.clear("c1", "a1") == 2
    assert token_failures.clear("c1") == 1
    assert token_failures.clear(address="a1") == 2
    assert [row.client_id for row in TokenFailure.select()] == ["c3"]
    with pytest.raises(ValueError):
        token_failures.clear()


def test_cs_client_unlock_lets_a_locked_out_client_in_again(limited, app):
    first, _ = limited
    client_id, secret = factories.api_client()
    other_id, _ = factories.api_client()
    for _ in range(3):
        ask(first, client_id, "wrong")
    ask(first, other_id, "wrong")
    assert_slowed_down(ask(first, client_id, secret))
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["cs", "client", "unlock"])
    assert refused.exit_code != 0 and "CLIENT_ID" in refused.output
    unlocked = runner.invoke(args=["cs", "client", "unlock", client_id])
    assert unlocked.exit_code == 0, unlocked.output
    assert "forgot 3 failed token request(s)" in unlocked.output
    assert ask(first, client_id, secret).status_code == 200
    # Only that client's failures were forgotten.
    assert TokenFailure.select().where(TokenFailure.client_id == other_id).count() == 1
    by_address = runner.invoke(args=["cs", "client", "unlock", "--address", "198.51.100.7"])
    assert "forgot 1 failed token request(s)" in by_address.output
    assert TokenFailure.select().count() == 0
