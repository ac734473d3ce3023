"""Turning a feed body into entries, safely and without losing text.

Order of work (``docs/dev.md``, "Ingestion"):

1. the body was already cut at the size cap while downloading (``_fetch``);
2. :func:`harden` refuses a DOCTYPE with an internal subset (where ENTITY declarations live:
   billion laughs, external entities) and drops a bare DOCTYPE, so no parser ever sees a DTD
   and none can fetch or expand one;
3. :func:`to_utf8` settles the character set (BOM, then bytes that decode as UTF-8 are UTF-8
   whatever is declared, then the HTTP header's charset, then the XML declaration, then
   detection by charset-normalizer) and hands on UTF-8 with a declaration that says so;
4. :func:`repair_markup` makes the document well-formed where publishers commonly break it,
   outside CDATA sections only: HTML named entities (``&rsquo;``, ``&colon;``) become numeric
   references, a bare ``&`` becomes ``&amp;``, comments are dropped;
5. ``fastfeedparser`` (lxml, ``resolve_entities=False``, a native extractor) parses; ``feedparser``
   gets the feed when fastfeedparser rejects it, and whenever the cheap item scan of step 6
   cannot line its items up with fastfeedparser's entries;
6. :func:`_scan_items` reads, per item, what fastfeedparser gets wrong, from the bytes: the
   item's own ``<title>`` (never ``media:title``; xhtml and inline markup kept as text), the raw
   date strings (a date is never taken from a guid) and ``xml:base``, each from the item's
   source outside CDATA sections (a body's ``</item>`` or ``<pubDate>`` is text);
7. text is taken out of HTML by :func:`html_text` (lexbor's HTML5 parser, through selectolax;
   libxml2's is the reference it is tested against, in ``tests/html_reference.py``): no
   markup, no script or style content is ever stored.

JSON Feed is read directly (:func:`_json_feed`).  Any failure is a
:class:`~tracker.errors.FeedParseError` (recorded on the feed).

Summary and body: ``summary`` is the feed's teaser (RSS ``description``, Atom ``summary``, JSON
``summary``), ``body`` the full content (``content:encoded``, Atom ``content``, JSON
``content_html``/``content_text``).  An entry with only one of them keeps it in its own field
and leaves the other empty, so no text is stored (or matched) twice; a reader that shows a teaser
uses ``summary or body[:n]``.  fastfeedparser's synthesised 512-character description (made from
the content when there is none) is recognised and never stored.
"""

from __future__ import annotations

import base64
import codecs
import functools
import hashlib
import html
import html.entities
import io
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import charset_normalizer
import fastfeedparser
import feedparser
import feedparser.datetimes
from selectolax.lexbor import LexborHTMLParser

from tracker.errors import FeedParseError

MAX_TITLE = 500
MAX_SUMMARY = 10_000
MAX_BODY = 100_000  # characters of text: a long feature is about 60,000; the rest is cut, flagged
MAX_AUTHOR = 500
MAX_CATEGORIES = 50
MAX_CATEGORY = 200
#: entries read from one document at most (``TRACKER_MAX_ENTRIES_PER_FEED``); the rest are dropped
MAX_ENTRIES = 1000
_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"^(\xef\xbb\xbf)?(<\?xml[^>]*?encoding=)([\"'])([^\"']*)\3")


@dataclass
class ParsedEntry:
    """One entry as text.  ``link`` is absolute (fragment kept); ``summary`` is the feed's teaser
    (description/summary) and ``body`` its full content (``content:encoded``, Atom ``content``,
    JSON Feed ``content_html``/``content_text``), each HTML turned into text and bounded
    (``MAX_SUMMARY``, ``MAX_BODY``; ``truncated`` says one was cut).  An entry with only one of
    the two has it in its own field and the other empty: no text is kept twice.  ``published``
    is what the feed says (None when it says nothing readable; never taken from a guid); the
    row code decides what is too old or in the future."""

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
    #: entries left out beyond the cap (the document's first ones are kept)
    dropped: int = 0


# --- 1. pre-parse hardening -------------------------------------------------------------


def _to_utf8(body: bytes) -> bytes:
    """UTF-16/32 documents (by BOM, or without one by where the NUL bytes of their first
    character fall) become UTF-8, so the prolog scan below sees ASCII."""
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe", "utf-16-le"),
    ):
        if body.startswith(bom):
            text = body[len(bom) :].decode(codec, errors="replace").encode("utf-8")
            return _declare_utf8(text)
    wide = _wide_without_bom(body[:4])
    if wide is None:
        return body
    return _declare_utf8(body.decode(wide, errors="replace").encode("utf-8"))


def _wide_without_bom(head: bytes) -> str | None:
    """The UTF-16/32 codec of a document without a byte-order mark, told by its first character,
    which is ASCII in any feed (``<``, ``{`` or white space: XML 1.0 appendix F): the NUL bytes
    around it give the width and the byte order.  libxml2 detects these encodings the same way,
    so a check that read the bytes as ASCII would miss a DOCTYPE the parser then reads."""
    if len(head) < 4 or b"\x00" not in head[:2]:
        return None
    if head[:3] == b"\x00\x00\x00" and head[3]:
        return "utf-32-be"
    if head[0] and head[1:4] == b"\x00\x00\x00":
        return "utf-32-le"
    if not head[0] and head[1] and not head[2] and head[3]:
        return "utf-16-be"
    if head[0] and not head[1] and head[2] and not head[3]:
        return "utf-16-le"
    return None


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


