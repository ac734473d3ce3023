"""Text, dates, charsets and links as the feed says them (issue 13, "Why").

Each failure kind found on third-party feeds has cases here that fail on the parser before
issue 13 (``git show 913722b:tracker/ingest/_parse.py``: 24 of these tests fail there; the
others are controls, such as numeric zones, that it already read right).  One case goes
through the real poller and a loopback server (the HTTP charset); the rest call the parser the
poller calls.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from tests.feedserver import FeedServer, Static
from tests.html_reference import html_to_text
from tracker import db
from tracker.db import session_scope
from tracker.ingest import AddressGuard, Fetcher, FetchLimits, Poller, add_feed
from tracker.ingest._parse import MAX_BODY, html_text, parse_date, parse_feed
from tracker.models import Article

URL = "https://feeds.example/news/feed.xml"
NS = (
    'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
)


def rss(items: str, *, channel: str = "", declaration: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{declaration}"?><rss version="2.0" {NS}><channel>'
        f"<title>News</title><link>https://site.example/</link>{channel}{items}</channel></rss>"
    ).encode()


def only(body: bytes, url: str = URL, **kwargs):
    (entry,) = parse_feed(body, url, **kwargs).entries
    return entry


# --- text ---


@pytest.mark.parametrize(
    "source, title",
    [
        ("The minister&rsquo;s plan &amp; more", "The minister\u2019s plan & more"),
        ("Re&colon; Double-entry accounting", "Re: Double-entry accounting"),
        ("AT&T & Verizon", "AT&T & Verizon"),  # bare ampersands kept
        ("Caf&eacute; &hellip; &undefinedentity; end", "Caf\u00e9 \u2026 &undefinedentity; end"),
        ("No date <!-- c --> here", "No date here"),
        ("a <b>bold</b> move", "a bold move"),
    ],
)
def test_titles_are_whole(source, title):
    assert only(rss(f"<item><title>{source}</title><guid>g</guid></item>")).title == title


def test_the_items_own_title_wins_over_media_title():
    item = "<item><media:title>Media</media:title><title>Real headline</title><guid>g</guid></item>"
    assert only(rss(item)).title == "Real headline"


def test_atom_xhtml_title_and_content_are_text():
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>
    <entry><id>urn:a:1</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Talks
    <em>resume</em> in Geneva</div></title><link href="https://a.example/1"/>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>First.</p><p>Second.</p>
    </div></content></entry></feed>"""
    entry = only(body)
    assert entry.title == "Talks resume in Geneva"
    assert entry.body == "First. Second."


def test_a_teaser_with_entities_keeps_its_text():
    item = (
        "<item><title>t</title><guid>g</guid>"
        "<description>Teaser &lt;b&gt;x&lt;/b&gt; &amp;c</description></item>"
    )
    assert only(rss(item)).summary == "Teaser x &c"


def test_body_is_taken_whole_from_content_encoded_and_kept_apart_from_the_teaser():
    paragraphs = "".join(f"<p>Paragraph {i} of the story, with facts.</p>" for i in range(60))
    item = (
        "<item><title>t</title><guid>g</guid><description>The teaser.</description>"
        f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded>"
        "<dc:creator>Ann Reporter</dc:creator><category>Politics</category>"
        "<category>Europe</category></item>"
    )
    entry = only(rss(item))
    assert entry.summary == "The teaser."
    assert entry.body.startswith("Paragraph 0 of the story") and "Paragraph 59" in entry.body
    assert len(entry.body) > 512 and not entry.truncated
    assert entry.author == "Ann Reporter" and entry.categories == ["Politics", "Europe"]


def test_a_body_only_entry_is_not_cut_to_a_synthesised_description():
    text = " ".join(f"Sentence {i} of a long body." for i in range(200))
    item = (
        "<item><title>t</title><guid>g</guid>"
        f"<content:encoded><![CDATA[<p>{text}</p>]]></content:encoded></item>"
    )
    entry = only(rss(item))
    assert entry.body == text and entry.summary == ""


def test_a_teaser_only_entry_is_stored_once():
    item = (
        "<item><title>t</title><guid>g</guid>"
        "<description>&lt;p&gt;Only a teaser.&lt;/p&gt;</description></item>"
    )
    entry = only(rss(item))
    assert entry.summary == "Only a teaser." and entry.body == ""


