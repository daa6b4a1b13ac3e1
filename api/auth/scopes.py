"""The per-route scope decorator: it authenticates the bearer token and raises on failure."""

import functools

from flask import g, request

from api.auth.tokens import TokenError, verify
from api.errors import OAuthError
from api.hooks import state
from api.openapi import SECURITY_SCHEME
from store.clients import client_is_active


def _invalid_token(description):
    escaped = description.replace("\\", "\\\\").replace('"', "'")
    return OAuthError(
        401,
        "invalid_token",
        description,
        headers={
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{escaped}"'
        },
    )


def _bearer_token():
    header = request.headers.get("Authorization")
    if header is None:
        raise OAuthError(
            401,
            "invalid_token",
            "The request has no access token",
            hint="Send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _invalid_token("The Authorization header is not a Bearer token")
    return token.strip()


def authenticate():
    """The claims of a valid token from a client that is still active."""
    settings = state().settings
    try:
        claims = verify(
            _bearer_token(),
            key=settings.token_secret,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime=settings.token_lifetime,
        )
    except TokenError as error:
        raise _invalid_token(str(error)) from None
    # Checked on every request, in the shared database, so a revocation locks the client
    # out at once on every instance.
    if not client_is_active(claims["client_id"]):
        raise _invalid_token("The client of this access token has been revoked")
    return claims


def require_scope(scope):
    """Let a view run only for a valid token that carries `scope`."""

    def decorator(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            claims = authenticate()
            g.cs_client_id = claims["client_id"]
            if scope not in claims["scope"].split():
                raise OAuthError(
                    403,
                    "insufficient_scope",
                    f"The access token lacks the scope {scope}",
                    headers={
                        "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'
                    },
                )
            return view(*args, **kwargs)

        guarded.required_scope = scope
        # flask-smorest reads `_apidoc`; record the route's security requirement there.
        apidoc = dict(getattr(view, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["security"] = [{SECURITY_SCHEME: [scope]}]
        apidoc["manual_doc"] = manual
        guarded._apidoc = apidoc
        return guarded

    return decorator
