"""The outbound-URL guard: tenant-supplied URLs may only reach the public internet.

Webhook-bot URLs, outbound webhooks and provider endpoint overrides are typed in by
tenants. A URL whose host is, or resolves to, a loopback, private (RFC 1918, ULA),
link-local (``169.254.169.254`` included), multicast, unspecified or otherwise non-global
address is refused (422 ``url_not_allowed`` naming the field) when it is saved, and again
before each request (DNS can change). ``RELAYDESK_OUTBOUND_ALLOW_HOSTS`` — host names, IPs
or CIDRs, comma-separated — lets an operator allow internal targets (the test suite allows
its local fakes this way). Only ``http`` and ``https``.

A name that does not resolve is not refused (there is nothing to reach; the request simply
fails). Limitation: the address is checked, then the HTTP client resolves the name again to
connect; a DNS answer that changes between the two is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from urllib.parse import urlsplit

from relaydesk.errors import Invalid

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_allowed_names: set[str] = set()
_allowed_networks: list[Network] = []
_checked: dict[str, tuple[float, str | None]] = {}  # host -> (expiry, refusal or None)
CACHE_S = 10.0


class NotAllowed(ValueError):
    """The URL may not be called from here; the message says why."""


def configure(allow_hosts: str) -> None:
    """Set the allow-list from ``RELAYDESK_OUTBOUND_ALLOW_HOSTS``."""
    _allowed_names.clear()
    _allowed_networks.clear()
    _checked.clear()
    for raw in allow_hosts.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        try:
            _allowed_networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            _allowed_names.add(item.rstrip("."))


def _public(ip: IP) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _allowed_ip(ip: IP) -> bool:
    return _public(ip) or any(ip in net for net in _allowed_networks)


async def _refusal(host: str) -> str | None:
    """Why ``host`` may not be called (None: it may)."""
    name = host.lower().rstrip(".")
    if name in _allowed_names:
        return None
    try:
        literal = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        return None if _allowed_ip(literal) else f"{name} is not a public address"
    cached = _checked.get(name)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except OSError:  # unknown here and now: nothing to connect to, nothing to refuse
        refusal: str | None = None
    else:
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
        bad = sorted(str(a) for a in addresses if not _allowed_ip(a))
        refusal = f"{name} resolves to a non-public address ({bad[0]})" if bad else None
    _checked[name] = (time.monotonic() + CACHE_S, refusal)
    return refusal


async def ensure_allowed(url: str) -> None:
    """NotAllowed unless ``url`` is http(s) to a public (or allowed) host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotAllowed("only http and https URLs with a host are allowed")
    refusal = await _refusal(parts.hostname)
    if refusal is not None:
        raise NotAllowed(refusal)


async def check(url: str, *, field: str) -> None:
    """422 ``url_not_allowed`` naming ``field`` unless ``url`` may be called."""
    try:
        await ensure_allowed(url)
    except NotAllowed as exc:
        raise Invalid(
            f"{field}: {exc}. Set RELAYDESK_OUTBOUND_ALLOW_HOSTS to allow internal hosts.",
            code="url_not_allowed",
            details={"field": field},
        ) from None