# --- 2. the character set ------------------------------------------------------------------

# What browsers (WHATWG Encoding) read these labels as: the C1 range of latin-1 is cp1252's
# punctuation in practice, and "us-ascii" feeds carry it too.
_AS_WINDOWS_1252 = frozenset({"latin_1", "iso8859_1", "ascii", "cp819"})


def _codec(label: str | bytes | None) -> str | None:
    """Python's codec name for a charset label, or None for an unknown or unusable one."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    name = name.replace("-", "_")
    return "cp1252" if name in _AS_WINDOWS_1252 else name


_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of an HTTP ``Content-Type`` header, if it has one."""
    match = _HEADER_CHARSET.search(content_type) if content_type else None
    return match.group(1) if match else None


def _declare_utf8(body: bytes) -> bytes:
    """The body with its XML declaration (if it names an encoding) saying UTF-8."""
    return _XML_DECL_ENCODING.sub(rb"\1\2\3utf-8\3", body, count=1)


def _is_utf8(body: bytes) -> bool:
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def to_utf8(body: bytes, charset: str | None = None) -> bytes:
    """The document as UTF-8 bytes whose declaration says UTF-8.

    Bytes that decode as UTF-8 are UTF-8 whatever the HTTP header or the XML declaration says
    (servers label UTF-8 feeds iso-8859-1 by default, publishers copy declarations); otherwise
    the HTTP header's charset, then the declaration's, is used if the bytes decode with it;
    otherwise charset-normalizer guesses (cp1252 where it ties); U+FFFD only as a last resort.
    """
    match = _XML_DECL_ENCODING.match(body[:200])
    declared = _codec(match.group(4)) if match else None
    header = _codec(charset)
    if header in ("utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le") and (
        b"\x00" in body[:64]
    ):
        return _declare_utf8(body.decode(header, "replace").encode("utf-8"))
    if _is_utf8(body):
        return body if declared in (None, "utf_8") else _declare_utf8(body)
    for codec in (header, declared):
        if codec and codec != "utf_8" and not codec.startswith("utf_"):
            try:
                return _declare_utf8(body.decode(codec).encode("utf-8"))
            except (ValueError, LookupError):  # UnicodeError: a codec such as "undefined"
                continue
    return _declare_utf8(_detected(body).encode("utf-8"))


def _detected(body: bytes) -> str:
    """The body decoded with the charset charset-normalizer finds most plausible; cp1252 where
    it is as plausible as the best (short samples tie between single-byte code pages)."""
    matches = charset_normalizer.from_bytes(body)
    best = matches.best()
    if best is None:
        return body.decode("utf-8", "replace")
    for candidate in matches:
        if candidate.encoding == "cp1252" and candidate.chaos <= best.chaos:
            return str(candidate)
    return str(best)


# --- 3. repairing what publishers break -----------------------------------------------------

_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_HTML5_ENTITIES = {
    name[:-1].encode("ascii"): "".join(f"&#{ord(char)};" for char in text).encode("ascii")
    for name, text in html.entities.html5.items()
    if name.endswith(";")
}
# "&" first, so the search skips from ampersand to ampersand (a pattern starting with an
# alternation is tried at every byte: ten times slower on escaped HTML).
_SUSPECT_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});)")
_REPAIR = re.compile(
    rb"<!--.*?(?:-->|\Z)|&(?:(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});)?",
    re.DOTALL,
)


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _repair_one(match: re.Match[bytes]) -> bytes:
    whole = match.group(0)
    if whole.startswith(b"<"):
        return b""  # a comment
    ref = match.group(1)
    if ref is None:
        return b"&amp;"  # a bare ampersand
    if ref.startswith(b"#"):
        code = int(ref[2:], 16) if ref[1:2] in (b"x", b"X") else int(ref[1:])
        return whole if _xml_char(code) else b"&amp;" + whole[1:]
    if ref in _XML_ENTITIES:
        return whole
    return _HTML5_ENTITIES.get(ref) or b"&amp;" + whole[1:]


def _repair_segment(segment: bytes) -> bytes:
    if b"<!--" in segment or _SUSPECT_AMP.search(segment):
        return _REPAIR.sub(_repair_one, segment)
    return segment


def repair_markup(body: bytes) -> bytes:
    """Outside CDATA sections: HTML named entities as numeric references (XML knows only five
    names: a parser stops or drops text at ``&rsquo;``), an ``&`` that starts no reference as
    ``&amp;``, numeric references to characters XML forbids escaped, comments dropped (a
    parser reading ``.text`` stops at one).  CDATA sections are copied as they are."""
    if b"<![CDATA[" not in body:
        return _repair_segment(body)
    parts = []
    pos = 0
    while True:
        start = body.find(b"<![CDATA[", pos)
        if start < 0:
            parts.append(_repair_segment(body[pos:]))
            return b"".join(parts)
        end = body.find(b"]]>", start + 9)
        end = len(body) if end < 0 else end + 3
        parts.append(_repair_segment(body[pos:start]))
        parts.append(body[start:end])
        pos = end


# --- 4. text out of HTML ----------------------------------------------------------------

