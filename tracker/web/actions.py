"""The writes the web app offers, shared by the HTML forms and the JSON API.

Thin: each looks the forecast up and calls :mod:`tracker.lifecycle` (the only code that
changes a status) with the signed-in analyst as the actor, in the request's transaction.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from tracker import lifecycle, registry
from tracker.models import Forecast, Outcome


def resolve(session: Session, forecast_id: str, outcome: Outcome, *, note: str | None, actor: str,
            today: date) -> Forecast:
    lifecycle.close_expired(session, today)
    forecast = registry.get_forecast(session, forecast_id)
    lifecycle.resolve(session, forecast, outcome, actor=actor, note=note or None)
    return forecast


def reopen(session: Session, forecast_id: str, *, note: str, actor: str, today: date) -> Forecast:
    forecast = registry.get_forecast(session, forecast_id)
    lifecycle.reopen(session, forecast, actor=actor, note=note, today=today)
    return forecast
