"""Evidence attached by hand: a reviewer says "this article is evidence for YES (or NO)".

It counts like matched evidence: the row is an ordinary :class:`~tracker.models.Evidence` row on
the question (same uniqueness, same publisher attribution as matching gives), with who attached
it (``attached_by``) and why (``note``), and the question's proposal is re-evaluated by the same
policy pass matching uses (:func:`tracker.resolution.evaluate`).  Both attaching and detaching
are in the question's audit log.  Only rows attached by hand can be detached: matched evidence
is the matcher's record, and a rule that matches wrongly is fixed in the forecast's file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from tracker.clock import utcnow
from tracker.domain import audit
from tracker.errors import ConflictError, InvalidInputError, NotFoundError
from tracker.matching import clean, published_day, split_sentences
from tracker.models import Article, Evidence, Feed, Proposal, Question
from tracker.resolution._match import _insert_ignore, evidence_publisher
from tracker.resolution._policy import SIDES, UNRESOLVED, evaluate
from tracker.resolution._review import lead_forecast_id

#: a reason is at least this long (a word or two saying what the article reports)
MIN_NOTE = 8
#: the column's length (``Evidence.note``)
MAX_NOTE = 2000
#: the longest sentence kept for an article with no title (a long first paragraph is cut)
MAX_SENTENCE = 500


@dataclass(frozen=True)
class Attached:
    """What attaching did: the evidence row, whether it counts toward a proposal (published
    inside the question's window), and the proposals the policy made from it."""

    evidence: Evidence
    counts: bool
    proposals: list[Proposal]


def check_side(side: str) -> str:
    value = side.strip().lower()
    if value not in SIDES:
        raise InvalidInputError("side", f"{side!r} is not a side; give yes or no")
    return value


def check_note(note: str | None) -> str:
    """The reviewer's reason, required: evidence nobody can explain later cannot be reviewed."""
    text = " ".join((note or "").split())
    audit.check_text("note", text, MAX_NOTE)
    if len(text) < MIN_NOTE or not any(c.isalpha() for c in text):
        raise InvalidInputError(
            "note",
            f"say why this article is evidence (at least {MIN_NOTE} characters), "
            "e.g. 'reports the treaty was signed on 3 May'",
        )
    return text


def _sentence(article: Article) -> tuple[str, str]:
    """The text shown as the evidence's sentence, and the field it is from: the title, else the
    first sentence of the summary or the full text."""
    title = clean(article.title or "")
    if title:
        return title, "title"
    for field, text in (("summary", article.summary), ("body", article.body)):
        sentences = split_sentences(clean(text or ""))
        if sentences:
            return sentences[0].text[:MAX_SENTENCE], field
    return "(untitled article)", "title"


def _article(session: Session, article_id: int) -> tuple[Article, str | None]:
    row = session.execute(
        sa_select(Article, col(Feed.site_url))
        .join(Feed, col(Article.feed_id) == col(Feed.id), isouter=True)
        .where(col(Article.id) == article_id)
    ).first()
    if row is None:
        raise NotFoundError("article", article_id, "see `tracker articles search` for the ids")
    return row[0], row[1]


def _open_question(question: Question, forecast_id: str) -> None:
    """Matching gives evidence to unresolved questions only; so does a reviewer."""
    if question.status not in UNRESOLVED:
        raise InvalidInputError(
            "forecast",
            f"{forecast_id!r} is {question.status}: its question is decided; reopen it to "
            "attach evidence",
        )


def attach(
    session: Session,
    question: Question,
    *,
    forecast_id: str,
    article_id: int,
    side: str,
    actor: str,
    note: str | None,
) -> Attached:
    """Attach the article to ``question`` as evidence for ``side``; the forecast it was done
    from is recorded in the audit entry.  The same article on the same side twice (by hand or
    found by matching) is a :class:`ConflictError`."""
    side, note = check_side(side), check_note(note)
    audit.check_text("by", actor, audit.MAX_ACTOR)
    _open_question(question, forecast_id)
    article, site_url = _article(session, article_id)
    sentence, field = _sentence(article)
    row = {
        "question_id": question.id,
        "article_id": article_id,
        "side": side,
        "matched_phrases": [],
        "sentence": sentence,
        "field": field,
        "negated": False,
        "publisher": evidence_publisher(article.publisher, article.url, site_url),
        "published_at": article.published_at,
        "attached_by": actor,
        "note": note,
        "created_at": utcnow(),
    }
    if not _insert_ignore(session, [row]):  # one statement: two reviewers at once get one row
        raise ConflictError(
            "evidence",
            f"article {article_id} for {side.upper()} on {question.id}",
            "it is on the forecast's evidence list already",
        )
    evidence = session.execute(
        sa_select(Evidence).where(
            col(Evidence.question_id) == question.id,
            col(Evidence.article_id) == article_id,
            col(Evidence.side) == side,
        )
    ).scalar_one()
    audit.record(
        session,
        actor=actor,
        action="attach-evidence",
        entity="question",
        entity_id=question.id,
        detail={
            "evidence": evidence.id,
            "article": article_id,
            "side": side,
            "forecast": forecast_id,
            "title": article.title,
            "note": note,
        },
    )
    counts = question.opens <= published_day(article.published_at) <= question.closes
    return Attached(evidence, counts, evaluate(session, [question.id]))


def detach(session: Session, evidence_id: int, *, actor: str, note: str | None = None) -> Evidence:
    """Remove evidence attached by hand (a mistake undone); the proposal is re-evaluated and
    the removal audited.  Matched evidence cannot be detached."""
    audit.check_text("by", actor, audit.MAX_ACTOR)
    audit.check_text("note", note, MAX_NOTE)
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFoundError("evidence", evidence_id, "see the forecast's evidence list")
    if evidence.attached_by is None:
        raise InvalidInputError(
            "evidence",
            f"{evidence_id} was found by matching; only evidence attached by hand can be "
            "detached (a wrong match is fixed in the forecast's rules)",
        )
    detail = {
        "evidence": evidence_id,
        "article": evidence.article_id,
        "side": evidence.side,
        "attached_by": evidence.attached_by,
    }
    if note and note.strip():
        detail["note"] = note.strip()
    session.delete(evidence)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="detach-evidence",
        entity="question",
        entity_id=evidence.question_id,
        detail=detail,
    )
    evaluate(session, [evidence.question_id])
    return evidence


