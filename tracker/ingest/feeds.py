"""Feeds and polling: the public functions of the ingestion stage (no Celery needed).

Feed management takes a session (the caller's unit of work).  Polling takes an engine,
because one poll is several short units of work with the network in between: claim the feed
(a lease: one poll per feed at a time, across every worker, through the database), fetch with
no transaction open, then store articles and the feed's new state in one transaction, and
finally hand the new article ids to :data:`tracker.ingest.hooks.new_articles`.
"""

from __future__ import annotations

import enum
import heapq
import random
import re
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import Engine, case, func, literal, or_, update
from sqlmodel import Session, col, select

from tracker._seek import Key, order_by, read_page
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.errors import FeedError, FeedSettingError, FeedUrlError, NotFoundError, OpmlError
from tracker.ingest import _schedule
from tracker.ingest._fetch import Fetcher, FetchResult, validator
from tracker.ingest._opml import MAX_FEEDS, MAX_TITLE_CHARS, OpmlFeed, read_opml, write_opml
from tracker.ingest._pages import want_pages
from tracker.ingest._parse import MAX_ENTRIES, header_charset
from tracker.ingest._parsepool import ParsePool, Prepared, cpu_count
from tracker.ingest._ssrf import check_url
from tracker.ingest._store import insert_new_articles
from tracker.ingest._writes import WriteQueue
from tracker.ingest.hooks import new_articles
from tracker.models import Article, ArticleFeed, Feed, table_of
from tracker.search import index_new_articles
from tracker.settings import check_interval, parse_interval
from tracker.urls import registered_domain

_FEED = table_of(Feed)
MAX_SITE_URL = 2000  # the column's length: a longer <link> is not kept (PostgreSQL would refuse it)
#: what one feed's store returns: new article ids (None: the feed is gone), or the update's success
_Stored = TypeVar("_Stored")


class ErrorKind(str, enum.Enum):
    """What went wrong with a feed (``Feed.error_kind``)."""

    TIMEOUT = "timeout"
    DNS = "dns"
    TLS = "tls"
    CONNECTION = "connection"
    HTTP_STATUS = "http_status"
    BOT_CHALLENGE = "bot_challenge"
    PARSE = "parse"
    TOO_LARGE = "too_large"
    SSRF = "ssrf"
    REDIRECT = "redirect"


class Outcome(str, enum.Enum):
    NEW = "new"  # fetched and parsed; new_article_ids may be empty
    NOT_MODIFIED = "not_modified"  # 304: nothing parsed
    FAILED = "failed"  # error recorded on the feed, backoff scheduled
    GONE = "gone"  # 410: the feed was disabled
    SKIPPED = "skipped"  # not due, disabled, removed, or another poller holds it


@dataclass
class PollResult:
    feed_id: int
    outcome: Outcome
    url: str = ""
    new_article_ids: list[int] = field(default_factory=list)
    #: the new articles whose pages the feed wants fetched (``Feed.fetch_articles``)
    page_ids: list[int] = field(default_factory=list)
    entries: int = 0
    error_kind: str | None = None
    message: str = ""
    next_check_at: datetime | None = None


# --- managing feeds -----------------------------------------------------------------------


_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def validate_feed_url(url: str) -> str:
    """``url`` trimmed, when it can be a feed's: http or https, a host that parses, no spaces or
    control characters inside (write them percent-encoded)."""
    url = url.strip()
    if _SPACE_OR_CONTROL.search(url):
        raise FeedUrlError(
            url, "a URL cannot hold spaces or control characters; percent-encode them"
        )
    try:
        check_url(url)
    except FeedError as exc:
        raise FeedUrlError(url, exc.message) from exc
    return url


