"""RFC 9068 access tokens and the scopes they grant: pure functions, no Flask, no database."""

import secrets
import time

import jwt
import orjson
from jwt.algorithms import HMACAlgorithm

from models.clients import ALL_SCOPES
from store.clients import well_formed_client_id

ALGORITHM = "HS256"
TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "client_id", "iat", "nbf", "exp", "jti", "scope"]
TIME_CLAIMS = ("iat", "nbf", "exp")
TEXT_CLAIMS = ("iss", "sub", "client_id", "jti", "scope")


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


class _HS256(HMACAlgorithm):
    """PyJWT's HS256, remembering the keys it has checked: PyJWT checks a key on every
    signature (not PEM, SSH, DER or a JWK?), and the service signs with one key."""

    def __init__(self):
        super().__init__(HMACAlgorithm.SHA256)
        self._prepared = {}

    def prepare_key(self, key):
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= 8:
                self._prepared.clear()
            prepared = self._prepared[key] = super().prepare_key(key)
        return prepared


# PyJWT's JWS layer signs; the claims are ours, so orjson serializes them (PyJWT's JWT
# layer would copy them, look for datetimes and run the json module).
_signer = jwt.PyJWS(algorithms=[])
_signer.register_algorithm(ALGORITHM, _HS256())


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
        "jti": secrets.token_hex(16),
        "scope": " ".join(scopes),
    }
    return _signer.encode(
        orjson.dumps(claims), key, algorithm=ALGORITHM, headers={"typ": TOKEN_TYPE}
    )


class TokenError(ValueError):
    pass


# Tokens this process has verified, with their claims: a client uses its token for many
# calls, and checking signature and claims again costs more than the rest of the request's
# authentication. Only time can change the verdict, so the time claims are checked on every
# use (revocation is the caller's check, on every request).
_verified = {}
VERIFIED_CACHE_SIZE = 4096


def verify(token, *, key, issuer, audience, lifetime):
    """Decode and check a token; the algorithm is pinned, so `none` and confusion fail.

    Only tokens this service could have issued pass: every claim of the type `issue` writes,
    `sub` equal to `client_id`, and a lifetime of at most `lifetime` seconds.
    """
    cache_key = (token, key, issuer, audience, lifetime)
    claims = _verified.get(cache_key)
    if claims is not None and _still_valid(claims):
        return claims
    claims = _decode(token, key=key, issuer=issuer, audience=audience)
    _check_claims(claims, lifetime)
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        _verified.clear()
    _verified[cache_key] = claims
    return claims


def _still_valid(claims):
    """The time checks PyJWT made when the token was verified, made again now."""
    now = time.time()
    return claims["iat"] <= now and claims["nbf"] <= now < claims["exp"]


# Descriptions are ours alone: PyJWT's messages name its internals (decoders, claim formats).
INVALID = "The access token is invalid"


def _decode(token, *, key, issuer, audience):
    try:
        decoded = jwt.decode_complete(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            # strict_aud: `aud` is the one string we write, never a list that contains it.
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The access token has expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("The access token is not valid yet") from None
    except jwt.InvalidTokenError:
        raise TokenError(INVALID) from None
    if str(decoded["header"].get("typ", "")).lower() not in (TOKEN_TYPE, "application/at+jwt"):
        raise TokenError(INVALID)
    return decoded["payload"]


def _check_claims(claims, lifetime):
    """What PyJWT lets through and `issue` never writes: times as digit strings or floats,
    a lifetime beyond the configured one (exp=2**70), claims of other types, a `sub` that
    is not the client."""
    times = [claims[name] for name in TIME_CLAIMS]
    if any(type(value) is not int for value in times):
        raise TokenError(INVALID)
    iat, nbf, exp = times
    if not (iat <= nbf < exp and exp - iat <= lifetime):
        raise TokenError(INVALID)
    if any(not isinstance(claims[name], str) for name in TEXT_CLAIMS):
        raise TokenError(INVALID)
    if claims["sub"] != claims["client_id"] or not well_formed_client_id(claims["client_id"]):
        raise TokenError(INVALID)
