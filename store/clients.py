"""Integrations (API clients): their secrets, the lookups of the token paths, and managing
them (the `cs client` commands)."""

import hashlib
import hmac
import re
import secrets
import uuid
from typing import NamedTuple

from models.base import db, utcnow
from models.clients import ALL_SCOPES, DEFAULT_SCOPES, ApiClient
from models.compiled import CompiledQuery
from store.errors import Conflict, Invalid, NotFound

# Client ids are 32 hex digits (new_client_id); ids made otherwise (a dashed UUID, a name
# chosen by hand) keep working when they stay within the URL-safe characters and the
# column's 64. Anything else names no client and never reaches SQL (a NUL in it makes
# PostgreSQL fail the statement).
CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")


def new_client_id():
    return uuid.uuid4().hex


def well_formed_client_id(value):
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


def new_secret():
    """A 384-bit random secret, URL-safe so it survives form and Basic encoding."""
    return secrets.token_urlsafe(48)


def digest(secret):
    """Secrets are random, not passwords: a SHA-256 digest is what is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret, stored_digest):
    return hmac.compare_digest(digest(secret), stored_digest)


# --- the lookups every token request and every API request make ---


class ClientRow(NamedTuple):
    client_id: str
    secret_digest: str
    scopes: str
    revoked_at: object

    @property
    def scope_list(self):
        return self.scopes.split()


ACTIVE_CLIENT = CompiledQuery(
    lambda p: ApiClient.select(ApiClient.id).where(
        (ApiClient.client_id == p.client_id) & ApiClient.revoked_at.is_null()
    )
)
CREDENTIALS = CompiledQuery(
    lambda p: ApiClient.select(
        ApiClient.client_id, ApiClient.secret_digest, ApiClient.scopes, ApiClient.revoked_at
    ).where(ApiClient.client_id == p.client_id)
)


def client_is_active(client_id):
    """True when the client exists and is not revoked."""
    if not well_formed_client_id(client_id):
        return False
    return ACTIVE_CLIENT.first(client_id=client_id) is not None


def find_client(client_id):
    """The client's credentials row, or None."""
    if not well_formed_client_id(client_id):
        return None
    row = CREDENTIALS.first(client_id=client_id)
    return None if row is None else ClientRow(*row)


# --- managing integrations ---


def parse_scopes(values):
    """Scopes from words separated by spaces or commas, in canonical order (none: the
    default, v1 scopes)."""
    scopes = [scope for value in values for scope in value.replace(",", " ").split()]
    unknown = sorted(set(scopes).difference(ALL_SCOPES))
    if unknown:
        raise Invalid(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return [scope for scope in ALL_SCOPES if scope in scopes] or list(DEFAULT_SCOPES)


def create_client(name, scopes=DEFAULT_SCOPES):
    """Create an integration; returns (client, secret). The secret is not stored."""
    secret = new_secret()
    with db.atomic():
        client = ApiClient.create(
            name=name,
            client_id=new_client_id(),
            secret_digest=digest(secret),
            scopes=" ".join(scopes),
        )
    return client, secret


def list_clients():
    return list(ApiClient.select().order_by(ApiClient.id))


def _get(client_id):
    client = None
    if well_formed_client_id(client_id):
        client = ApiClient.get_or_none(ApiClient.client_id == client_id)
    if client is None:
        raise NotFound(f"no integration with client_id {client_id}")
    return client


def revoke_client(client_id):
    """Revoke an integration: its tokens stop working on their very next request."""
    with db.atomic():
        client = _get(client_id)
        ApiClient.update(revoked_at=utcnow()).where(
            ApiClient.id == client.id, ApiClient.revoked_at.is_null()
        ).execute()
    return client


def rotate_secret(client_id):
    """Give an integration a new secret (returned); the old one stops working at once."""
    secret = new_secret()
    with db.atomic():
        client = _get(client_id)
        if client.revoked_at is not None:
            raise Conflict(f"{client_id} is revoked")
        ApiClient.update(secret_digest=digest(secret), secret_rotated_at=utcnow()).where(
            ApiClient.id == client.id
        ).execute()
    return secret