def feed_interval(interval: timedelta | str) -> timedelta:
    """A feed's poll interval (``15m``, ``2h``, ``1d`` or a timedelta), checked against the bounds
    every feed shares (:data:`tracker.settings.MIN_INTERVAL` ..
    :data:`~tracker.settings.MAX_INTERVAL`)."""
    try:
        return parse_interval(interval) if isinstance(interval, str) else check_interval(interval)
    except ValueError as exc:
        raise FeedSettingError("interval", str(exc)) from exc


def add_feed(
    session: Session,
    url: str,
    *,
    interval: timedelta | str,
    title: str | None = None,
    fetch_articles: bool = False,
    publisher: str | None = None,
) -> Feed:
    """Adds a feed, due at once.  A URL already present is refused with the existing id;
    an interval out of bounds with what is allowed.  ``fetch_articles``: fetch each new
    article's page for its full text (``tracker.ingest._pages``).  ``publisher``: the publisher
    the operator vouches the feed is (its registered domain), for a feed served from another
    domain than its publisher's; without it, articles count for the server they came from."""
    url = validate_feed_url(url)
    interval = feed_interval(interval)
    publisher = _publisher_domain(publisher) if publisher else None
    existing = session.exec(select(Feed).where(col(Feed.url) == url)).first()
    if existing:
        raise FeedUrlError(url, f"already added as feed {existing.id}")
    feed = Feed(
        url=url,
        title=title,
        interval_s=int(interval.total_seconds()),
        next_check_at=utcnow(),
        fetch_articles=fetch_articles,
        publisher=publisher,
    )
    session.add(feed)
    session.flush()
    return feed


def _publisher_domain(name: str) -> str:
    """The registered domain of a publisher the operator names (``www.reuters.com`` or a URL of
    its site: ``reuters.com``)."""
    domain = registered_domain(name) if len(name) <= 255 else ""
    if not domain or not re.fullmatch(r"[a-z0-9]([a-z0-9.:-]*[a-z0-9])?", domain):
        raise FeedSettingError(
            "publisher", f"{name[:80]!r} is not a domain name; give the publisher's, e.g. bbc.co.uk"
        )
    return domain


def get_feed(session: Session, feed_id: int) -> Feed:
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise NotFoundError("feed", feed_id, "see `tracker feeds list`")
    return feed


FeedState = Literal["new", "ok", "failing", "disabled"]


def feed_state(feed: Feed) -> FeedState:
    """A feed's health in one word: disabled, failing (its last poll failed), ok, or new (never
    polled successfully)."""
    if feed.disabled_at:
        return "disabled"
    if feed.consecutive_failures:
        return "failing"
    return "ok" if feed.last_success_at else "new"


_FAILING = col(Feed.consecutive_failures) > 0
_DISABLED = col(Feed.disabled_at).is_not(None)
#: the feeds' order: failing first (most failures first), then disabled, then the rest, by id
FEED_KEYS = (
    Key(case((_FAILING, 0), (_DISABLED, 1), else_=2), int),
    Key(col(Feed.consecutive_failures), int, descending=True),
    Key(col(Feed.id), int),
)


def list_feeds(session: Session, *, troubled_only: bool = False) -> list[Feed]:
    """Failing feeds first (most failures first), then disabled ones, then the rest by id;
    ``troubled_only``: the failing and disabled ones alone."""
    query = select(Feed).order_by(*order_by(FEED_KEYS))
    return list(session.exec(query.where(or_(_FAILING, _DISABLED)) if troubled_only else query))


def read_feeds(
    session: Session, *, cursor: str | None, per_page: int
) -> tuple[list[Feed], str | None, str | None]:
    """The page of :func:`list_feeds` at ``cursor`` (None: the first): (feeds, next cursor,
    previous cursor), read by keyset on :data:`FEED_KEYS`; each row comes with its rank, as
    the database computes it, for its cursor."""
    rows, following, earlier = read_page(
        session,
        select(Feed, FEED_KEYS[0].expr),
        FEED_KEYS,
        lambda row: (row[1], row[0].consecutive_failures, row[0].id),
        cursor=cursor,
        per_page=per_page,
    )
    return [row[0] for row in rows], following, earlier


