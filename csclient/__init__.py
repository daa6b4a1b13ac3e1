"""A small Python client for the Community Store API v1 (this service or the original
PHP add-on): a cached client-credentials token, retries with backoff, pages followed by
`total_pages`. It depends on `requests` only."""

from csclient.client import Client, Page
from csclient.errors import (
    ApiError,
    AuthError,
    BadResponse,
    ClientError,
    NotFound,
    TransportError,
    Unavailable,
)

__all__ = [
    "ApiError",
    "AuthError",
    "BadResponse",
    "Client",
    "ClientError",
    "NotFound",
    "Page",
    "TransportError",
    "Unavailable",
]
