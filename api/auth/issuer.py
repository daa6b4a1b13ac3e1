"""POST /oauth/2.0/token: the client-credentials grant (API.md §4)."""

from urllib.parse import unquote, unquote_plus

import orjson
from flask import g, request
from flask.views import MethodView

from api.auth.addresses import client_address
from api.auth.tokens import ScopeError, grant_scopes, issue
from api.blueprints import ApiBlueprint
from api.errors import NO_STORE, OAuthError
from api.hooks import state
from api.jsonio import json_response
from api.schemas.auth import TokenErrorSchema, TokenRequestSchema, TokenSchema
from store import token_failures
from store.clients import secret_matches, well_formed_client_id

blp = ApiBlueprint(
    "oauth",
    __name__,
    description="OAuth2 client-credentials token endpoint.",
    error_shape="oauth",
)

FORM = "application/x-www-form-urlencoded"
NO_FAILURES = token_failures.Verdict(0, 0)


def _unquote(text):
    if "%" not in text and "+" not in text:
        return text
    # werkzeug's error handler keeps bytes that are not UTF-8 as %XX, as its parser does.
    return unquote(text.replace("+", " "), errors="werkzeug.url_quote")


def form_parameters(raw):
    """A urlencoded body as werkzeug's form parser reads it (urllib.parse's parse_qsl with
    blank values kept; the first value of a repeated key; a body that is not UTF-8 reads
    as empty), without its per-request machinery, and skipping the unquoting of plain
    values: a token request's are."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return {}
    params = {}
    for pair in text.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            params.setdefault(_unquote(key), _unquote(value))
    return params


def _parameters():
    """Form, multipart or JSON-object parameters, all as strings or None."""
    raw = request.get_data(cache=True)
    # As werkzeug's Request.mimetype, read straight from the environ.
    mimetype = request.environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if mimetype == "application/json" or raw[:1] == b"{":
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise OAuthError(400, "invalid_request", "The body is not valid JSON") from None
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "The body must be a JSON object")
        return {key: value for key, value in body.items() if isinstance(value, str)}
    if mimetype == FORM:
        return form_parameters(raw)
    return request.form


def token_body(client_id, scopes, settings):
    """The token response's body: a new access token for these scopes."""
    token = issue(
        client_id,
        scopes,
        key=settings.token_secret,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        lifetime=settings.token_lifetime,
    )
    return {
        "token_type": "Bearer",
        "expires_in": settings.token_lifetime,
        "access_token": token,
        "scope": " ".join(scopes),
    }


def _basic_credentials():
    if "HTTP_AUTHORIZATION" not in request.environ:
        return None
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None
    return unquote_plus(auth.username or ""), unquote_plus(auth.password or "")


def _credentials(params):
    """(client_id, secret, whether HTTP Basic carried them)."""
    basic = _basic_credentials()
    body_id = params.get("client_id")
    if basic is not None:
        if body_id and body_id != basic[0]:
            raise OAuthError(
                400, "invalid_request", "The client_id in the body differs from Basic auth"
            )
        client_id, secret = basic
    else:
        client_id, secret = body_id, params.get("client_secret")
    if not client_id:
        raise OAuthError(
            400,
            "invalid_request",
            "The request is missing the client_id parameter",
            hint="Send client_id and client_secret, or use HTTP Basic authentication",
        )
    return client_id, secret, basic is not None


def _invalid_client(used_basic):
    headers = {"WWW-Authenticate": 'Basic realm="OAuth"'} if used_basic else None
    return OAuthError(401, "invalid_client", "Client authentication failed", headers=headers)


def _slow_down(retry_after):
    # RFC 6749 has no code for this; RFC 8628's slow_down says "you are asking too often",
    # where temporarily_unavailable would blame the server.
    return OAuthError(
        429,
        "slow_down",
        "Too many failed client authentications: try again later",
        hint="Wait the number of seconds in Retry-After, and check the client credentials",
        headers={"Retry-After": str(retry_after)},
    )


def _authenticate_client(settings, params):
    client_id, secret, used_basic = _credentials(params)
    # A client id no client can have names none, and never reaches SQL (a NUL in it would
    # make PostgreSQL fail); its failures count for the address alone.
    known_id = client_id if well_formed_client_id(client_id) else None
    address = client_address(request.environ, settings.trust_proxy_headers)
    limits = token_failures.Limits(
        settings.token_max_failures,
        settings.token_max_address_failures,
        settings.token_failure_window,
    )
    client, failed_lately = token_failures.find_client(known_id, address, limits.window)
    verdict = NO_FAILURES
    if failed_lately is not False:
        # Checked before the secret is, so a locked-out caller learns nothing from trying.
        verdict = token_failures.check(known_id, address, limits)
        if verdict.retry_after:
            raise _slow_down(verdict.retry_after)
    if (
        client is None
        or client.revoked_at is not None
        or not secret
        or not secret_matches(secret, client.secret_digest)
    ):
        token_failures.record(known_id, address, limits.window)
        raise _invalid_client(used_basic)
    if verdict.client_failures:
        token_failures.clear(known_id, address)
    return client


@blp.route("")
class Token(MethodView):
    # The view keeps no state: one instance serves every request.
    init_every_request = False

    @blp.documented_only
    @blp.document_body(TokenRequestSchema, FORM, "multipart/form-data", "application/json")
    @blp.response(200, TokenSchema)
    @blp.alt_response(400, schema=TokenErrorSchema, description="Bad request")
    @blp.alt_response(401, schema=TokenErrorSchema, description="Client authentication failed")
    @blp.alt_response(
        429,
        schema=TokenErrorSchema,
        description="Too many failed client authentications (slow_down)",
        headers={"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
    )
    def post(self):
        """Issue an access token for a client's credentials."""
        params = _parameters()
        if params.get("grant_type") != "client_credentials":
            raise OAuthError(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server",
                hint="Use grant_type=client_credentials",
            )
        settings = state().settings
        client = _authenticate_client(settings, params)
        try:
            scopes = grant_scopes(params.get("scope"), client.scope_list)
        except ScopeError as error:
            raise OAuthError(400, "invalid_scope", str(error)) from None
        g.cs_client_id = client.client_id
        return json_response(token_body(client.client_id, scopes, settings), headers=NO_STORE)