def feed_tally(session: Session) -> tuple[int, int, int]:
    """How many feeds there are, and how many of them are in :func:`feed_state`'s ``failing``
    and ``disabled`` (a disabled feed is disabled, whatever its failures), in one query."""
    total, failing, disabled = session.exec(
        select(
            func.count(),
            func.count().filter(_FAILING & ~_DISABLED),
            func.count().filter(_DISABLED),
        ).select_from(Feed)
    ).one()
    return int(total), int(failing), int(disabled)


def count_feeds(session: Session, *, polled: bool = False) -> int:
    """How many feeds there are (``polled``: that have been polled at least once)."""
    query = select(func.count()).select_from(Feed)
    if polled:
        query = query.where(col(Feed.last_polled_at).is_not(None))
    return int(session.exec(query).one())


def remove_feed(session: Session, feed_id: int) -> int:
    """Removes a feed; its articles are kept (``feed_id`` becomes NULL).  Returns how many."""
    feed = get_feed(session, feed_id)
    kept = session.exec(
        select(func.count()).select_from(Article).where(col(Article.feed_id) == feed_id)
    ).one()
    session.delete(feed)
    return int(kept)


def disable_feed(session: Session, feed_id: int, reason: str = "disabled by the operator") -> Feed:
    feed = get_feed(session, feed_id)
    feed.disabled_at, feed.disabled_reason = utcnow(), reason
    session.add(feed)
    return feed


def enable_feed(session: Session, feed_id: int) -> Feed:
    """Polling resumes at once (also after 410 Gone)."""
    feed = get_feed(session, feed_id)
    feed.disabled_at, feed.disabled_reason, feed.next_check_at = None, None, utcnow()
    session.add(feed)
    return feed


def set_fetch_articles(session: Session, feed_id: int, wanted: bool) -> Feed:
    """Turns fetching each new article's page on or off for a feed; articles stored before are
    left as they are."""
    feed = get_feed(session, feed_id)
    feed.fetch_articles = wanted
    session.add(feed)
    return feed


def import_opml(
    session: Session,
    data: bytes,
    path: str,
    *,
    interval: timedelta | str,
    max_feeds: int = MAX_FEEDS,
    max_title_chars: int = MAX_TITLE_CHARS,
) -> tuple[list[Feed], list[str]]:
    """Adds every feed of an OPML file, all or nothing: (added feeds, URLs already present).
    More than ``max_feeds`` feeds or a title over ``max_title_chars`` refuse the whole file."""
    interval = feed_interval(interval)
    entries = read_opml(data, path, max_feeds=max_feeds, max_title_chars=max_title_chars)
    problems: list[str] = []
    wanted: dict[str, OpmlFeed] = {}
    for entry in entries:
        try:
            wanted.setdefault(validate_feed_url(entry.url), entry)
        except FeedUrlError as exc:
            problems.append(str(exc))
    if problems:
        raise OpmlError(path, problems)
    present = set(session.exec(select(col(Feed.url)).where(col(Feed.url).in_(list(wanted)))))
    added = [
        add_feed(
            session,
            url,
            interval=interval,
            title=entry.title,
            fetch_articles=entry.fetch_articles,
        )
        for url, entry in wanted.items()
        if url not in present
    ]
    return added, sorted(present)


def export_opml(session: Session) -> str:
    return write_opml(
        [
            (f.url, f.title, f.site_url, f.fetch_articles)
            for f in session.exec(select(Feed).order_by(col(Feed.id)))
        ]
    )


def _due(now: datetime) -> Any:
    return col(Feed.disabled_at).is_(None), col(Feed.next_check_at) <= now


def count_due_feeds(session: Session, now: datetime | None = None) -> int:
    """How many enabled feeds are due now (one ``count(*)``)."""
    query = select(func.count()).select_from(Feed).where(*_due(now or utcnow()))
    return int(session.exec(query).one())


