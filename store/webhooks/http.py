"""One webhook attempt over HTTP: a POST to the address the SSRF check resolved.

The standard library's http.client, not a pooled client: each attempt must connect to the
checked address while naming the host (Host header, TLS server name and certificate check),
must not follow redirects, and reads at most 1 KB of the answer. http.client does exactly
that with a small subclass and adds no dependency to keep patched."""

import http.client
import socket
import ssl
import time
from typing import NamedTuple

USER_AGENT = "community-store-webhooks/1"
KEPT_BODY = 1024


class Outcome(NamedTuple):
    status_code: int | None
    error: str | None
    response_body: str | None
    latency_ms: int

    @property
    def succeeded(self):
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


class _Plain(http.client.HTTPConnection):
    def __init__(self, target, timeout):
        super().__init__(target.address, target.port, timeout=timeout)


class _Secure(http.client.HTTPSConnection):
    """TLS to the checked address, verified against the URL's host name."""

    def __init__(self, target, timeout, context):
        super().__init__(target.address, target.port, timeout=timeout, context=context)
        self._server_name = target.host

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_name)


_CONTEXT = None


def _tls_context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = ssl.create_default_context()
    return _CONTEXT


def _describe(error):
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or error}"
    if isinstance(error, http.client.HTTPException):
        return f"not an HTTP answer: {type(error).__name__}"
    return f"network error: {error}"


def post(target, headers, body, timeout):
    """POST `body` to `target` (an addresses.Target); the Outcome, never an exception for
    anything the receiver or the network does."""
    started = time.monotonic()
    if target.scheme == "https":
        connection = _Secure(target, timeout, _tls_context())
    else:
        connection = _Plain(target, timeout)
    headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        "Connection": "close",
        **headers,
    }
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        kept = response.read(KEPT_BODY)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, _describe(error)[:255], None, _elapsed(started))
    finally:
        connection.close()
    latency = _elapsed(started)
    text = kept.decode("utf-8", "replace")
    if latency > timeout * 1000:
        # A receiver that trickles its answer passes each socket wait; the whole is over.
        return Outcome(status, "timed out", text, latency)
    if 300 <= status < 400:
        return Outcome(status, "redirect not followed", text, latency)
    if not 200 <= status < 300:
        return Outcome(status, f"HTTP {status}", text, latency)
    return Outcome(status, None, text, latency)


def _elapsed(started):
    return int((time.monotonic() - started) * 1000)
