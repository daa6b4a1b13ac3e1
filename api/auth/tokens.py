"""RFC 9068 access tokens and the scopes they grant: pure functions, no Flask, no database."""

import time
import uuid

import jwt

from models.clients import ALL_SCOPES

ALGORITHM = "HS256"
TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "client_id", "iat", "nbf", "exp", "jti", "scope"]


class ScopeError(ValueError):
    pass


def grant_scopes(requested, allowed):
    """The scopes to grant, in canonical order.

    No request means every allowed scope; a known scope the client may not have is dropped
    silently; an unknown scope, or nothing left to grant, raises ScopeError.
    """
    if requested is None or not requested.strip():
        wanted = set(allowed)
    else:
        wanted = set(requested.split())
        unknown = sorted(wanted.difference(ALL_SCOPES))
        if unknown:
            raise ScopeError(f"Unknown scope: {' '.join(unknown)}")
    granted = [scope for scope in ALL_SCOPES if scope in wanted and scope in allowed]
    if not granted:
        raise ScopeError("None of the requested scopes is allowed for this client")
    return granted


def issue(client_id, scopes, *, key, issuer, audience, lifetime, now=None):
    now = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": client_id,
        "client_id": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(scopes),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"typ": TOKEN_TYPE})


class TokenError(ValueError):
    pass


# Tokens this process has verified, with their claims: a client uses its token for many
# calls, and checking signature and claims again costs more than the rest of the request's
# authentication. Only time can change the verdict, so the time claims are checked on every
# use (revocation is the caller's check, on every request).
_verified = {}
VERIFIED_CACHE_SIZE = 4096


def verify(token, *, key, issuer, audience):
    """Decode and check a token; the algorithm is pinned, so `none` and confusion fail."""
    cache_key = (token, key, issuer, audience)
    claims = _verified.get(cache_key)
    if claims is not None and _still_valid(claims):
        return claims
    claims = _decode(token, key=key, issuer=issuer, audience=audience)
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        _verified.clear()
    _verified[cache_key] = claims
    return claims


def _still_valid(claims):
    """The time checks PyJWT made when the token was verified, made again now."""
    now = time.time()
    return int(claims["iat"]) <= now and int(claims["nbf"]) <= now < int(claims["exp"])


def _decode(token, *, key, issuer, audience):
    try:
        decoded = jwt.decode_complete(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The access token has expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("The access token is not valid yet") from None
    except jwt.InvalidTokenError as error:
        raise TokenError(f"The access token is invalid: {error}") from None
    if str(decoded["header"].get("typ", "")).lower() not in (TOKEN_TYPE, "application/at+jwt"):
        raise TokenError("The access token is invalid: not an at+jwt token")
    claims = decoded["payload"]
    if not isinstance(claims["scope"], str) or not isinstance(claims["client_id"], str):
        raise TokenError("The access token is invalid: malformed claims")
    return claims