# Elements whose content is no article text (code, styling, embedded documents, form fields)
_SKIP_TAGS = (
    "script",
    "style",
    "template",
    "noscript",
    "iframe",
    "object",
    "svg",
    "math",
    "textarea",
)
_BLOCK_TAGS = (
    "p",
    "br",
    "div",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "table",
    "ul",
    "ol",
)
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]"
)  # an HTML parser drops or replaces these; so does html_text


def any_of(words: Iterable[str]) -> str:
    """A regular expression for any of ``words`` (literals), factored by shared prefixes:
    ``p|pre|param`` reads ``p(?:aram|re)?``.  ``re`` tries a plain alternation's branches one by
    one at each ``<`` of an article; factored, it follows one branch per character, and the
    block-tag search below takes 60 % of the time over a 4,000-character body."""
    rests: dict[str, list[str]] = {}
    for word in words:
        rests.setdefault(word[:1], []).append(word[1:])
    ends = "" in rests
    branches = [re.escape(first) + any_of(rest) for first, rest in sorted(rests.items()) if first]
    if not branches:
        return ""
    joined = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{joined})?" if ends else joined


# A space goes in front of every block tag (opening or closing) before parsing, so
# "<p>a</p><p>b</p>" reads "a b"; inserting a space cannot create markup, and the parser still
# decides what is text.  A tag name ends where the HTML tokenizer ends it (whitespace, "/" or
# ">": "<p-x>" is an element of its own), and only ASCII letters match either case, as in HTML
# (a long s, U+017F, folds to "s" in Python's Unicode matching: no section starts with it);
# matching in ASCII also takes a fifth off the search's time.
_TAG_NAME_END = r"[\t\n\f\r />]"


def first_letters(words: Iterable[str]) -> str:
    """A class of the words' first letters in either case (``[AaBb]``).  Looked ahead for
    before their case-insensitive alternation, it turns most of an article's ``<`` away in one
    step (``<em``, ``<a href``): the two searches below took a fifth and half less time."""
    letters = {case for word in words for case in (word[:1].lower(), word[:1].upper())}
    return "[" + re.escape("".join(sorted(letters))) + "]"


_BEFORE_BLOCK_TAG = re.compile(
    rf"<(?=/?{first_letters(_BLOCK_TAGS)})(?=/?{any_of(_BLOCK_TAGS)}{_TAG_NAME_END})",
    re.IGNORECASE | re.ASCII,
)
_MAY_HIDE = re.compile(
    rf"<(?={first_letters(_SKIP_TAGS)}){any_of(_SKIP_TAGS)}", re.IGNORECASE | re.ASCII
)
_SKIP_TAG_LIST = list(_SKIP_TAGS)


#: elements whose start tag does not deepen the tree: void ones, and those an HTML parser closes
#: by itself at the next of their kind (an article of unclosed paragraphs is not deep)
_NOT_NESTING = (
    "area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr|p|li|dt|dd|tr|td|th"
    "|option"
)
#: "/" for an end tag, "" for a start tag that may deepen the tree ("<div/>" opens a div in HTML)
_NESTING_TAG = re.compile(rf"<(/?)(?!(?:{_NOT_NESTING})\b)[A-Za-z]", re.IGNORECASE)
#: nesting beyond which markup is stripped by pattern instead of parsed
MAX_HTML_DEPTH = 128
#: tags below which nesting is not even counted: the parser's worst case there is milliseconds
_FEW_TAGS = 1000


def _too_deep(markup: str) -> bool:
    """Whether ``markup`` nests elements deeper than :data:`MAX_HTML_DEPTH`.  An HTML5 parser
    checks the stack of open elements at each block start tag ("a p in button scope?"), so its
    time grows with depth times tags: 200,000 unclosed ``<div>`` in one feed entry took lexbor
    over a minute, holding a poll.  No real article nests that deep; such markup is read by
    :func:`_xml_text_piece`'s patterns, which are linear.  Markup with few tags is not counted
    (the count costs about half a parse)."""
    if markup.count("<") <= _FEW_TAGS:
        return False
    depth = 0
    for closing in _NESTING_TAG.findall(markup):
        if closing:
            depth = depth - 1 if depth else 0
        else:
            depth += 1
            if depth > MAX_HTML_DEPTH:
                return True
    return False


def html_text(markup: str) -> str:
    """Plain text of an HTML fragment, whitespace collapsed: parsed by lexbor (selectolax), a
    real HTML5 parser, so malformed markup is read as a browser reads it; the content of
    script, style and the other :data:`_SKIP_TAGS` elements and comments dropped, block tags
    read as a space, entities decoded, control characters dropped.

    Why lexbor and not libxml2 (``tests/html_reference.py``, against which it is tested): it
    parses a 4,000-character body in about a third of libxml2's time, close to what regular
    expressions took, and it is a parser.  Text without markup or entities is not parsed."""
    if "<" not in markup and "&" not in markup:
        return collapsed(markup)
    if _too_deep(markup):
        return collapsed(_xml_text_piece(markup))
    tree = LexborHTMLParser(_BEFORE_BLOCK_TAG.sub(" <", markup))
    if _MAY_HIDE.search(markup):  # an element can only come from its name in the source
        tree.strip_tags(_SKIP_TAG_LIST)
    root = tree.root  # its text is the DOM's textContent, in lexbor: a tenth less time than
    return collapsed(root.text_lexbor() if root is not None else "")  # selectolax's own walk


