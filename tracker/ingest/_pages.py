"""Article pages: the full text of a feed that gives only teasers (``Feed.fetch_articles``).

Each new article of such a feed is marked ``page_state='pending'`` when it is stored (by the
poller).  A page fetch (:func:`fetch_article_page`) then, with no transaction open in between:

1. claims the article (a lease in ``page_next_try_at``, one fetch per article at a time);
2. reads the host's robots.txt (:class:`RobotsCache`: protego, cached per host with an expiry;
   4xx means no rules, 5xx or an unreadable file is ``robots_broken``) and refuses a disallowed
   page (``page_state='refused'``, not fetched);
3. downloads the page with the guarded client (:class:`~tracker.ingest._fetch.Fetcher`: the SSRF
   guard on every connect and redirect, the size cap after decompression, timeouts, the per-host
   limit) asking for HTML;
4. extracts the main text and the page's own date with trafilatura (one call);
5. stores the text as the article's body (``body_source='page'``) when it is longer than what
   the feed gave, bounded by :data:`~tracker.ingest._parse.MAX_BODY`, corrects an estimated
   publication date with the page's, and sets ``matched_at`` back to NULL so the resolution stage
   matches the new text (and re-evaluates the forecasts it adds evidence to).

A page fetched from its own link's registered domain (after redirects), for an article that
counted for another publisher (an aggregator's item), makes the article that publisher's
(``Article.publisher``): its text becomes the page's alone (body, and title when the page has
one; the feed's teaser is dropped, since those were the aggregator's words, not the
publisher's), whatever their lengths.

A failure is recorded on the article with its kind (:class:`PageErrorKind`), message and time,
and retried with exponential backoff until :attr:`PagePolicy.max_attempts`; some kinds are
permanent (a binary file, a page over the size cap, a forbidden address).  Nothing is dropped
silently, and nothing here touches the feed: its polling goes on whatever its pages do.
"""

from __future__ import annotations

import enum
import functools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import trafilatura
from protego import Protego
from sqlalchemy import Engine, Row, bindparam, func, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import Update
from sqlmodel import Session, col, select

from tracker.clock import utcnow
from tracker.db import database_error, where
from tracker.errors import BlockedAddressError, FeedError, PageError
from tracker.ingest._fetch import Fetcher
from tracker.ingest._parse import MAX_BODY, header_charset
from tracker.ingest._rows import plausible_date
from tracker.ingest._ssrf import check_url
from tracker.models import Article, Feed, table_of
from tracker.search import index_articles, unindex_articles
from tracker.urls import registered_domain

_ARTICLE = table_of(Article)

#: what a page fetch asks for
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
#: the token robots.txt rules are matched against (the start of our User-Agent)
ROBOTS_AGENT = "forecast-tracker"
#: robots.txt larger than this is broken (Google reads the first 500 KiB)
ROBOTS_MAX_BYTES = 500 * 1024
#: a failed robots.txt read is kept this long before the host's next page tries again
ROBOTS_FAILURE_TTL_S = 60.0
#: the longest wait between two tries of one page
MAX_BACKOFF = timedelta(days=1)
#: content types whose body is an HTML page
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: what trafilatura is asked for: main text and metadata (the date), no comments, in one call
EXTRACT_OPTIONS: dict[str, Any] = {
    "with_metadata": True,
    "include_comments": False,
    "include_tables": True,
    "favor_precision": True,
}


class PageErrorKind(str, enum.Enum):
    """Why an article page gave no text (``Article.page_error_kind``)."""

    NOT_FOUND = "not_found"  # HTTP 404 or 410
    HTTP = "http"  # another HTTP error status
    BOT_CHALLENGE = "bot_challenge"
    TOO_LARGE = "too_large"  # over the size cap (after decompression)
    BINARY = "binary"  # not an HTML page (a PDF, an image, bytes)
    REDIRECT = "redirect"  # a redirect loop or too many redirects
    TIMEOUT = "timeout"
    CONNECTION = "connection"  # DNS, TLS, refused, reset
    BLOCKED = "blocked"  # the SSRF guard refused the address
    CORRUPT = "corrupt"  # a broken or unsupported compression
    ROBOTS_BROKEN = "robots_broken"  # robots.txt answered 5xx or cannot be read
    DISALLOWED = "disallowed"  # robots.txt forbids the page (page_state 'refused')
    TOO_LITTLE_TEXT = "too_little_text"  # a paywall, a login wall, a stub
    NO_ARTICLE = "no_article"  # the extractor found no main text at all
    NO_LINK = "no_link"  # the article has no http(s) link to fetch


