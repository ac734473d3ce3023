"""The pieces of ingestion on their own: scheduling, URLs, identities, parsing, the SSRF guard."""

from __future__ import annotations

import ipaddress
import itertools
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.errors import BlockedAddressError, FeedParseError
from tracker.ingest import AddressGuard
from tracker.ingest._fetch import parse_retry_after
from tracker.ingest._parse import (
    _BLOCK_TAGS,
    _CONTROL,
    _SKIP_TAGS,
    _TAG_NAME_END,
    any_of,
    collapsed,
    harden,
    html_text,
    parse_feed,
)
from tracker.ingest._rows import article_rows, canonical_url, identities
from tracker.ingest._schedule import MAX_DELAY, after_failure, after_success, server_wish
from tracker.ingest._ssrf import check_url
from tracker.settings import parse_interval

NOW = datetime(2022, 1, 21, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


# --- scheduling ---


def test_success_waits_the_interval_raised_by_ttl_and_cache_headers():
    rng = random.Random(1)
    assert HOUR <= after_success(NOW, HOUR, rng=rng) - NOW <= HOUR * 1.1
    assert after_success(NOW, HOUR, ttl=3 * HOUR, rng=rng) - NOW >= 3 * HOUR
    fresh = server_wish({"cache-control": "public, max-age=7200"}, NOW)
    assert (
        fresh == 2 * HOUR and after_success(NOW, HOUR, fresh_for=fresh, rng=rng) - NOW >= 2 * HOUR
    )
    expires = server_wish({"expires": "Fri, 21 Jan 2022 16:00:00 GMT"}, NOW)
    assert expires == 4 * HOUR
    assert server_wish({"cache-control": "no-cache, max-age=99999"}, NOW) is None
    # a shorter server wish never makes us poll more often than the interval
    assert after_success(NOW, HOUR, fresh_for=timedelta(seconds=5), rng=rng) - NOW >= HOUR


def test_jitter_spreads_feeds_of_one_host():
    rng = random.Random(7)
    times = {after_success(NOW, HOUR, rng=rng) for _ in range(20)}
    assert len(times) == 20


def test_failures_back_off_exponentially_capped_at_a_day_and_respect_retry_after():
    rng = random.Random(3)
    delays = [after_failure(NOW, timedelta(minutes=15), n, rng=rng) - NOW for n in range(1, 12)]
    assert (
        delays[0] < timedelta(minutes=17)
        and delays[1] >= timedelta(minutes=30)
        and delays[2] >= HOUR
    )
    assert all(later >= earlier * 1.5 for earlier, later in itertools.pairwise(delays[:6]))
    assert max(delays) <= MAX_DELAY and delays[-1] == MAX_DELAY  # never dropped: at most a day
    assert (
        after_failure(NOW, timedelta(minutes=15), 1, retry_after=3 * HOUR, rng=rng) - NOW
        >= 3 * HOUR
    )


def test_retry_after_seconds_or_date():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Fri, 21 Jan 2022 13:00:00 GMT", now=NOW) == 3600
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_interval_syntax():
    assert parse_interval("15m") == timedelta(minutes=15) and parse_interval("2h") == 2 * HOUR
    assert parse_interval("1d") == timedelta(days=1) and parse_interval("90") == timedelta(
        seconds=90
    )
    with pytest.raises(ValueError, match="shorter than one minute"):
        parse_interval("10s")
    with pytest.raises(ValueError, match="not an interval"):
        parse_interval("often")


# --- URLs and identities ---


def test_canonical_url_drops_tracking_parameters_fragment_and_default_port():
    assert (
        canonical_url("HTTPS://News.Example:443/a/b?utm_source=rss&id=3&fbclid=x#top")
        == "https://news.example/a/b?id=3"
    )
    assert canonical_url("http://news.example:8080") == "http://news.example:8080/"


def _entry(guid=None, link=None, title="t", published=None):
    from tracker.ingest._parse import ParsedEntry

    return ParsedEntry(
        guid=guid,
        link=link,
        title=title,
        summary="s",
        published=published,
        content_hash=str(hash((guid, link, title))),
    )


def test_identity_guid_then_link_then_hash_and_repeated_guid_falls_back_to_guid_plus_link():
    entries = [
        _entry("g1", "https://x/1"),
        _entry(None, "https://x/2?utm_medium=a"),
        _entry(None, None, "only title"),
    ]
    keys = identities(entries)
    assert len(set(keys)) == 3
    assert identities([_entry(None, "https://x/2")]) == [
        keys[1]
    ]  # tracking parameters do not matter
    repeated = identities([_entry("same", "https://x/a"), _entry("same", "https://x/b")])
    assert len(set(repeated)) == 2


def test_missing_and_future_dates_become_fetched_time_flagged():
    rows = article_rows(
        1,
        [
            _entry("a"),
            _entry("b", published=NOW + timedelta(days=30)),
            _entry("c", published=NOW - HOUR),
        ],
        NOW,
    )
    assert [(r["published_at"], r["published_estimated"]) for r in rows] == [
        (NOW, True),
        (NOW, True),
        (NOW - HOUR, False),
    ]


# --- parsing ---

RSS091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://old.example/</link>
<item><title>Item one</title><link>https://old.example/1</link><description>One</description></item>
</channel></rss>"""
RSS10 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://rdf.example/"><title>RDF</title><link>https://rdf.example/</link></channel>
<item rdf:about="https://rdf.example/1"><title>First</title><link>https://rdf.example/1</link></item></rdf:RDF>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<link href="https://atom.example/"/><id>urn:a</id><updated>2022-01-21T00:00:00Z</updated>
<entry><title type="html">&lt;b&gt;Talks&lt;/b&gt; fail</title><id>urn:a:1</id><link href="/1"/>
<updated>2022-01-21T10:00:00Z</updated><summary>Geneva</summary></entry></feed>"""
JSONFEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON",
"home_page_url": "https://json.example/",
"items": [{"id": "j1", "url": "https://json.example/1", "title": "J one",
"content_html": "<p>Hi</p>",
"date_published": "2022-01-21T08:00:00Z"}]}"""


@pytest.mark.parametrize(
    "body, title, link",
    [
        (RSS091, "Item one", "https://old.example/1"),
        (RSS10, "First", "https://rdf.example/1"),
        (ATOM, "Talks fail", "https://feeds.example/1"),  # the feed's own URL is the base
        (JSONFEED, "J one", "https://json.example/1"),
    ],
)
def test_every_feed_format_parses(body, title, link):
    feed = parse_feed(body, "https://feeds.example/feed")
    assert feed.entries and feed.entries[0].title == title and feed.entries[0].link == link


def test_ttl_is_read():
    body = (
        b"<rss version='2.0'><channel><title>t</title><ttl>90</ttl>"
        b"<item><title>x</title></item></channel></rss>"
    )
    assert parse_feed(body, "https://f.example/").ttl_s == 90 * 60


def test_internal_subset_refused_before_any_parser_sees_it(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&x;</title>'
        "<item><title>&x;</title></item></channel></rss>"
    ).encode()
    with pytest.raises(FeedParseError, match="internal subset"):
        harden(xxe, "https://f.example/")
    with pytest.raises(FeedParseError):
        parse_feed(xxe, "https://f.example/")


def test_utf16_documents_are_checked_too():
    body = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss/>'.encode(
        "utf-16"
    )
    with pytest.raises(FeedParseError, match="internal subset"):
        harden(body, "https://f.example/")


def test_html_text_drops_markup_and_scripts():
    assert (
        html_text("<p>Hello <b>world</b><script>alert(1)</script><style>p{}</style></p>&amp; more")
        == "Hello world & more"
    )


def test_a_block_tag_is_read_by_its_whole_ascii_name():
    """A space goes where a block element starts or ends, in either case; a custom element
    whose name only starts like one ("p-x") is inline, as in a browser, and a name spelt with
    a letter that folds to ASCII only outside ASCII (a long s, U+017F) is no tag at all."""
    assert html_text("a<P>b</P\n>c<br/>d") == "a b c d"
    assert html_text("a<p-x>b</p-x>c") == "abc"
    assert html_text("a<\u017fection>b") == "a<\u017fection>b"  # text: no tag starts so
    assert html_text("<scrIPT>x</scrIPT>y") == "y"


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(st.sampled_from(" \t\n\r\x0b\x0c\x1c\x00\x08\x7f\x85\xa0\u2003ab.-"), max_size=30),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
        st.text(st.characters(max_codepoint=127), max_size=30),
    )
)
def test_collapsed_text_is_what_splitting_and_joining_gives(text):
    """The fast way (double spaces replaced in ASCII text without control characters) gives
    the text the plain one does: split on whitespace, joined by one space, control characters
    dropped."""
    expected = " ".join(_CONTROL.sub("", " ".join(text.split())).split())
    assert collapsed(text) == expected


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_TAGS = st.builds(
    lambda slash, name, space, end: f"<{slash}{name}{space}{end}>",
    st.sampled_from(["", "/"]),
    st.sampled_from(
        [
            "p",
            "P",
            "br",
            "div",
            "li",
            "b",
            "em",
            "span",
            "a href='/x'",
            "img src=x",
            "script",
            "SCRIPT",
            "Style",
            "template",
            "noscript",
            "iframe",
            "object",
            "svg",
            "math",
            "textarea",
        ]
    ),
    st.sampled_from(["", " "]),
    st.sampled_from(["", "/"]),
)
_HIDDEN = "hidden-content"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            _TEXT.filter(lambda text: "<" not in text),  # "<?" would open a bogus comment
            _TAGS,
            st.just(f"<script>{_HIDDEN}</script>"),
            st.just(f"<svg><text>{_HIDDEN}</text></svg>"),
            st.just("&amp;"),
            st.just("&lt;b&gt;"),
        ),
        max_size=12,
    )
)
def test_html_text_never_keeps_what_a_script_like_element_holds(pieces):
    """Whatever tags, text and entities surround them, the content of script, svg and the
    other skipped elements never becomes text.  (Stray ``<`` in text is left out: ``<?`` opens
    a bogus comment that ends at the first ``>``, in browsers as in lexbor, and what follows
    is then text, stored and shown escaped; ``<title>`` holds text by HTML's rules, so it is
    not generated.)"""
    assert _HIDDEN not in html_text("".join(pieces))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([*_BLOCK_TAGS, *_SKIP_TAGS, "param", "thead", "h7", "headline", "s"]),
            st.sampled_from(["<", "</", "> ", "/", "\n", "x", "-", "1", "r", "re", "ader"]),
        ),
        max_size=10,
    ).map("".join),
    st.booleans(),
)
def test_a_factored_alternation_finds_what_the_plain_one_finds(text, upper):
    """``any_of`` (the tag names factored by prefix, for speed) matches exactly where the
    plain alternation of the same names does, case folded or not, at a name's end or not."""
    text = text.upper() if upper else text
    for names in (_BLOCK_TAGS, _SKIP_TAGS):
        flags = re.IGNORECASE | re.ASCII
        factored = re.compile(rf"</?{any_of(names)}(?={_TAG_NAME_END})", flags)
        plain = re.compile(rf"</?(?:{'|'.join(names)})(?={_TAG_NAME_END})", flags)
        assert [m.span() for m in factored.finditer(text)] == [
            m.span() for m in plain.finditer(text)
        ]


# --- the SSRF guard decides on addresses ---


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "224.0.0.1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ],
)
def test_guard_refuses_private_addresses(address):
    assert AddressGuard().refusal(ipaddress.ip_address(address))
    with pytest.raises(BlockedAddressError):
        AddressGuard().check("http://x/", [ipaddress.ip_address(address)])


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"]
)
def test_guard_allows_public_addresses(address):
    assert AddressGuard().refusal(ipaddress.ip_address(address)) is None


def test_guard_allow_private_still_honours_denied_networks_and_multicast():
    guard = AddressGuard(allow_private=True, denied=(ipaddress.ip_network("127.0.0.2/32"),))
    assert guard.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert "denied" in guard.refusal(ipaddress.ip_address("127.0.0.2"))
    assert guard.refusal(ipaddress.ip_address("224.0.0.1"))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://x/feed",
        "gopher://x/",
        "/relative",
        "http:///nohost",
        "http://[",
        "https://[::1/feed",
    ],
)
def test_only_http_and_https(url):
    with pytest.raises(BlockedAddressError):
        check_url(url)
