"""The client: token, requests with retries, pages."""

import email.utils
import random
import time
from typing import NamedTuple

import requests

from csclient.errors import AuthError, BadResponse, TransportError, error_for

# Methods that may be sent again after a failure without doing anything twice. Others are
# retried only when they carry an Idempotency-Key (the service performs those once).
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Page(NamedTuple):
    """One page of a listing: its number, the listing's page count and record count as
    this page reported them, the records, and the whole parsed body."""

    number: int
    total_pages: int
    total: int | None
    items: list
    body: dict


class Client:
    """A Community Store API v1 client for one store and one integration.

    `base_url` is the store's root (`https://shop.example.com`); the API and token paths
    are the contract's unless given. One token serves every call until it is close to
    expiry (`renew_margin` seconds before), then one new token is requested. Calls that
    meet a connection error, a 429 or a 5xx are retried up to `retries` times with
    exponential backoff (`backoff` × 2ⁿ, at most `max_backoff` seconds, with jitter), or
    after the server's `Retry-After` when it gives one."""

    def __init__(
        self,
        base_url,
        client_id,
        client_secret,
        *,
        scopes=None,
        api_prefix="/cs/api/v1",
        token_path="/oauth/2.0/token",
        timeout=30.0,
        retries=6,
        backoff=0.5,
        max_backoff=60.0,
        renew_margin=60.0,
        session=None,
        sleep=time.sleep,
        clock=time.monotonic,
    ):
        self.base_url = base_url.rstrip("/")
        self.api_url = self.base_url + api_prefix
        self.token_url = self.base_url + token_path
        self.client_id = client_id
        self._secret = client_secret
        self.scopes = scopes
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.renew_margin = renew_margin
        self.session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._token = None
        self._expires_at = 0.0
        # What happened, for callers that report it: tokens fetched, retries made.
        self.tokens_issued = 0
        self.retried = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.session.close()

    # --- the token ---

    def token(self):
        """A valid access token: the cached one, or a new one when it is about to expire."""
        if self._token is None or self._clock() >= self._expires_at:
            self._fetch_token()
        return self._token

    def _fetch_token(self):
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        body = self._send("POST", self.token_url, data=form, retry=True)
        token, lifetime = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not isinstance(lifetime, int | float):
            raise BadResponse(f"the token endpoint {self.token_url} gave no token")
        now = self._clock()
        # Renew before expiry, so a token never runs out between the check and the call.
        self._expires_at = now + lifetime - min(self.renew_margin, lifetime / 2)
        self._token = token
        self.tokens_issued += 1

    # --- calls ---

    def request(self, method, path, params=None, json=None, headers=None):
        """Call the API (`path` under the API prefix); the parsed JSON body (None for an
        empty one). Raises a csclient.errors.ClientError subclass on failure."""
        method = method.upper()
        headers = dict(headers or {})
        retry = method in IDEMPOTENT or "Idempotency-Key" in headers
        url = self.api_url + path
        for renewed in (False, True):
            headers["Authorization"] = f"Bearer {self.token()}"
            try:
                return self._send(method, url, retry, params=params, json=json, headers=headers)
            except AuthError as error:
                # A token the server no longer accepts (revoked, or a shorter lifetime
                # there): one new token, one more try.
                if renewed or error.status != 401:
                    raise
                self._token = None
        raise AssertionError("unreachable")

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def put(self, path, data, params=None):
        return self.request("PUT", path, params=params, json={"data": data})

    def patch(self, path, data, params=None, idempotency_key=None):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("PATCH", path, params=params, json={"data": data}, headers=headers)

    def pages(self, path, params=None):
        """Every page of a listing, in order (Page tuples). Pages are counted by the
        listing's `total_pages`, never read "until empty": the original add-on answers a
        page past the end with page 1 again."""
        params = dict(params or {})
        number = int(params.pop("page", 1))
        while True:
            body = self.get(path, {**params, "page": number})
            page = _page(number, body, self.api_url + path)
            yield page
            if number >= page.total_pages:
                return
            number += 1

    def records(self, path, params=None):
        """Every record of a listing, page after page."""
        for page in self.pages(path, params):
            yield from page.items

    # --- HTTP ---

    def _send(self, method, url, retry, **kwargs):
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                if not retry or last:
                    raise TransportError(f"{method} {url}: {error}") from None
                self._wait(attempt, None)
                continue
            if response.status_code in RETRY_STATUSES and (retry or response.status_code == 429):
                if not last:
                    self._wait(attempt, response.headers.get("Retry-After"))
                    continue
            return _parsed(response, url)
        raise AssertionError("unreachable")

    def _wait(self, attempt, retry_after):
        self.retried += 1
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            ceiling = min(self.max_backoff, self.backoff * 2**attempt)
            delay = random.uniform(ceiling / 2, ceiling)  # jitter spreads out retrying clients
        self._sleep(delay)


def _retry_after_seconds(value):
    """Seconds from a Retry-After header (a number of seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _parsed(response, url):
    body = None
    if response.content:
        try:
            body = response.json()
        except ValueError:
            if response.ok:
                raise BadResponse(f"{url} answered {response.status_code} without JSON") from None
    if not response.ok:
        raise error_for(response.status_code, body, url)
    return body


def _page(number, body, url):
    try:
        pagination = body["meta"]["pagination"]
        total_pages, items = pagination["total_pages"], body["data"]
    except (KeyError, TypeError):
        raise BadResponse(f"{url} page {number} is not a paginated listing") from None
    if not isinstance(total_pages, int) or not isinstance(items, list):
        raise BadResponse(f"{url} page {number} is not a paginated listing")
    return Page(number, total_pages, pagination.get("total"), items, body)
