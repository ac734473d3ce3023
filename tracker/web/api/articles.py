"""``/api/articles`` (search and the newest articles, one article with the forecasts it is
evidence for) and ``/api/search/forecasts`` (forecasts found by text, with snippets).  The query
syntax is the README's "Search syntax"; a query it cannot take is a 400 naming ``q``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from tracker import service
from tracker.web.deps import ReaderDep, SessionDep
from tracker.web.schemas import (
    ERROR_RESPONSES,
    MAX_ID,
    ArticleDetailOut,
    ArticlePageOut,
    ArticleQueryIn,
    ForecastHitPageOut,
    ForecastSearchIn,
)

router = APIRouter(tags=["articles"])
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="the article's id")]


@router.get(
    "/api/articles", name="api_articles", response_model=ArticlePageOut, responses=ERROR_RESPONSES
)
def list_articles(
    session: SessionDep, _reader: ReaderDep, query: Annotated[ArticleQueryIn, Query()]
) -> ArticlePageOut:
    """Articles the search finds, best first (every word in the title, then in title and lead,
    then anywhere; newest first within each), each with a snippet whose hit words are marked;
    without ``q``, the newest articles of the filters.  Follow ``next_cursor`` for more (a search
    reads forward only: ``prev_cursor`` is always null; keep the cursors you followed)."""
    found = service.search_articles(
        session, query.query(), cursor=query.cursor, per_page=query.per_page
    )
    return ArticlePageOut.of(found)


@router.get(
    "/api/articles/{article_id}",
    name="api_article",
    response_model=ArticleDetailOut,
    responses=ERROR_RESPONSES,
)
def get_article(article_id: ArticleId, session: SessionDep, _reader: ReaderDep) -> ArticleDetailOut:
    """One article as stored, and the forecasts it is evidence for (matched, or attached by hand
    and by whom)."""
    return ArticleDetailOut.of(service.article_view(session, article_id))


@router.get(
    "/api/search/forecasts",
    name="api_search_forecasts",
    response_model=ForecastHitPageOut,
    responses=ERROR_RESPONSES,
)
def search_forecasts(
    session: SessionDep, _reader: ReaderDep, query: Annotated[ForecastSearchIn, Query()]
) -> ForecastHitPageOut:
    """Forecasts the search finds (question, quote, criteria, author, source) among those the
    filters let through, best first, then by close date; each with a snippet of its quote and
    criteria; ``next_cursor`` reads on (``prev_cursor`` is always null).  (``GET
    /api/forecasts?q=`` is the forecasts list filtered by the same search, in the list's own
    order.)"""
    found = service.search_forecast_text(
        session, query.q, query.filter(), cursor=query.cursor, per_page=query.per_page
    )
    return ForecastHitPageOut.of(found)
