"""Failed client authentications at the token endpoint, counted to slow down guessing."""

from peewee import CharField

from models.base import BaseModel, UTCDateTimeField, utcnow


class TokenFailure(BaseModel):
    # NULL when the request named no well-formed client id: it counts for its address only.
    # Not a foreign key: guesses at unknown client ids count too.
    client_id = CharField(max_length=64, null=True)
    # The caller's address (an IPv6 caller's /64 network), as the token endpoint saw it.
    address = CharField(max_length=64)
    # Rows older than the counting window are deleted as new failures come in.
    failed_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = (
            # An address's recent failures, newest first: the one query before each check.
            (("address", "failed_at"), False),
        )
