"""Links that came from outside (forecast files, feeds) and may be shown to a user.

:func:`safe_url` is the one check every surface uses before it renders a link: only
absolute ``http``/``https`` URLs with a host pass; ``javascript:``, ``data:``, ``vbscript:``,
relative and scheme-relative links, and anything holding control characters (which
browsers strip, turning ``java\\tscript:`` into ``javascript:``) are dropped.

:func:`registered_domain` says which publisher a URL's host belongs to (ingestion records the
server an article came from, matching counts publishers), worked out offline.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import tldextract

SAFE_SCHEMES = frozenset({"http", "https"})
_CONTROL_OR_BACKSLASH = re.compile(r"[\x00-\x1f\x7f\\]")


@lru_cache(maxsize=8192)  # pure; a page of evidence checks hundreds of links, often the same ones
def safe_url(url: str | None) -> str | None:
    """``url`` (trimmed) when it is an absolute http(s) link, else None."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL_OR_BACKSLASH.search(url):  # a regex: pages check hundreds of links
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.hostname:
        return None
    return url


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site (for redirects after sign-in), else ``default``.

    Refuses absolute and scheme-relative URLs (``//evil.example``) so a crafted link
    cannot send a user elsewhere after signing in (an open redirect).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    return target


# --- registered domains ------------------------------------------------------------------------
#
# ``www.northwire.example`` and ``feeds.northwire.example`` are both ``northwire.example``;
# ``news.bbc.co.uk`` is ``bbc.co.uk`` (the public suffix list knows ``co.uk``).  The suffix list
# is the snapshot bundled with ``tldextract``: the extractor is built with no suffix-list URLs and
# no cache folder, so it never fetches anything nor writes to disk (imported on first use: it
# costs 140 ms).  Hosts whose suffix the list does not know (the reserved ``.example``, ``.test``,
# ``.localhost``, a company's ``.internal``) fall back to their last two labels; IP addresses
# stay whole.


@cache
def _extractor() -> tldextract.TLDExtract:
    import tldextract

    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)")


def _host(url: str) -> str:
    url = url.strip()
    if "//" not in url and not _SCHEME.match(url):
        url = "//" + url  # a bare host, possibly with a port: "www.northwire.example:8080/feed"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # a malformed IPv6 literal or port
        return ""
    return host.rstrip(".").lower()


def registered_domain(url: str | None) -> str:
    """The registered domain of ``url``'s host, or ``""`` when it has none.

    A bare host ("www.northwire.example") is accepted as well as a URL.  The empty result
    lets a caller fall back in one expression: ``registered_domain(a) or registered_domain(b)``.
    """
    host = _host(url or "")
    if not host:
        return ""
    return _host_domain(host)


@lru_cache(maxsize=4096)  # a poll's links share a few hosts
def _host_domain(host: str) -> str:
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    parts = _extractor().extract_str(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return ".".join(host.split(".")[-2:])
