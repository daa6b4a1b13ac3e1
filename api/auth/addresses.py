"""The address a token request came from, as failed authentications are counted by it."""

import ipaddress

# One IPv6 host usually holds a whole /64 (SLAAC, privacy addresses): counted per address,
# it could try again from 2**64 of them.
IPV6_PREFIX = 64


# Parsing an address costs more than the rest of the lookup: most callers come back.
_seen = {}
SEEN_SIZE = 4096
# Longer than any address (45 characters at most, with an IPv6 zone a few more).
MAX_LENGTH = 64


def _normalized(value):
    """An IPv4 address, or an IPv6 address's /64 network; None when `value` is neither."""
    if value is None or len(value) > MAX_LENGTH:
        return None
    found = _seen.get(value, False)
    if found is False:
        if len(_seen) >= SEEN_SIZE:
            _seen.clear()
        found = _seen[value] = _parse(value)
    return found


def _parse(value):
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def client_address(environ, trust_proxy_headers):
    """The caller's address: the peer, or behind a trusted proxy the address it saw.

    The proxy appends the address it saw to X-Forwarded-For, so only its last entry is the
    proxy's word (whatever comes before is what the caller claimed); X-Real-IP counts when
    there is no X-Forwarded-For. A value that is not an address is ignored.
    """
    if trust_proxy_headers:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        if forwarded is not None:
            address = _normalized(forwarded.rpartition(",")[2])
        else:
            address = _normalized(environ.get("HTTP_X_REAL_IP"))
        if address is not None:
            return address
    peer = environ.get("REMOTE_ADDR") or ""
    # Not an address when gunicorn listens on a Unix socket: every caller then shares one.
    return _normalized(peer) or peer[:64] or "unknown"