class PageState(str, enum.Enum):
    """``Article.page_state``: None means the feed does not want pages."""

    PENDING = "pending"  # due at page_next_try_at (a claim pushes that on by the lease)
    FETCHED = "fetched"
    FAILED = "failed"  # retried at page_next_try_at; none: given up after max_attempts
    REFUSED = "refused"  # robots.txt disallows it: never fetched


_PERMANENT = {PageErrorKind.BINARY, PageErrorKind.TOO_LARGE, PageErrorKind.BLOCKED}
_FETCH_KINDS = {
    "timeout": PageErrorKind.TIMEOUT,
    "dns": PageErrorKind.CONNECTION,
    "tls": PageErrorKind.CONNECTION,
    "connection": PageErrorKind.CONNECTION,
    "too_large": PageErrorKind.TOO_LARGE,
    "redirect": PageErrorKind.REDIRECT,
    "bot_challenge": PageErrorKind.BOT_CHALLENGE,
    "ssrf": PageErrorKind.BLOCKED,
    "parse": PageErrorKind.CORRUPT,
}


@dataclass(frozen=True)
class PagePolicy:
    """How pages are judged and retried (from the settings: ``page_min_chars``,
    ``page_max_attempts``, ``page_retry_s``)."""

    min_chars: int = 400
    max_attempts: int = 5
    retry_after: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=6)

    def next_try(self, now: datetime, attempts: int) -> datetime | None:
        """When to try again after ``attempts`` failed tries; None once they are used up."""
        if attempts >= self.max_attempts:
            return None
        wait: timedelta = self.retry_after * (2 ** max(0, attempts - 1))
        return now + min(wait, MAX_BACKOFF)


@dataclass(frozen=True)
class PageText:
    """What a page gave: its main text (bounded), whether it was cut, its own date, and the
    metadata it states (title, author, site name, tags: what `tracker extract` takes)."""

    url: str
    text: str
    truncated: bool
    published: datetime | None
    title: str | None = None
    author: str | None = None
    sitename: str | None = None
    tags: tuple[str, ...] = ()


# --- robots.txt ------------------------------------------------------------------------------


@dataclass
class _RobotsEntry:
    rules: Protego | None  # None: no rules (a 4xx), everything allowed
    error: PageError | None
    expires: float


class RobotsCache:
    """Each host's robots.txt, read through the page fetcher and kept ``ttl_s`` seconds (a
    failed read :data:`ROBOTS_FAILURE_TTL_S`).  Thread-safe; one per worker process."""

    def __init__(
        self,
        fetcher: Fetcher,
        ttl_s: float,
        *,
        failure_ttl_s: float = ROBOTS_FAILURE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetcher = fetcher
        self.ttl_s = ttl_s
        self.failure_ttl_s = failure_ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _RobotsEntry] = {}

    def check(self, url: str) -> None:
        """Raises a :class:`PageError` when ``url`` may not be fetched: ``disallowed`` by the
        rules, or ``robots_broken`` (or the network's kind) when robots.txt cannot be read."""
        entry = self._entry(robots_url(url))
        if entry.error is not None:
            error = entry.error
            raise PageError(error.kind, url, error.message, permanent=error.permanent)
        if entry.rules is not None and not entry.rules.can_fetch(url, ROBOTS_AGENT):
            raise PageError(
                PageErrorKind.DISALLOWED.value, url, "robots.txt disallows fetching this page"
            )

    def _entry(self, where: str) -> _RobotsEntry:
        with self._lock:
            entry = self._entries.get(where)
        if entry is not None and entry.expires > self.clock():
            return entry
        entry = self._read(where)
        with self._lock:
            self._entries[where] = entry
        return entry

    def _read(self, where: str) -> _RobotsEntry:
        try:
            response = self.fetcher.fetch(where)
            rules = _parse_robots(where, response.body)
        except PageError as exc:
            return _RobotsEntry(None, exc, self.clock() + self.failure_ttl_s)
        except FeedError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return _RobotsEntry(None, None, self.clock() + self.ttl_s)  # no robots.txt
            return _RobotsEntry(
                None, _robots_failure(where, exc), self.clock() + self.failure_ttl_s
            )
        return _RobotsEntry(rules, None, self.clock() + self.ttl_s)


