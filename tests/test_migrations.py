"""The schema comes only from Alembic, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

from tracker import db
from tracker.models import Proposal, table_of
from tracker.search import is_search_table


def include_name(name, type_, _parents):
    return not (type_ == "table" and is_search_table(name))


def test_upgrade_creates_every_table_and_is_safe_twice(engine):
    db.upgrade(engine)  # a second `tracker init`
    tables = set(inspect(engine).get_table_names())
    assert {
        "source",
        "forecast",
        "forecast_tag",
        "probability_update",
        "resolution",
        "audit_log",
        "feed",
        "article",
        "task_run",
    } <= tables
    assert db.schema_is_current(engine)


def test_autogenerate_finds_no_difference_from_the_models(engine):
    with engine.connect() as connection:
        # the search index's engine-specific tables (migration 0016) are not in the models
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(connection, opts=opts)
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_the_models_keep_the_pending_proposal_index_partial_on_each_engine(engine):
    """The PostgreSQL half of the index's ``WHERE`` is given when a PostgreSQL engine is made, not
    in the model (it loaded the PostgreSQL dialect on every command): DDL from the models (what
    autogenerate writes into a migration) must still say it.  Autogenerate does not compare the
    clause, so ``test_autogenerate_finds_no_difference_from_the_models`` would not notice."""
    index = next(i for i in table_of(Proposal).indexes if i.name == "uq_proposal_one_pending")
    ddl = str(CreateIndex(index).compile(dialect=engine.dialect))
    assert ddl.endswith("ON proposal (question_id) WHERE status = 'pending'")


def test_the_revision_graph_is_alembics():
    """``db`` reads the migrations' revisions from their scripts' headers (not through Alembic,
    which imports every script): the same revisions and heads as Alembic's own reading."""
    from alembic.script import ScriptDirectory

    db._revision_graph.cache_clear()
    scripts = ScriptDirectory(str(db.migrations_dir()))
    assert db.known_revisions() == {script.revision for script in scripts.walk_revisions()}
    assert db.migration_heads() == set(scripts.get_heads())


def test_fresh_database_is_not_current(database_url):
    engine = db.make_engine(database_url)
    assert not db.schema_is_current(engine)
    engine.dispose()


# --- 0007: full-text articles, on a database of the old shape ---------------------------------

_OLD_ARTICLES = [
    # (id, feed, identity, guid, url, title): identities as the rules before 0007 made them
    (1, 1, "a" * 64, "https://blog.example/?c=1", "https://blog.example/talks", "Comment by A"),
    (2, 1, "b" * 64, None, "https://news.example/briefing", "Evening briefing"),
    (3, 1, "c" * 64, None, None, "Untitled note"),
    (4, 1, "d" * 64, None, None, "Untitled note"),  # same title, no link: kept apart by content
    (5, 2, "e" * 64, "wire-1", "https://wire.example/story", "Evening briefing"),
    (6, None, "f" * 64, None, "https://gone.example/a", "From a removed feed"),
]


def _old_shape_database(engine):
    db.upgrade(engine, "0006")
    with engine.begin() as connection:
        for feed_id in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO feed (id, url, interval_s, next_check_at, consecutive_failures,"
                    " created_at) VALUES (:id, :url, 900, '2022-01-21 00:00:00', 0,"
                    " '2022-01-21 00:00:00')"
                ),
                {"id": feed_id, "url": f"https://feed{feed_id}.example/rss"},
            )
        for row in _OLD_ARTICLES:
            connection.execute(
                text(
                    "INSERT INTO article (id, feed_id, identity, guid, url, title, summary,"
                    " published_at, published_estimated, fetched_at, content_hash) VALUES"
                    " (:id, :feed, :identity, :guid, :url, :title, 'teaser',"
                    " '2022-01-21 10:00:00', false, '2022-01-21 10:05:00', :hash)"
                ),
                dict(zip(("id", "feed", "identity", "guid", "url", "title"), row, strict=True))
                | {"hash": str(row[0]) * 64},
            )


