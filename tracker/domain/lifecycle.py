"""The forecast lifecycle and the one place that changes a forecast's status.

    open ──(past closes)──> closed
    open | closed ──resolve yes/no──> resolved
    open | closed ──annul──> annulled
    resolved | annulled ──reopen──> open or closed (by date)
    closed ──extend──> open (a re-import moved the close date later)

Resolving an open forecast early is allowed (a YES can happen before the close
date); scoring decides separately which forecasts enter calibration.
Every transition writes an audit entry in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, select

from tracker.domain import audit
from tracker.errors import LifecycleError, TrackerError
from tracker.models import Forecast, Outcome, Resolution, Status, utcnow

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


def _move(
    session: Session, forecast: Forecast, target: Status, actor: str, action: str, **detail
) -> None:
    current = Status(forecast.status)
    if target not in _ALLOWED[current]:
        raise LifecycleError(
            forecast.id, current.value, target.value, _HINTS.get((current, target), "")
        )
    forecast.status = target.value
    forecast.updated_at = utcnow()
    session.add(forecast)
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="forecast",
        entity_id=forecast.id,
        from_status=current.value,
        to_status=target.value,
        detail={k: v for k, v in detail.items() if v is not None} or None,
    )


def status_by_date(forecast: Forecast, today: date) -> Status:
    return Status.CLOSED if today > forecast.closes else Status.OPEN


def close_expired(session: Session, today: date, actor: str = audit.SYSTEM_ACTOR) -> list[str]:
    """Close every open forecast whose close date is before ``today``; returns their ids."""
    due = session.exec(
        select(Forecast).where(Forecast.status == Status.OPEN.value, Forecast.closes < today)
    )
    closed = []
    for forecast in due:
        _move(session, forecast, Status.CLOSED, actor, "close", closes=forecast.closes.isoformat())
        closed.append(forecast.id)
    return closed


def active_resolution(session: Session, forecast_id: str) -> Resolution | None:
    return session.exec(
        select(Resolution).where(Resolution.forecast_id == forecast_id, Resolution.active == True)  # noqa: E712
    ).first()


def resolve(
    session: Session,
    forecast: Forecast,
    outcome: Outcome,
    *,
    actor: str,
    note: str | None = None,
    evidence_links: Sequence[str] = (),
) -> Resolution:
    """Record ``outcome`` (yes, no or annulled) for ``forecast``."""
    if not actor or not actor.strip():
        raise TrackerError("a resolution needs the name of who recorded it (--by)")
    target = Status.ANNULLED if outcome is Outcome.ANNULLED else Status.RESOLVED
    _move(
        session,
        forecast,
        target,
        actor,
        "annul" if target is Status.ANNULLED else "resolve",
        outcome=outcome.value,
        note=note,
    )
    resolution = Resolution(
        forecast_id=forecast.id,
        outcome=outcome.value,
        resolved_by=actor,
        note=note,
        evidence_links=list(evidence_links) or None,
    )
    forecast.outcome = None if outcome is Outcome.ANNULLED else outcome.value
    forecast.resolved_at = resolution.resolved_at
    session.add(resolution)
    return resolution


def reopen(session: Session, forecast: Forecast, *, actor: str, note: str, today: date) -> Status:
    """Undo the active resolution (kept, marked inactive); the forecast goes back to open or closed."""
    if forecast.status not in (Status.RESOLVED.value, Status.ANNULLED.value):
        raise LifecycleError(
            forecast.id,
            forecast.status,
            "reopened",
            "only a resolved or annulled forecast can be reopened",
        )
    if not note or not note.strip():
        raise TrackerError(f"reopening forecast {forecast.id!r} needs a note saying why (--note)")
    target = status_by_date(forecast, today)
    _move(session, forecast, target, actor, "reopen", note=note)
    resolution = active_resolution(session, forecast.id)
    if resolution is not None:
        resolution.active = False
        resolution.reopened_at = utcnow()
        resolution.reopened_by = actor
        resolution.reopen_note = note
        session.add(resolution)
    forecast.outcome = None
    forecast.resolved_at = None
    return target


def extend(session: Session, forecast: Forecast, *, actor: str) -> None:
    """A closed forecast whose close date moved into the future is open again."""
    _move(session, forecast, Status.OPEN, actor, "extend", closes=forecast.closes.isoformat())