def robots_url(url: str) -> str:
    """The robots.txt of ``url``'s scheme, host and port."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def _parse_robots(where: str, body: bytes) -> Protego:
    if len(body) > ROBOTS_MAX_BYTES:
        raise PageError(
            PageErrorKind.ROBOTS_BROKEN.value,
            where,
            f"robots.txt is {len(body):,} bytes, over the {ROBOTS_MAX_BYTES:,} read",
        )
    if b"\x00" in body:
        raise PageError(PageErrorKind.ROBOTS_BROKEN.value, where, "robots.txt is binary, not text")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PageError(
            PageErrorKind.ROBOTS_BROKEN.value, where, f"robots.txt is not UTF-8 text ({exc.reason})"
        ) from exc
    try:
        return Protego.parse(text)
    except (ValueError, TypeError, IndexError) as exc:  # what protego raises on garbage
        raise PageError(
            PageErrorKind.ROBOTS_BROKEN.value, where, f"robots.txt cannot be parsed ({exc})"
        ) from exc


def _robots_failure(where: str, error: FeedError) -> PageError:
    """A failed robots.txt read: the network's own kind when the host is unreachable (the page
    would fail the same way), else ``robots_broken`` (5xx, 429, too large, a redirect loop)."""
    kind = _FETCH_KINDS.get(error.kind)
    if kind in (PageErrorKind.TIMEOUT, PageErrorKind.CONNECTION, PageErrorKind.BLOCKED):
        return PageError(
            kind.value, where, f"robots.txt: {error.message}", permanent=kind in _PERMANENT
        )
    return PageError(
        PageErrorKind.ROBOTS_BROKEN.value, where, f"robots.txt cannot be read: {error.message}"
    )


# --- one page --------------------------------------------------------------------------------


class PageFetcher:
    """Fetches article pages and extracts their main text; thread-safe, one per worker process.

    ``fetcher`` is a :class:`Fetcher` made with ``accept=PAGE_ACCEPT`` (the factory
    :func:`tracker.ingest.make_page_fetcher` builds it from the settings)."""

    def __init__(self, fetcher: Fetcher, *, robots_ttl_s: float, min_chars: int) -> None:
        self.fetcher = fetcher
        self.robots = RobotsCache(fetcher, robots_ttl_s)
        self.min_chars = min_chars

    def close(self) -> None:
        self.fetcher.close()

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(self, url: str | None) -> PageText:
        """The main text of the page at ``url``; a :class:`PageError` says why there is none.
        A host with every slot busy raises :class:`HostBusyError` (try again soon)."""
        if not url:
            raise PageError(PageErrorKind.NO_LINK.value, "", "the article has no link to fetch")
        try:
            check_url(url)
            urlsplit(url).port  # noqa: B018 (a port that is no number raises here, not in httpx)
        except BlockedAddressError as exc:
            raise PageError(PageErrorKind.NO_LINK.value, url, exc.message) from exc
        except ValueError as exc:
            raise PageError(PageErrorKind.NO_LINK.value, url, f"not a valid URL ({exc})") from exc
        self.robots.check(url)
        try:
            response = self.fetcher.fetch(url)
        except FeedError as exc:
            raise page_error(exc) from exc
        content_type = response.headers.get("content-type", "")
        return extract_page(response.url, response.body, content_type, self.min_chars)


def page_error(error: FeedError) -> PageError:
    """The page failure a fetch error is (404 and 410 are ``not_found``)."""
    if error.kind == "http_status":
        kind = PageErrorKind.NOT_FOUND if error.status in (404, 410) else PageErrorKind.HTTP
    else:
        kind = _FETCH_KINDS.get(error.kind, PageErrorKind.HTTP)
    return PageError(kind.value, error.url, error.message, permanent=kind in _PERMANENT)


def _markup(url: str, body: bytes, content_type: str) -> str | bytes:
    """The page as trafilatura takes it: text in the header's charset when it names one (else
    the bytes, whose charset trafilatura detects); a :class:`PageError` when it is no HTML."""
    media, charset = content_type.partition(";")[0].strip().lower(), header_charset(content_type)
    if (media and media not in HTML_TYPES) or b"\x00" in body[:4096]:
        raise PageError(
            PageErrorKind.BINARY.value,
            url,
            f"not an HTML page ({media or 'binary content'})",
            permanent=True,
        )
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except (LookupError, ValueError):  # ValueError: UnicodeError of a codec like "undefined"
            pass  # an unknown or unusable charset name: let trafilatura detect it
    return body


def extract_page(url: str, body: bytes, content_type: str, min_chars: int) -> PageText:
    """The main text and date of one downloaded page (see :data:`EXTRACT_OPTIONS`)."""
    document = trafilatura.bare_extraction(
        _markup(url, body, content_type), url=url, **EXTRACT_OPTIONS
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not text:
        raise PageError(PageErrorKind.NO_ARTICLE.value, url, "no article text found on the page")
    if len(text) < min_chars:
        raise PageError(
            PageErrorKind.TOO_LITTLE_TEXT.value,
            url,
            f"only {len(text)} characters of article text (at least {min_chars} expected): "
            "a paywall, a login wall or a stub?",
        )
    truncated = len(text) > MAX_BODY
    published = _page_date(getattr(document, "date", None))
    return PageText(url, text[:MAX_BODY], truncated, published, **_page_metadata(document))


def _page_metadata(document: object) -> dict[str, Any]:
    """The title, author, site name and tags trafilatura read from the page, where it has them."""
    found: dict[str, Any] = {
        name: value.strip()
        for name in ("title", "author", "sitename")
        if isinstance(value := getattr(document, name, None), str) and value.strip()
    }
    tags = [tag for name in ("categories", "tags") for tag in getattr(document, name, None) or []]
    found["tags"] = tuple(t.strip() for t in tags if isinstance(t, str) and t.strip())
    return found


def _page_date(value: object) -> datetime | None:
    """trafilatura's ``YYYY-MM-DD`` as midnight UTC, when it is plausible (the feed dates' rule,
    :func:`~tracker.ingest._rows.plausible_date`)."""
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return plausible_date(datetime(day.year, day.month, day.day, tzinfo=UTC), utcnow())


# --- the article's page state ------------------------------------------------------------------


@dataclass
class PageOutcome:
    """What one page fetch did.  ``rematch``: the article's text (or date) changed and its
    ``matched_at`` was reset, so it should be handed to the resolution stage."""

    article_id: int
    state: str | None  # None: skipped (not due, taken, or gone)
    error_kind: str | None = None
    message: str = ""
    rematch: bool = False
    chars: int = 0
    next_try_at: datetime | None = None


@dataclass(frozen=True)
class _Claim:
    """A claimed article: its link, and what storing the page's text must know of it."""

    id: int
    link: str | None
    attempts: int
    fed_chars: int  # the longer of what the feed gave: summary or body
    truncated: bool
    estimated: bool
    url: str | None = None  # the canonical link: the domain the article names as its own
    publisher: str | None = None  # whom it counts for now


