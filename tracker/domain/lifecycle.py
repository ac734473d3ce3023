"""The question lifecycle: the one place that changes a question's status (and so the status of
every forecast on it), and the one place that says which status one has on a given day.

    open ──(past closes)──> closed
    open | closed ──resolve yes/no──> resolved
    open | closed ──annul──> annulled
    resolved | annulled ──reopen──> open or closed (by date)
    closed ──extend──> open (a re-import moved the close date later)

Resolving an open forecast early is allowed (a YES can happen before the close
date); scoring decides separately which forecasts enter calibration.
Every transition writes an audit entry in the caller's transaction.

Resolution belongs to the question (:class:`~tracker.models.Question`): a transition moves the
question, then copies its status, outcome and resolution time onto every forecast standing on
it (:func:`_mirror`), in the same transaction, so lists and scores read the forecast table alone.

"Closed" is derived, not waited for: an open forecast is closed from the UTC day after its close
date, whether or not a sweep (:func:`close_expired`, run daily by the deadline check) has
recorded it yet.  :func:`status_on` says so for one forecast and :func:`status_is` for a query,
so every surface lists, filters and shows the same status at any moment.  A transition first
records a close that is due (a ``close`` entry by the system), so the audit log reads as the
forecast lived: open, closed, then resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, case, exists, or_, update
from sqlmodel import Session, col, select

from tracker.clock import today as utc_today
from tracker.clock import utcnow
from tracker.domain import audit
from tracker.errors import InvalidInputError, LifecycleError
from tracker.models import Forecast, Outcome, Proposal, ProposalStatus, Question, Resolution, Status

_ALLOWED = {
    Status.OPEN: {Status.CLOSED, Status.RESOLVED, Status.ANNULLED},
    Status.CLOSED: {Status.OPEN, Status.RESOLVED, Status.ANNULLED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.ANNULLED: {Status.OPEN, Status.CLOSED},
}

_HINTS = {
    (Status.RESOLVED, Status.RESOLVED): "it already has an outcome; reopen it first",
    (Status.ANNULLED, Status.RESOLVED): "it was annulled; reopen it first",
    (Status.RESOLVED, Status.ANNULLED): "it already has an outcome; reopen it first",
    (Status.ANNULLED, Status.ANNULLED): "it is already annulled",
    (Status.OPEN, Status.OPEN): "only a resolved or annulled forecast can be reopened",
    (Status.CLOSED, Status.CLOSED): "it is already closed",
}


def status_on(forecast: Forecast | Question, today: date) -> Status:
    """The status ``forecast`` (or a question) has on ``today``: an open one past its close date
    is closed."""
    if forecast.status == Status.OPEN.value and forecast.closes < today:
        return Status.CLOSED
    return Status(forecast.status)


def status_is(status: Status, today: date) -> ColumnElement[bool]:
    """A query condition: the forecast's status on ``today`` is ``status`` (see :func:`status_on`).
    Written on the stored status and the close date, so the indexes on both can serve it."""
    stored, closes = col(Forecast.status), col(Forecast.closes)
    if status is Status.OPEN:
        return and_(stored == Status.OPEN.value, closes >= today)
    if status is Status.CLOSED:
        return or_(stored == Status.CLOSED.value, and_(stored == Status.OPEN.value, closes < today))
    same: ColumnElement[bool] = stored == status.value  # resolved, annulled: as stored
    return same


def status_column(today: date) -> ColumnElement[str]:
    """The status on ``today`` as a column (for ordering by status)."""
    overdue = and_(col(Forecast.status) == Status.OPEN.value, col(Forecast.closes) < today)
    return case((overdue, Status.CLOSED.value), else_=col(Forecast.status))


def needs_outcome(today: date) -> ColumnElement[bool]:
    """A condition on :class:`Question`: past its close date as of ``today``, unresolved, a
    proposal of it rejected and none pending.  The resolver does not make a rejected proposal
    again (until a new publisher reports), so only an analyst's outcome can settle it."""

    pending = exists().where(
        col(Proposal.question_id) == col(Question.id),
        col(Proposal.status) == ProposalStatus.PENDING.value,
    )
    # `IN` rather than a correlated `EXISTS`: SQLite then starts from the few rejected proposals
    # instead of walking every question closed before today (the review page, issue 18).
    rejected = select(col(Proposal.question_id)).where(
        col(Proposal.status) == ProposalStatus.REJECTED.value
    )
    return and_(
        col(Question.status).in_((Status.OPEN.value, Status.CLOSED.value)),
        col(Question.closes) < today,
        col(Question.id).in_(rejected),
        ~pending,
    )