_SPACES = re.compile("  +")
#: the ASCII characters ``str.split`` takes for whitespace, other than the space, and those
#: ``str.isprintable`` does not take for printable
_ASCII_CONTROL = bytes(range(0x20)) + b"\x7f"


def collapsed(text: str) -> str:
    """``text`` with every run of whitespace one space, none at either end, and the characters
    of :data:`_CONTROL` dropped.  ASCII text in which nothing but spaces separates words (markup
    with no line breaks between its tags: the block tags' spaces are doubled) has its runs of
    spaces replaced in one pass of a pattern, two fifths of the time of splitting it into words
    and joining them (and half that of replacing double spaces until none is left, which reads
    the text three times); a line break sends the text the plain way at once, as it usually
    comes with indentation.  A test holds both ways to the same text."""
    if text.isascii() and "\n" not in text and _printable_ascii(text):
        if "  " in text:
            text = _SPACES.sub(" ", text)
        return text.strip(" ")
    text = " ".join(text.split())
    # Every character of _CONTROL is unprintable, and the check is one pass in C where the
    # search is a regular expression: the search runs only when something unprintable is left.
    if not (_printable_ascii(text) if text.isascii() else text.isprintable()):
        text = " ".join(_CONTROL.sub("", text).split())
    return text


def _printable_ascii(text: str) -> bool:
    """``text.isprintable()`` for ASCII text, in a third of its time (bytes by a table, not
    characters by the Unicode database)."""
    raw = text.encode("ascii")
    return len(raw.translate(None, _ASCII_CONTROL)) == len(raw)


def _xml_inner_text(inner: str) -> str:
    """The text of an XML element's content given as source: CDATA sections unwrapped, child
    elements read as their text, the five XML entities and character references decoded."""
    if "<" in inner and "<![CDATA[" in inner:
        pieces = re.split(r"<!\[CDATA\[(.*?)(?:\]\]>|\Z)", inner, flags=re.DOTALL)
        return "".join(
            piece if index % 2 else _xml_text_piece(piece) for index, piece in enumerate(pieces)
        )
    return _xml_text_piece(inner)


# An element's content in the XML source (well-formed: fastfeedparser parsed the document), so
# tags are found by pattern: a script-like element with its content, or a comment, dropped; a
# block tag read as a space, any other tag as nothing.
_HIDDEN = re.compile(
    rf"<({any_of(_SKIP_TAGS)})(?={_TAG_NAME_END}).*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)",
    re.IGNORECASE | re.ASCII | re.DOTALL,
)
_BLOCK_TAG = re.compile(
    rf"</?{any_of(_BLOCK_TAGS)}(?={_TAG_NAME_END})[^>]*>", re.IGNORECASE | re.ASCII
)
_ANY_TAG = re.compile(r"</?[A-Za-z][^>]*>|<[!?][^>]*>")


def _xml_text_piece(source: str) -> str:
    if "<" in source:
        if _MAY_HIDE.search(source) or "<!--" in source:  # an xhtml script is not text
            source = _HIDDEN.sub("", source)
        source = _ANY_TAG.sub("", _BLOCK_TAG.sub(" ", source))
    return html.unescape(source) if "&" in source else source


def _bounded(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[: limit - 1] + "…", True)


# --- 5. what fastfeedparser gets wrong, read per item from the bytes ------------------------


@dataclass
class _RawItem:
    """What the scan of one item's source found: its own title element (None when it has none),
    the raw strings of its date elements, best first, the ``xml:base`` in effect, and whether it
    has a teaser of its own (fastfeedparser makes one from the content when not)."""

    title: str | None
    dates: list[str]
    base: str
    teaser: bool  # has a description or summary element
    guid: bool = True  # has a guid or id element (fastfeedparser makes one from the link when not)


_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)([^>]*)>")
_BASE_ATTR = re.compile(rb"""\sxml:base\s*=\s*(["'])(.*?)\1""", re.DOTALL)
_MODE_BASE64 = re.compile(rb"""\smode\s*=\s*["']base64["']""")
_TYPE_ATTR = re.compile(rb"""\stype\s*=\s*(["'])(.*?)\1""", re.DOTALL)
_DATE_TAG = re.compile(
    rb"<((?:dc|dcterms|atom|a10|atom03):)?"
    rb"(pubDate|published|updated|issued|modified|date|created)(?=[\s>/])[^>]*>"
    rb"\s*(?:<!\[CDATA\[)?([^<]*)"
)
# feedparser's reading: the first kind found wins, whatever the order in the source.
_DATE_RANK = {
    b"pubDate": 0,
    b"published": 0,
    b"issued": 0,
    b"updated": 1,
    b"modified": 1,
    b"date": 1,
    b"created": 2,
}
_NAME_END = frozenset(b" \t\r\n>/")
_RSS_IDS = (b"<guid", b"<atom:id", b"<id")
_ATOM_IDS = (b"<id", b"<atom:id")
_TEASERS = (b"<description", b"<summary", b"<dc:description", b"<atom:summary", b"<rss:description")
# The usual date elements, found with bytes.find (fast); the general pattern runs only for an
# item that has none of them.
_COMMON_DATES = ((0, b"<pubDate"), (0, b"<published"), (1, b"<updated"), (1, b"<dc:date"))