def _write(engine: Engine, statement: Update, params: dict[str, Any]) -> Row[Any] | None:
    """One statement in a transaction of its own (no ORM session: a page is two short writes
    around the network); its first returned row, if it returns any."""
    try:
        with engine.begin() as connection:
            result = connection.execute(statement, params)
            return result.first() if result.returns_rows else None
    except SQLAlchemyError as exc:
        raise database_error(exc, where(engine)) from exc


def want_pages(session: Session, article_ids: list[int], now: datetime) -> None:
    """Marks these (new) articles' pages as wanted, due at once."""
    if article_ids:
        session.connection().execute(
            update(_ARTICLE)
            .where(_ARTICLE.c.id.in_(article_ids))
            .values(page_state=PageState.PENDING.value, page_next_try_at=now)
        )


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        col(Article.page_state).in_([PageState.PENDING.value, PageState.FAILED.value]),
        col(Article.page_next_try_at) <= now,
    )


def due_page_ids(
    session: Session, now: datetime | None = None, limit: int | None = None
) -> list[int]:
    """Articles whose page is due now (wanted, or failed and due for a retry), oldest due first."""
    query = (
        select(col(Article.id))
        .where(*_due(now or utcnow()))
        .order_by(col(Article.page_next_try_at), col(Article.id))
    )
    return [i for i in session.exec(query.limit(limit) if limit else query) if i is not None]


