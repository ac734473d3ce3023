"""Searching: one function per kind, the same hits in the same order on both engines.

Ranking is by tiers the index computes, then by a fixed order (docs/dev.md, "Search"): tier 2,
the whole query within the title; tier 1, within title and lead; tier 0, anywhere.  Articles
come newest first within a tier (then by id, descending), forecasts by close date (then by id).
A page is read tier by tier, each with its own ``ORDER BY ... LIMIT`` after the cursor, moving
to the next tier when one runs out, so no query ranks every hit.  The cursor is the last row's
sort key (tier, date, id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, union
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from tracker.clock import today as utc_today
from tracker.errors import InvalidInputError
from tracker.models import Article, ArticleFeed, Feed, Forecast, Source, table_of
from tracker.paging import KeysetPage, decode_cursor, encode_cursor
from tracker.search._query import MAX_QUERY, ParsedQuery, parse_query
from tracker.search._snippet import Snippet, snippet
from tracker.search._tables import ARTICLE_SEARCH, TextMatch

if TYPE_CHECKING:
    from tracker.domain.registry import ForecastFilter

#: the most hits on one page
MAX_PER_PAGE = 100
_TIERS = (2, 1, 0)


@dataclass(frozen=True)
class ArticleQuery:
    """What to find among articles: ``text`` in the search syntax (None: every article, newest
    first), and filters: a feed (the stories it carried too), a publisher (the registered domain
    an article counts for), published on or after ``since`` and on or before ``until``."""

    text: str | None = None
    feed_id: int | None = None
    publisher: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass
class ArticleHit:
    article_id: int
    title: str
    url: str | None
    published_at: datetime | None
    feed_id: int | None
    feed_title: str | None
    publisher: str | None
    tier: int
    snippet: Snippet


@dataclass
class ForecastHit:
    forecast_id: str
    question: str
    author: str
    closes: date
    status: str
    tier: int
    snippet: Snippet


def _check_page(per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInputError(
            "per_page", f"must be between 1 and {MAX_PER_PAGE} (got {per_page})"
        )


def _parsed(text: str | None) -> ParsedQuery | None:
    if text is None or not text.strip():
        if text is not None and len(text) > MAX_QUERY:
            parse_query(text)  # says it is too long
        return None
    return parse_query(text)


def _read_tiers(
    fetch: Callable[[int, tuple[Any, ...] | None, int], list[tuple[Any, ...]]],
    tiers: tuple[int, ...],
    after: tuple[Any, ...] | None,
    per_page: int,
) -> tuple[list[tuple[Any, ...]], bool]:
    """Rows ``(tier, sort key..., id)`` of the page after ``after`` (a cursor's key), reading each
    tier with ``fetch(tier, after_in_tier, limit)``; and whether more follow."""
    rows: list[tuple[Any, ...]] = []
    for tier in tiers:
        if after is not None and tier > after[0]:
            continue
        within = after[1:] if after is not None and tier == after[0] else None
        rows += [(tier, *row) for row in fetch(tier, within, per_page + 1 - len(rows))]
        if len(rows) > per_page:
            return rows[:per_page], True
    return rows, False


# --- articles -----------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _article_filters(query: ArticleQuery) -> list[Any]:
    s = ARTICLE_SEARCH.c
    article = table_of(Article)
    conditions: list[Any] = []
    window: list[Any] = []  # the dates, on the index's copy and on the article's own date
    if query.since is not None:
        conditions.append(s.published_at >= _day_start(query.since))
        window.append(article.c.published_at >= _day_start(query.since))
    if query.until is not None:
        conditions.append(s.published_at < _day_start(query.until + timedelta(days=1)))
        window.append(article.c.published_at < _day_start(query.until + timedelta(days=1)))
    if query.feed_id is not None:  # its own articles and those it carried (two index ranges)
        # The feed's own articles within the dates only: its (feed_id, published_at) index then
        # gives a few thousand rows, not all 33,000 of a busy feed (230 ms on PostgreSQL, which
        # read each from the table for its id).  The index holds the article's own date.
        carried = table_of(ArticleFeed).c
        conditions.append(
            s.article_id.in_(
                union(
                    select(article.c.id).where(article.c.feed_id == query.feed_id, *window),
                    select(carried.article_id).where(carried.feed_id == query.feed_id),
                )
            )
        )
    if query.publisher is not None:
        # a scalar subquery: each candidate's own article row, by its key (publisher has no
        # index; an IN or a join could read every article)
        publisher = (
            select(article.c.publisher).where(article.c.id == s.article_id).scalar_subquery()
        )
        conditions.append(publisher == query.publisher.strip().lower())
    return conditions


def _article_fetcher(
    session: Session, parsed: ParsedQuery | None, filters: list[Any]
) -> Callable[[int, tuple[Any, ...] | None, int], list[tuple[Any, ...]]]:
    s = ARTICLE_SEARCH.c

    def fetch(tier: int, after: tuple[Any, ...] | None, limit: int) -> list[tuple[Any, ...]]:
        statement = select(s.published_at, s.article_id).where(*filters)
        if parsed is not None:
            statement = statement.where(TextMatch("article", s.article_id, parsed, tier))
        if after is not None:
            at, article_id = after
            statement = statement.where(
                or_(s.published_at < at, and_(s.published_at == at, s.article_id < article_id))
            )
        statement = statement.order_by(s.published_at.desc(), s.article_id.desc()).limit(limit)
        return [tuple(row) for row in session.connection().execute(statement)]

    return fetch


def search_articles(
    session: Session, query: ArticleQuery, *, cursor: str | None = None, per_page: int = 20
) -> KeysetPage[ArticleHit]:
    """The page at ``cursor`` (None: the first) of the articles ``query`` finds, best tier
    first, newest first within a tier; with no text, every article (of the filters) newest
    first.  Bad input raises :class:`InvalidInputError` (``q``, ``cursor``, ``per_page``)."""
    _check_page(per_page)
    if query.since and query.until and query.since > query.until:
        raise InvalidInputError(
            "until", f"{query.until} is before since ({query.since}); swap them"
        )
    parsed = _parsed(query.text)
    after = decode_cursor(cursor, (int, datetime, int)) if cursor else None
    tiers = _TIERS if parsed is not None else (0,)
    fetch = _article_fetcher(session, parsed, _article_filters(query))
    rows, more = _read_tiers(fetch, tiers, after, per_page)
    hits = _article_hits(session, rows, parsed)
    following = encode_cursor(rows[-1]) if more and rows else None
    return KeysetPage(hits, following, per_page, cursor=cursor)


def _article_hits(
    session: Session, rows: list[tuple[Any, ...]], parsed: ParsedQuery | None
) -> list[ArticleHit]:
    if not rows:
        return []
    ids = [row[2] for row in rows]
    found = {
        article.id: (article, feed_title)
        for article, feed_title in session.exec(
            orm_select(Article, col(Feed.title))
            .outerjoin(Feed, col(Feed.id) == col(Article.feed_id))
            .where(col(Article.id).in_(ids))
        )
    }
    tokens, prefixes = parsed.highlights() if parsed else (frozenset(), ())
    hits = []
    for tier, _at, article_id in rows:
        if article_id not in found:
            continue  # deleted since
        article, feed_title = found[article_id]
        hits.append(
            ArticleHit(
                article_id=article_id,
                title=article.title,
                url=article.url or article.original_url,
                published_at=article.published_at,
                feed_id=article.feed_id,
                feed_title=feed_title,
                publisher=article.publisher,
                tier=tier,
                snippet=_article_snippet(article, tokens, prefixes),
            )
        )
    return hits


def _article_snippet(
    article: Article, tokens: frozenset[str], prefixes: tuple[str, ...]
) -> Snippet:
    """From the body where the query's words are, else the summary, else the body's start."""
    texts = [t for t in (article.body, article.summary) if t]
    for text in texts:
        parts = snippet(text, tokens, prefixes)
        if any(hit for _, hit in parts):
            return parts
    return snippet(texts[-1] if texts else "", tokens, prefixes)


# --- forecasts ----------------------------------------------------------------------------------


def _forecast_fetcher(
    session: Session, parsed: ParsedQuery, where: ForecastFilter | None
) -> Callable[[int, tuple[Any, ...] | None, int], list[tuple[Any, ...]]]:
    def fetch(tier: int, after: tuple[Any, ...] | None, limit: int) -> list[tuple[Any, ...]]:
        statement: Any = (
            select(col(Forecast.closes), col(Forecast.id))
            .join(Source, col(Source.id) == col(Forecast.source_id))
            .where(TextMatch("forecast", col(Forecast.id), parsed, tier))
        )
        if where is not None:
            statement = where.apply(statement)
        if after is not None:
            closes, forecast_id = after
            statement = statement.where(
                or_(
                    col(Forecast.closes) > closes,
                    and_(col(Forecast.closes) == closes, col(Forecast.id) > forecast_id),
                )
            )
        statement = statement.order_by(col(Forecast.closes), col(Forecast.id)).limit(limit)
        return [tuple(row) for row in session.connection().execute(statement)]

    return fetch


def search_forecasts(
    session: Session,
    text: str,
    where: ForecastFilter | None = None,
    *,
    cursor: str | None = None,
    per_page: int = 20,
) -> KeysetPage[ForecastHit]:
    """The page at ``cursor`` (None: the first) of the forecasts ``text`` finds among those
    ``where`` lets through, best tier first, then by close date and id."""
    _check_page(per_page)
    parsed = parse_query(text)
    after = decode_cursor(cursor, (int, date, str)) if cursor else None
    rows, more = _read_tiers(_forecast_fetcher(session, parsed, where), _TIERS, after, per_page)
    today = where.day() if where is not None else utc_today()
    hits = _forecast_hits(session, rows, parsed, today)
    following = encode_cursor(rows[-1]) if more and rows else None
    return KeysetPage(hits, following, per_page, cursor=cursor)


def _forecast_hits(
    session: Session, rows: list[tuple[Any, ...]], parsed: ParsedQuery, today: date
) -> list[ForecastHit]:
    from tracker.domain.lifecycle import status_on

    if not rows:
        return []
    found = {
        forecast.id: (forecast, source)
        for forecast, source in session.exec(
            orm_select(Forecast, Source)
            .join(Source, col(Source.id) == col(Forecast.source_id))
            .where(col(Forecast.id).in_([row[2] for row in rows]))
        )
    }
    tokens, prefixes = parsed.highlights()
    hits = []
    for tier, _closes, forecast_id in rows:
        if forecast_id not in found:
            continue
        forecast, source = found[forecast_id]
        text = " … ".join(t for t in (forecast.quote, forecast.criteria) if t)
        hits.append(
            ForecastHit(
                forecast_id=forecast_id,
                question=forecast.question,
                author=source.author,
                closes=forecast.closes,
                status=status_on(forecast, today).value,
                tier=tier,
                snippet=snippet(text, tokens, prefixes),
            )
        )
    return hits


def forecast_text_condition(text: str) -> Any:
    """The forecasts list's text filter: the forecast of that exact id, or those the index finds
    (any tier)."""
    return TextMatch("forecast", col(Forecast.id), parse_query(text), or_key=text.strip())