def _root(body: bytes) -> tuple[bytes, bytes, int] | None:
    """The root element's prefix ("" when none), local name and the index past its start tag."""
    pos = 0
    while True:
        match = _ROOT.search(body, pos)
        if match is None:
            return None
        if body[match.start() + 1 : match.start() + 2] not in (b"?", b"!"):
            prefix = match.group(1) or b""
            return prefix, match.group(2), match.end()
        pos = match.start() + 2


def _base(start_tag: bytes, base: str) -> str:
    match = _BASE_ATTR.search(start_tag) if b"xml:base" in start_tag else None
    if match is None:
        return base
    try:
        return urljoin(base, html.unescape(match.group(2).decode("utf-8", "replace")).strip())
    except ValueError:
        return base


def _element_at(body: bytes, name: bytes, start: int, end: int) -> int:
    """Index of the first ``<name`` start tag (a whole name) in ``body[start:end]``, or -1."""
    pos = body.find(name, start, end)
    while pos >= 0 and body[pos + len(name)] not in _NAME_END:
        pos = body.find(name, pos + 1, end)
    return pos


def _item_extent(
    body: bytes, start: int, close: bytes, opening: int
) -> tuple[int, list[tuple[int, int]], int]:
    """Where the item whose start tag ends at ``start`` ends (its ``close`` tag; the document's
    end when it has none), the stretches of it outside CDATA sections, where its own elements
    are, and the next section's opening after it.  Inside a section is text of the body: a
    ``</item>`` or a ``<pubDate>`` there ends nothing and dates nothing.  ``opening``: the first
    section's opening found after the last item (``len(body)``: none; before ``start``: looked
    for again from there), so each stretch of the document is searched once, for an end tag or
    a section (a full body's section is most of an item's bytes: each element name searched
    for through it cost a seventh of reading a feed)."""
    if opening < start:  # none looked for yet, or a section between the items
        opening = _next_cdata(body, start)
    parts = []
    while True:
        stop = body.find(close, start, opening)
        if stop >= 0 or opening == len(body):
            stop = len(body) if stop < 0 else stop
            parts.append((start, stop))
            return stop, parts, opening
        parts.append((start, opening))
        closing = body.find(b"]]>", opening + 9)
        if closing < 0:
            return len(body), parts, len(body)
        start = closing + 3
        opening = _next_cdata(body, start)


def _next_cdata(body: bytes, start: int) -> int:
    """The index of the first CDATA section's opening at or after ``start``; ``len(body)``."""
    at = body.find(b"<![CDATA[", start)
    return len(body) if at < 0 else at


def _clipped(parts: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The stretches of ``parts`` cut to what lies between ``start`` and ``end``."""
    return [(max(s, start), min(e, end)) for s, e in parts if s < end and e > start]


def _find_element(body: bytes, name: bytes, parts: list[tuple[int, int]]) -> int:
    """Index of the first ``<name`` start tag in ``parts`` (of :func:`_item_extent`), or -1."""
    for start, end in parts:
        at = _element_at(body, name, start, end)
        if at >= 0:
            return at
    return -1


def _element_source(body: bytes, start: int, end: int, close: bytes) -> tuple[bytes, bytes]:
    """The start tag and the content source of the element starting at ``start``."""
    tag_end = body.find(b">", start, end)
    if tag_end < 0:
        return b"", b""
    tag = body[start : tag_end + 1]
    if tag.endswith(b"/>"):
        return tag, b""
    stop = body.find(close, tag_end, end)
    return tag, body[tag_end + 1 : end if stop < 0 else stop]


def _title_text(tag: bytes, inner: bytes, *, atom: bool) -> str:
    """A title element's text.  Atom says how to read it (``type``: text by default, html or
    xhtml); an RSS title is read as HTML, as feedparser and browsers read it."""
    kind = b"text" if atom else b"html"
    if b"type" in tag:
        match = _TYPE_ATTR.search(tag)
        if match:
            kind = match.group(2).strip().lower()
    if b"base64" in tag and _MODE_BASE64.search(tag):  # Atom 0.3's mode="base64"
        try:
            inner = base64.b64decode(inner.strip(), validate=False)
        except ValueError:
            pass
        else:
            text = inner.decode("utf-8", "replace")
            return html_text(text) if kind in (b"html", b"text/html") else " ".join(text.split())
    text = _xml_inner_text(inner.decode("utf-8", "replace"))
    if kind in (b"html", b"text/html"):
        return html_text(text)
    return " ".join(text.split())


def _item_dates(body: bytes, parts: list[tuple[int, int]], end: int) -> list[tuple[int, str]]:
    """(rank, raw string) of the item's date elements that start in ``parts`` (a region's
    stretches outside CDATA, :func:`_item_extent`; ``end``: the region's end)."""
    common = []
    for rank, name in _COMMON_DATES:
        at = _find_element(body, name, parts)
        if at >= 0:
            match = _DATE_TAG.match(body, at, end)
            if match and match.group(3).strip():
                common.append((rank, match.group(3).strip().decode("utf-8", "replace")))
    if common or not parts:
        return common
    return [
        (_DATE_RANK[match.group(2)], match.group(3).strip().decode("utf-8", "replace"))
        for match in _DATE_TAG.finditer(body, parts[0][0], end)
        if match.group(3).strip() and any(s <= match.start() < e for s, e in parts)
    ]


