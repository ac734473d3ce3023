"""The writes the web app offers, shared by the HTML forms and the JSON API.

Thin: each looks the forecast up and calls :mod:`tracker.domain.lifecycle` (the only code that
changes a status) with the signed-in analyst as the actor, in the request's transaction;
feed changes call :mod:`tracker.ingest` (the same checks as `tracker feeds add`); proposals are
confirmed and rejected by :mod:`tracker.resolution` (as `tracker confirm` / `tracker reject` do).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from tracker import ingest, resolution
from tracker.domain import lifecycle, registry
from tracker.errors import FeedSettingError
from tracker.models import Feed, Forecast, Outcome, Proposal
from tracker.settings import parse_interval


def resolve(
    session: Session,
    forecast_id: str,
    outcome: Outcome,
    *,
    note: str | None,
    actor: str,
    today: date,
) -> Forecast:
    lifecycle.close_expired(session, today)
    forecast = registry.get_forecast(session, forecast_id)
    lifecycle.resolve(session, forecast, outcome, actor=actor, note=note or None)
    return forecast


def reopen(session: Session, forecast_id: str, *, note: str, actor: str, today: date) -> Forecast:
    forecast = registry.get_forecast(session, forecast_id)
    lifecycle.reopen(session, forecast, actor=actor, note=note, today=today)
    return forecast


# --- feeds: the checks and storage are tracker.ingest's (URL scheme and host, duplicates) -----

MAX_INTERVAL = timedelta(days=30)


def add_feed(
    session: Session,
    url: str,
    *,
    title: str | None,
    interval: str | None,
    default_interval: timedelta,
) -> Feed:
    """Adds a feed, due at once; ``interval`` as ``15m``/``1h``/``1d`` (default: the settings')."""
    try:
        every = parse_interval(interval) if interval else default_interval
    except ValueError as exc:
        raise FeedSettingError("interval", str(exc)) from exc
    except OverflowError as exc:  # timedelta's own limit
        raise FeedSettingError(
            "interval", f"{interval!r} is far too long; write it like 15m, 2h or 1d"
        ) from exc
    if every > MAX_INTERVAL:
        raise FeedSettingError(
            "interval",
            f"{interval!r} is longer than {MAX_INTERVAL.days} days; "
            "a feed is worth checking at least monthly",
        )
    return ingest.add_feed(session, url, interval=every, title=title or None)


def enable_feed(session: Session, feed_id: int) -> Feed:
    return ingest.enable_feed(session, feed_id)


def disable_feed(session: Session, feed_id: int, reason: str | None, actor: str) -> Feed:
    return ingest.disable_feed(session, feed_id, reason or f"disabled by {actor}")


def remove_feed(session: Session, feed_id: int) -> int:
    return ingest.remove_feed(session, feed_id)


# --- proposals: tracker.resolution decides (pending only, the lifecycle's rules, the audit) -----


def confirm_proposal(
    session: Session, proposal_id: int, *, actor: str, outcome: Outcome | None, note: str | None
) -> Proposal:
    """Confirms a pending proposal (``outcome``: the analyst's, when it differs or none was proposed)."""
    resolution.confirm(session, proposal_id, actor=actor, outcome=outcome, note=note or None)
    return resolution.get_proposal(session, proposal_id)


def reject_proposal(session: Session, proposal_id: int, *, actor: str, note: str) -> Proposal:
    return resolution.reject(session, proposal_id, actor=actor, note=note)