@dataclass(frozen=True)
class ArticleEvidence:
    """One forecast an article is evidence for (an article's page): the question, the forecast
    it is shown through (:func:`~tracker.resolution.lead_forecast_id`), and who attached it."""

    evidence_id: int
    question_id: str
    forecast_id: str
    question: str
    side: str
    negated: bool
    sentence: str
    attached_by: str | None
    note: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class ArticleView:
    """An article, the feed that brought it, and the forecasts it is evidence for."""

    article: Article
    feed_title: str | None
    evidence: list[ArticleEvidence]


def article_view(session: Session, article_id: int) -> ArticleView:
    """An article's page: the article, its feed's title, and the evidence it gave (matched or
    attached by hand), oldest first.  An unknown id is a :class:`NotFoundError`."""
    article, _site = _article(session, article_id)
    feed = session.get(Feed, article.feed_id) if article.feed_id is not None else None
    forecast_id = lead_forecast_id(col(Evidence.question_id))
    rows = session.execute(
        sa_select(Evidence, forecast_id, col(Question.text))
        .join(Question, col(Question.id) == col(Evidence.question_id))
        .where(col(Evidence.article_id) == article_id)
        .order_by(col(Evidence.created_at), col(Evidence.id))
    ).all()
    evidence = [
        ArticleEvidence(
            evidence_id=e.id,
            question_id=e.question_id,
            forecast_id=lead or e.question_id,
            question=text,
            side=e.side,
            negated=e.negated,
            sentence=e.sentence,
            attached_by=e.attached_by,
            note=e.note,
            created_at=e.created_at,
        )
        for e, lead, text in rows
    ]
    return ArticleView(article, feed.title if feed else None, evidence)
