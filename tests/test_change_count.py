"""The count of audited changes (migration 0020): what the scorecard caches' fingerprint reads.

One more per committed transaction that wrote the audit log, none for one that rolled back or
wrote nothing audited; and, on PostgreSQL, never ahead of a commit: two transactions that take
audit ids in one order and commit in the other are both counted once committed, which the newest
audit id (the fingerprint this replaces) was not.  Each test runs on SQLite and PostgreSQL
unless marked.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_registry import do_import
from tracker import db, service
from tracker.db import session_scope
from tracker.domain import audit, lifecycle, registry
from tracker.models import Outcome


def _seen(engine) -> int:
    with session_scope(engine, write=False) as session:
        return audit.changes_seen(session)


@pytest.fixture
def forecast_id(engine) -> str:
    return sorted(do_import(engine).created)[0]


def test_each_audited_transaction_counts_once(engine, forecast_id):
    imported = _seen(engine)
    assert imported == 1  # the import: many entries, one transaction
    with session_scope(engine) as session:
        question = registry.question_of(session, forecast_id)
        lifecycle.resolve(session, question, Outcome.YES, actor="ana", note="two papers")
    assert _seen(engine) == imported + 1
    with session_scope(engine) as session:
        lifecycle.reopen(
            session,
            registry.question_of(session, forecast_id),
            actor="ana",
            note="x",
            today=date(2022, 6, 1),
        )
    assert _seen(engine) == imported + 2


def test_a_rolled_back_or_unaudited_transaction_does_not_count(engine, forecast_id):
    before = _seen(engine)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        question = registry.question_of(session, forecast_id)
        lifecycle.resolve(session, question, Outcome.NO, actor="ana")
        session.flush()  # the entry is written, then the transaction fails
        raise RuntimeError("the unit of work fails after its write")
    with session_scope(engine) as session:
        registry.get_forecast(session, forecast_id)  # a read only
    assert _seen(engine) == before
    with session_scope(engine) as session:  # the same session type after a failure counts again
        lifecycle.resolve(
            session, registry.question_of(session, forecast_id), Outcome.NO, actor="b"
        )
    assert _seen(engine) == before + 1


def test_the_scores_fingerprint_is_the_count(engine, forecast_id):
    with session_scope(engine, write=False) as session:
        assert service.scores_fingerprint(session) == (audit.changes_seen(session),)


@pytest.mark.postgres
def test_a_change_committed_after_a_later_audit_id_still_moves_the_count(postgres_url):
    """T1 writes its entry (audit id n), T2 writes one (n + 1) and commits, a reader reads the
    count, then T1 commits: the count moves again.  The newest audit id stayed n + 1, so a card
    computed between the two commits was kept, without T1's change, until the next write."""
    engine = db.make_engine(postgres_url)
    try:
        db.upgrade(engine)
        first, second = sorted(do_import(engine).created)[:2]
        with session_scope(engine) as one:
            lifecycle.resolve(one, registry.question_of(one, first), Outcome.YES, actor="t1")
            one.flush()
            with session_scope(engine) as two:
                question = registry.question_of(two, second)
                lifecycle.resolve(two, question, Outcome.NO, actor="t2")
            between = _seen(engine)
        assert _seen(engine) == between + 1
    finally:
        engine.dispose()
