"""A bare WSGI app (stdlib sqlite3 + orjson, no framework) doing the hot paths' work.

The yardstick for the benchmark: it answers the same requests as the service over the same
SQLite database with the same JSON, the same token checks (an HS256 JWT verified, the client
looked up on every request), the same queries and the same stock writes (one statement for
a single SKU, the bulk write's few per thousand lines) — and nothing else. Only what the
benchmark drives is here (no other filters, no error bodies beyond a bare minimum).

    BENCH_DATABASE=store.db TOKEN_SECRET=... gunicorn -w 2 bench.bare_app:app
"""

import base64
import hashlib
import hmac
import os
import random
import re
import time
import uuid
from urllib.parse import parse_qsl

import orjson

from bench.bare_base import PREFIX, TOKEN_PATH, Fail, db
from bench.bare_events import list_events
from bench.bare_orders import list_orders, one_order
from bench.bare_products import list_products, patch_sku, sku_record
from bench.bare_stock import patch_stock

SECRET = os.environ["TOKEN_SECRET"].encode()
ISSUER = os.environ.get("TOKEN_ISSUER", "community-store-api")
AUDIENCE = os.environ.get("TOKEN_AUDIENCE", "community-store-api")
LIFETIME = int(os.environ.get("TOKEN_LIFETIME", "3600"))
ALL_SCOPES = ("cs:orders:read", "cs:orders:write", "cs:products:read", "cs:products:write",
              "cs:config:read")  # fmt: skip
JWT_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"at+jwt"}').rstrip(b"=")


# --- tokens ---


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def unb64(text):
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def sign(claims):
    body = JWT_HEADER + b"." + b64(orjson.dumps(claims))
    return body + b"." + b64(hmac.new(SECRET, body, hashlib.sha256).digest())


def authorize(environ, *accepted):
    """The claims of a valid token of an active client holding one of the `accepted` scopes."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer":
        raise Fail("401 Unauthorized", {"error": "invalid_token"})
    try:
        head, payload, signature = token.strip().encode().split(b".")
        expected = hmac.new(SECRET, head + b"." + payload, hashlib.sha256).digest()
        header_claims = orjson.loads(unb64(head))
        claims = orjson.loads(unb64(payload))
        valid = (
            hmac.compare_digest(expected, unb64(signature))
            and header_claims.get("alg") == "HS256"
            and header_claims.get("typ") == "at+jwt"
            and claims["iss"] == ISSUER
            and claims["aud"] == AUDIENCE
            and claims["nbf"] <= time.time() < claims["exp"]
        )
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise Fail("401 Unauthorized", {"error": "invalid_token"})
    active = (
        db()
        .execute(
            "SELECT 1 FROM api_client WHERE client_id = ? AND revoked_at IS NULL",
            (claims["client_id"],),
        )
        .fetchone()
    )
    if not active:
        raise Fail("401 Unauthorized", {"error": "invalid_token"})
    if not set(accepted).intersection(claims["scope"].split()):
        raise Fail("403 Forbidden", {"error": "insufficient_scope"})
    return claims


def authenticate(environ, scope):
    return authorize(environ, scope)["client_id"]


def issue_token(environ):
    size = int(environ.get("CONTENT_LENGTH") or 0)
    form = dict(parse_qsl(environ["wsgi.input"].read(size).decode()))
    if form.get("grant_type") != "client_credentials":
        raise Fail("400 Bad Request", {"error": "unsupported_grant_type"})
    row = (
        db()
        .execute(
            "SELECT client_id, secret_digest, scopes, revoked_at FROM api_client "
            "WHERE client_id = ?",
            (form.get("client_id", ""),),
        )
        .fetchone()
    )
    digest = hashlib.sha256(form.get("client_secret", "").encode()).hexdigest()
    if row is None or row[3] is not None or not hmac.compare_digest(digest, row[1]):
        raise Fail("401 Unauthorized", {"error": "invalid_client"})
    allowed = row[2].split()
    wanted = form.get("scope", "").split() or allowed
    scopes = " ".join(s for s in ALL_SCOPES if s in wanted and s in allowed)
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": row[0],
        "client_id": row[0],
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME,
        "jti": uuid.uuid4().hex,
        "scope": scopes,
    }
    body = {
        "token_type": "Bearer",
        "expires_in": LIFETIME,
        "access_token": sign(claims).decode(),
        "scope": scopes,
    }
    return body, [("Cache-Control", "no-store"), ("Pragma", "no-cache")], row[0]


# --- routing ---

ORDER_PATH = re.compile(r"/orders/0*([1-9][0-9]{0,17})")
SKU_PREFIX = "/skus/"


def _read_body(environ):
    return environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))


def _api(environ, method, path):
    """(body, client id) for a request under the API prefix."""
    params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    if path == "/orders" and method == "GET":
        return list_orders(environ, params), authenticate(environ, "cs:orders:read")
    matched = ORDER_PATH.fullmatch(path)
    if matched and method == "GET":
        client_id = authenticate(environ, "cs:orders:read")
        return one_order(int(matched.group(1))), client_id
    if path == "/products" and method == "GET":
        client_id = authenticate(environ, "cs:products:read")
        return list_products(environ, params), client_id
    if path.startswith(SKU_PREFIX) and "/" not in path[len(SKU_PREFIX) :]:
        # PEP 3333: the path arrives percent-decoded, as latin-1 text.
        sku = path[len(SKU_PREFIX) :].encode("latin-1").decode("utf-8")
        if method == "GET":
            client_id = authenticate(environ, "cs:products:read")
            return sku_record(sku), client_id
        if method == "PATCH":
            client_id = authenticate(environ, "cs:products:write")
            return patch_sku(sku, _read_body(environ)), client_id
    if path == "/events" and method == "GET":
        claims = authorize(environ, "cs:orders:read", "cs:products:read")
        return list_events(params, claims["scope"].split()), claims["client_id"]
    if path == "/stock" and method == "PATCH":
        client_id = authenticate(environ, "cs:products:write")
        return patch_stock(_read_body(environ), client_id), client_id
    raise Fail("404 Not Found", {"error": True, "errors": ["Not Found"]})


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    headers = [("Content-Type", "application/json")]
    client_id = None
    try:
        if path == TOKEN_PATH and method == "POST":
            body, extra, client_id = issue_token(environ)
            headers.extend(extra)
        elif path.startswith(PREFIX):
            body, client_id = _api(environ, method, path[len(PREFIX) :])
        else:
            raise Fail("404 Not Found", {"error": True, "errors": ["Not Found"]})
        status = "200 OK"
    except Fail as failure:
        status, body = failure.status, failure.body
    payload = orjson.dumps(body)
    headers.append(("Content-Length", str(len(payload))))
    headers.append(("X-Request-ID", f"{random.getrandbits(128):032x}"))
    if client_id:
        headers.append(("X-Client-ID", client_id))
    start_response(status, headers)
    return [payload]