def test_a_body_longer_than_the_limit_is_cut_and_flagged():
    words = "word " * 30_000
    item = f"<item><title>t</title><guid>g</guid><content:encoded>{words}</content:encoded></item>"
    entry = only(rss(item))
    assert len(entry.body) == MAX_BODY and entry.truncated


# --- dates ---


def test_a_guid_is_never_a_date():
    items = (
        "<item><title>a</title><guid>99</guid></item><item><title>b</title><guid>345</guid></item>"
    )
    assert [e.published for e in parse_feed(rss(items), URL).entries] == [None, None]


@pytest.mark.parametrize(
    "raw, moment",
    [
        ("Tue, 21 Jan 2022 10:00:00 MET", datetime(2022, 1, 21, 9, tzinfo=UTC)),
        ("Tue, 21 Jan 2022 10:00:00 MEST", datetime(2022, 1, 21, 8, tzinfo=UTC)),
        ("Tue, 21 Jan 2022 10:00:00 ET", datetime(2022, 1, 21, 15, tzinfo=UTC)),
        ("21 Jan 2022 10:00 PT", datetime(2022, 1, 21, 18, tzinfo=UTC)),
        ("Tue, 21 Jan 2022 10:00:00 +0200", datetime(2022, 1, 21, 8, tzinfo=UTC)),
        ("2022-01-21T10:00:00.5-05:00", datetime(2022, 1, 21, 15, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_named_zones_are_read_as_feedparser_reads_them(raw, moment):
    item = f"<item><title>t</title><guid>g</guid><pubDate>{raw}</pubDate></item>"
    assert only(rss(item)).published == moment


@pytest.mark.parametrize(
    "raw, moment",
    [("2003", datetime(2003, 1, 1, tzinfo=UTC)), ("2003-12", datetime(2003, 12, 1, tzinfo=UTC))],
)
def test_a_partial_date_is_not_completed_with_today(raw, moment):
    item = f"<item><title>t</title><guid>g</guid><dc:date>{raw}</dc:date></item>"
    assert only(rss(item)).published == moment


def test_an_unreadable_date_is_none_and_the_published_element_wins():
    assert parse_date("yesterday-ish") is None
    item = (
        "<item><title>t</title><guid>g</guid><dc:date>2001-01-01T00:00:00Z</dc:date>"
        "<pubDate>Sat, 01 Jan 2022 00:00:00 GMT</pubDate></item>"
    )
    assert only(rss(item)).published == datetime(2022, 1, 1, tzinfo=UTC)


def test_an_atom_entrys_source_is_another_feeds_and_not_read_for_the_entry():
    """``<source>`` names the feed an entry was copied from: its title and dates are that
    feed's.  The entry's own teaser (before the source) and title and date (after it) are read."""
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>
    <updated>2022-01-01T00:00:00Z</updated><entry><id>urn:e1</id>
    <summary>The teaser</summary>
    <source><id>urn:other</id><title>Another feed</title>
      <updated>1999-01-01T00:00:00Z</updated></source>
    <title>The entry's own title</title><published>2022-01-21T10:00:00Z</published>
    <content type="html">&lt;p&gt;The body&lt;/p&gt;</content></entry></feed>"""
    entry = only(body)
    assert entry.title == "The entry's own title"
    assert entry.published == datetime(2022, 1, 21, 10, tzinfo=UTC)
    assert (entry.summary, entry.body) == ("The teaser", "The body")


def test_markup_inside_a_cdata_body_is_text_not_the_items_elements():
    """A body's CDATA section comes first and holds, as text, what looks like the item's title,
    date, guid and end tag: the item's own elements after it are the ones read."""
    body = (
        "<p>From the archive:</p><title>Not the title</title><guid>not-the-guid</guid>"
        "<pubDate>Mon, 01 Jan 1990 00:00:00 GMT</pubDate></item><item><title>x</title>"
    )
    items = (
        f"<item><content:encoded><![CDATA[{body}]]></content:encoded><title>The title</title>"
        "<guid>g1</guid><pubDate>Sat, 01 Jan 2022 00:00:00 GMT</pubDate></item>"
        "<extra><![CDATA[</item><pubDate>]]></extra>"  # a section between the items
        "<item><title>Second</title><guid>g2</guid></item>"
    )
    feed = parse_feed(rss(items), URL)
    assert feed.parser == "fastfeedparser"  # the scan lined its two items up with the parser's
    first, second = feed.entries
    assert (first.title, first.guid) == ("The title", "g1")
    assert first.published == datetime(2022, 1, 1, tzinfo=UTC)
    assert first.body.startswith("From the archive: Not the title")
    assert (second.title, second.published) == ("Second", None)


# --- character sets ---

WINDOWS_1252 = rss(
    "<item><title>This is a \u201ctest.\u201d</title><guid>c</guid></item>", declaration="utf-8"
).replace(b' encoding="utf-8"', b"")


def test_the_http_header_charset_is_honoured():
    body = WINDOWS_1252.decode().encode("windows-1252")
    assert only(body, charset="windows-1252").title == "This is a \u201ctest.\u201d"


def test_utf8_bytes_are_utf8_whatever_the_declaration_says():
    body = rss("<item><title>Gen\u00e8ve talks \u2014 Z\u00fcrich</title><guid>c</guid></item>")
    body = body.replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')
    assert only(body).title == "Gen\u00e8ve talks \u2014 Z\u00fcrich"


def test_a_legacy_charset_is_detected_instead_of_replacement_characters():
    text = "Les n\u00e9gociations de Gen\u00e8ve reprennent apr\u00e8s l'\u00e9chec"
    body = rss(f"<item><title>{text}</title><guid>c</guid></item>").decode().encode("cp1252")
    title = only(body).title
    assert title == text and "\ufffd" not in title


def test_the_poller_passes_the_header_charset(sqlite_url):
    """Through the real poller: windows-1252 said only in the Content-Type header."""
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    body = WINDOWS_1252.decode().encode("windows-1252")
    guard = AddressGuard(allow_private=True, denied=(ipaddress.ip_network("127.0.0.2/32"),))
    with (
        FeedServer() as server,
        Fetcher(FetchLimits(total_timeout=10), guard) as fetcher,
    ):
        server.add(
            "/cp1252.xml", Static(body, content_type="application/rss+xml; charset=windows-1252")
        )
        with session_scope(engine) as session:
            add_feed(session, server.url("/cp1252.xml"), interval=timedelta(minutes=15))
        Poller(engine, fetcher).poll_due(concurrency=1)
    with session_scope(engine) as session:
        titles = [a.title for a in session.exec(select(Article))]
    engine.dispose()
    assert titles == ["This is a \u201ctest.\u201d"]


# --- links ---


def test_relative_links_resolve_against_the_feeds_url_not_the_channel_link():
    item = "<item><title>t</title><guid>g</guid><link>stories/1.html#para-2</link></item>"
    assert only(rss(item)).link == "https://feeds.example/news/stories/1.html#para-2"


def test_xml_base_is_honoured():
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example/a/">
    <title>A</title><id>urn:a</id>
    <entry xml:base="posts/"><id>urn:a:1</id><title>t</title><link href="2026/story"/></entry>
    <entry><id>urn:a:2</id><title>u</title><link href="/root/story"/></entry></feed>"""
    links = [e.link for e in parse_feed(body, URL).entries]
    assert links == ["https://base.example/a/posts/2026/story", "https://base.example/root/story"]


# --- the fast text path agrees with the HTML parser ---

_WORDS = st.text(st.sampled_from("abc XYZ 123 ,.;:!?\u00e9\u2019\n\t"), min_size=0, max_size=10)
_INLINE = st.sampled_from(["b", "em", "a", "span", "strong"])
_BLOCK = st.sampled_from(["p", "div", "li", "h2", "blockquote"])


@st.composite
def _wellformed(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "inline", "block", "entity", "script"][: 5 - depth]))
        if kind == "text":
            parts.append(draw(_WORDS))
        elif kind == "entity":
            parts.append(draw(st.sampled_from(["&amp;", "&lt;", "&rsquo;", "&nbsp;", "&#233;"])))
        elif kind == "script":
            parts.append("<script>var hidden = 1;</script><style>p{}</style>")
        else:
            tag = draw(_INLINE if kind == "inline" else _BLOCK)
            parts.append(f"<{tag}>{draw(_wellformed(depth + 1)) if depth < 2 else ''}</{tag}>")
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(_wellformed())
def test_html_text_equals_the_html_parsers_text_on_wellformed_markup(markup):
    assert html_text(markup) == html_to_text(markup)


def test_html_text_never_keeps_script_or_markup():
    hostile = (
        "<p>Text<script>steal(document.cookie)</script><STYLE>p{}</STYLE>"
        "<img src=x onerror=alert(1)><!-- hidden --><svg><text>hidden</text></svg></p>"
        "<script>unterminated"
    )
    assert html_text(hostile) == "Text"
