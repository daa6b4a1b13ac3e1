"""The hottest plain requests answered in front of Flask, with the same bytes.

A `GET /orders`, `GET /products` (no query, or `page=N` alone), `GET /orders/{id}`,
`GET /skus/{sku}` (no query, a plain id or SKU), `GET /events` (`after` and `limit` at
most, in that order) and a `PATCH /skus/{sku}` that sets or adjusts a level (a small plain
body, no Idempotency-Key), with a valid bearer token that holds the route's scope, from an
active client, are the requests integrations make thousands of times; a form-encoded
client-credentials request with the right secret, from an address with no recent failures,
is how each of them starts. Flask's request context, routing, hooks, argument parsing and
response object cost them a sixth to a half of their time; here they are matched on the
WSGI environ and served by the same store operations, rendered by the same functions and
sent with the same headers.

Anything else, or anything that goes wrong on the way (an unknown id or SKU, a revoked
client, a wrong secret, a value out of range, a database error, an outdated schema), is
left to Flask, which answers it as it answers every request, errors included (and counts a
failed authentication). Running a request again there is harmless: the reads have no side
effects, and a stock write that fails here has rolled back; a body read here is handed on.
A host app gets this lane only when it asks for it (`init_app(app, fast_lane=True)`): its
own app-wide hooks never see these requests.
"""

import io
import math
import re
from contextlib import contextmanager
from decimal import Decimal

import orjson
from peewee import InterfaceError, OperationalError
from werkzeug.wrappers import Request

from api.auth.addresses import client_address
from api.auth.issuer import FORM, form_parameters, token_body
from api.auth.tokens import ScopeError, TokenError, grant_scopes, verify
from api.errors import NO_STORE
from api.events import SCOPE_TYPES, visible_types
from api.hooks import (
    DEFAULT_HEADERS,
    SANE_REQUEST_ID,
    UNREADABLE_BODY,
    FailedBody,
    new_request_id,
    release_connection,
)
from api.pagination import page_payload
from api.schemas.common import DEFAULT_PAGE_SIZE
from api.schemas.events import DEFAULT_LIMIT
from models.base import db
from store import feed, orders, products, stock, token_failures
from store.actors import client_actor
from store.clients import client_is_active, secret_matches, well_formed_client_id
from store.feed import MAX_LIMIT
from store.orders import OrderFilters
from store.stock import StockChange, check_quantity

# A page argument alone, as PageQuerySchema takes it without question (1 to 10^9 - 1).
PAGE_ONLY = re.compile(r"page=([1-9][0-9]{0,8})")
# A feed cursor and limit as EventQuerySchema takes them without question.
FEED_AFTER = re.compile(r"after=(0|[1-9][0-9]{0,17})")
FEED_LIMIT = re.compile(r"limit=([1-9][0-9]{0,3})")
# An id as the route's converter takes it, without leading zeros.
PLAIN_ID = re.compile(r"[1-9][0-9]{0,17}")
# A SKU that reads the same percent-decoded or not, in one path segment.
PLAIN_SKU = re.compile(r"[A-Za-z0-9._~-]{1,100}")
NO_FILTERS = OrderFilters()
JSON_HEADERS = (("Content-Type", "application/json"),)
TAIL_HEADERS = tuple(DEFAULT_HEADERS.items())
TOKEN_TAIL_HEADERS = tuple(
    (name, value) for name, value in DEFAULT_HEADERS.items() if name not in NO_STORE
)
# The largest token request body read here (client id 32, secret 43, all scopes ~150).
MAX_TOKEN_BODY = 1024
# The largest stock PATCH body read here: `{"data": {"stock_level": ...}}` is 40 bytes.
MAX_PATCH_BODY = 1024
QUANTITY_KEYS = ("stock_level", "stock_adjustment")
FEED_SCOPES = frozenset(SCOPE_TYPES)
STOCK_KEYS = frozenset((*QUANTITY_KEYS, "stock_unlimited"))


class _NotHere(Exception):
    """The request is Flask's to answer."""


