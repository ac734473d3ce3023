"""Every feed of feedparser's and reader's test suites through the poller's parse-to-rows path
and the insert, compared with feedparser (issue 13, "A corpus of feeds nobody here wrote").

Checked per file: no crash (a failure is :class:`~tracker.errors.FeedParseError` or nothing), no
silent drop (feedparser finds entries, the project finds none), and per entry titles, links and
dates equal to feedparser's after whitespace normalisation, except the reasoned cases in
:data:`PROJECT_IS_RIGHT`.  The agreement figures are printed (``pytest -s`` not needed).

Not compared: feedparser's ``tests/http`` files (they need its HTTP test server; the project's
own HTTP handling is tested against a real loopback server elsewhere).
"""

from __future__ import annotations

import fnmatch
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser
import pytest

from tests.feed_corpus import CorpusFeed, corpus_feeds, ensure_sdists
from tracker import db
from tracker.db import session_scope
from tracker.errors import FeedParseError
from tracker.ingest._parse import html_text, parse_feed
from tracker.ingest._parsepool import prepare
from tracker.ingest._store import insert_new_articles
from tracker.models import Feed

FETCHED = datetime(2026, 1, 1, tzinfo=UTC)

_FP = "feedparser-6.0.14/tests/"
#: (glob on the file's path, field, why the project's value is the right one); field "entries"
#: is a file where feedparser finds entries and the project none.
PROJECT_IS_RIGHT: list[tuple[str, str, str]] = [
    (
        _FP + "illformed/chardet/*",
        "title",
        (
            "legacy charsets (EUC-JP, EUC-KR, GB2312, KOI8-R, Shift_JIS) undeclared: the project "
            "detects them (charset-normalizer); feedparser without chardet stores mojibake"
        ),
    ),
    (
        _FP + "*/entry_id*",
        "link",
        (
            "an Atom id is an identifier, not a link (RFC 4287 4.2.6): the project does not make "
            "one a link; feedparser copies a URL-like id into link"
        ),
    ),
    (
        _FP + "wellformed/base/http_entry_id_base_*.xml",
        "link",
        "the same: an Atom id made a link by feedparser",
    ),
    (
        _FP + "wellformed/atom10/entry_title_base64*.xml",
        "title",
        (
            "an Atom title is text, html or xhtml (RFC 4287 3.1.1); a base64 media type is for "
            "content, so the project keeps the characters as they are"
        ),
    ),
    (
        _FP + "*/node_precedence/atom10_id.xml",
        "link",
        "the same: an Atom id made a link by feedparser",
    ),
    (
        _FP + "wellformed/lang/http_content_language_entry_title_inherit_2.xml",
        "link",
        "the entry's id '1' is no link; feedparser resolves the id into one",
    ),
    (
        "reader-3.26/tests/data/*.atom",
        "link",
        "urn:uuid:/source: ids are not links; the project keeps http(s) links only",
    ),
    (
        _FP + "wellformed/psc/rss2.0simplechapter.xml",
        "link",
        (
            "the item's link is in an element of the podlove namespace feedparser reads; the "
            "project reads RSS links only"
        ),
    ),
    (
        _FP + "wellformed/atom/entry_*_multiple_values.xml",
        "date",
        (
            "an entry with two dates of one kind is malformed; the project keeps the first, "
            "feedparser the last"
        ),
    ),
    (
        _FP + "wellformed/sanitize/entry_title_crazy.xml",
        "title",
        "feedparser keeps a script's source as title text; the project drops script content",
    ),
    (
        _FP + "wellformed/sanitize/entry_title_object.xml",
        "title",
        "the text inside <object> is fallback content; the project drops it with the object",
    ),
    (
        _FP + "wellformed/rss/entity_in_doctype.xml",
        "entries",
        "a DTD internal subset is refused before any parser sees it (no entity expansion)",
    ),
    (
        _FP + "wellformed/base/http_entry_contributor_url_base_*.xml",
        "entries",
        "an Atom 0.3 <item> (not <entry>) holding only a contributor: nothing to store",
    ),
    (
        _FP + "wellformed/namespace/unknown-namespace.xml",
        "entries",
        "an <item> in an Atom feed holding only an unknown element: nothing to store",
    ),
]
#: Cases where feedparser is right and the project is not yet (a known limit, not hidden).
PROJECT_IS_WRONG: list[tuple[str, str, str]] = [
    (
        _FP + "wellformed/node_precedence/atom10_title.xml",
        "title",
        (
            "an entry whose first <title> belongs to a child element (<image>) before its own: "
            "the byte scan takes the first"
        ),
    ),
]


def _reason(path: str, field_name: str) -> str | None:
    for pattern, name, why in PROJECT_IS_RIGHT + PROJECT_IS_WRONG:
        if name == field_name and fnmatch.fnmatch(path, pattern):
            return why
    return None


