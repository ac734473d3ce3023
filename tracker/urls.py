"""Links that came from outside (forecast files, feeds) and may be shown to a user.

:func:`safe_url` is the one check every surface uses before it renders a link: only
absolute ``http``/``https`` URLs with a host pass; ``javascript:``, ``data:``, ``vbscript:``,
relative and scheme-relative links, and anything holding control characters (which
browsers strip, turning ``java\\tscript:`` into ``javascript:``) are dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

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
