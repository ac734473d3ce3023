"""Turning a feed body into entries, safely.

Order of defence (``docs/dev.md``, "Ingestion"):
1. the body was already cut at the size cap while downloading (``_fetch``);
2. :func:`harden` refuses a DOCTYPE with an internal subset (where ENTITY declarations live:
   billion laughs, external entities) and drops a bare DOCTYPE, so no parser ever sees a DTD
   and none can fetch or expand one;
3. ``fastfeedparser`` (lxml, ``resolve_entities=False``) parses; when it rejects the document
   ``feedparser`` gets a second try;
4. text is taken out of HTML with a real HTML parser (libxml2 via lxml, :func:`html_to_text`): no
   markup, no script or style content, is ever stored.

Any failure is a :class:`~tracker.errors.FeedParseError` (recorded on the feed).
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import io
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import fastfeedparser
import feedparser
from lxml import etree

from tracker.errors import FeedParseError

MAX_TITLE = 500
MAX_SUMMARY = 10_000
MAX_BODY = 100_000  # characters of text: a long feature is about 60,000; the rest is cut, flagged
_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"^(<\?xml[^>]*?encoding=)([\"'])[^\"']*\2")


@dataclass
class ParsedEntry:
    """One entry as text.  ``link`` is absolute (fragment kept); ``summary`` is the feed's teaser
    (description/summary) and ``body`` its full content (``content:encoded``, Atom ``content``,
    JSON Feed ``content_html``/``content_text``), each HTML turned into text and bounded
    (``MAX_SUMMARY``, ``MAX_BODY``; ``truncated`` says one was cut).  ``body`` is empty when the
    feed has no content distinct from the summary."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None
    content_hash: str
    body: str = ""
    author: str | None = None
    categories: list[str] = field(default_factory=list)
    truncated: bool = False


@dataclass
class ParsedFeed:
    title: str | None
    site_url: str | None
    ttl_s: int | None
    entries: list[ParsedEntry] = field(default_factory=list)
    parser: str = "fastfeedparser"


# --- 1. pre-parse hardening -------------------------------------------------------------


def _to_utf8(body: bytes) -> bytes:
    """UTF-16/32 documents (by BOM) become UTF-8, so the prolog scan below sees ASCII."""
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe", "utf-16-le"),
    ):
        if body.startswith(bom):
            text = body[len(bom) :].decode(codec, errors="replace").encode("utf-8")
            return _XML_DECL_ENCODING.sub(rb"\1\2utf-8\2", text, count=1)
    return body


def _doctype_end(body: bytes, start: int, url: str) -> int:
    """Index just past the DOCTYPE at ``start``; refuses one with an internal subset."""
    quote = None
    for index in range(start + 2, len(body)):
        char = body[index : index + 1]
        if quote:
            quote = None if char == quote else quote
        elif char in (b'"', b"'"):
            quote = char
        elif char == b"[":
            raise FeedParseError(
                url,
                "the document declares a DTD internal subset (ENTITY declarations); "
                "refused: entity expansion is never performed",
            )
        elif char == b">":
            return index + 1
    raise FeedParseError(url, "unterminated DOCTYPE declaration")


def harden(body: bytes, url: str) -> bytes:
    """The body with its prolog checked: no DTD internal subset, no DOCTYPE at all afterwards."""
    body = _to_utf8(body)
    pos = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while pos < len(body) and body[pos] in b" \t\r\n":
            pos += 1
        head = body[pos : pos + 9]
        if head.startswith(b"<?"):
            end = body.find(b"?>", pos)
            pos = len(body) if end < 0 else end + 2
        elif head.startswith(b"<!--"):
            end = body.find(b"-->", pos)
            pos = len(body) if end < 0 else end + 3
        elif head.upper().startswith(b"<!DOCTYPE"):
            end = _doctype_end(body, pos, url)
            body, pos = body[:pos] + body[end:], pos
        elif head.startswith(b"<!"):
            raise FeedParseError(url, "a markup declaration before the root element; refused")
        else:
            return body


# --- 2. text out of HTML ----------------------------------------------------------------

_SKIP_TAGS = ("script", "style", "template", "noscript", "iframe", "object", "svg", "math")
_BLOCK_TAGS = (
    "p",
    "br",
    "div",
    "li",
    "tr",
    "td",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
)
# A space goes in front of every block tag (opening or closing) before parsing, so
# "<p>a</p><p>b</p>"
# reads "a b"; inserting a space cannot create markup, and the parser still decides what is text.
_BEFORE_BLOCK_TAG = re.compile(rf"<(?=/?(?:{'|'.join(_BLOCK_TAGS)})\b)", re.IGNORECASE)
_parsers = threading.local()


def _html_parser() -> etree.HTMLParser:
    """libxml2's HTML parser (lxml.etree, without lxml.html's Python element classes: 3x faster per
    fragment), one per thread as lxml advises; no network, comments and PIs dropped."""
    parser = getattr(_parsers, "html", None)
    if parser is None:
        parser = _parsers.html = etree.HTMLParser(  # type: ignore[call-arg]  # lxml-stubs lag lxml
            remove_comments=True, remove_pis=True, no_network=True, default_doctype=False
        )
    return parser