def page_state_counts(session: Session) -> dict[str, int]:
    """How many articles are in each page state (articles not wanting pages are left out)."""
    rows = session.exec(
        select(col(Article.page_state), func.count())
        .where(col(Article.page_state).is_not(None))
        .group_by(col(Article.page_state))
    )
    return {str(state): int(count) for state, count in rows}


@functools.cache
def _claim_statement(force: bool) -> Update:
    """The claim as one conditional ``UPDATE ... RETURNING``, built once (parameters: the
    article, now, and the lease's end)."""
    states = [PageState.PENDING.value, PageState.FAILED.value]
    conditions = [_ARTICLE.c.id == bindparam("article_id"), _ARTICLE.c.page_state.in_(states)]
    if not force:
        conditions.append(_ARTICLE.c.page_next_try_at <= bindparam("now"))
    return (
        update(_ARTICLE)
        .where(*conditions)
        .values(page_next_try_at=bindparam("until"))
        .returning(
            _ARTICLE.c.id,
            _ARTICLE.c.original_url,
            _ARTICLE.c.url,
            _ARTICLE.c.page_attempts,
            _ARTICLE.c.text_truncated,
            _ARTICLE.c.published_estimated,
            _ARTICLE.c.publisher,
            func.length(_ARTICLE.c.body).label("body_chars"),
            func.length(_ARTICLE.c.summary).label("summary_chars"),
        )
    )


@functools.cache
def _update_statement(columns: frozenset[str]) -> Update:
    """``UPDATE article SET <columns> WHERE id = :article_id``, built once per set of columns
    (a page is stored in one of a few shapes); each value is the parameter ``v_<column>``."""
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in sorted(columns)}
    return update(_ARTICLE).where(_ARTICLE.c.id == bindparam("article_id")).values(values)


def _update(engine: Engine, article_id: int, values: dict[str, Any]) -> None:
    params = {f"v_{name}": value for name, value in values.items()}
    _write(engine, _update_statement(frozenset(values)), {"article_id": article_id, **params})


#: the article's columns the search index holds (its text, publisher and date)
_INDEXED = frozenset({"title", "summary", "body", "publisher", "published_at"})


def _update_indexed(engine: Engine, article_id: int, values: dict[str, Any]) -> None:
    """:func:`_update` of indexed columns, the search index kept in step in one transaction:
    out of the index with its old text, then in with the new."""
    params = {f"v_{name}": value for name, value in values.items()}
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":  # the write lock first: it reads, then writes
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            unindex_articles(connection, [article_id])
            connection.execute(
                _update_statement(frozenset(values)), {"article_id": article_id, **params}
            )
            index_articles(connection, [article_id])
    except SQLAlchemyError as exc:
        raise database_error(exc, where(engine)) from exc


def _claim(engine: Engine, article_id: int, lease: timedelta, force: bool) -> _Claim | None:
    """Takes the article's page for ``lease`` (pushing ``page_next_try_at`` on), if it is due
    (or, with ``force``, wanted at all and not fetched)."""
    now = utcnow()
    params = {"article_id": article_id, "now": now, "until": now + lease}
    row = _write(engine, _claim_statement(force), params)
    if row is None:
        return None
    link = row.original_url or row.url
    fed = max(row.body_chars or 0, row.summary_chars or 0)
    return _Claim(
        row.id,
        link,
        row.page_attempts,
        fed,
        row.text_truncated,
        row.published_estimated,
        row.url or row.original_url,
        row.publisher,
    )


def fetch_article_page(
    engine: Engine,
    pages: PageFetcher,
    article_id: int,
    policy: PagePolicy,
    *,
    force: bool = False,
) -> PageOutcome:
    """Fetch one article's page and record what came of it (see the module docstring).

    Idempotent: an article whose page is not wanted, already fetched, not due (unless
    ``force``) or being fetched by another worker is skipped.  A :class:`HostBusyError` gives
    the claim back and is raised (the caller retries soon)."""
    claim = _claim(engine, article_id, policy.lease, force)
    if claim is None:
        return PageOutcome(article_id, None, message="not due, not wanted, or being fetched")
    try:
        page = pages.fetch(claim.link)
    except PageError as error:
        return _record_failure(engine, claim, error, policy)
    except BaseException:  # HostBusyError, or the worker stopping: the claim is given back
        _release(engine, claim.id)
        raise
    return _record_text(engine, claim, page)


