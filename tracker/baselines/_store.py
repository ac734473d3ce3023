"""Baselines and their points in the database.  Takes the caller's session; never commits.

Points are written with ``INSERT ... ON CONFLICT (baseline_id, day) DO UPDATE`` (SQLite and
PostgreSQL alike), so two pulls of one baseline racing each other leave one row a day, and a
row is only ever replaced by a newer value of the same day: nothing a failed pull or import
touches is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from difflib import get_close_matches
from typing import Any

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from tracker.baselines._series import BaselineSeries
from tracker.db import insert_with_conflicts
from tracker.errors import (
    BaselinePullError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from tracker.models import Baseline, BaselineKind, BaselinePoint, Question, table_of

_BATCH = 500
#: longest failure message kept on a baseline
ERROR_LIMIT = 500


def question_catalogue(session: Session) -> dict[str, tuple[date, date]]:
    """Every question's id and window (opens, closes)."""
    rows = session.exec(select(col(Question.id), col(Question.opens), col(Question.closes)))
    return {question_id: (opens, closes) for question_id, opens, closes in rows}


def get_question(session: Session, question_id: str) -> Question:
    question = session.get(Question, question_id)
    if question is None:
        ids = list(session.exec(select(Question.id)))
        guess = get_close_matches(question_id, ids, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else "see `tracker forecasts list`"
        raise NotFoundError("question", question_id, hint)
    return question


def get_baseline(session: Session, baseline_id: int) -> Baseline:
    baseline = session.get(Baseline, baseline_id)
    if baseline is None:
        raise NotFoundError("baseline", baseline_id, "see `tracker baselines list`")
    return baseline


def find_baseline(session: Session, name: str, question_id: str) -> Baseline | None:
    return session.exec(
        select(Baseline).where(Baseline.name == name, Baseline.question_id == question_id)
    ).first()


def add_market_baseline(
    session: Session,
    question_id: str,
    *,
    provider: str,
    slug: str,
    name: str,
    interval_s: int | None,
    now: datetime,
) -> Baseline:
    """A pulled market baseline on a question, due at once."""
    name = name.strip()
    if not name or len(name) > 100 or any(ord(ch) < 32 or ch in "<>" for ch in name):
        raise InvalidInputError("name", "give a plain name of 1 to 100 characters, e.g. Manifold")
    get_question(session, question_id)
    if find_baseline(session, name, question_id) is not None:
        raise ConflictError(
            "baseline",
            f"{name} on {question_id}",
            "give another --name, or see `tracker baselines list`",
        )
    baseline = Baseline(
        name=name,
        kind=BaselineKind.MARKET.value,
        question_id=question_id,
        provider=provider,
        market=slug,
        interval_s=interval_s,
        next_pull_at=now,
    )
    session.add(baseline)
    session.flush()
    return baseline


def file_baseline(
    session: Session, name: str, question_id: str, kind: str | None, url: str | None
) -> tuple[Baseline, bool]:
    """The baseline a file's rows go to (made when new: True), by name and question."""
    found = find_baseline(session, name, question_id)
    if found is not None:
        if kind and found.kind == BaselineKind.FILE.value:
            found.kind = kind
        found.url = url or found.url
        return found, False
    baseline = Baseline(
        name=name, kind=kind or BaselineKind.FILE.value, question_id=question_id, url=url
    )
    session.add(baseline)
    session.flush()
    return baseline, True


@dataclass(frozen=True)
class Written:
    """What a write of points did: days added, days whose value changed, days already so."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0

    def __add__(self, other: Written) -> Written:
        return Written(
            self.added + other.added,
            self.changed + other.changed,
            self.unchanged + other.unchanged,
        )


def write_points(
    session: Session, baseline_id: int, points: Sequence[tuple[date, float]], now: datetime
) -> Written:
    """Stores each day's value (replacing that day's stored one); other days are kept."""
    if not points:
        return Written()
    stored: dict[date, float] = dict(
        session.exec(
            select(col(BaselinePoint.day), col(BaselinePoint.probability)).where(
                BaselinePoint.baseline_id == baseline_id,
                col(BaselinePoint.day) >= min(day for day, _ in points),
                col(BaselinePoint.day) <= max(day for day, _ in points),
            )
        ).all()
    )
    rows = [
        {"baseline_id": baseline_id, "day": day, "probability": value, "recorded_at": now}
        for day, value in points
        if stored.get(day) != value
    ]
    for start in range(0, len(rows), _BATCH):
        session.execute(_upsert(session, rows[start : start + _BATCH]))
    if rows:  # the comparisons' fingerprint (tracker.service.baseline_points_fingerprint)
        session.execute(
            update(Baseline)
            .where(col(Baseline.id) == baseline_id)
            .values(points_version=col(Baseline.points_version) + 1)
        )
    added = sum(1 for day, _ in points if day not in stored)
    return Written(added, len(rows) - added, len(points) - len(rows))


def _upsert(session: Session, rows: list[dict[str, Any]]) -> Any:
    insert = insert_with_conflicts(session.get_bind().dialect.name)(table_of(BaselinePoint))
    return insert.values(rows).on_conflict_do_update(
        index_elements=["baseline_id", "day"],
        set_={
            "probability": insert.excluded.probability,
            "recorded_at": insert.excluded.recorded_at,
        },
    )


def last_point(session: Session, baseline_id: int) -> tuple[date, float] | None:
    row = session.exec(
        select(col(BaselinePoint.day), col(BaselinePoint.probability))
        .where(BaselinePoint.baseline_id == baseline_id)
        .order_by(col(BaselinePoint.day).desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


# --- the pull schedule ------------------------------------------------------------------------

#: a pull holds its baseline this long: a duplicate task meanwhile finds it not due
LEASE = timedelta(minutes=10)
#: the longest wait before a failing baseline is tried again
MAX_BACKOFF = timedelta(days=1)


def claim(session: Session, baseline_id: int, now: datetime, *, force: bool) -> bool:
    """Takes a pulled baseline for one pull when it is due (or ``force``): its next pull moves
    :data:`LEASE` ahead, in one statement, so two workers cannot both take it."""
    due = col(Baseline.next_pull_at) <= now
    statement = (
        update(Baseline)
        .where(col(Baseline.id) == baseline_id, col(Baseline.provider).is_not(None))
        .values(next_pull_at=now + LEASE)
    )
    if not force:
        statement = statement.where(due)
    result: Any = session.execute(statement)
    return bool(result.rowcount)


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after the ``failures``-th failure in a row: the interval, doubled for each
    failure after the first, at most :data:`MAX_BACKOFF` (a failing market is tried daily)."""
    delay: timedelta = interval * 2 ** min(max(failures - 1, 0), 16)
    return min(delay, MAX_BACKOFF)


