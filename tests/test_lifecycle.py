"""The lifecycle: legal transitions, refused ones, and the append-only audit log."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.test_registry import do_import
from tracker.db import session_scope
from tracker.domain import lifecycle, registry
from tracker.errors import LifecycleError, StorageError, TrackerError
from tracker.models import AuditEntry, Outcome, Resolution


@pytest.fixture
def forecast_id(engine) -> str:
    report = do_import(engine)
    return sorted(report.created)[0]


def test_resolve_then_refuse_second_resolution(engine, forecast_id):
    with session_scope(engine) as session:
        question = registry.question_of(session, forecast_id)
        lifecycle.resolve(
            session,
            question,
            Outcome.YES,
            actor="ana",
            note="reported by two papers",
            evidence_links=["https://news.example/a"],
        )
    with (
        pytest.raises(
            LifecycleError, match=r"is resolved; it cannot become resolved .*reopen it first"
        ),
        session_scope(engine) as session,
    ):
        lifecycle.resolve(
            session, registry.question_of(session, forecast_id), Outcome.NO, actor="ana"
        )
    with session_scope(engine) as session:
        question = registry.question_of(session, forecast_id)
        assert (question.status, question.outcome) == ("resolved", "yes")
        (resolution,) = session.exec(
            select(Resolution).where(Resolution.question_id == forecast_id)
        ).all()
        assert resolution.resolved_by == "ana" and resolution.evidence_links == [
            "https://news.example/a"
        ]


def test_close_then_annul_then_reopen(engine, forecast_id):
    with session_scope(engine) as session:
        assert forecast_id in lifecycle.close_expired(session, date(2030, 1, 1))
        question = registry.question_of(session, forecast_id)
        lifecycle.resolve(
            session, question, Outcome.ANNULLED, actor="ana", note="question was ill-posed"
        )
        assert (question.status, question.outcome) == ("annulled", None)
        status = lifecycle.reopen(
            session, question, actor="ben", note="criteria clarified", today=date(2030, 1, 1)
        )
        assert status.value == "closed" and question.status == "closed"
        lifecycle.resolve(session, question, Outcome.NO, actor="ben")
    with session_scope(engine) as session:
        rows = session.exec(
            select(Resolution).where(Resolution.question_id == forecast_id).order_by(Resolution.id)
        ).all()
        assert [(r.outcome, r.active) for r in rows] == [("annulled", False), ("no", True)]
        assert rows[0].reopen_note == "criteria clarified"
        log = session.exec(
            select(AuditEntry.action, AuditEntry.from_status, AuditEntry.to_status)
            .where(AuditEntry.entity_id == forecast_id, AuditEntry.entity == "question")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in log] == [
        ("create", None, "open"),
        ("close", "open", "closed"),
        ("annul", "closed", "annulled"),
        ("reopen", "annulled", "closed"),
        ("resolve", "closed", "resolved"),
    ]


def test_reopen_needs_a_resolved_forecast_and_a_note(engine, forecast_id):
    with session_scope(engine) as session:
        question = registry.question_of(session, forecast_id)
        with pytest.raises(
            LifecycleError, match="only a resolved or annulled forecast can be reopened"
        ):
            lifecycle.reopen(session, question, actor="ana", note="x", today=date(2022, 2, 1))
        lifecycle.resolve(session, question, Outcome.YES, actor="ana")
        with pytest.raises(TrackerError, match="needs a note"):
            lifecycle.reopen(session, question, actor="ana", note=" ", today=date(2022, 2, 1))


def test_audit_log_is_append_only(engine, forecast_id):
    with pytest.raises(StorageError, match="append-only"), session_scope(engine) as session:
        entry = session.exec(select(AuditEntry)).first()
        entry.actor = "someone else"
    with pytest.raises(StorageError, match="append-only"), session_scope(engine) as session:
        session.delete(session.exec(select(AuditEntry)).first())
    with session_scope(engine) as session:
        assert session.exec(select(AuditEntry)).first().actor == "tester"
