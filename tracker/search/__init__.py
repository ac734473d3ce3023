"""Full-text search of articles and forecasts with the database's own engine (issue 18).

SQLite FTS5 and PostgreSQL ``tsvector``/GIN, fed the same tokens by one analyzer in Python
(:mod:`._analyze`), so both engines return the same hits in the same order.  The query syntax is
ours (:mod:`._query`; README, "Search syntax").  See docs/dev.md, "Search".

- reading: :func:`search_articles` (:class:`ArticleQuery` -> :class:`ArticleHit` pages, also
  the newest-first article list), :func:`search_forecasts` (:class:`ForecastHit` pages),
  :func:`parse_query`, :func:`forecast_text_condition` (the forecasts list's text filter);
- writing, in the caller's transaction: :func:`index_articles`, :func:`index_new_articles`
  (a poll's new articles, analyzed before it), :func:`unindex_articles`,
  :func:`index_forecasts`; whole: :func:`rebuild_index`, :func:`index_version` against
  :data:`ANALYZER_VERSION`.

Imports the foundations and the models only (the domain's lifecycle, lazily, for a forecast's
status), so ingestion and the domain can keep the index in step.  Its names load when first used
(``tracker._lazy``): a parse worker takes :func:`article_index_values` (the analyzer, no
database), and a CLI command that never searches does not build the search tables.
"""

from __future__ import annotations

import typing

from tracker import _lazy

if typing.TYPE_CHECKING:
    from tracker.search._analyze import ANALYZER_VERSION, analyze
    from tracker.search._document import article_index_values
    from tracker.search._index import (
        index_articles,
        index_forecasts,
        index_new_articles,
        index_version,
        rebuild_index,
        unindex_articles,
    )
    from tracker.search._query import ParsedQuery, Term, parse_query
    from tracker.search._search import (
        ArticleHit,
        ArticleQuery,
        ForecastHit,
        forecast_text_condition,
        search_articles,
        search_forecasts,
    )
    from tracker.search._snippet import Snippet
    from tracker.search._tables import is_search_table

__all__ = [
    "ANALYZER_VERSION",
    "ArticleHit",
    "ArticleQuery",
    "ForecastHit",
    "ParsedQuery",
    "Snippet",
    "Term",
    "analyze",
    "article_index_values",
    "forecast_text_condition",
    "index_articles",
    "index_forecasts",
    "index_new_articles",
    "index_version",
    "is_search_table",
    "parse_query",
    "rebuild_index",
    "search_articles",
    "search_forecasts",
    "unindex_articles",
]

__getattr__ = _lazy.exports(__name__, __file__)