def _scan_items(body: bytes, url: str, expected: int) -> list[_RawItem] | None:
    """Per item, in document order, what :class:`_RawItem` holds; None when the scan does not
    find exactly ``expected`` items (fastfeedparser's count): the feed then goes to feedparser
    rather than getting another item's title or date."""
    root = _root(body)
    if root is None:
        return None
    prefix, name, root_end = root
    atom = name == b"feed"
    item_prefix = prefix + b":" if atom and prefix else b""
    item_name = b"<" + item_prefix + (b"entry" if atom else b"item")
    item_close = b"</" + item_prefix + (b"entry" if atom else b"item")
    doc_base = _base(body[:root_end], url)
    first = _element_at(body, item_name, root_end, len(body))
    if not atom and first >= 0:  # RSS 2.0: the channel element may set a base too
        channel = _element_at(body, b"<channel", root_end, first)
        if channel >= 0:
            doc_base = _base(body[channel : body.find(b">", channel) + 1], doc_base)
    title_name = b"<" + item_prefix + b"title"
    title_close = b"</" + item_prefix + b"title"
    items: list[_RawItem] = []
    pos = first
    opening = -1  # found by the first item's extent
    while pos >= 0:
        tag_end = body.find(b">", pos)
        if tag_end < 0:
            break
        parts: list[tuple[int, int]] = []
        if body[tag_end - 1] == 0x2F:  # <item/>
            end = tag_end
        else:
            end, parts, opening = _item_extent(body, tag_end, item_close, opening)
        items.append(
            _raw_item(body, (pos, tag_end, end), parts, doc_base, title_name, title_close, atom)
        )
        pos = _element_at(body, item_name, end, len(body))
    return items if len(items) == expected else None


def _raw_item(
    body: bytes,
    extent: tuple[int, int, int],
    parts: list[tuple[int, int]],
    doc_base: str,
    title_name: bytes,
    title_close: bytes,
    atom: bool,
) -> _RawItem:
    """``extent``: where the item's start tag starts and ends, and where the item ends;
    ``parts``: its stretches outside CDATA (:func:`_item_extent`)."""
    start, tag_end, end = extent
    base = _base(body[start : tag_end + 1], doc_base)
    searched = [(parts, end)]
    if atom:  # an Atom entry's <source> describes another feed: its title and dates are not ours
        source = _find_element(body, b"<source", parts)
        source_end = body.find(b"</source>", source, end) if source >= 0 else -1
        if source_end >= 0:
            searched = [
                (_clipped(parts, tag_end, source), source),
                (_clipped(parts, source_end + 9, end), end),
            ]
    title: str | None = None
    for name, close in (
        ((title_name, title_close),)
        if atom
        else (
            (title_name, title_close),
            (b"<dc:title", b"</dc:title"),
            (b"<media:title", b"</media:title"),  # only where the item has no title of its own
        )
    ):
        for region_parts, region_end in searched:
            at = _find_element(body, name, region_parts)
            if at >= 0:
                title = _title_text(*_element_source(body, at, region_end, close), atom=atom)
                break
        if title is not None:
            break
    dates = [
        pair
        for region_parts, region_end in searched
        for pair in _item_dates(body, region_parts, region_end)
    ]
    dates.sort(key=lambda pair: pair[0])  # stable: source order within a kind
    teaser = any(_find_element(body, name, parts) >= 0 for name in _TEASERS)
    guid = any(
        _find_element(body, name, region_parts) >= 0
        for name in (_ATOM_IDS if atom else _RSS_IDS)
        for region_parts, _ in searched
    )
    return _RawItem(title, [raw for _, raw in dates], base, teaser, guid)


# --- 6. dates ------------------------------------------------------------------------------

_MONTHS = {
    name: index
    for index, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# The common RFC 822 shape with a numeric zone or GMT/UT/Z; anything else (named zones such as
# MET or PT, two-digit years, partial dates, other languages) is feedparser's.
_RFC822 = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(?:([+-])(\d{2}):?(\d{2})|GMT|UTC?|Z)"
)


def parse_date(raw: str) -> datetime | None:
    """The moment a feed's date string names, in UTC, as feedparser reads it (named zones, W3C
    partial dates completed with the first month or day, never with today's); None when it is
    unreadable or outside what a datetime holds."""
    raw = raw.strip()
    try:
        match = _RFC822.fullmatch(raw)
        if match and match.group(2).lower() in _MONTHS:
            day, month, year, hour, minute = match.group(1, 2, 3, 4, 5)
            moment = datetime(
                int(year),
                _MONTHS[month.lower()],
                int(day),
                int(hour),
                int(minute),
                int(match.group(6) or 0),
                tzinfo=UTC,
            )
            if match.group(7):
                offset = timedelta(hours=int(match.group(8)), minutes=int(match.group(9)))
                moment = moment - offset if match.group(7) == "+" else moment + offset
            return moment
        if len(raw) >= 20 and raw[4:5] == "-" and raw[10:11] in ("T", "t", " "):
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
        return _struct_date(feedparser.datetimes._parse_date(raw))
    except (ValueError, OverflowError):
        return None


def _first_date(raws: Iterable[str]) -> datetime | None:
    for raw in raws:
        moment = parse_date(raw)
        if moment is not None:
            return moment
    return None


