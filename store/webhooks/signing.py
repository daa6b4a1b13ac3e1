"""Webhook secrets and signatures, as the Standard Webhooks specification has them."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret():
    """`whsec_` and the base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _key(secret):
    return base64.b64decode(secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret)


def signature(secret, webhook_id, timestamp, body):
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for one secret."""
    message = b"%s.%d.%s" % (webhook_id.encode("ascii"), timestamp, body)
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets_, webhook_id, timestamp, body):
    """The `webhook-signature` value: one signature per secret, space-separated (two while a
    rotation's old secret is still honoured)."""
    return " ".join(signature(secret, webhook_id, timestamp, body) for secret in secrets_)
