"""Use cases on feeds: add, list, enable, disable and remove them, OPML in and out, poll them
now, and read the stored articles.

Every rule on a feed is :mod:`tracker.ingest`'s and is checked there once, whoever asks: the
URL (http or https, a host that parses, not added yet), the poll interval (one minute to 30
days, see :func:`tracker.ingest.feed_interval`), and the SSRF guard at every connection.
Every change an operator makes to the feeds is in the audit log (entity ``feed``, with the
actor), like every change to forecasts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from tracker import ingest
from tracker.domain import audit
from tracker.ingest import FeedState, PollResult
from tracker.models import Article, Feed
from tracker.paging import KeysetPage
from tracker.settings import Settings

#: the longest title a feed may be given (an OPML file's are capped by ``opml_max_title_chars``)
MAX_FEED_TITLE = 500
#: the longest feed URL (the column's length, the same on both engines)
MAX_FEED_URL = 2000

if TYPE_CHECKING:
    from tracker.resolution import MatchReport


@dataclass(frozen=True)
class FeedHealth:
    """A feed, its health in one word (new, ok, failing, disabled) and its stored articles.
    ``suggest_full_text``: most of its newest entries are teasers and it does not fetch their
    pages yet (`tracker feeds full-text ID on` would)."""

    feed: Feed
    state: FeedState
    articles: int
    suggest_full_text: bool = False


def _health(feed: Feed, teasers: set[int] | None = None) -> FeedHealth:
    suggest = feed.id is not None and feed.id in (teasers or set())
    return FeedHealth(feed, ingest.feed_state(feed), feed.article_count, suggest)


def list_feeds(session: Session, *, troubled_only: bool = False) -> list[FeedHealth]:
    """Every feed and its health: failing ones first (most failures first), then disabled ones
    (``troubled_only``: those alone)."""
    feeds = ingest.list_feeds(session, troubled_only=troubled_only)
    teasers = set() if troubled_only else ingest.teaser_feed_ids(session)
    return [_health(feed, teasers) for feed in feeds]


#: feeds on a page of the feeds list
FEEDS_PER_PAGE = 100


@dataclass(frozen=True)
class FeedsPage:
    """A page of :func:`list_feeds` (``page.total``: every feed) and how many of all feeds are
    failing and disabled."""

    page: KeysetPage[FeedHealth]
    failing: int
    disabled: int


def feeds_page(
    session: Session, *, cursor: str | None = None, per_page: int = FEEDS_PER_PAGE
) -> FeedsPage:
    """The page of the feeds list at ``cursor`` (None: the first), in :func:`list_feeds`'s
    order, read by keyset, with the teaser check of the page's feeds alone (at 2,000 feeds the
    whole list took 3 s, most of it those checks, then drawing 2,000 rows)."""
    feeds, following, earlier = ingest.read_feeds(session, cursor=cursor, per_page=per_page)
    teasers = ingest.teaser_feed_ids(session, only=[f.id for f in feeds if f.id is not None])
    rows = [_health(feed, teasers) for feed in feeds]
    total, failing, disabled = ingest.feed_tally(session)
    page = KeysetPage(rows, following, per_page, total, cursor, earlier)
    return FeedsPage(page, failing, disabled)


def feed_health(session: Session, feed_id: int) -> FeedHealth:
    """One feed and its health (a NotFoundError for an unknown id)."""
    feed = ingest.get_feed(session, feed_id)
    return _health(feed, ingest.teaser_feed_ids(session, only=[feed_id]))


def _record(session: Session, feed: Feed, action: str, actor: str, **detail: object) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="feed",
        entity_id=str(feed.id),
        detail={"url": feed.url, **detail},
    )


def add_feed(
    session: Session,
    url: str,
    *,
    interval: timedelta | str | None = None,
    title: str | None = None,
    full_text: bool = False,
    publisher: str | None = None,
    default_interval: timedelta,
    actor: str,
) -> FeedHealth:
    """Add a feed, due at once.  ``interval`` as ``15m``/``2h``/``1d`` (default: the settings'
    ``poll_interval``); ``title`` (default: the feed's own, once polled); ``full_text``: fetch
    each new article's page for its full text (for feeds that give only teasers);
    ``publisher``: the publisher the operator vouches the feed is (default: whoever serves it)."""
    audit.check_text("title", title, MAX_FEED_TITLE)
    audit.check_text("url", url.strip(), MAX_FEED_URL)
    feed = ingest.add_feed(
        session,
        url,
        interval=interval or default_interval,
        title=title or None,
        fetch_articles=full_text,
        publisher=publisher or None,
    )
    _record(
        session,
        feed,
        "create",
        actor,
        interval_s=feed.interval_s,
        full_text=full_text,
        **({"publisher": feed.publisher} if feed.publisher else {}),
    )
    return _health(feed)


def set_full_text(session: Session, feed_id: int, wanted: bool, *, actor: str) -> FeedHealth:
    """Fetch (or stop fetching) the page of each new article of a feed, for its full text;
    articles stored before are left as they are."""
    feed = ingest.set_fetch_articles(session, feed_id, wanted)
    _record(session, feed, "full_text_on" if wanted else "full_text_off", actor)
    return feed_health(session, feed_id)


def enable_feed(session: Session, feed_id: int, *, actor: str) -> FeedHealth:
    """Resume polling a feed (also one disabled by HTTP 410 Gone); it is due at once."""
    feed = ingest.enable_feed(session, feed_id)
    _record(session, feed, "enable", actor)
    return feed_health(session, feed_id)


def disable_feed(
    session: Session, feed_id: int, *, reason: str | None = None, actor: str
) -> FeedHealth:
    """Stop polling a feed until it is enabled again; ``reason`` is shown in the feed lists."""
    feed = ingest.disable_feed(session, feed_id, reason or f"disabled by {actor}")
    _record(session, feed, "disable", actor, reason=feed.disabled_reason)
    return feed_health(session, feed_id)


def remove_feed(session: Session, feed_id: int, *, actor: str) -> int:
    """Remove a feed; its articles are kept (they may be evidence).  Returns how many."""
    feed = ingest.get_feed(session, feed_id)
    _record(session, feed, "remove", actor)
    return ingest.remove_feed(session, feed_id)


@dataclass(frozen=True)
class OpmlImport:
    added: list[Feed]
    already_present: list[str]


def import_opml(
    session: Session,
    data: bytes,
    origin: str,
    *,
    interval: timedelta | str | None = None,
    default_interval: timedelta,
    actor: str,
    max_feeds: int = 1000,
    max_title_chars: int = 500,
) -> OpmlImport:
    """Add every feed of an OPML document, all or nothing (``origin`` names it in errors); feeds
    already present are left alone.  The interval is checked as for one feed; more than
    ``max_feeds`` feeds, or a title over ``max_title_chars``, refuse the document (the settings
    ``opml_max_feeds`` and ``opml_max_title_chars``)."""
    added, present = ingest.import_opml(
        session,
        data,
        origin,
        interval=interval or default_interval,
        max_feeds=max_feeds,
        max_title_chars=max_title_chars,
    )
    for feed in added:
        _record(
            session,
            feed,
            "create",
            actor,
            interval_s=feed.interval_s,
            full_text=feed.fetch_articles,
            opml=origin,
        )
    return OpmlImport(added, present)


def export_opml(session: Session) -> str:
    """Every feed as an OPML 2.0 document."""
    return ingest.export_opml(session)


def list_articles(
    session: Session, *, feed_id: int | None = None, text: str | None = None, limit: int = 50
) -> list[Article]:
    """The newest articles (of one feed; whose title, teaser or full text holds ``text``)."""
    return ingest.list_articles(session, feed_id=feed_id, text=text, limit=limit)


def feeds_to_poll(
    session: Session, *, feed_ids: Sequence[int] = (), all_feeds: bool = False
) -> list[int]:
    """The feeds `tracker poll` polls: those named (checked to exist), every enabled one, or the
    due ones."""
    if feed_ids:
        return [ingest.get_feed(session, feed_id).id or feed_id for feed_id in feed_ids]
    if all_feeds:
        return [f.id for f in ingest.list_feeds(session) if f.id is not None and not f.disabled_at]
    return ingest.due_feed_ids(session)


@dataclass(frozen=True)
class PollRun:
    """What `tracker poll` did: each feed's result, and the matching of the new articles."""

    results: list[PollResult]
    matched: MatchReport | None = None


def poll_feeds(
    settings: Settings,
    engine: Engine,
    feed_ids: list[int],
    *,
    force: bool,
    progress: Callable[[PollResult], None] | None = None,
) -> PollRun:
    """Poll ``feed_ids`` now, in this process (``force``: due or not), ``worker_concurrency`` at a
    time with parse processes (the settings'); ``progress(result)`` after each feed.  Then the
    new articles are matched, as a worker matches them after its polls, so the review queue
    shows their evidence at once.  A feed's failure is recorded on it and in its result; the
    other feeds are polled all the same."""
    from tracker.resolution import RuleSet
    from tracker.service._periodic import match_new_articles

    with ingest.make_fetcher(settings) as fetcher:
        poller = ingest.make_poller(settings, engine, fetcher=fetcher)
        results = poller.poll_due(
            feed_ids=feed_ids,
            force=force,
            concurrency=settings.worker_concurrency,
            progress=progress,
        )
    new_ids = [article_id for result in results for article_id in result.new_article_ids]
    matched = match_new_articles(engine, new_ids, RuleSet()) if new_ids else None
    return PollRun(results, matched)
