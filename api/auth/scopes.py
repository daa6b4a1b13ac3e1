"""The per-route scope decorator: it authenticates the bearer token and raises on failure."""

import functools

from flask import g, request

from api.auth.tokens import TokenError, verify
from api.errors import OAuthError
from api.hooks import state
from api.openapi import SECURITY_SCHEME
from models.clients import DEFAULT_SCOPES, SCOPES
from store.clients import client_is_active

MANAGE_SCOPES = frozenset(scope for scope in SCOPES if scope.endswith(":manage"))


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


def _insufficient_scope(scopes, joiner):
    """403 naming the scopes the token lacks (`joiner`: "or" for alternatives, "and" when
    every one is needed)."""
    named = " ".join(scopes)
    which = f"the scope {scopes[0]}"
    if len(scopes) > 1:
        which = f"the scopes {f' {joiner} '.join(scopes)}"
    return OAuthError(
        403,
        "insufficient_scope",
        f"The access token lacks {which}",
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{named}"'},
    )


def holds_manage_scope():
    """Whether the token holds a manage scope: a token without one is a v1 token, which
    keeps v1 behaviour exactly (manage.md §1)."""
    return not g.cs_scopes.isdisjoint(MANAGE_SCOPES)


def require_scopes(*scopes):
    """Refuse the request (403 naming what is missing) unless the token carries every one
    of `scopes`: what the key groups of a body on a shared route need (manage.md §1)."""
    missing = [scope for scope in dict.fromkeys(scopes) if scope not in g.cs_scopes]
    if missing:
        raise _insufficient_scope(missing, "and")


def require_key_scopes(data, key_scopes):
    """Refuse the request (403 naming what is missing) unless the token carries the scope
    of every key of `data` that `key_scopes` ({key: scope}) names (manage.md §1)."""
    require_scopes(*(scope for key, scope in key_scopes.items() if key in data))


def require_scope(scope, *alternatives):
    """Let a view run only for a valid token that carries `scope` or one of `alternatives`.

    A token with none of them gets 403 naming them all, except that a v1 token (one holding
    no manage scope) is told only of the v1 scopes among them, as it always was."""
    accepted = (scope, *alternatives)

    def decorator(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            claims = authenticate()
            g.cs_client_id = claims["client_id"]
            g.cs_scopes = frozenset(claims["scope"].split())
            if g.cs_scopes.isdisjoint(accepted):
                named = accepted
                if not holds_manage_scope():
                    named = tuple(s for s in accepted if s in DEFAULT_SCOPES) or accepted
                raise _insufficient_scope(named, "or")
            return view(*args, **kwargs)

        guarded.required_scope = scope
        guarded.required_scopes = accepted
        # flask-smorest reads `_apidoc`; record the route's security requirement there: any
        # one of the accepted scopes will do.
        apidoc = dict(getattr(view, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["security"] = [{SECURITY_SCHEME: [accepted_scope]} for accepted_scope in accepted]
        apidoc["manual_doc"] = manual
        guarded._apidoc = apidoc
        return guarded

    return decorator