def due_feed_ids(
    session: Session, now: datetime | None = None, limit: int | None = None
) -> list[int]:
    query = select(col(Feed.id)).where(*_due(now or utcnow())).order_by(col(Feed.next_check_at))
    return _ids(session.exec(query.limit(limit) if limit else query))


def _ids(found: Iterable[int | None]) -> list[int]:
    """Primary keys read from the database (never None there, whatever the model says)."""
    return [row_id for row_id in found if row_id is not None]


# --- articles -----------------------------------------------------------------------------

_NEWEST_FIRST = (col(Article.published_at).desc(), col(Article.id).desc())


def list_articles(
    session: Session, *, feed_id: int | None = None, text: str | None = None, limit: int = 50
) -> list[Article]:
    """Newest first; ``text`` matches title, summary or full text, case-insensitively (a scan);
    a feed's articles include the stories it carried that another feed brought first.

    Dates are indexed per feed (see :class:`~tracker.models.Article`), so the newest of all
    feeds are merged from each feed's newest ``limit``: one index range per feed, whatever the
    number of articles."""
    query = select(Article)
    if text:  # `%` and `_` are literal: SQLAlchemy escapes them (an ESCAPE clause)
        query = query.where(
            or_(
                col(Article.title).icontains(text, autoescape=True),
                col(Article.summary).icontains(text, autoescape=True),
                col(Article.body).icontains(text, autoescape=True),
            )
        )
    elif feed_id is None:
        return _newest_of_every_feed(session, limit)
    if feed_id is not None:
        carried = select(col(ArticleFeed.article_id)).where(col(ArticleFeed.feed_id) == feed_id)
        query = query.where(or_(col(Article.feed_id) == feed_id, col(Article.id).in_(carried)))
    return list(session.exec(query.order_by(*_NEWEST_FIRST).limit(limit)))


def _newest_of_every_feed(session: Session, limit: int) -> list[Article]:
    feeds = [*session.exec(select(col(Feed.id))), None]  # None: articles of removed feeds
    newest: list[tuple[datetime, int]] = []
    for feed_id in feeds:
        same_feed = (
            col(Article.feed_id) == feed_id
            if feed_id is not None
            else col(Article.feed_id).is_(None)
        )
        rows = session.exec(
            select(col(Article.published_at), col(Article.id))
            .where(same_feed)
            .order_by(*_NEWEST_FIRST)
            .limit(limit)
        )
        newest = heapq.nlargest(limit, [*newest, *rows])
    if not newest:
        return []
    ids = [article_id for _, article_id in newest]
    return list(
        session.exec(select(Article).where(col(Article.id).in_(ids)).order_by(*_NEWEST_FIRST))
    )


def count_unmatched(session: Session) -> int:
    """How many articles the resolution stage has not processed yet (one ``count(*)``)."""
    return int(
        session.exec(
            select(func.count()).select_from(Article).where(col(Article.matched_at).is_(None))
        ).one()
    )


def count_articles(session: Session) -> int:
    """How many articles are stored."""
    return int(session.exec(select(func.count()).select_from(Article)).one())


def all_article_ids(session: Session) -> list[int]:
    """Every stored article, oldest first (matching them all again: `tracker resolve --rematch`)."""
    return _ids(session.exec(select(col(Article.id)).order_by(col(Article.id))))


def unmatched_article_ids(
    session: Session, limit: int | None = None, *, fetched_before: datetime | None = None
) -> list[int]:
    """Articles the resolution stage has not processed yet (``matched_at IS NULL``), oldest
    first; with ``fetched_before``, only those stored before that moment."""
    query = select(col(Article.id)).where(col(Article.matched_at).is_(None))
    if fetched_before is not None:
        query = query.where(col(Article.fetched_at) < fetched_before)
    return _ids(session.exec(query.order_by(col(Article.id)).limit(limit)))