def test_full_text_migration_keeps_every_article_of_the_old_shape(database_url):
    """Old rows keep their ids, identities and text; they get a story key where they have a
    link, and polling the same items again under the new identity rules stores no copy."""
    from datetime import UTC, datetime

    from tracker.ingest._parse import ParsedEntry
    from tracker.ingest._rows import article_rows, story_key
    from tracker.ingest._store import insert_new_articles

    engine = db.make_engine(database_url)
    _old_shape_database(engine)
    db.upgrade(engine)
    with engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT id, feed_id, identity, guid, url, title, summary, story, body, categories"
                " FROM article ORDER BY id"
            )
        ).all()
    assert [tuple(row[:6]) for row in stored] == _OLD_ARTICLES
    assert all(row.summary == "teaser" and row.body == "" for row in stored)
    assert [row.story for row in stored] == [
        story_key(url, title) if url else None for _, _, _, _, url, title in _OLD_ARTICLES
    ]
    # the same items polled again: a guid item, and a link item whose identity now takes the
    # title in (it conflicts on its story, in its own feed: the same item, not a new one)
    again = [
        ParsedEntry(
            "https://blog.example/?c=1",
            "https://blog.example/talks#c1",
            "Comment by A",
            "",
            None,
            "h1",
        ),
        ParsedEntry(None, "https://news.example/briefing", "Evening briefing", "", None, "h2"),
    ]
    with db.session_scope(engine) as session:
        rows = article_rows(1, again, datetime(2026, 12, 3, tzinfo=UTC))
        assert insert_new_articles(session, rows) == {}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM article")).scalar() == 6
    engine.dispose()


def test_sqlite_checks_foreign_keys_after_a_migration_and_not_at_head(sqlite_url):
    """The check reads every row of every table (16 s at 5,000,000 evidence rows), and the web
    app upgrades on each start: at head nothing ran, so nothing is checked."""
    from sqlalchemy import event

    engine = db.make_engine(sqlite_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    db.upgrade(engine, "0019")
    db.upgrade(engine)  # 0019 -> head: a migration ran
    assert sum("foreign_key_check" in s for s in statements) == 2
    statements.clear()
    db.upgrade(engine)  # at head, as the web app's start finds it
    assert not any("foreign_key_check" in s for s in statements)
    assert any("foreign_keys=ON" in s for s in statements)  # still enforced afterwards
    engine.dispose()


def test_feeds_are_given_the_count_of_their_stored_articles(database_url):
    """Migration 0021: the count the feeds list reads, for the articles stored before it."""
    engine = db.make_engine(database_url)
    at = "'2026-01-01 00:00:00+00'"
    with engine.begin() as conn:
        db.upgrade(engine, "0020")
        for n in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO feed (id, url, interval_s, next_check_at, consecutive_failures,"
                    f" created_at) VALUES ({n}, 'https://f{n}.example/rss', 1800, {at}, 0, {at})"
                )
            )
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO article (feed_id, identity, title, summary, published_at,"
                    " published_estimated, fetched_at, content_hash)"
                    f" VALUES (1, 'i{n}', 't', 's', {at}, FALSE, {at}, 'h{n}')"
                )
            )
    db.upgrade(engine)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT id, article_count FROM feed")).all())
    engine.dispose()
    assert counts == {1: 3, 2: 0}


def test_fts5_merges_sixteen_segments_at_a_time_and_the_downgrade_restores_four(sqlite_url):
    """Migration 0022: the setting FTS5 keeps in its own config table, for both indexes."""
    from alembic import command

    engine = db.make_engine(sqlite_url)

    def automerge() -> set:
        with engine.connect() as conn:
            return {
                conn.execute(text(f"SELECT v FROM {t}_config WHERE k = 'automerge'")).scalar()
                for t in ("article_fts", "forecast_fts")
            }

    db.upgrade(engine)
    assert automerge() == {16}
    command.downgrade(db.alembic_config(engine), "0021")
    assert automerge() == {4}
    engine.dispose()


def test_a_new_sqlite_file_gets_16_kib_pages_and_an_older_file_keeps_its_own(tmp_path):
    """docs/dev.md, "Throughput": an article body does not fit on SQLite's default 4 KiB page.
    The size is fixed when a file is made (and by WAL mode): a database made before opens,
    migrates and keeps its pages."""
    import sqlite3

    def pragmas(engine) -> tuple:
        with engine.connect() as conn:
            return tuple(
                conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("page_size", "cache_size", "journal_mode")
            )

    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    db.upgrade(engine)
    assert pragmas(engine) == (db.SQLITE_PAGE_SIZE, -db.SQLITE_CACHE_KIB, "wal")
    assert db.SQLITE_PAGE_SIZE == 16_384
    engine.dispose()

    older = tmp_path / "older.db"
    with sqlite3.connect(older) as conn:  # as a tracker before this change made it
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE kept (n INTEGER)")
        conn.execute("INSERT INTO kept VALUES (7)")
    conn.close()
    engine = db.make_engine(f"sqlite:///{older}")
    db.upgrade(engine)
    assert pragmas(engine) == (4096, -db.SQLITE_CACHE_KIB, "wal")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM kept").scalar() == 7
    engine.dispose()
