"""Where a webhook may be sent (events.md §3, SSRF): https to hosts that resolve only to
public addresses, unless the operator allows the host in WEBHOOK_ALLOWED_HOSTS.

The check resolves the host and hands back the address it checked: the sender connects to
that address, so a DNS answer that changes between the check and the connection cannot
send it anywhere else."""

import ipaddress
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

from models.webhooks import URL_LENGTH
from store.errors import StoreError

DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(StoreError):
    """A URL a webhook may not be sent to; the message says why."""


class Target(NamedTuple):
    scheme: str
    host: str
    port: int
    # The request target: path and query string.
    path: str
    # The address checked, to connect to.
    address: str

    @property
    def host_header(self):
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"


def _parts(url):
    if not isinstance(url, str) or not url or len(url) > URL_LENGTH:
        raise Refused(f"Must be an absolute URL of at most {URL_LENGTH} characters.")
    if not url.isascii() or any(char <= " " or char == "\x7f" for char in url):
        raise Refused("Must be an ASCII URL without spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("Must be a valid URL (its port, or its IPv6 address, is not).") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise Refused("Must be an https URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise Refused("Must not carry credentials (user:password@).")
    if parts.fragment or "#" in url:
        raise Refused("Must not have a fragment (#...).")
    if "%" in parts.hostname or port == 0:
        raise Refused("Must name a host and port that can be reached.")
    return parts, port or DEFAULT_PORTS[parts.scheme]


def refused_reason(address):
    """Why an address may not be reached, or None when it is a public one."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # The narrower kinds first: Python counts loopback and link-local as private too.
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    # Shared (carrier-grade NAT), documentation and other special-purpose ranges.
    return None if ip.is_global else "non-public"


def _resolve(host, port):
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Refused(f"The host {host} does not resolve.") from None
    # Several answers: every one is checked (any may be the one connected to).
    return list(dict.fromkeys(info[4][0] for info in found))


def check_url(url, allowed_hosts):
    """The Target to send to, or Refused (a StoreError) saying why not."""
    parts, port = _parts(url)
    host = parts.hostname.lower().rstrip(".")
    allowed = host in allowed_hosts
    if parts.scheme != "https" and not allowed:
        raise Refused("Must use https (plain http only to hosts in WEBHOOK_ALLOWED_HOSTS).")
    addresses = _resolve(host, port)
    if not allowed:
        for address in addresses:
            reason = refused_reason(address)
            if reason:
                raise Refused(
                    f"The host {host} resolves to {address}, which is not public ({reason}); "
                    "such hosts need the operator's WEBHOOK_ALLOWED_HOSTS."
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, addresses[0])
