"""POST /oauth/2.0/token: the client-credentials grant (API.md §4)."""

from urllib.parse import unquote_plus

import orjson
from flask import g, request
from flask.views import MethodView

from api.auth.lookups import find_client
from api.auth.tokens import ScopeError, grant_scopes, issue, secret_matches, well_formed_client_id
from api.blueprints import ApiBlueprint
from api.errors import NO_STORE, OAuthError
from api.hooks import state
from api.jsonio import json_response
from api.schemas.auth import TokenErrorSchema, TokenRequestSchema, TokenSchema

blp = ApiBlueprint(
    "oauth",
    __name__,
    description="OAuth2 client-credentials token endpoint.",
    error_shape="oauth",
)


@blp.url_value_preprocessor
def speak_oauth(endpoint, values):
    # Runs before the blueprint's before_request hooks, so even their errors (a 503 while
    # the database is unreachable) come in the OAuth error shape.
    g.cs_oauth_route = True


def _parameters():
    """Form, multipart or JSON-object parameters, all as strings or None."""
    if request.mimetype == "application/json" or request.get_data(cache=True)[:1] == b"{":
        try:
            body = orjson.loads(request.get_data(cache=True))
        except orjson.JSONDecodeError:
            raise OAuthError(400, "invalid_request", "The body is not valid JSON") from None
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "The body must be a JSON object")
        return {key: value for key, value in body.items() if isinstance(value, str)}
    return request.form


def _basic_credentials():
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None
    return unquote_plus(auth.username or ""), unquote_plus(auth.password or "")


def _invalid_client(used_basic):
    headers = {"WWW-Authenticate": 'Basic realm="OAuth"'} if used_basic else None
    return OAuthError(401, "invalid_client", "Client authentication failed", headers=headers)


def _authenticate_client(params):
    basic = _basic_credentials()
    body_id, body_secret = params.get("client_id"), params.get("client_secret")
    if basic is not None:
        if body_id and body_id != basic[0]:
            raise OAuthError(
                400, "invalid_request", "The client_id in the body differs from Basic auth"
            )
        client_id, secret = basic
    else:
        client_id, secret = body_id, body_secret
    if not client_id:
        raise OAuthError(
            400,
            "invalid_request",
            "The request is missing the client_id parameter",
            hint="Send client_id and client_secret, or use HTTP Basic authentication",
        )
    # A client id no client can have names none, and never reaches SQL: a NUL in it made
    # PostgreSQL fail the request.
    client = find_client(client_id) if well_formed_client_id(client_id) else None
    if (
        client is None
        or client.revoked_at is not None
        or not secret
        or not secret_matches(secret, client.secret_digest)
    ):
        raise _invalid_client(basic is not None)
    return client


@blp.route("")
class Token(MethodView):
    @blp.document_body(TokenRequestSchema, "application/x-www-form-urlencoded")
    @blp.response(200, TokenSchema)
    @blp.alt_response(400, schema=TokenErrorSchema, description="Bad request")
    @blp.alt_response(401, schema=TokenErrorSchema, description="Client authentication failed")
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
        client = _authenticate_client(params)
        try:
            scopes = grant_scopes(params.get("scope"), client.scope_list)
        except ScopeError as error:
            raise OAuthError(400, "invalid_scope", str(error)) from None
        settings = state().settings
        token = issue(
            client.client_id,
            scopes,
            key=settings.token_secret,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime=settings.token_lifetime,
        )
        g.cs_client_id = client.client_id
        body = {
            "token_type": "Bearer",
            "expires_in": settings.token_lifetime,
            "access_token": token,
            "scope": " ".join(scopes),
        }
        return json_response(body, headers=NO_STORE)
