"""Who is on the other end: the one place that reads REMOTE_ADDR and X-Forwarded-For.

A client chooses its X-Forwarded-For header freely, so the header counts only when the
connection comes from a proxy named in TRUSTED_PROXIES (addresses or networks; the nginx
in front of daphne, see deploy/). It is read right to left, skipping our own proxies, and
every value is parsed as an IP address: what reaches the login throttle and the audit
trail is an address or nothing, never the raw header.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from exc
    return tuple(networks)


def trusted_proxies() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def parse_ip(value: str | None) -> str | None:
    """``value`` as a normalised IP address string, or None when it is not one."""
    if not value or len(value) > 64:
        return None
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):  # [::1] as some proxies write it
        value = value[1:-1]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def is_trusted_proxy(address: str | None) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in trusted_proxies())


def resolve(peer: str | None, forwarded_for: str | None) -> str | None:
    """The client's address from the connection's peer and its X-Forwarded-For header."""
    peer = parse_ip(peer)
    if not forwarded_for or not is_trusted_proxy(peer):
        return peer
    hops = [hop for hop in forwarded_for[:2048].split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_ip(hop)
        if address is None:
            # Something our proxy did not write: stop at the last address we can vouch for.
            return peer
        if not is_trusted_proxy(address):
            return address
        peer = address
    return peer


def client_ip(request) -> str | None:
    """The address of the client behind an HTTP request (None when unknown)."""
    if request is None:
        return None
    return resolve(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))


def client_ip_from_scope(scope) -> str | None:
    """The same for an ASGI scope (WebSocket consumers)."""
    client = scope.get("client")
    peer = client[0] if client else None
    forwarded = [value.decode("latin-1") for name, value in scope.get("headers") or ()
                 if name.lower() == b"x-forwarded-for"]
    return resolve(peer, ",".join(forwarded))