def _struct_date(value: Any) -> datetime | None:
    """feedparser's parsed date (a UTC ``time.struct_time``) as a datetime."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6]).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


# --- 7. entries ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return _storable(str(value)).strip()
    raise TypeError(f"expected text, got {type(value).__name__}")


def _storable(text: str) -> str:
    """``text`` without what no database column takes: NUL characters (PostgreSQL refuses them)
    and lone surrogates (no UTF-8 encoding: SQLite's driver raises), both of which a JSON Feed
    can carry as escapes (XML cannot)."""
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "") if "\x00" in text else text


def _categories(terms: Iterable[Any]) -> list[str]:
    kept: dict[str, None] = {}
    for term in terms:
        text = " ".join(_text(term).split())[:MAX_CATEGORY]
        if text and len(kept) < MAX_CATEGORIES:
            kept.setdefault(text, None)
    return list(kept)


def _make_entry(
    guid: str | None,
    link: str | None,
    title: str | None,
    summary: str,
    body: str,
    published: datetime | None,
    author: str | None,
    categories: list[str],
) -> ParsedEntry:
    """The entry with its bounds applied and its content hash; a missing title becomes the
    start of its text."""
    if body and body == summary:
        body = ""
    summary, summary_cut = _bounded(summary, MAX_SUMMARY)
    body, body_cut = _bounded(body, MAX_BODY)
    if not title:
        start = summary or body
        title = (start[:80] + ("…" if len(start) > 80 else "")) or "(untitled)"
    title, _ = _bounded(title, MAX_TITLE)
    digest = hashlib.sha256(f"{title}\n{body or summary}".encode("utf-8", "replace"))
    author = " ".join(author.split())[:MAX_AUTHOR] or None if author else None
    return ParsedEntry(
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        published=published,
        content_hash=digest.hexdigest(),
        body=body,
        author=author,
        categories=categories,
        truncated=summary_cut or body_cut,
    )


_TEXT_TYPES = frozenset({"text", "text/plain"})


def _as_text(value: str, kind: str | None) -> str:
    """Text of a field whose type says plain text, or HTML (anything else: feeds call HTML many
    names)."""
    if kind and kind.lower() in _TEXT_TYPES:
        return " ".join(value.split())
    return html_text(value)


def _ffp_entry(item: Any, raw: _RawItem) -> ParsedEntry:
    content = item.get("content")
    first = content[0] if isinstance(content, list) and content else None
    content_html = _text(first.get("value")) if isinstance(first, dict) else ""
    description = _text(item.get("description"))
    if not raw.teaser:
        description = ""  # made by fastfeedparser from the content: not the feed's
    if content_html == description:
        content_html = ""  # made by fastfeedparser from the description: not the feed's
    summary = html_text(description) if description else ""
    body = _as_text(content_html, first.get("type")) if isinstance(first, dict) else ""
    tags = item.get("tags") or []
    return _make_entry(
        guid=(_text(item.get("id")) or None) if raw.guid else None,
        link=_http_url(_text(item.get("link")), raw.base),
        title=raw.title,
        summary=summary,
        body=body,
        published=_first_date(raw.dates),
        author=_text(item.get("author")) or None,
        categories=_categories(tag.get("term") for tag in tags if isinstance(tag, dict)),
    )


def _feedparser_entry(item: Any) -> ParsedEntry:
    """An entry as feedparser read it (links already resolved against xml:base and the feed's
    URL, dates parsed, HTML sanitised)."""
    title_detail = item.get("title_detail") or {}
    summary_detail = item.get("summary_detail") or {}
    content = item.get("content") or []
    first = content[0] if content and isinstance(content[0], dict) else {}
    title = item.get("title")
    return _make_entry(
        guid=_text(item.get("id")) or None,
        link=_http_url(_text(item.get("link")), ""),
        title=_as_text(_text(title), title_detail.get("type")) if title else None,
        summary=_as_text(_text(item.get("summary")), summary_detail.get("type")),
        body=_as_text(_text(first.get("value")), first.get("type")),
        published=_struct_date(item.get("published_parsed"))
        or _struct_date(item.get("updated_parsed"))
        or _struct_date(item.get("created_parsed")),
        author=_text(item.get("author")) or None,
        categories=_categories(tag.get("term") for tag in item.get("tags") or []),
    )


# --- 8. parsing ----------------------------------------------------------------------------


def parse_feed(
    body: bytes, url: str, *, charset: str | None = None, max_entries: int = MAX_ENTRIES
) -> ParsedFeed:
    """Entries of the feed ``body`` fetched from ``url`` (its final URL, after redirects: the
    base of relative links); ``charset`` is the HTTP ``Content-Type`` header's.  At most
    ``max_entries`` entries are read (the first ones; ``dropped`` counts the rest).  Raises
    FeedParseError."""
    if not body.strip():
        raise FeedParseError(url, "the body is empty")
    body = harden(body, url)
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return _capped(_json_feed(body, url, max_entries), max_entries)
    # Checked again as the parser will read it: whatever encoding the bytes were in (EBCDIC,
    # a charset only the header names), no DTD gets through in the UTF-8 the parser gets.
    body = repair_markup(harden(to_utf8(body, charset), url))
    return _capped(_parse_xml(body, url, max_entries), max_entries)


def _capped(feed: ParsedFeed, max_entries: int) -> ParsedFeed:
    """``feed`` with at most ``max_entries`` entries (a parser may have read more)."""
    if len(feed.entries) > max_entries:
        feed.dropped += len(feed.entries) - max_entries
        del feed.entries[max_entries:]
    return feed


def _parse_xml(body: bytes, url: str, max_entries: int) -> ParsedFeed:
    try:
        parsed = fastfeedparser.parse(
            body, include_tags=True, include_media=False, include_enclosures=False
        )
    # Untrusted input meets a third-party parser here: whatever it raises means "not a feed
    # it can read", and feedparser gets its turn; the reason is kept for the message.
    except Exception as first:  # noqa: BLE001
        return _from_feedparser(body, url, first, max_entries)
    raw_items = _scan_items(body, url, len(parsed.entries))
    if raw_items is None:
        return _from_feedparser(body, url, None, max_entries)
    feed = ParsedFeed(
        title=html_text(_text(parsed.feed.get("title"))) or None,
        site_url=_http_url(_text(parsed.feed.get("link")), url),
        ttl_s=_ttl(body),
        dropped=max(0, len(parsed.entries) - max_entries),
    )
    try:
        feed.entries = [
            _ffp_entry(item, raw)
            for item, raw in zip(parsed.entries[:max_entries], raw_items[:max_entries], strict=True)
        ]
    except (TypeError, AttributeError, ValueError) as exc:
        raise FeedParseError(url, f"an entry has fields of the wrong type ({exc})") from exc
    return feed


def _from_feedparser(
    body: bytes, url: str, first: Exception | None, max_entries: int
) -> ParsedFeed:
    parsed = _feedparser_parse(body, url, first)
    feed = ParsedFeed(
        title=html_text(_text(parsed.feed.get("title"))) or None,
        site_url=_http_url(_text(parsed.feed.get("link")), url),
        ttl_s=_ttl(body),
        parser="feedparser",
        dropped=max(0, len(parsed.entries) - max_entries),
    )
    try:
        feed.entries = [_feedparser_entry(item) for item in parsed.entries[:max_entries]]
    except (TypeError, AttributeError, ValueError) as exc:
        raise FeedParseError(url, f"an entry has fields of the wrong type ({exc})") from exc
    return feed


def _feedparser_parse(body: bytes, url: str, first: Exception | None) -> Any:
    """feedparser's reading of the (hardened, UTF-8, repaired) body; the feed's URL is given as
    its location, so relative links resolve against it."""
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers={"content-location": url, "content-type": "application/xml"},
            sanitize_html=False,
        )
    # feedparser's own failures on hostile bytes: a parse error, whatever its class
    except Exception as exc:
        raise FeedParseError(url, f"not a feed: {first}; feedparser: {exc}") from exc
    if parsed.get("version") or parsed.entries or parsed.feed.get("title"):
        return parsed
    reason = "" if first is None else str(first).splitlines()[0] if str(first) else ""
    reason = reason or (first.__class__.__name__ if first else "no feed elements found")
    if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")) or "HTML" in reason:
        reason = "the body is an HTML page, not a feed (find the page's RSS/Atom link and add that)"
    raise FeedParseError(url, f"not a feed: {reason}")


def _json_feed(body: bytes, url: str, max_entries: int = MAX_ENTRIES) -> ParsedFeed:
    """A JSON Feed (jsonfeed.org, versions 1 and 1.1), read field by field."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedParseError(url, f"not a feed: invalid JSON ({exc})") from exc
    except RecursionError as exc:  # arrays or objects nested thousands deep
        raise FeedParseError(url, "not a feed: JSON nested too deeply") from exc
    if not isinstance(document, dict) or "items" not in document:
        raise FeedParseError(url, "not a feed: JSON without an 'items' list")
    items = document["items"]
    try:
        if not isinstance(items, list):
            raise TypeError(f"'items' is {type(items).__name__}, not a list")
        feed = ParsedFeed(
            title=" ".join(_text(document.get("title")).split()) or None,
            site_url=_http_url(_text(document.get("home_page_url")), url),
            ttl_s=None,
            parser="json",
            dropped=max(0, len(items) - max_entries),
        )
        feed.entries = [_json_entry(item, url) for item in items[:max_entries]]
    except (TypeError, AttributeError, ValueError) as exc:
        raise FeedParseError(url, f"an entry has fields of the wrong type ({exc})") from exc
    return feed


def _json_author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return _text(authors[0].get("name")) or None
    author = item.get("author")
    return _text(author.get("name")) or None if isinstance(author, dict) else None


def _json_entry(item: Any, url: str) -> ParsedEntry:
    if not isinstance(item, dict):
        raise TypeError(f"an item is {type(item).__name__}, not an object")
    content_html = _text(item.get("content_html"))
    body = (
        html_text(content_html)
        if content_html
        else " ".join(_text(item.get("content_text")).split())
    )
    tags = item.get("tags") or []
    if not isinstance(tags, list):
        raise TypeError("'tags' is not a list")
    return _make_entry(
        guid=_text(item.get("id")) or None,
        link=_http_url(_text(item.get("url")) or _text(item.get("external_url")), url),
        title=" ".join(_text(item.get("title")).split()) or None,
        summary=" ".join(_text(item.get("summary")).split()),
        body=body,
        published=_first_date(
            raw
            for raw in (_text(item.get("date_published")), _text(item.get("date_modified")))
            if raw
        ),
        author=_json_author(item),
        categories=_categories(tags),
    )


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


def _ttl(body: bytes) -> int | None:
    head = body[: body.find(b"<item")] if b"<item" in body[:65536] else body[:65536]
    match = _TTL.search(head)
    return int(match.group(1)) * 60 if match else None
