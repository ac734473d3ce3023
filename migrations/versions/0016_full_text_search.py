"""full-text search: FTS5 tables (SQLite), weighted tsvectors with GIN indexes (PostgreSQL)

Issue 18.  The index is made of tokens our own analyzer gives (``tracker/search/_analyze.py``),
so both engines find the same rows; see docs/dev.md, "Search".  Engine-specific objects, made
with plain DDL and left out of the models (``tracker.search.is_search_table`` tells
``migrations/env.py`` and the models-vs-migrations test to skip them):

- SQLite: contentless FTS5 tables ``article_fts`` (rowid = article id) and ``forecast_fts``
  (rowid = ``forecast_search.key``), ``article_search`` (which articles are indexed, and their
  date: the order of hits), ``forecast_search`` (a forecast's integer key).
- PostgreSQL: ``article_search`` (article, date, tsvector of the whole article, and of its title
  and lead: the tiers) and ``forecast_search`` (forecast, tsvector), GIN indexes (made by the
  index's rebuild, after the load), rows that go with their article or forecast (FK cascade).
- Both: ``search_meta``, the analyzer version the index was built with.

The upgrade indexes the stored articles and forecasts with the analyzer of the code that runs
it.  After a change to the analyzer, ``tracker search reindex`` rebuilds the index (it says
when the index is stale).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_FTS = "USING fts5(title, lead, body, content='', prefix='2 3', tokenize='ascii', columnsize=0)"

SQLITE = [
    "CREATE TABLE search_meta (name VARCHAR(50) NOT NULL PRIMARY KEY, value VARCHAR(200) NOT NULL)",
    f"CREATE VIRTUAL TABLE article_fts {_FTS}",
    f"CREATE VIRTUAL TABLE forecast_fts {_FTS}",
    (
        "CREATE TABLE article_search (article_id INTEGER NOT NULL PRIMARY KEY"
        " REFERENCES article (id) ON DELETE CASCADE, published_at DATETIME NOT NULL)"
    ),
    "CREATE INDEX ix_article_search_published ON article_search (published_at, article_id)",
    (
        "CREATE TABLE forecast_search (key INTEGER PRIMARY KEY AUTOINCREMENT,"
        " forecast_id VARCHAR(200) NOT NULL UNIQUE REFERENCES forecast (id) ON DELETE CASCADE)"
    ),
]

POSTGRES = [
    "CREATE TABLE search_meta (name VARCHAR(50) NOT NULL PRIMARY KEY, value VARCHAR(200) NOT NULL)",
    (
        "CREATE TABLE article_search (article_id INTEGER NOT NULL PRIMARY KEY"
        " REFERENCES article (id) ON DELETE CASCADE,"
        " published_at TIMESTAMP WITH TIME ZONE NOT NULL, tsv TSVECTOR NOT NULL,"
        " head_tsv TSVECTOR NOT NULL)"
    ),
    "CREATE INDEX ix_article_search_published ON article_search (published_at, article_id)",
    (
        "CREATE TABLE forecast_search (forecast_id VARCHAR(200) NOT NULL PRIMARY KEY"
        " REFERENCES forecast (id) ON DELETE CASCADE, tsv TSVECTOR NOT NULL)"
    ),
    "CREATE INDEX ix_forecast_search_tsv ON forecast_search USING gin (tsv)",
]

DROP = [
    "DROP TABLE IF EXISTS forecast_search",
    "DROP TABLE IF EXISTS article_search",
    "DROP TABLE IF EXISTS forecast_fts",
    "DROP TABLE IF EXISTS article_fts",
    "DROP TABLE IF EXISTS search_meta",
]


def upgrade() -> None:
    from tracker.search import rebuild_index

    connection = op.get_bind()
    for statement in SQLITE if connection.dialect.name == "sqlite" else POSTGRES:
        op.execute(statement)
    rebuild_index(connection)


def downgrade() -> None:
    for statement in DROP:
        op.execute(statement)
