"""Evidence attached by hand ("propose as evidence for..."), and an article's page.

A reviewer attaches an article to a forecast; the evidence is the forecast's question's, counts
like matched evidence, and is audited (:mod:`tracker.resolution._attach` has the rules).  A
mistake is undone by detaching it, which only evidence attached by hand allows.
"""

from __future__ import annotations

from sqlmodel import Session

from tracker import resolution
from tracker.domain import registry
from tracker.errors import NotFoundError
from tracker.models import Evidence
from tracker.resolution import ArticleView, Attached


def attach_evidence(
    session: Session,
    *,
    article_id: int,
    forecast_id: str,
    side: str,
    actor: str,
    note: str | None,
) -> Attached:
    """Attach the article as evidence for ``side`` (yes or no) of the forecast's question, with
    the reviewer's reason; the question's proposal is re-evaluated at once, as after matching."""
    question = registry.question_of(session, forecast_id)
    return resolution.attach(
        session,
        question,
        forecast_id=forecast_id,
        article_id=article_id,
        side=side,
        actor=actor,
        note=note,
    )


def detach_evidence(
    session: Session,
    *,
    evidence_id: int,
    actor: str,
    forecast_id: str | None = None,
    note: str | None = None,
) -> Evidence:
    """Remove evidence attached by hand (of ``forecast_id``'s question, when given: a page or an
    API path names it); the proposal is re-evaluated and the removal audited."""
    if forecast_id is not None:
        question = registry.question_of(session, forecast_id)
        found = session.get(Evidence, evidence_id)
        if found is None or found.question_id != question.id:
            raise NotFoundError(
                "evidence", evidence_id, f"see the evidence list of forecast {forecast_id!r}"
            )
    return resolution.detach(session, evidence_id, actor=actor, note=note)


def article_view(session: Session, article_id: int) -> ArticleView:
    """An article's page: the article, its feed, and the forecasts it is evidence for."""
    return resolution.article_view(session, article_id)
