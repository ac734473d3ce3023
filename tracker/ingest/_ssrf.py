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
import threading
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
        """Why ``address`` is forbidden, or None when it may be contacted.  An IPv6 address that
        carries an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64) is refused when the
        IPv4 address would be: ``2002:7f00:1::`` reaches 127.0.0.1 through a 6to4 relay."""
        if isinstance(address, ipaddress.IPv6Address):
            for embedded in embedded_ipv4(address):
                reason = self._own_refusal(embedded)
                if reason:
                    return f"{address} carries {embedded}: {reason}"
            if address.ipv4_mapped:
                return None  # the mapped address is the one connected to, and it is allowed
        return self._own_refusal(address)

    def _own_refusal(self, address: IPAddress) -> str | None:
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


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052's well-known prefix
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215, for prefixes /48 to /96
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (RFC 4291)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address may carry to a relay or translator: IPv4-mapped and
    -compatible, 6to4 (2002::/16), Teredo (2001::/32: its server, and its client whose bits are
    inverted), NAT64 (64:ff9b::/96, and 64:ff9b:1::/48 at each RFC 6052 position, since the
    prefix length in use there cannot be told from the address)."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address in _V4_COMPATIBLE and int(address) > 1:  # not :: or ::1
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _NAT64_LOCAL:
        found.extend(_rfc6052_candidates(address.packed))
    return found


def _rfc6052_candidates(packed: bytes) -> list[ipaddress.IPv4Address]:
    """The IPv4 address at each position RFC 6052 allows (prefix /48, /56, /64 and /96; bits
    64-71, the "u" octet, are skipped)."""
    without_u = packed[:8] + packed[9:]
    candidates = [
        ipaddress.IPv4Address(without_u[6:10]),  # /48
        ipaddress.IPv4Address(without_u[7:11]),  # /56
        ipaddress.IPv4Address(without_u[8:12]),  # /64
        ipaddress.IPv4Address(packed[12:16]),  # /96
    ]
    return [candidate for candidate in candidates if not candidate.is_unspecified]


def check_url(url: str) -> None:
    """Only absolute http(s) URLs with a host; raises :class:`BlockedAddressError` otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket: "http://[", port 99999
        raise BlockedAddressError(url, f"not a valid URL ({exc})") from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedAddressError(
            url, f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'!r}"
        )
    if not parts.hostname:
        raise BlockedAddressError(url, "the URL has no host")


def resolve(host: str, port: int, timeout: float | None = None) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address resolves to itself), within
    ``timeout`` seconds when given (``httpcore.ConnectTimeout`` after)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = _getaddrinfo(host, port, timeout)
    except socket.gaierror as exc:
        raise FetchError("dns", host, f"cannot resolve {host!r}: {exc.strerror}") from exc
    except ValueError as exc:  # UnicodeError: a label IDNA cannot encode (empty, over 63 chars)
        raise FetchError("dns", host, f"{host!r} is not a host name: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _getaddrinfo(host: str, port: int, timeout: float | None) -> list[Any]:
    """``socket.getaddrinfo`` bounded by ``timeout``.

    The system resolver takes no timeout of its own and can hang for tens of seconds (a dead
    name server, retries): the lookup runs in a daemon thread, and the request stops waiting for
    it when the connect timeout (shortened to what is left of the request's deadline) is over.
    A thread per lookup rather than a pool: a hung lookup must not hold a pool's slot, nor the
    interpreter's exit."""
    if timeout is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    answer: list[Any] = []
    failure: list[BaseException] = []

    def lookup() -> None:
        try:
            answer.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, ValueError) as exc:  # gaierror, UnicodeError: re-raised by the caller
            failure.append(exc)

    worker = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host!r} took longer than {timeout:g} s")
    if failure:
        raise failure[0]
    return answer


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
        addresses = self.guard.check(f"{host}:{port}", resolve(host, port, timeout))
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
