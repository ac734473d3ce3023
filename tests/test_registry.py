"""Importing the source article's forecasts, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from tests.conftest import ARTICLE_FILE
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.models import AuditEntry, Forecast, ForecastTag, ProbabilityUpdate, Source, Status

SCALE = EstimativeScale.builtin()
BEFORE_ANY_CLOSE = date(2022, 2, 1)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def do_import(engine, path=ARTICLE_FILE, today=BEFORE_ANY_CLOSE):
    files = registry.load_files([path], SCALE)
    with session_scope(engine) as session:
        return registry.import_files(session, files, today=today, actor="tester")


def test_import_the_source_article(engine):
    report = do_import(engine)
    assert 12 <= len(report.created) <= 20 and not report.updated
    with session_scope(engine) as session:
        source = session.exec(select(Source)).one()
        assert source.key == "trenin-2022-01-21" and "Trenin" in source.author
        assert source.published == date(2022, 1, 21)
        assert count(session, Forecast) == len(report.created)
        assert count(session, ProbabilityUpdate) == len(report.created)  # the initial value of each
        assert count(session, ForecastTag) > 0
        statuses = set(session.exec(select(Forecast.status)).all())
    assert statuses == {"open"}


def test_a_forecasts_notes_are_kept(engine):
    """``notes`` is a declared free-form field: stored with the forecast, shown on its page."""
    do_import(engine)
    with session_scope(engine) as session:
        forecast = session.get(Forecast, "nonexpansion-nondeployment-agreement")
        assert forecast is not None and forecast.extra is not None
        assert "political agreement is sufficient" in forecast.extra["notes"]


def test_reimport_is_idempotent(engine):
    first = do_import(engine)
    again = do_import(engine)
    assert (
        again.created == []
        and again.updated == []
        and sorted(again.unchanged) == sorted(first.created)
    )
    with session_scope(engine) as session:
        assert count(session, Forecast) == len(first.created)
        assert count(session, ProbabilityUpdate) == len(first.created)
        assert count(session, Source) == 1


def test_changed_probability_replaces_the_initial_statement(engine, tmp_path):
    """The top-level probability is what the quote says: changed in the file, it replaces the
    initial statement's value (a correction), rather than inventing a statement dated the day of
    the import (later statements go under `updates:` with their own dates)."""
    do_import(engine)
    text = ARTICLE_FILE.read_text(encoding="utf-8")
    copy = tmp_path / ARTICLE_FILE.name
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "trenin-2022-01-21.txt").write_bytes(
        (ARTICLE_FILE.parent / "sources" / "trenin-2022-01-21.txt").read_bytes()
    )
    first_id = registry.load_files([ARTICLE_FILE], SCALE)[0].forecasts[0].spec.id
    old = registry.load_files([ARTICLE_FILE], SCALE)[0].forecasts[0].probability
    new = 0.5 if old != 0.5 else 0.6
    # change the first forecast's probability line only
    head, _, tail = text.partition(f"id: {first_id}")
    block, sep, rest = tail.partition("\n  - id:")
    import re

    block = re.sub(r"probability: [0-9.]+", f"probability: {new}", block, count=1)
    copy.write_text(head + f"id: {first_id}" + block + sep + rest, encoding="utf-8")
    report = do_import(engine, copy, today=date(2022, 3, 1))
    assert report.updated == [first_id] and report.probability_changes == [(first_id, old, new)]
    assert report.corrections == [(first_id, date(2022, 1, 21), old, new)]
    with session_scope(engine) as session:
        updates = session.exec(
            select(ProbabilityUpdate)
            .where(ProbabilityUpdate.forecast_id == first_id)
            .order_by(ProbabilityUpdate.id)
        ).all()
        assert [(u.as_of, u.probability, u.kind) for u in updates] == [
            (date(2022, 1, 21), old, "initial"),
            (date(2022, 1, 21), new, "correction"),
        ]
        assert updates[1].corrects_id == updates[0].id
        assert updates[1].note == f"changed in {copy.name}"
        assert session.get(Forecast, first_id).probability == new
        assert not session.get(Forecast, first_id).corrected_after_resolution  # it is open
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.entity_id == first_id)
        ).all()
        assert "correct" in actions
    again = do_import(engine, copy, today=date(2022, 3, 2))
    assert first_id in again.unchanged and again.corrections == []


def test_import_after_close_dates_closes_forecasts(engine):
    report = do_import(engine, today=date(2030, 1, 1))
    assert sorted(report.closed) == sorted(report.created)


def test_list_filters(engine):
    do_import(engine)
    with session_scope(engine) as session:

        def listed(**where: object) -> list[registry.ForecastRow]:
            return registry.list_forecasts(session, registry.ForecastFilter(**where))

        everything = listed()
        nato = listed(tag="nato")
        by_author = listed(author="trenin")
        nobody = listed(author="nobody-of-that-name")
        by_source = listed(source="trenin-2022-01-21")
        resolved = listed(status=Status.RESOLVED)
    assert nato and len(nato) < len(everything) and all("nato" in row.tags for row in nato)
    assert len(by_author) == len(everything) == len(by_source)
    assert nobody == [] and resolved == []
    assert [r.closes for r in everything] == sorted(r.closes for r in everything)


def test_unknown_forecast_is_a_clear_error(engine):
    from tracker.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no forecast 'nope'"), session_scope(engine) as session:
        registry.get_forecast(session, "nope")