@dataclass
class Tally:
    files: int = 0
    parse_errors: int = 0
    crashes: list[str] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)
    compared: Counter[str] = field(default_factory=Counter)
    agreed: Counter[str] = field(default_factory=Counter)
    excused: Counter[str] = field(default_factory=Counter)
    disagreements: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [
            (
                f"feed corpus: {self.files} files, {self.parse_errors} refused (FeedParseError), "
                f"{len(self.crashes)} crashes, {len(self.drops)} silent drops"
            )
        ]
        for name in ("title", "link", "date"):
            compared = self.compared[name]
            agreed = self.agreed[name]
            share = 100 * agreed / compared if compared else 100.0
            lines.append(
                f"  {name:5}: {agreed}/{compared} equal to feedparser ({share:.1f} %), "
                f"{self.excused[name]} on the reasoned lists (PROJECT_IS_RIGHT, PROJECT_IS_WRONG)"
            )
        return "\n".join(lines)


def _normal(text: str | None) -> str:
    return " ".join((text or "").split())


def _feedparser_title(item: dict) -> str:
    detail = item.get("title_detail") or {}
    title = item.get("title") or ""
    if (detail.get("type") or "").lower() in ("text/plain", "text"):
        return _normal(title)
    return html_text(title)


def _feedparser_date(item: dict) -> datetime | None:
    # feedparser keeps whole seconds: compared at that precision
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = item.get(key)
        if value:
            try:
                return datetime(*value[:6]).replace(tzinfo=UTC)
            except (ValueError, OverflowError):
                return None
    return None


def _reference(feed: CorpusFeed) -> list[dict]:
    headers = {**feed.headers, "content-location": feed.url}
    return feedparser.parse(io.BytesIO(feed.body), response_headers=headers).entries


def _compare(tally: Tally, feed: CorpusFeed, ours: list, theirs: list) -> None:
    for index, (entry, item) in enumerate(zip(ours, theirs, strict=False)):
        pairs = {
            # an HTML title with no text (an image, say): the project names it "(untitled)"
            "title": (entry.title, _feedparser_title(item)) if _feedparser_title(item) else None,
            "link": (entry.link, item.get("link")) if item.get("link") else None,
            "date": (
                entry.published and entry.published.replace(microsecond=0),
                _feedparser_date(item),
            ),
        }
        for name, pair in pairs.items():
            if pair is None:
                continue
            mine, reference = pair
            if name == "title":
                mine, reference = _normal(mine), _normal(reference)
            tally.compared[name] += 1
            if mine == reference:
                tally.agreed[name] += 1
            elif _reason(feed.path, name):
                tally.excused[name] += 1
            else:
                tally.disagreements.append(
                    f"{feed.path} [{index}] {name}: ours {mine!r} feedparser {reference!r}"
                )


@pytest.fixture(scope="module")
def corpus() -> list[CorpusFeed]:
    return list(corpus_feeds(ensure_sdists()))


def test_every_corpus_feed_parses_stores_and_agrees_with_feedparser(corpus, tmp_path, capsys):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'corpus.db'}")
    db.upgrade(engine)
    with session_scope(engine) as session:
        feed_row = Feed(url="http://127.0.0.1:8097/corpus", interval_s=900, next_check_at=FETCHED)
        session.add(feed_row)
        session.flush()
        feed_id = feed_row.id
    tally = Tally()
    for feed in corpus:
        tally.files += 1
        theirs = _reference(feed)
        try:
            prepared = prepare(
                feed_id, feed.body, feed.url, FETCHED, for_sqlite=True, charset=feed.charset
            )
            with session_scope(engine) as session:
                insert_new_articles(session, prepared.rows)
            ours = parse_feed(feed.body, feed.url, charset=feed.charset).entries
        except FeedParseError:
            tally.parse_errors += 1
            if theirs and not _reason(feed.path, "entries"):
                tally.drops.append(f"{feed.path}: refused, feedparser finds {len(theirs)}")
            continue
        # a crash is any other exception: it fails the test with the file named
        except Exception as exc:  # noqa: BLE001
            tally.crashes.append(f"{feed.path}: {exc.__class__.__name__}: {exc}")
            continue
        if theirs and not ours and not _reason(feed.path, "entries"):
            tally.drops.append(f"{feed.path}: no entries, feedparser finds {len(theirs)}")
        _compare(tally, feed, ours, theirs)
    engine.dispose()
    with capsys.disabled():
        print("\n" + tally.report())
        for line in tally.disagreements[:40]:
            print("  ", line)
    assert tally.files > 2000, "the corpus is smaller than feedparser's and reader's suites"
    assert not tally.crashes, tally.crashes[:20]
    assert not tally.drops, tally.drops[:20]
    assert not tally.disagreements, f"{len(tally.disagreements)} disagreements (see above)"
