"""The index's tables as SQLAlchemy sees them (made by migration 0016, not by the models: they
differ by engine) and the full-text conditions, compiled for the engine at hand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    cast,
    literal,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import NullType, UserDefinedType

from tracker.models import UTCDateTime
from tracker.search._query import ParsedQuery, fts_match, pg_conditions, pg_tsquery

_METADATA = MetaData()


class _TSVector(UserDefinedType[str]):
    """PostgreSQL's ``tsvector`` column type, named without importing SQLAlchemy's PostgreSQL
    dialect: this module is loaded by every command that reads forecasts, on SQLite too, and the
    dialect with its drivers' modules is 20 ms of `tracker confirm` (docs/dev.md, "CLI
    start-up")."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "TSVECTOR"


ARTICLE_SEARCH = Table(
    "article_search",
    _METADATA,
    Column("article_id", Integer, primary_key=True),
    Column("published_at", UTCDateTime, nullable=False),
    Column("tsv", _TSVector()),  # PostgreSQL only
    Column("head_tsv", _TSVector()),  # PostgreSQL only: title and lead
)
FORECAST_SEARCH = Table(
    "forecast_search",
    _METADATA,
    Column("key", Integer),  # SQLite only
    Column("forecast_id", String(200), primary_key=True),
    Column("tsv", _TSVector()),  # PostgreSQL only
)

#: the tables (FTS5's own shadow tables included) the models do not describe
SEARCH_TABLES = ("article_fts", "forecast_fts", "article_search", "forecast_search", "search_meta")


def is_search_table(name: str | None) -> bool:
    """Whether ``name`` is one of the index's tables (for Alembic's model comparison)."""
    if not name:
        return False
    return name in SEARCH_TABLES or name.startswith(("article_fts_", "forecast_fts_"))


class TextMatch(ColumnElement[Any]):
    """True for the rows of ``kind`` (``article`` or ``forecast``) that ``query`` finds in
    ``tier`` (None: any tier): an FTS5 ``MATCH`` on SQLite, ``@@`` on PostgreSQL."""

    type = NullType()  # not Boolean: SQLite would compare the condition with 1, and lose its index
    inherit_cache = False

    def __init__(
        self,
        kind: str,
        column: Any,
        query: ParsedQuery,
        tier: int | None = None,
        *,
        or_key: str | None = None,
    ) -> None:
        self.kind = kind
        self.column = column
        self.query = query
        self.tier = tier
        #: a forecast's id that matches too (the forecasts list's box takes an exact id): added to
        #: the index's hits, not ORed with them, which made PostgreSQL scan every forecast
        self.or_key = or_key


def _with_key(found: Any, key: str | None) -> Any:
    """The ids ``found`` selects, and ``key`` with them."""
    return found if key is None else union_all(found, select(literal(key)))


@compiles(TextMatch, "sqlite")
def _sqlite(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    fts = f"{element.kind}_fts"
    rowids: Any = (
        select(literal_column("rowid"))
        .select_from(table(fts))
        .where(
            literal_column(fts).op("MATCH")(bindparam(None, fts_match(element.query, element.tier)))
        )
    )
    if element.kind == "article":
        condition = element.column.in_(rowids)
    else:
        keys = FORECAST_SEARCH.c
        found = select(keys.forecast_id).where(keys.key.in_(rowids))
        condition = element.column.in_(_with_key(found, element.or_key))
    return compiler.process(condition, **kw)


@compiles(TextMatch, "postgresql")
def _postgres(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    if element.kind == "article":
        s = ARTICLE_SEARCH.c
        conditions = [
            ~_matches(s[column], text) if negated else _matches(s[column], text)
            for column, text, negated in pg_conditions(element.query, element.tier)
        ]
        condition: Any = and_(*conditions)
        if element.column is not s.article_id:
            condition = element.column.in_(select(s.article_id).where(condition))
    else:
        keys = FORECAST_SEARCH.c
        matches = _matches(keys.tsv, pg_tsquery(element.query, element.tier))
        found = select(keys.forecast_id).where(matches)
        condition = element.column.in_(_with_key(found, element.or_key))
    return compiler.process(condition, **kw)


def _matches(column: Any, tsquery: str) -> Any:
    """``column @@ 'literal'::tsquery``, the literal written into the statement, not bound:
    psycopg prepares a statement run five times, and PostgreSQL's generic plan for it cannot
    tell a rare word from a common one (it walked every article for a rare word: 3 s at
    200,000).  Safe: the literal is our own tokens (letters and digits) and operators, and
    quotes are doubled anyway."""
    from sqlalchemy.dialects.postgresql import TSQUERY  # loaded already on PostgreSQL

    quoted = tsquery.replace("'", "''")
    return column.op("@@")(cast(literal_column(f"'{quoted}'"), TSQUERY))