_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]"
)  # the parser drops or replaces these


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (libxml2's HTML parser), whitespace collapsed; the content
    of script, style and similar elements is dropped, never kept as text.  Text without markup,
    entities or control characters is only whitespace-collapsed (no parse)."""
    if "<" not in html and "&" not in html and not _CONTROL.search(html):
        return " ".join(html.split())
    return _parsed_text(html)


def _html_root(html: str) -> etree._Element | None:
    """The parsed fragment; None when libxml2 finds nothing in it (lxml's stubs say it never
    does), or cannot parse it."""
    try:
        return etree.HTML(_BEFORE_BLOCK_TAG.sub(" <", html), _html_parser())
    except (etree.ParserError, ValueError):
        return None


def _parsed_text(html: str) -> str:
    root = _html_root(html)
    if root is None:
        return ""
    # An element can only come from its name in the source: where none of the skipped names
    # occurs at all, there is nothing to strip (stripping costs a third of the parse even then).
    lowered = html.lower()
    if any(name in lowered for name in _SKIP_TAGS):
        etree.strip_elements(root, *_SKIP_TAGS, with_tail=False)
    return " ".join(etree.tostring(root, method="text", encoding=str).split())


# --- 3. parsing ---------------------------------------------------------------------------


def parse_feed(body: bytes, url: str) -> ParsedFeed:
    """Entries of the feed ``body`` fetched from ``url``; raises FeedParseError."""
    if not body.strip():
        raise FeedParseError(url, "the body is empty")
    body = harden(body, url)
    try:
        parsed, parser = (
            fastfeedparser.parse(
                body, include_tags=False, include_media=False, include_enclosures=False
            ),
            "fastfeedparser",
        )
    # Untrusted input meets a third-party parser here: whatever it raises means "not a feed
    # it can read", and the fallback parser gets its turn; the reason is kept for the message.
    except Exception as first:  # noqa: BLE001
        parsed, parser = _feedparser_fallback(body, url, first), "feedparser"
    site_url = _http_url(_text(parsed.feed.get("link")), url)
    feed = ParsedFeed(
        title=_clean_title(parsed.feed.get("title")) or None,
        site_url=site_url,
        ttl_s=_ttl(body),
        parser=parser,
    )
    base = site_url or url
    try:
        feed.entries = [_entry(item, base) for item in parsed.entries]
    except (TypeError, AttributeError, ValueError) as exc:
        raise FeedParseError(url, f"an entry has fields of the wrong type ({exc})") from exc
    return feed


def _feedparser_fallback(body: bytes, url: str, first: Exception) -> Any:
    try:
        parsed = feedparser.parse(io.BytesIO(body))
    except Exception as exc:
        raise FeedParseError(url, f"not a feed: {first}; feedparser: {exc}") from exc
    if parsed.get("version") or parsed.entries or parsed.feed.get("title"):
        return parsed
    reason = str(first).splitlines()[0] if str(first) else first.__class__.__name__
    if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")) or "HTML" in reason:
        reason = "the body is an HTML page, not a feed (find the page's RSS/Atom link and add that)"
    raise FeedParseError(url, f"not a feed: {reason}")


def _entry(item: Any, base: str) -> ParsedEntry:
    guid = _text(item.get("id")) or None
    link = _http_url(_text(item.get("link")), base)
    content_html = _content(item)
    summary_html = _text(item.get("description") or item.get("summary")) or content_html
    summary = html_to_text(summary_html)
    content = summary if content_html == summary_html else html_to_text(content_html)
    title = (
        _clean_title(item.get("title"))
        or (summary[:80] + ("…" if len(summary) > 80 else ""))
        or "(untitled)"
    )
    digest = hashlib.sha256(f"{title}\n{content or summary}".encode("utf-8", "replace"))
    return ParsedEntry(
        guid=guid,
        link=link,
        title=title,
        summary=summary[:MAX_SUMMARY],
        published=_date(item),
        content_hash=digest.hexdigest(),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value).strip()
    raise TypeError(f"expected text, got {type(value).__name__}")


def _content(item: Any) -> str:
    content = item.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return _text(content[0].get("value"))
    return _text(content) if isinstance(content, str) else ""


def _clean_title(value: Any) -> str:
    title = html_to_text(_text(value))
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


_split_cached = functools.lru_cache(maxsize=4096)(urlsplit)


def split_url(url: str) -> SplitResult:
    """``urlsplit`` with a cache large enough for a few feeds' links: every link is split here
    and again for its canonical form (the standard library's own cache holds only 128).  Links
    too long to be stored (over 2,000 characters) are not cached."""
    return _split_cached(url) if len(url) <= 2000 else urlsplit(url)


def _http_url(value: str, base: str) -> str | None:
    """An absolute http(s) URL, or None for a link that is not one or cannot be parsed (a port out
    of range, a broken IPv6 host): such an entry keeps its guid or content hash as identity."""
    if not value:
        return None
    try:
        absolute = value if value.startswith(("https://", "http://")) else urljoin(base, value)
        parts = split_url(absolute)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    return absolute if parts.scheme in ("http", "https") else None


def _date(item: Any) -> datetime | None:
    for key in ("published", "updated"):
        raw = item.get(key)
        if isinstance(raw, str) and raw.strip():
            parsed = _parse_date(raw.strip())
            if parsed:
                return parsed
    for key in ("published_parsed", "updated_parsed"):
        value = item.get(key)
        if value:
            year, month, day, hour, minute, second = value[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


def _parse_date(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ttl(body: bytes) -> int | None:
    head = body[: body.find(b"<item")] if b"<item" in body[:65536] else body[:65536]
    match = _TTL.search(head)
    return int(match.group(1)) * 60 if match else None
