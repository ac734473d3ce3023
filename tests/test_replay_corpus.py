"""The replay news corpus (forecasts/replay/): well-formed, safe feeds that a demo can serve, with
the expected outcome of every forecast of the source article.

The corpus is data for the resolution engine; whether the engine resolves it correctly is the demo
test's business. Here we check what the corpus itself promises: enough dated items from enough
distinct publishers, every item complete and on its publisher's own domain, no duplicates, nothing
outside 2022-2024, and an expected.yaml that covers exactly the forecasts of the source file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import ARTICLE_FILE, FORECASTS

REPLAY = FORECASTS / "replay"
FEEDS = sorted(REPLAY.glob("*.xml"))
PAGES = REPLAY / "pages"
#: a feed of teasers (the demo adds it with --full-text): its links are pages/*.html, relative to
#: the feed's own URL, so they are served from 127.0.0.1 with the feeds
TEASER_MARK = "-teasers"
ATOM = "{http://www.w3.org/2005/Atom}"
FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2024, 12, 31)


@dataclass(frozen=True)
class Item:
    feed: str
    site: str
    title: str
    link: str
    guid: str
    published: datetime
    summary: str


def registered_domain(url: str) -> str:
    """``www.northwire.example`` -> ``northwire.example`` (the corpus uses only the reserved TLD
    ``.example``,
    for which the public-suffix default rule makes the last label the suffix)."""
    host = urlsplit(url).hostname or ""
    return ".".join(host.split(".")[-2:])


def parse_feed(path: Path) -> list[Item]:
    raw = path.read_bytes()
    text = raw.decode("utf-8")  # the corpus is UTF-8; a decode error fails the test
    # Stdlib ElementTree expands internal entities; refuse any DTD before parsing.
    assert not re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE), (
        f"{path.name}: DTDs are not allowed"
    )
    root = ET.fromstring(raw)
    if root.tag == "rss":
        return _rss_items(path.name, root)
    if root.tag == f"{ATOM}feed":
        return _atom_items(path.name, root)
    raise AssertionError(f"{path.name}: neither RSS 2.0 nor Atom (root is {root.tag})")


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _rss_items(name: str, root: ET.Element) -> list[Item]:
    assert root.get("version") == "2.0", name
    channel = root.find("channel")
    site = _text(channel.find("link"))
    items = []
    for node in channel.findall("item"):
        stamp = _text(node.find("pubDate"))
        assert stamp, f"{name}: an item has no pubDate"
        items.append(
            Item(
                name,
                site,
                _text(node.find("title")),
                _text(node.find("link")),
                _text(node.find("guid")),
                parsedate_to_datetime(stamp),
                _text(node.find("description")),
            )
        )
    return items


def _atom_items(name: str, root: ET.Element) -> list[Item]:
    site = next(
        (
            link.get("href", "")
            for link in root.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ),
        "",
    )
    items = []
    for node in root.findall(f"{ATOM}entry"):
        links = [
            link.get("href", "")
            for link in node.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        stamp = _text(node.find(f"{ATOM}published")) or _text(node.find(f"{ATOM}updated"))
        assert stamp, f"{name}: an entry has no published/updated date"
        items.append(
            Item(
                name,
                site,
                _text(node.find(f"{ATOM}title")),
                links[0] if links else "",
                _text(node.find(f"{ATOM}id")),
                datetime.fromisoformat(stamp),
                _text(node.find(f"{ATOM}summary")),
            )
        )
    return items


@pytest.fixture(scope="module")
def items() -> list[Item]:
    assert FEEDS, f"no feeds in {REPLAY}"
    return [item for path in FEEDS for item in parse_feed(path)]


@pytest.fixture(scope="module")
def expected() -> list[dict]:
    return yaml.safe_load((REPLAY / "expected.yaml").read_text(encoding="utf-8"))["forecasts"]


@pytest.fixture(scope="module")
def forecasts() -> dict[str, dict]:
    data = yaml.safe_load(ARTICLE_FILE.read_text(encoding="utf-8"))
    return {f["id"]: f for f in data["forecasts"]}


def test_feeds_are_rss_or_atom_and_use_both_formats():
    for path in FEEDS:
        parse_feed(path)  # checks the DTD guard and the format
    assert {ET.fromstring(path.read_bytes()).tag for path in FEEDS} == {"rss", f"{ATOM}feed"}


def test_a_doctype_is_refused_by_the_parser_guard(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss version="2.0"><channel>'
        "<title>&a;</title></channel></rss>",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="DTDs are not allowed"):
        parse_feed(bomb)


def test_enough_items_from_enough_publishers(items):
    assert len(items) >= 150
    per_publisher = Counter(
        registered_domain(item.link) for item in items if TEASER_MARK not in item.feed
    )  # the feed of teasers is a small one of its own (see the tests at the end)
    assert len(per_publisher) >= 4, per_publisher
    assert all(domain.endswith(".example") for domain in per_publisher), per_publisher
    assert min(per_publisher.values()) >= 10, per_publisher


def test_every_item_is_complete(items):
    for item in items:
        where = f"{item.feed}: {item.guid or item.link or item.title!r}"
        assert item.title and item.link and item.guid and item.summary, where
        if TEASER_MARK in item.feed:
            assert item.link.startswith("pages/") and (REPLAY / item.link).is_file(), where
        else:
            assert urlsplit(item.link).scheme == "https", where
        assert item.published.tzinfo is not None, where


def test_every_item_links_to_its_own_publisher(items):
    for item in items:
        if TEASER_MARK in item.feed:
            continue  # its pages are served with the feed, from 127.0.0.1
        assert registered_domain(item.link) == registered_domain(item.site), (
            f"{item.feed}: {item.link} vs {item.site}"
        )


def test_dates_fall_in_2022_to_2024(items):
    days = [item.published.astimezone(UTC).date() for item in items]
    assert all(FIRST_DAY <= day <= LAST_DAY for day in days), [
        d for d in days if not FIRST_DAY <= d <= LAST_DAY
    ]
    assert {day.year for day in days} == {2022, 2023, 2024}


def test_guids_are_unique_per_feed_and_links_unique_overall(items):
    by_feed = defaultdict(list)
    for item in items:
        by_feed[item.feed].append(item.guid)
    for guids in by_feed.values():
        assert len(guids) == len(set(guids)), [g for g, n in Counter(guids).items() if n > 1]
    links = Counter(item.link for item in items)
    assert all(n == 1 for n in links.values()), [link for link, n in links.items() if n > 1]


def test_a_story_is_syndicated_by_two_feeds_of_one_publisher(items):
    """The same story in two feeds of one publisher (different hosts, same registered domain) must
    count as one source; the corpus needs at least one such pair to exercise that."""
    copies = defaultdict(set)
    for item in items:
        copies[(registered_domain(item.link), item.title, item.published)].add(item.feed)
    assert any(len(feeds) >= 2 for feeds in copies.values())


def test_summaries_are_short(items):
    for item in items:
        plain = re.sub(r"<[^>]+>", " ", item.summary)
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9“\"])", plain.strip()) if s]
        assert 1 <= len(sentences) <= 3, f"{item.feed}: {item.title}"


def test_expected_lists_every_forecast_once(expected, forecasts):
    ids = [entry["id"] for entry in expected]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(forecasts), set(ids) ^ set(forecasts)
    assert len(ids) == 20


def test_expected_entries_are_consistent_with_the_forecast_file(expected, forecasts):
    for entry in expected:
        forecast = forecasts[entry["id"]]
        assert entry["outcome"] in {"yes", "no"}, entry["id"]
        assert entry["how"] in {"evidence-yes", "evidence-no", "default-at-close"}, entry["id"]
        assert entry["reason"] and "\n" not in entry["reason"].strip(), entry["id"]
        decided = date.fromisoformat(str(entry["decided_by"]))
        assert forecast["opens"] <= decided <= forecast["closes"], entry["id"]
        rules = forecast["resolution"]
        if entry["how"] == "default-at-close":
            default = {True: "yes", False: "no"}.get(
                rules["default_at_close"], rules["default_at_close"]
            )
            assert entry["outcome"] == default and decided == forecast["closes"], entry["id"]
        else:
            assert entry["how"] == f"evidence-{entry['outcome']}", entry["id"]
            assert rules.get(f"{entry['outcome']}_when"), (
                f"{entry['id']}: no rule can produce that evidence"
            )


# --- the feed of teasers and its pages ---------------------------------------------------------

#: the one sentence that decides bucharest-retraction-madrid for the teaser feed's publisher
DECIDING = "In Madrid, the allies reaffirmed the Bucharest commitment of 2008"


def _page_text(path: Path) -> str:
    from tracker.ingest import extract_page

    return extract_page(f"http://127.0.0.1/{path.name}", path.read_bytes(), "text/html", 400).text


def test_the_teaser_feed_links_every_page_once_and_every_page_is_linked(items):
    teasers = [item for item in items if TEASER_MARK in item.feed]
    assert len(teasers) >= 5
    linked = sorted(item.link for item in teasers)
    assert linked == sorted(f"pages/{path.name}" for path in PAGES.glob("*.html"))


def test_the_pages_are_safe_articles_dated_as_their_items(items):
    for item in (item for item in items if TEASER_MARK in item.feed):
        raw = (REPLAY / item.link).read_text(encoding="utf-8")
        assert not re.search(r"<script|<iframe|javascript:|\son\w+=", raw, re.IGNORECASE), item.link
        assert f'content="{item.published.isoformat()}"' in raw, item.link  # the page's own date
        text = _page_text(REPLAY / item.link)
        assert len(text) > 4 * len(item.summary), item.link  # the teaser is a teaser


def test_the_deciding_sentence_is_only_on_a_page(items):
    """bucharest-retraction-madrid reaches its second publisher only through the teaser feed's
    article page (its other reporter, The Baltic Ledger, uses near-miss wording)."""
    assert not any(DECIDING.casefold() in (i.title + " " + i.summary).casefold() for i in items)
    pages = [path for path in PAGES.glob("*.html") if DECIDING in _page_text(path)]
    assert [path.name for path in pages] == ["kestrelpost-2022-06-29-summit-last-word.html"]