# --- polling ------------------------------------------------------------------------------

MIN_FEEDS_FOR_PROCESSES = 8
"""``poll_due`` parses in worker processes from this many feeds on; for fewer, starting them
costs more than it saves."""


@dataclass
class _Claim:
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    interval: timedelta
    failures: int
    fetch_articles: bool = False
    publisher: str | None = None  # vouched for by the operator; else the server's (see _fetch)


@dataclass
class _Fetched:
    """One claimed feed after its fetch and parse: the response and rows, or the error."""

    claim: _Claim
    response: FetchResult | None = None
    parsed: Prepared | None = None
    error: FeedError | None = None


@dataclass
class _Outcome(Generic[_Stored]):
    """What storing one fetched feed takes: the unit of work, and the result it leads to."""

    work: Callable[[Session], _Stored]
    finish: Callable[[_Stored], PollResult]


class Poller:
    """Polls feeds with one shared :class:`Fetcher`; safe to use from several threads.

    ``parse_processes`` (0: none, None: one per core) parse for :meth:`poll_due` when it polls
    many feeds (see ``_parsepool``); :meth:`poll_feed` always parses in the calling thread.
    ``max_entries``: entries read from one document at most; a feed with more keeps its first
    ones and its result says how many were dropped.
    """

    def __init__(
        self,
        engine: Engine,
        fetcher: Fetcher,
        *,
        lease: timedelta = timedelta(minutes=5),
        rng: random.Random | None = None,
        parse_processes: int | None = 0,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.engine = engine
        self.max_entries = max_entries
        self.fetcher = fetcher
        self.lease = max(
            lease,
            timedelta(seconds=fetcher.limits.total_timeout * (fetcher.limits.max_redirects + 1)),
        )
        self.rng = rng or random.Random()
        self.parse_processes = cpu_count() if parse_processes is None else parse_processes
        self.for_sqlite = (
            engine.dialect.name == "sqlite"
        )  # rows made in the driver's values (see _rows)
        self.writes = WriteQueue(engine)  # group commit on SQLite (see _writes)

    def poll_feed(self, feed_id: int, *, force: bool = False) -> PollResult:
        """One poll of one feed.  Idempotent: a feed that is not due (unless ``force``), disabled,
        removed, or held by another poller is skipped."""
        claims = self._claim([feed_id], force)
        if not claims:
            return _skipped(feed_id)
        try:
            outcome = self._outcome(self._fetch(claims[0], _INLINE))
            result = outcome.finish(self.writes.run(outcome.work))
        except BaseException:
            self._release([feed_id])
            raise
        new_articles.send(result.new_article_ids, engine=self.engine)
        return result

    def poll_due(
        self,
        *,
        concurrency: int = 4,
        force: bool = False,
        feed_ids: list[int] | None = None,
        progress: Callable[[PollResult], None] | None = None,
    ) -> list[PollResult]:
        """Polls every due feed (or ``feed_ids``) in-process: ``concurrency`` threads fetch,
        the parse processes parse, and this thread claims feeds a few at a time and stores what
        has arrived, several feeds to a transaction (each still all-or-nothing)."""
        if feed_ids is None:
            with session_scope(self.engine) as session:
                feed_ids = due_feed_ids(session)
        processes = self.parse_processes if len(feed_ids) >= MIN_FEEDS_FOR_PROCESSES else 0
        with (
            ParsePool(processes) as parser,
            ThreadPoolExecutor(max(1, concurrency), "poll") as fetchers,
        ):
            return _Pipeline(self, parser, fetchers, force, progress).run(
                feed_ids, in_flight=self.claims_ahead(concurrency)
            )

    def claims_ahead(self, concurrency: int) -> int:
        """How many feeds a run keeps claimed and not yet fetched and parsed: up to four per
        fetch thread, so the parse workers still have feeds when the store of the last ones
        takes a while (two per thread left them idle a tenth of a poll), and no more than the
        lease covers: the last one claimed waits for its thread's earlier fetches, each at most
        ``total_timeout`` plus ``host_wait``, then takes as long itself."""
        limits = self.fetcher.limits
        longest = limits.total_timeout + limits.host_wait
        covered = int(self.lease.total_seconds() // longest) if longest > 0 else 4
        return max(1, concurrency) * max(2, min(4, covered))

    # -- steps --

    def _claim(self, feed_ids: list[int], force: bool) -> list[_Claim]:
        return self.writes.run(self._claim_work(feed_ids, force))

    def _claim_work(self, feed_ids: list[int], force: bool) -> Callable[[Session], list[_Claim]]:
        """The unit of work that takes the leases of those of ``feed_ids`` that may be polled, with
        one conditional ``UPDATE ... RETURNING`` (the claim and the read of what the fetch needs
        are one statement, one round trip); it returns their claims in the order of ``feed_ids``."""
        now = utcnow()
        conditions = [
            _FEED.c.id.in_(feed_ids),
            _FEED.c.disabled_at.is_(None),
            or_(_FEED.c.lease_until.is_(None), _FEED.c.lease_until < now),
        ]
        if not force:
            conditions.append(_FEED.c.next_check_at <= now)
        statement = (
            update(_FEED)
            .where(*conditions)
            .values(lease_until=now + self.lease)
            .returning(
                _FEED.c.id,
                _FEED.c.url,
                _FEED.c.etag,
                _FEED.c.last_modified,
                _FEED.c.interval_s,
                _FEED.c.consecutive_failures,
                _FEED.c.fetch_articles,
                _FEED.c.publisher,
            )
        )

        def claim(session: Session) -> list[_Claim]:
            claims = {
                row.id: _Claim(
                    row.id,
                    row.url,
                    row.etag,
                    row.last_modified,
                    timedelta(seconds=row.interval_s),
                    row.consecutive_failures,
                    bool(row.fetch_articles),
                    row.publisher,
                )
                for row in session.connection().execute(statement)
            }
            return [claims[feed_id] for feed_id in feed_ids if feed_id in claims]

        return claim

    def _release(self, feed_ids: list[int]) -> None:
        self.writes.run(
            lambda session: session.connection().execute(
                update(_FEED).where(_FEED.c.id.in_(feed_ids)).values(lease_until=None)
            )
        )

    def _fetch(self, claim: _Claim, parser: ParsePool) -> _Fetched:
        """Fetch and parse, no transaction open; a feed error is kept, not raised."""
        try:
            response = self.fetcher.fetch(
                claim.url, etag=claim.etag, last_modified=claim.last_modified
            )
            parsed = (
                None
                if response.not_modified
                else parser.prepare(
                    claim.id,
                    response.body,
                    response.url,
                    response.fetched_at,
                    for_sqlite=self.for_sqlite,
                    charset=header_charset(response.headers.get("content-type")),
                    max_entries=self.max_entries,
                    publisher=claim.publisher or registered_domain(response.url) or None,
                )
            )
        except FeedError as error:
            return _Fetched(claim, error=error)
        return _Fetched(claim, response, parsed)

    def _outcome(self, fetched: _Fetched) -> _Outcome[Any]:
        if fetched.error is not None:
            return self._failure(fetched.claim, fetched.error)
        assert fetched.response is not None
        return self._success(fetched.claim, fetched.response, fetched.parsed)

    def _success(
        self, claim: _Claim, response: FetchResult, parsed: Prepared | None
    ) -> _Outcome[list[int] | None]:
        now = response.fetched_at
        fresh_for = _schedule.server_wish(response.headers, now)
        ttl = timedelta(seconds=parsed.ttl_s) if parsed and parsed.ttl_s else None
        next_check = _schedule.after_success(
            now, claim.interval, ttl=ttl, fresh_for=fresh_for, rng=self.rng
        )
        values: dict[str, Any] = {
            "consecutive_failures": 0,
            "error_kind": None,
            "last_error": None,
            "error_since": None,
            "last_success_at": now,
            "last_polled_at": now,
            "next_check_at": next_check,
            "lease_until": None,
        }
        if parsed is not None:
            values.update(
                etag=validator("etag", response.headers.get("etag")),
                last_modified=validator("last-modified", response.headers.get("last-modified")),
            )
            if parsed.title:  # the operator's title (or the first one seen) is kept
                values["title"] = func.coalesce(func.nullif(_FEED.c.title, ""), parsed.title)
            if parsed.site_url and len(parsed.site_url) <= MAX_SITE_URL:
                values["site_url"] = parsed.site_url

        def store(session: Session) -> list[int] | None:
            # The feed row first: it tells whether the feed still exists (removed while we were
            # fetching: nothing is stored), and takes the write lock before the articles go in.
            if not self._update_feed(session, claim.id, values):
                return None
            if parsed is None:
                return []
            inserted = insert_new_articles(session, parsed.rows)
            new_ids = sorted(inserted)
            if new_ids:  # the feeds list's count (Feed.article_count), with the articles
                session.execute(
                    update(Feed)
                    .where(col(Feed.id) == claim.id)
                    .values(article_count=col(Feed.article_count) + len(new_ids))
                )
            # searchable as soon as they are stored; analyzed by the parse worker already
            index_new_articles(session, parsed.index_entries(inserted))
            if claim.fetch_articles:
                want_pages(session, new_ids, now)
            return new_ids

        def finish(new_ids: list[int] | None) -> PollResult:
            if new_ids is None:
                return PollResult(
                    claim.id, Outcome.SKIPPED, claim.url, message="the feed was removed"
                )
            outcome = Outcome.NOT_MODIFIED if parsed is None else Outcome.NEW
            return PollResult(
                claim.id,
                outcome,
                claim.url,
                new_ids,
                list(new_ids) if claim.fetch_articles else [],
                parsed.entries if parsed else 0,
                message=_dropped_note(parsed, self.max_entries),
                next_check_at=next_check,
            )

        return _Outcome(store, finish)

    def _failure(self, claim: _Claim, error: FeedError) -> _Outcome[bool]:
        now = utcnow()
        failures = claim.failures + 1
        retry_after = _schedule.seconds_capped(error.retry_after) if error.retry_after else None
        next_check = _schedule.after_failure(
            now, claim.interval, failures, retry_after=retry_after, rng=self.rng
        )
        first_failure = func.coalesce(_FEED.c.error_since, literal(now, _FEED.c.error_since.type))
        values: dict[str, Any] = {
            "consecutive_failures": failures,
            "error_kind": error.kind,
            "last_error": error.message.replace("\x00", "")[:2000],  # text PostgreSQL takes
            "last_error_at": now,
            "error_since": first_failure,
            "last_polled_at": now,
            "next_check_at": next_check,
            "lease_until": None,
        }
        if error.permanent:
            values.update(disabled_at=now, disabled_reason=error.message)

        def finish(updated: bool) -> PollResult:
            if not updated:
                return PollResult(
                    claim.id, Outcome.SKIPPED, claim.url, message="the feed was removed"
                )
            outcome = Outcome.GONE if error.permanent else Outcome.FAILED
            return PollResult(
                claim.id,
                outcome,
                claim.url,
                error_kind=error.kind,
                message=error.message,
                next_check_at=next_check,
            )

        return _Outcome(lambda session: self._update_feed(session, claim.id, values), finish)

    @staticmethod
    def _update_feed(session: Session, feed_id: int, values: dict[str, Any]) -> bool:
        """One ``UPDATE`` of the feed row (no ORM object loaded); False when the feed is gone."""
        statement = update(_FEED).where(_FEED.c.id == feed_id).values(**values)
        return bool(session.connection().execute(statement).rowcount)


_INLINE = ParsePool(0)


def _dropped_note(parsed: Prepared | None, max_entries: int) -> str:
    if parsed is None or not parsed.dropped:
        return ""
    return (
        f"the feed has {parsed.entries + parsed.dropped:,} entries; only its first "
        f"{max_entries:,} were read (TRACKER_MAX_ENTRIES_PER_FEED)"
    )


def _skipped(feed_id: int) -> PollResult:
    return PollResult(
        feed_id, Outcome.SKIPPED, message="not due, disabled, removed or being polled"
    )


class _Pipeline:
    """One ``poll_due`` run: claims feeds as fetch threads free up, stores what arrives.

    At most ``in_flight`` feeds are claimed and not yet fetched and parsed
    (:meth:`Poller.claims_ahead`), so a lease never waits long for its fetch; everything
    fetched since the last write is stored, and the next feeds are claimed, in one group (one
    transaction on SQLite, each unit still all-or-nothing: see ``_writes``).  If the run is
    interrupted, the leases of the feeds not stored are given back.
    """

    def __init__(
        self,
        poller: Poller,
        parser: ParsePool,
        fetchers: ThreadPoolExecutor,
        force: bool,
        progress: Callable[[PollResult], None] | None,
    ) -> None:
        self.poller, self.parser, self.fetchers = poller, parser, fetchers
        self.force, self.progress = force, progress
        self.results: list[PollResult] = []
        self.pending: set[Future[_Fetched]] = set()
        self.claimed: set[int] = set()

    def run(self, feed_ids: list[int], *, in_flight: int) -> list[PollResult]:
        waiting = list(feed_ids)
        try:
            while waiting or self.pending:
                done: set[Future[_Fetched]] = set()
                if self.pending:
                    done, self.pending = wait(self.pending, return_when=FIRST_COMPLETED)
                room = in_flight - len(self.pending)
                claim, waiting = waiting[:room], waiting[room:]
                self._cycle([future.result() for future in done], claim)
        except BaseException:
            for future in self.pending:
                future.cancel()
            if self.claimed:
                self.poller._release(sorted(self.claimed))
            raise
        order = {feed_id: index for index, feed_id in enumerate(feed_ids)}
        return sorted(self.results, key=lambda result: order[result.feed_id])

    def _cycle(self, fetched: list[_Fetched], to_claim: list[int]) -> None:
        """Stores what was fetched and claims the next feeds: one group of writes, one commit."""
        outcomes = [self.poller._outcome(item) for item in fetched]
        works: list[Callable[[Session], Any]] = [outcome.work for outcome in outcomes]
        if to_claim:
            works.append(self.poller._claim_work(to_claim, self.force))
        writes = self.poller.writes.run_all(works)
        taken = self._start(writes[-1].result()) if to_claim else set()
        results = []
        for item, outcome, write in zip(fetched, outcomes, writes, strict=False):
            results.append(
                outcome.finish(write.result())
            )  # a failed store raises; run() frees its lease
            self.claimed.discard(item.claim.id)
        # The leases are all accounted for before anything else that may raise (a receiver,
        # progress).
        for result in results:
            new_articles.send(result.new_article_ids, engine=self.poller.engine)
        self._report(results + [_skipped(feed_id) for feed_id in to_claim if feed_id not in taken])

    def _start(self, claims: list[_Claim]) -> set[int]:
        """Fetches the claimed feeds; returns their ids."""
        taken = {claim.id for claim in claims}
        self.claimed |= taken
        self.pending |= {
            self.fetchers.submit(self.poller._fetch, claim, self.parser) for claim in claims
        }
        return taken

    def _report(self, results: list[PollResult]) -> None:
        self.results.extend(results)
        if self.progress:
            for result in results:
                self.progress(result)