class FastLane:
    """WSGI middleware: the plain hot requests, else the wrapped app (Flask's wsgi_app).
    A route is (the scope its bearer token needs, or None for the token request; the
    handler; its argument)."""

    def __init__(self, wsgi_app, state, max_body_size):
        self.wsgi_app = wsgi_app
        self.state = state
        self._max_patch_body = min(MAX_PATCH_BODY, max_body_size)
        prefix = state.settings.api_prefix
        self._orders = prefix + "/orders"
        self._products = prefix + "/products"
        self._order = prefix + "/orders/"
        self._sku = prefix + "/skus/"
        self._feed = prefix + "/events"
        self._token = state.settings.token_path
        self._max_token_body = min(MAX_TOKEN_BODY, max_body_size)

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            route = self._route(environ)
            if route is not None and not _plain_request(environ):
                route = None
        elif method == "PATCH":
            route = self._patch_route(environ)
        elif method == "POST" and environ.get("PATH_INFO") == self._token:
            route = self._token_route(environ)
        else:
            route = None
        if route is None:
            return self.wsgi_app(environ, start_response)
        scope, handler, argument = route
        try:
            if scope is None:
                answer = handler(environ, argument)
            else:
                answer = self._serve(environ, scope, handler, argument)
        except _NotHere:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _patch_route(self, environ):
        """The route of a stock PATCH the lane serves, with its change, else None."""
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self._sku) or environ.get("QUERY_STRING"):
            return None
        sku = path[len(self._sku) :]
        if not PLAIN_SKU.fullmatch(sku) or "HTTP_IDEMPOTENCY_KEY" in environ:
            return None
        raw = _small_body(environ, self._max_patch_body)
        if raw is None:
            return None
        change = _stock_change(raw)
        if change is None:
            return None
        return "cs:products:write", self._set_stock, (sku, change)

    def _token_route(self, environ):
        """The form of a plain client-credentials request, else None."""
        if environ.get("QUERY_STRING") or "HTTP_AUTHORIZATION" in environ:
            return None
        if environ.get("CONTENT_TYPE") != FORM:
            return None
        raw = _small_body(environ, self._max_token_body)
        if raw is None:
            return None
        params = form_parameters(raw)
        if params.get("grant_type") != "client_credentials":
            return None
        if not well_formed_client_id(params.get("client_id")) or not params.get("client_secret"):
            return None
        return None, self._issue, params

    def _issue(self, environ, params):
        """A token for a client whose secret matches, when its address has no failures
        within the window (else Flask decides, and counts the failure)."""
        settings = self.state.settings
        address = client_address(environ, settings.trust_proxy_headers)
        with self._database():
            client, failed_lately = token_failures.find_client(
                params["client_id"], address, settings.token_failure_window
            )
        if client is None or failed_lately is not False or client.revoked_at is not None:
            raise _NotHere
        if not secret_matches(params["client_secret"], client.secret_digest):
            raise _NotHere
        try:
            scopes = grant_scopes(params.get("scope"), client.scope_list)
        except ScopeError:
            raise _NotHere from None
        body = orjson.dumps(token_body(client.client_id, scopes, settings))
        headers = [*NO_STORE.items(), *JSON_HEADERS, ("Content-Length", str(len(body)))]
        headers.append(("X-Request-ID", _request_id(environ)))
        headers.extend(TOKEN_TAIL_HEADERS)
        headers.append(("X-Client-ID", client.client_id))
        return "200 OK", headers, body

    def _route(self, environ):
        """(scope, handler, argument) for a GET the lane serves, else None: everything but
        the token and the database is checked here, before either is."""
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        if path == self._orders or path == self._products:
            page = _page(query)
            if page is None:
                return None
            if path == self._orders:
                return "cs:orders:read", self._order_page, page
            return "cs:products:read", self._product_page, page
        if path == self._feed:
            cursor = _cursor(query)
            if cursor is None:
                return None
            return FEED_SCOPES, self._events, cursor
        if query:
            return None
        if path.startswith(self._order):
            order_id = path[len(self._order) :]
            if PLAIN_ID.fullmatch(order_id) and "HTTP_IF_NONE_MATCH" not in environ:
                return "cs:orders:read", self._one_order, int(order_id)
        elif path.startswith(self._sku):
            sku = path[len(self._sku) :]
            if PLAIN_SKU.fullmatch(sku):
                return "cs:products:read", self._sku_record, sku
        return None

    @contextmanager
    def _database(self):
        """The app's database, connected, for a `with` block; any failure in it is Flask's
        to answer (the way it answers every other one), and the connection goes back to
        the pool as the Flask path's teardown hands it back."""
        database = self.state.database
        db.bind(database)
        broken = True
        try:
            database.connect(reuse_if_open=True)
            self.state.check_schema()
            yield
            broken = False
        except (OperationalError, InterfaceError) as error:
            raise _NotHere from error
        except Exception as error:
            # Not the connection's fault (an unknown id, a revoked client, ...): it goes
            # back to the pool, unless a transaction was left open.
            broken = False
            raise _NotHere from error
        finally:
            release_connection(database, broken)

    def _serve(self, environ, scope, handler, argument):
        claims = _claims(environ, scope, self.state.settings)
        with self._database():
            if not client_is_active(claims["client_id"]):
                raise _NotHere
            payload, extra = handler(environ, argument, claims)
        body = orjson.dumps(payload)
        headers = [*JSON_HEADERS, ("Content-Length", str(len(body))), *extra]
        headers.append(("X-Request-ID", _request_id(environ)))
        headers.extend(TAIL_HEADERS)
        headers.append(("X-Client-ID", claims["client_id"]))
        return "200 OK", headers, body

    def _per_page(self):
        return min(DEFAULT_PAGE_SIZE, self.state.settings.max_page_size)

    def _paginated(self, environ, found):
        return page_payload(found, Request(environ), self.state.settings), ()

    def _order_page(self, environ, page, _):
        settings = self.state.settings
        found = orders.list_orders(NO_FILTERS, page, self._per_page(), settings, fragments=True)
        return self._paginated(environ, found)

    def _product_page(self, environ, page, _):
        found = products.list_products((), page, self._per_page(), self.state.settings)
        return self._paginated(environ, found)

    def _one_order(self, environ, order_id, _):
        document, etag = orders.get_tagged_order(order_id, self.state.settings, fragments=True)
        return {"data": document}, (("ETag", etag),)

    def _sku_record(self, environ, sku, _):
        return {"data": stock.stock_by_sku(sku)}, ()

    def _events(self, environ, cursor, claims):
        after, limit = cursor
        wanted = visible_types(None, claims["scope"].split())
        found, next_after = feed.read_events(after, limit, wanted, self.state.settings)
        return {"data": found, "meta": {"next_after": next_after}}, ()

    def _set_stock(self, environ, argument, claims):
        # Any failure here leaves nothing written: the store's transaction rolled back.
        sku, change = argument
        actor = client_actor(claims["client_id"])
        return {"data": stock.set_stock_by_sku(sku, change, actor)}, ()