def _move(
    session: Session,
    question: Question,
    target: Status,
    actor: str,
    action: str,
    **detail: str | None,
) -> None:
    current = Status(question.status)
    if target not in _ALLOWED[current]:
        raise LifecycleError(
            question.id, current.value, target.value, _HINTS.get((current, target), "")
        )
    question.status = target.value
    question.updated_at = utcnow()
    session.add(question)
    _mirror(session, question)
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="question",
        entity_id=question.id,
        from_status=current.value,
        to_status=target.value,
        detail={k: v for k, v in detail.items() if v is not None} or None,
    )


def _mirror(session: Session, question: Question) -> None:
    """Copy the question's state onto its forecasts (see the module docstring)."""
    session.flush()
    session.execute(
        update(Forecast)
        .where(col(Forecast.question_id) == question.id)
        .values(
            status=question.status,
            outcome=question.outcome,
            resolved_at=question.resolved_at,
            updated_at=question.updated_at,
        )
        .execution_options(synchronize_session="fetch")
    )


def status_by_date(question: Question, today: date) -> Status:
    """Open or closed, by the dates alone (where a reopened question goes back to)."""
    return Status.CLOSED if today > question.closes else Status.OPEN


def _record_due_close(session: Session, question: Question, today: date) -> None:
    """An open question past its close date is recorded closed (by the system) before anything
    else happens to it, as the daily sweep would have."""
    if status_on(question, today) is not Status(question.status):
        _close(session, question, audit.SYSTEM_ACTOR)


def _close(session: Session, question: Question, actor: str) -> None:
    _move(session, question, Status.CLOSED, actor, "close", closes=question.closes.isoformat())


def close_expired(session: Session, today: date, actor: str = audit.SYSTEM_ACTOR) -> list[str]:
    """Close every open question whose close date is before ``today`` (and the forecasts on
    it); returns the ids of the forecasts closed."""
    due = list(
        session.exec(
            select(Question).where(
                col(Question.status) == Status.OPEN.value, col(Question.closes) < today
            )
        )
    )
    for question in due:
        _close(session, question, actor)
    if not due:
        return []
    return list(
        session.exec(
            select(col(Forecast.id))
            .where(col(Forecast.question_id).in_([q.id for q in due]))
            .order_by(col(Forecast.id))
        )
    )


def active_resolution(session: Session, question_id: str) -> Resolution | None:
    return session.exec(
        select(Resolution).where(
            col(Resolution.question_id) == question_id, col(Resolution.active).is_(True)
        )
    ).first()


def resolve(
    session: Session,
    question: Question,
    outcome: Outcome,
    *,
    actor: str,
    note: str | None = None,
    evidence_links: Sequence[str] = (),
    today: date | None = None,
) -> Resolution:
    """Record ``outcome`` (yes, no or annulled) for ``question`` and every forecast on it."""
    if not actor or not actor.strip():
        raise InvalidInputError("by", "a resolution needs the name of who records it")
    _record_due_close(session, question, today or utc_today())
    target = Status.ANNULLED if outcome is Outcome.ANNULLED else Status.RESOLVED
    resolution = Resolution(
        question_id=question.id,
        outcome=outcome.value,
        resolved_by=actor,
        note=note,
        evidence_links=list(evidence_links) or None,
    )
    question.outcome = None if outcome is Outcome.ANNULLED else outcome.value
    question.resolved_at = resolution.resolved_at
    _move(
        session,
        question,
        target,
        actor,
        "annul" if target is Status.ANNULLED else "resolve",
        outcome=outcome.value,
        note=note,
    )
    session.add(resolution)
    return resolution


def reopen(
    session: Session, question: Question, *, actor: str, note: str | None, today: date
) -> Status:
    """Undo the active resolution (kept, marked inactive); the question and its forecasts go
    back to open or closed."""
    if question.status not in (Status.RESOLVED.value, Status.ANNULLED.value):
        raise LifecycleError(
            question.id,
            status_on(question, today).value,
            "reopened",
            "only a resolved or annulled forecast can be reopened",
        )
    if not note or not note.strip():
        raise InvalidInputError(
            "note", f"reopening forecast {question.id!r} needs a note saying why"
        )
    target = status_by_date(question, today)
    question.outcome = None
    question.resolved_at = None
    _move(session, question, target, actor, "reopen", note=note)
    resolution = active_resolution(session, question.id)
    if resolution is not None:
        resolution.active = False
        resolution.reopened_at = utcnow()
        resolution.reopened_by = actor
        resolution.reopen_note = note
        session.add(resolution)
    return target


def extend(session: Session, question: Question, *, actor: str) -> None:
    """A closed question whose close date moved into the future is open again."""
    _move(session, question, Status.OPEN, actor, "extend", closes=question.closes.isoformat())