def record_success(
    baseline: Baseline, now: datetime, next_pull_at: datetime | None, *, market_id: str,
    url: str | None,
) -> None:  # fmt: skip
    baseline.market_id = market_id
    baseline.url = url or baseline.url
    baseline.next_pull_at = next_pull_at
    baseline.last_success_at = now
    baseline.consecutive_failures = 0
    baseline.error_kind = baseline.last_error = baseline.error_since = None


def record_failure(
    baseline: Baseline, error: BaselinePullError, now: datetime, interval: timedelta
) -> None:
    """The failure on the baseline (kind, message, since when) and its next try, with backoff;
    its points are not touched."""
    baseline.consecutive_failures += 1
    baseline.error_kind = error.kind
    baseline.last_error = error.message[:ERROR_LIMIT]
    baseline.last_error_at = now
    baseline.error_since = baseline.error_since or now
    baseline.next_pull_at = now + backoff(interval, baseline.consecutive_failures)


def due_baseline_ids(session: Session, now: datetime) -> list[int]:
    """The pulled baselines due now, longest waiting first."""
    rows = session.exec(
        select(Baseline.id)
        .where(col(Baseline.provider).is_not(None), col(Baseline.next_pull_at) <= now)
        .order_by(col(Baseline.next_pull_at), col(Baseline.id))
    )
    return [baseline_id for baseline_id in rows if baseline_id is not None]


def pulled_baseline_ids(session: Session) -> list[int]:
    rows = session.exec(
        select(Baseline.id).where(col(Baseline.provider).is_not(None)).order_by(col(Baseline.id))
    )
    return [baseline_id for baseline_id in rows if baseline_id is not None]


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineInfo:
    """A baseline with its stored points: how many, the first and last day, the latest value."""

    baseline: Baseline
    points: int
    first_day: date | None
    last_day: date | None
    latest: float | None

    @property
    def state(self) -> str:
        """In one word: ``file`` (imported, never pulled), ``new`` (not pulled yet), ``ok``,
        ``failing`` (the last pull failed; ``error_kind`` says how) or ``done`` (every day of
        the question's window is stored: no more pulls)."""
        baseline = self.baseline
        if baseline.provider is None:
            return "file"
        if baseline.consecutive_failures:
            return "failing"
        if baseline.last_success_at is None:
            return "new"
        return "done" if baseline.next_pull_at is None else "ok"


def list_baselines(session: Session, question_id: str | None = None) -> list[BaselineInfo]:
    """Every baseline (of one question), by question and name."""
    stored = (
        select(
            col(BaselinePoint.baseline_id).label("baseline_id"),
            func.count().label("points"),
            func.min(BaselinePoint.day).label("first_day"),
            func.max(BaselinePoint.day).label("last_day"),
        )
        .group_by(col(BaselinePoint.baseline_id))
        .subquery()
    )
    latest = aliased(BaselinePoint)
    query = (
        sa_select(  # five columns: more than sqlmodel's select is typed for
            Baseline,
            stored.c.points,
            stored.c.first_day,
            stored.c.last_day,
            col(latest.probability),
        )
        .outerjoin(stored, stored.c.baseline_id == col(Baseline.id))
        .outerjoin(
            latest,
            (col(latest.baseline_id) == col(Baseline.id)) & (col(latest.day) == stored.c.last_day),
        )
        .order_by(col(Baseline.question_id), col(Baseline.name))
    )
    if question_id is not None:
        query = query.where(col(Baseline.question_id) == question_id)
    return [
        BaselineInfo(baseline, points or 0, first, last, value)
        for baseline, points, first, last, value in session.execute(query)
    ]


def series_of(session: Session, question_ids: Iterable[str]) -> dict[str, list[BaselineSeries]]:
    """The baselines of each question with their points, oldest first; questions without any
    are left out."""
    found: dict[str, list[BaselineSeries]] = {}
    for chunk in _chunks(sorted(set(question_ids)), _BATCH):
        rows = session.exec(
            select(Baseline, col(BaselinePoint.day), col(BaselinePoint.probability))
            .join(BaselinePoint, col(BaselinePoint.baseline_id) == col(Baseline.id))
            .where(col(Baseline.question_id).in_(chunk))
            .order_by(col(Baseline.question_id), col(Baseline.name), col(BaselinePoint.day))
        )
        current: BaselineSeries | None = None
        for baseline, day, probability in rows:
            if current is None or current.baseline_id != baseline.id:
                current = BaselineSeries(baseline.id or 0, baseline.name, baseline.kind)
                found.setdefault(baseline.question_id, []).append(current)
            current.points.append((day, probability))
    return found


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
