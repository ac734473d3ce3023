"""OPML in and out.  Reading uses defusedxml: an OPML file is untrusted input too.

A feed that fetches its articles' pages (``Feed.fetch_articles``) carries
``tracker:fetchArticles="true"`` in the tracker's own namespace (:data:`TRACKER_NS`): OPML 2.0
allows namespaced attributes, and other readers ignore them, so the document stays valid OPML
and the option survives an export and import."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from tracker.errors import OpmlError

#: the namespace of the tracker's own OPML attributes
TRACKER_NS = "urn:forecast-tracker:opml"
_FETCH_ARTICLES = f"{{{TRACKER_NS}}}fetchArticles"
register_namespace("tracker", TRACKER_NS)


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None
    fetch_articles: bool = False


#: the defaults of the settings ``opml_max_feeds`` and ``opml_max_title_chars``
MAX_FEEDS = 1000
MAX_TITLE_CHARS = 500
#: the longest feed URL (``Feed.url``'s length)
MAX_URL = 2000


def read_opml(
    data: bytes,
    path: str,
    *,
    max_feeds: int = MAX_FEEDS,
    max_title_chars: int = MAX_TITLE_CHARS,
) -> list[OpmlFeed]:
    """Every ``<outline xmlUrl=...>`` of the document, nested folders included.  A document
    with more than ``max_feeds`` feeds, or a title longer than ``max_title_chars``, is refused
    whole (an OPML file comes from elsewhere: its size is not the reader's choice)."""
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise OpmlError(path, [f"refused: {exc} (entities and DTDs are not allowed)"]) from exc
    except SafeET.ParseError as exc:
        raise OpmlError(path, [f"not well-formed XML: {exc}"]) from exc
    if root.tag.lower() != "opml" or root.find("body") is None:
        raise OpmlError(path, ["not an OPML document (no <opml><body>)"])
    feeds = []
    for outline in root.find("body").iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            title = outline.get("title") or outline.get("text") or None
            full_text = (outline.get(_FETCH_ARTICLES) or "").strip().lower() == "true"
            feeds.append(OpmlFeed(url, title, full_text))
        if len(feeds) > max_feeds:
            raise OpmlError(
                path,
                [f"more than {max_feeds:,} feeds; split the file, or raise opml_max_feeds"],
            )
    long_urls = [f.url for f in feeds if len(f.url) > MAX_URL]
    if long_urls:
        raise OpmlError(
            path, [f"a feed URL of {len(u):,} characters ({u[:80]!r}...)" for u in long_urls]
        )
    long_titles = [f for f in feeds if f.title and len(f.title) > max_title_chars]
    if long_titles:
        raise OpmlError(
            path,
            [
                f"the title of {f.url[:200]!r} is {len(f.title or ''):,} characters, over the "
                f"limit of {max_title_chars:,} (opml_max_title_chars)"
                for f in long_titles
            ],
        )
    if not feeds:
        raise OpmlError(path, ["no <outline xmlUrl=...> entries: nothing to import"])
    return feeds


#: characters XML 1.0 cannot hold (C0 controls but tab, newline and carriage return) and C1
#: controls (valid XML, but escape codes on a terminal): a feed's title may hold them
_CONTROLS = [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
_NOT_IN_XML = dict.fromkeys(_CONTROLS, "\ufffd")


def _xml_text(text: str | None) -> str | None:
    return None if text is None else text.translate(_NOT_IN_XML)


def write_opml(
    feeds: list[tuple[str, str | None, str | None, bool]], title: str = "forecast-tracker feeds"
) -> str:
    """An OPML 2.0 document of (url, title, site url, fetch articles) rows.  A control character
    in a title (a feed server's) is written as U+FFFD: ElementTree would write it raw, making a
    document no XML reader opens (and an escape code on a terminal)."""
    opml = Element("opml", version="2.0")
    SubElement(SubElement(opml, "head"), "title").text = title
    body = SubElement(opml, "body")
    for url, raw_title, site_url, fetch_articles in feeds:
        feed_title = _xml_text(raw_title)
        attrs = {"type": "rss", "text": feed_title or url, "xmlUrl": url}
        if feed_title:
            attrs["title"] = feed_title
        if site_url:
            attrs["htmlUrl"] = _xml_text(site_url) or ""
        if fetch_articles:
            attrs[_FETCH_ARTICLES] = "true"
        SubElement(body, "outline", attrs)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(opml, encoding="unicode") + "\n"
