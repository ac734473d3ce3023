"""Full-text search of articles and forecasts, and rebuilding its index (`tracker search
reindex`); see :mod:`tracker.search` and docs/dev.md, "Search"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from tracker import search
from tracker.paging import KeysetPage
from tracker.search import ANALYZER_VERSION, ArticleHit, ArticleQuery, ForecastHit

if TYPE_CHECKING:
    from tracker.domain.registry import ForecastFilter


def search_articles(
    session: Session, query: ArticleQuery, cursor: str | None = None, per_page: int = 20
) -> KeysetPage[ArticleHit]:
    """The page at ``cursor`` of the articles ``query`` finds (README, "Search syntax"); with
    no text, the articles of its filters, newest first."""
    return search.search_articles(session, query, cursor=cursor, per_page=per_page)


def search_forecast_text(
    session: Session,
    text: str,
    where: ForecastFilter | None = None,
    cursor: str | None = None,
    per_page: int = 20,
) -> KeysetPage[ForecastHit]:
    """The page at ``cursor`` of the forecasts ``text`` finds among those ``where`` lets
    through, with snippets.  (The forecasts *list* filtered by text is
    :func:`~tracker.service.search_forecasts`, which keeps the list's own sort.)"""
    return search.search_forecasts(session, text, where, cursor=cursor, per_page=per_page)


@dataclass(frozen=True)
class IndexState:
    """The analyzer version the index was built with (None: never built; ``'rebuilding'``:
    a rebuild is running or was cut short) and this code's."""

    built_with: str | None
    current: int = ANALYZER_VERSION

    @property
    def stale(self) -> bool:
        return self.built_with != str(self.current)


def search_index_state(session: Session) -> IndexState:
    return IndexState(search.index_version(session))


def reindex_search(
    engine: Engine, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Rebuilds the search index with this analyzer (``tracker search reindex``):
    ``progress(kind, done, total)`` after each batch; returns how many articles and
    forecasts were indexed."""
    return search.rebuild_index(engine, progress)
