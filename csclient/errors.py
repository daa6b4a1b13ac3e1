"""The client's errors: one base class, one subclass per way a call can fail."""


class ClientError(Exception):
    """Anything that stopped a call to a Community Store API."""


class TransportError(ClientError):
    """The server could not be reached, or the connection broke, on every attempt."""


class ApiError(ClientError):
    """The server answered with an error status; `status`, `body` (parsed JSON, or None)
    and `messages` (the API error shape's `errors`, or the OAuth description)."""

    def __init__(self, status, body, url):
        self.status = status
        self.body = body
        self.url = url
        self.messages = _messages(body)
        text = "; ".join(self.messages) or "no details"
        super().__init__(f"{status} from {url}: {text}")


class AuthError(ApiError):
    """The token endpoint refused the credentials, or the API refused the token (401/403)."""


class NotFound(ApiError):
    """404: no such record."""


class Unavailable(ApiError):
    """429 or a 5xx answer still there after every retry."""


class BadResponse(ClientError):
    """The server's answer was not the JSON the API promises."""


def _messages(body):
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    if isinstance(errors, list):
        return [str(error) for error in errors]
    for key in ("error_description", "message", "error"):
        if isinstance(body.get(key), str):
            return [body[key]]
    return []


def error_for(status, body, url):
    """The ApiError subclass for an HTTP status."""
    if status in (401, 403):
        return AuthError(status, body, url)
    if status == 404:
        return NotFound(status, body, url)
    if status == 429 or status >= 500:
        return Unavailable(status, body, url)
    return ApiError(status, body, url)
