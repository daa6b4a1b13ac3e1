"""Integration clients allowed to ask for access tokens."""

from peewee import CharField, TextField

from models.base import BaseModel, UTCDateTimeField, utcnow

# Every scope, in the canonical order tokens list them, with what it grants.
SCOPES = {
    "cs:orders:read": "Read orders and fulfilment statuses",
    "cs:orders:write": "Update order fulfilment and tracking",
    "cs:products:read": "Read products, variations and stock",
    "cs:products:write": "Update stock",
    "cs:config:read": "Read the store configuration",
    "cs:products:manage": "Create, replace, change and delete products (not stock levels)",
    "cs:orders:manage": "Create and replace orders; change their payment state",
    "cs:webhooks:manage": "Create, change and remove webhook subscriptions; read their log",
}
ALL_SCOPES = tuple(SCOPES)
# What an integration may have when none are named: the v1 scopes. The others are granted
# only when asked for by name.
DEFAULT_SCOPES = ALL_SCOPES[:5]


class ApiClient(BaseModel):
    name = CharField(max_length=255)
    client_id = CharField(max_length=64, unique=True)
    # SHA-256 hex digest of the secret: the secret itself is never stored.
    secret_digest = CharField(max_length=64)
    scopes = TextField()
    created_at = UTCDateTimeField(default=utcnow)
    secret_rotated_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)

    @property
    def scope_list(self):
        return self.scopes.split()