def _release(engine: Engine, article_id: int) -> None:
    _update(engine, article_id, {"page_next_try_at": utcnow()})


def _record_failure(
    engine: Engine, claim: _Claim, error: PageError, policy: PagePolicy
) -> PageOutcome:
    now = utcnow()
    attempts = claim.attempts + 1
    if error.kind == PageErrorKind.DISALLOWED.value:
        state, next_try = PageState.REFUSED.value, None
    else:
        state = PageState.FAILED.value
        next_try = None if error.permanent else policy.next_try(now, attempts)
    values = {
        "page_state": state,
        "page_error_kind": error.kind,
        "page_error": error.message[:2000],
        "page_error_at": now,
        "page_attempts": attempts,
        "page_next_try_at": next_try,
    }
    _update(engine, claim.id, values)
    return PageOutcome(
        claim.id, state, error_kind=error.kind, message=error.message, next_try_at=next_try
    )


def verified_publisher(link: str | None, fetched_from: str, counted_for: str | None) -> str | None:
    """The publisher a page fetch makes an article's: its link's registered domain, when the page
    was fetched from that domain (``fetched_from``: the final URL, after redirects) and the
    article counts for someone else so far; None when nothing changes."""
    own = registered_domain(link)
    if not own or own == counted_for or registered_domain(fetched_from) != own:
        return None
    return own


def _record_text(engine: Engine, claim: _Claim, page: PageText) -> PageOutcome:
    """Stores the page's text when it is longer than what the feed gave, and its date when the
    feed's was estimated; either resets ``matched_at`` so the new text is matched."""
    values: dict[str, Any] = {
        "page_state": PageState.FETCHED.value,
        "page_error_kind": None,
        "page_error": None,
        "page_error_at": None,
        "page_attempts": claim.attempts + 1,
        "page_next_try_at": None,
    }
    verified = verified_publisher(claim.url, page.url, claim.publisher)
    if verified is not None:  # the publisher's own page: its words replace the aggregator's
        values.update(
            publisher=verified,
            body=page.text,
            body_source="page",
            summary="",
            text_truncated=page.truncated,
            **({"title": page.title} if page.title else {}),
        )
    elif len(page.text) > claim.fed_chars:
        values.update(
            body=page.text, body_source="page", text_truncated=page.truncated or claim.truncated
        )
    if claim.estimated and page.published is not None:
        values.update(published_at=page.published, published_estimated=False)
    rematch = "body" in values or "published_at" in values
    if rematch:
        values["matched_at"] = None
    if _INDEXED.isdisjoint(values):
        _update(engine, claim.id, values)
    else:
        _update_indexed(engine, claim.id, values)
    return PageOutcome(claim.id, PageState.FETCHED.value, rematch=rematch, chars=len(page.text))


# --- feeds -----------------------------------------------------------------------------------


#: a feed looks like teasers when most of its recent entries give this little text, no body
TEASER_CHARS = 400
TEASER_SAMPLE = 20


def teaser_feed_ids(
    session: Session, *, only: Iterable[int] | None = None, sample: int = TEASER_SAMPLE
) -> set[int]:
    """Feeds (of ``only``, else all) that do not fetch pages yet although most of their newest
    ``sample`` articles are teasers (a summary under :data:`TEASER_CHARS` characters and no
    body): where ``--full-text`` is worth suggesting.  One statement: per feed, its newest
    articles by its date index and two counts of them (a statement per feed took 3 s for the
    feeds page at 2,000 feeds)."""
    recent = aliased(Article)
    newest = (
        select(col(recent.id))
        .where(col(recent.feed_id) == col(Feed.id))
        .order_by(col(recent.published_at).desc())
        .limit(sample)
        .correlate(Feed)
    )

    def count_of(*conditions: Any) -> Any:
        return (
            select(func.count())
            .select_from(Article)
            .where(col(Article.id).in_(newest), *conditions)
            .correlate(Feed)
            .scalar_subquery()
        )

    teaser = (col(Article.body) == "") & (func.length(col(Article.summary)) < TEASER_CHARS)
    query = select(col(Feed.id), count_of(), count_of(teaser)).where(
        col(Feed.fetch_articles).is_(False)
    )
    if only is not None:
        query = query.where(col(Feed.id).in_(list(only)))
    return {
        feed_id
        for feed_id, total, teasers in session.exec(query)
        if feed_id is not None and total and teasers * 2 > total
    }
