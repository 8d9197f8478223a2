"""Who is on the other end: the client's address, seen through the reverse proxies we trust.

`X-Forwarded-For` is whatever the sender wrote, so it counts only when the direct peer is a proxy
listed in `ACCORD_TRUSTED_PROXIES`; otherwise anyone could pick a fresh address for every guess and
slip past the per-address sign-in limits. This is the one place that reads a client's address.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from litestar.connection import ASGIConnection


class TrustedProxies:
    """The peers whose `X-Forwarded-For` is believed (ACCORD_TRUSTED_PROXIES): addresses and networks.

    A plain class rather than a tuple of networks: Litestar validates the injected settings, and it
    cannot check a union of two address types.
    """

    __slots__ = ("networks",)

    def __init__(self, networks: Iterable[IPv4Network | IPv6Network] = ()) -> None:
        self.networks = tuple(networks)

    @classmethod
    def parse(cls, raw: str) -> TrustedProxies:
        """`10.0.0.1, 192.168.0.0/16, ::1`; ValueError names the first entry that is neither."""
        networks = []
        for entry in (part.strip() for part in raw.split(",")):
            if not entry:
                continue
            try:
                networks.append(ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return cls(networks)

    def __contains__(self, host: object) -> bool:
        try:
            address = ip_address(str(host))
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrustedProxies) and other.networks == self.networks

    def __hash__(self) -> int:
        return hash(self.networks)

    def __repr__(self) -> str:
        return f"TrustedProxies({', '.join(map(str, self.networks))})"


def address_behind_proxies(peer: str, forwarded_for: list[str], trusted: TrustedProxies) -> str:
    """The peer itself, unless it is a trusted proxy: then the right-most `X-Forwarded-For` hop that is
    not one of ours (each proxy appends the address it saw, so hops left of that one are hearsay)."""
    if peer not in trusted:
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return hops[0] if hops else peer


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address of the client behind a request or socket (for rate limits and logs)."""
    peer = connection.client.host if connection.client else "unknown"
    trusted: TrustedProxies = connection.app.state.settings.trusted_proxies
    return address_behind_proxies(peer, connection.headers.getall("x-forwarded-for", []), trusted)
