"""The SSRF guard: which addresses a feed fetch may connect to.

The decision is taken on the *resolved* addresses, at connect time, inside the HTTP
client's network backend (:class:`GuardedBackend`): the address checked is the address
connected to, so a DNS answer that changes between check and connect (DNS rebinding)
cannot slip through, and every redirect (which opens a new connection to a new host) is
checked the same way.  ``http`` and ``https`` are the only schemes (checked by
:func:`check_url`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore

from tracker.errors import BlockedAddressError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class AddressGuard:
    """Decides whether a fetch may connect to an address.

    ``allow_private`` lets loopback/private/link-local addresses through (tests, the local
    demo; ``TRACKER_ALLOW_PRIVATE_FEEDS``).  ``denied`` networks are refused even then (the
    tests use it to make a second loopback address, 127.0.0.2, forbidden).
    """

    allow_private: bool = False
    denied: tuple[IPNetwork, ...] = field(default_factory=tuple)

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` is forbidden, or None when it may be contacted."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        for network in self.denied:
            if address.version == network.version and address in network:
                return f"{address} is in the denied network {network}"
        if address.is_multicast:
            return f"{address} is a multicast address"
        if address.is_unspecified:
            return f"{address} is the unspecified address"
        if self.allow_private:
            return None
        for label, flag in (
            ("loopback", address.is_loopback),
            ("link-local", address.is_link_local),
            ("private", address.is_private),
            ("reserved", address.is_reserved),
        ):
            if flag:
                return (
                    f"{address} is a {label} address (set TRACKER_ALLOW_PRIVATE_FEEDS=1 to allow)"
                )
        if not address.is_global:
            return f"{address} is not a public address (set TRACKER_ALLOW_PRIVATE_FEEDS=1 to allow)"
        return None

    def check(self, url: str, addresses: Iterable[IPAddress]) -> list[IPAddress]:
        """The addresses of ``url``'s host, all of which must be allowed (else the URL is
        refused)."""
        checked = list(addresses)
        for address in checked:
            reason = self.refusal(address)
            if reason:
                raise BlockedAddressError(url, f"refused to connect: {reason}")
        return checked


def check_url(url: str) -> None:
    """Only absolute http(s) URLs with a host; raises :class:`BlockedAddressError` otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket: "http://["
        raise BlockedAddressError(url, f"not a valid URL ({exc})") from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedAddressError(
            url, f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'!r}"
        )
    if not parts.hostname:
        raise BlockedAddressError(url, "the URL has no host")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError("dns", host, f"cannot resolve {host!r}: {exc.strerror}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, resolving and checking the host before each connection."""

    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = self.guard.check(f"{host}:{port}", resolve(host, port))
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last
