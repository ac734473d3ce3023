"""Who published an article: the registered domain of a URL, offline.

Evidence counts publishers, not feeds: one story syndicated by two feeds of one site counts
once.  ``www.northwire.example`` and ``feeds.northwire.example`` are both ``northwire.example``;
``news.bbc.co.uk`` is ``bbc.co.uk`` (the public suffix list knows ``co.uk``).

The suffix list is the snapshot bundled with ``tldextract``: the extractor is built with no
suffix-list URLs and no cache folder, so it never fetches anything nor writes to disk.  Hosts
whose suffix the list does not know (the reserved ``.example``, ``.test``, ``.localhost``,
a company's ``.internal``) fall back to their last two labels; IP addresses stay whole.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from urllib.parse import urlsplit

import tldextract


@cache
def _extractor() -> tldextract.TLDExtract:
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
    lets a caller fall back in one expression: ``registered_domain(article_url) or
    registered_domain(feed_site_url)``.
    """
    host = _host(url or "")
    if not host:
        return ""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    parts = _extractor().extract_str(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return ".".join(host.split(".")[-2:])
