"""Idempotency keys: each write request that carried one, and the response it got."""

from peewee import CharField, IntegerField, TextField

from models.base import BaseModel, UTCDateTimeField


class DocumentField(TextField):
    """Text of any length: MySQL/MariaDB's TEXT holds only 64 KiB, so LONGTEXT there."""

    field_type = "LONGTEXT"


class IdempotencyKey(BaseModel):
    # SHA-256 of the client and the key: keys are opaque, case-sensitive and up to 255
    # characters, which no collation of every database compares as they are.
    key_digest = CharField(max_length=64, unique=True)
    # SHA-256 of the request's method, path with query string and body.
    fingerprint = CharField(max_length=64)
    created_at = UTCDateTimeField(index=True)
    # While the first request runs: a request that died leaves its key taken until then.
    locked_until = UTCDateTimeField(null=True)
    # The response, once the request has succeeded.
    status = IntegerField(null=True)
    headers = TextField(null=True)
    body = DocumentField(null=True)