def _quantity(value):
    """A stock level or adjustment as StockPatchSchema loads it, or None (absent, null, or
    anything Flask's parsing would refuse or question)."""
    if type(value) is int:
        quantity = Decimal(value)
    elif type(value) is float and math.isfinite(value):
        quantity = Decimal(repr(value))
    else:
        raise _NotHere
    try:
        return check_quantity(quantity)
    except ValueError:
        raise _NotHere from None


def _stock_change(raw):
    """The StockChange of a plain stock PATCH body, or None for any other body."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    data = body.get("data") if type(body) is dict else None
    if type(data) is not dict or not data or not STOCK_KEYS.issuperset(data):
        return None
    try:
        level, adjustment = (
            None if data.get(key) is None else _quantity(data[key]) for key in QUANTITY_KEYS
        )
    except _NotHere:
        return None
    unlimited = data.get("stock_unlimited")
    if unlimited is not None and type(unlimited) is not bool:
        return None
    if level is not None and adjustment is not None or adjustment == 0:
        return None
    change = StockChange(level, unlimited, adjustment)
    return None if change.is_noop else change


def _small_body(environ, limit):
    """The body of a request that sent one of at most `limit` bytes with its length, else
    None. What is read is put back, so Flask reads the same bytes if the lane passes; a
    body cut short or unreadable is Flask's to answer."""
    length = environ.get("CONTENT_LENGTH", "")
    if "HTTP_TRANSFER_ENCODING" in environ or not length.isdigit():
        return None
    if not 0 < int(length) <= limit or not _plain_path(environ):
        return None
    try:
        raw = environ["wsgi.input"].read(int(length))
    except UNREADABLE_BODY as error:
        environ["wsgi.input"] = FailedBody(error)
        return None
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw if len(raw) == int(length) else None


def _cursor(query):
    """(after, limit) of a feed query that asks nothing else (`after=N`, `limit=N`, or
    both in that order), else None."""
    after, limit = 0, DEFAULT_LIMIT
    parts = query.split("&") if query else []
    if parts and parts[0].startswith("after="):
        match = FEED_AFTER.fullmatch(parts.pop(0))
        if match is None:
            return None
        after = int(match.group(1))
    if parts:
        match = FEED_LIMIT.fullmatch(parts.pop(0))
        if match is None or parts or int(match.group(1)) > MAX_LIMIT:
            return None
        limit = int(match.group(1))
    return after, limit


def _page(query):
    """The page a list's query asks for when it asks nothing else, else None."""
    if not query:
        return 1
    match = PAGE_ONLY.fullmatch(query)
    return None if match is None else int(match.group(1))


def _plain_request(environ):
    """No body, and the path as sent is the path routed (nothing percent-encoded in it)."""
    if environ.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in environ:
        return False
    return _plain_path(environ)


def _plain_path(environ):
    """Whether the path as sent is the path routed (nothing percent-encoded in it)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        return True
    path = raw.partition("?")[0]
    return path == environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")


def _claims(environ, scope, settings):
    """The claims of the request's bearer token when it is valid and holds `scope` (or, a
    frozenset, one of them)."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        raise _NotHere
    # As Flask's check reads it when there is nothing else around it; anything else (more
    # spaces, a tab) fails verification below, and Flask then reads it its own way.
    token = header[7:]
    if not token:
        raise _NotHere
    try:
        claims = verify(
            token,
            key=settings.token_secret,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime=settings.token_lifetime,
        )
    except TokenError:
        raise _NotHere from None
    held = claims["scope"].split()
    if scope not in held if isinstance(scope, str) else scope.isdisjoint(held):
        raise _NotHere
    return claims


def _request_id(environ):
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    return incoming if SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
