"""The audit log (issue 17, Low): the database itself refuses to change or delete its rows (plain
SQL could, on both engines; only the ORM refused before), inserts stay allowed; and adding,
disabling, enabling and removing a feed are recorded in it (who, what, when: written since
issue 16's feed work, checked here on both engines; tests/test_front_ends_agree.py checks the
CLI and the API write the same entries).

Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from tracker import db, service
from tracker.db import session_scope
from tracker.models import AuditEntry

INSERT = text(
    "INSERT INTO audit_log (at, actor, action, entity, entity_id) "
    "VALUES (CURRENT_TIMESTAMP, 'mallory', 'create', 'forecast', 'x')"
)


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "UPDATE audit_log SET detail = NULL WHERE id = (SELECT min(id) FROM audit_log)",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE actor = 'mallory'",
    ],
)
def test_plain_sql_cannot_change_or_delete_audit_entries(engine, statement):
    with engine.begin() as conn:
        conn.execute(INSERT)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert _count(engine) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalar_one() == "mallory"


@pytest.mark.postgres
def test_truncate_is_refused_on_postgres(postgres_url):
    """SQLite has no TRUNCATE (its DELETE is refused above)."""
    engine = db.make_engine(postgres_url)
    try:
        db.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(INSERT)
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
        assert _count(engine) == 1
    finally:
        engine.dispose()


def test_inserts_stay_allowed(engine):
    with engine.begin() as conn:
        conn.execute(INSERT)
        conn.execute(INSERT)
    assert _count(engine) == 2


FEED = "https://news.example.org/world/rss.xml"


def _feed_entries(engine, feed_id: int) -> list[tuple[str, str, dict | None]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "feed", AuditEntry.entity_id == str(feed_id))
            .order_by(AuditEntry.id)
        ).all()
        assert all(row.at is not None for row in rows)
        return [(row.actor, row.action, row.detail) for row in rows]


def test_feed_changes_are_in_the_audit_log(engine):
    with session_scope(engine) as session:
        feed = service.add_feed(
            session, FEED, interval="1h", title="Example", default_interval=timedelta(hours=1),
            actor="ana",
        ).feed  # fmt: skip
        feed_id = feed.id
    with session_scope(engine) as session:
        service.disable_feed(session, feed_id, reason="too noisy", actor="bob")
    with session_scope(engine) as session:
        service.enable_feed(session, feed_id, actor="ana")
    with session_scope(engine) as session:
        service.remove_feed(session, feed_id, actor="bob")
    entries = _feed_entries(engine, feed_id)
    assert [(actor, action) for actor, action, _ in entries] == [
        ("ana", "create"),
        ("bob", "disable"),
        ("ana", "enable"),
        ("bob", "remove"),
    ]
    assert entries[0][2]["url"] == FEED
    assert entries[1][2]["reason"] == "too noisy"
    assert entries[3][2]["url"] == FEED
