"""Pydantic models of the JSON API (what ``/api/openapi.json`` describes) and the input types
shared with the HTML forms.  Links from outside pass through :func:`tracker.urls.safe_url`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tracker.clock import today
from tracker.domain.registry import ForecastFilter, ForecastRow, ForecastSort
from tracker.ingest import FeedState
from tracker.models import Outcome, Proposal, Status
from tracker.paging import KeysetPage, Page
from tracker.resolution import ArticleView, EvidenceView
from tracker.scoring import CalibrationBin, OwnScore, ScorecardFilter
from tracker.search import ArticleHit, ArticleQuery, ForecastHit
from tracker.service import (
    FEEDS_PER_PAGE,
    EvidencePage,
    FeedHealth,
    FeedsPage,
    ForecastView,
    ReviewEntry,
    ReviewPage,
)
from tracker.urls import safe_url

#: no control characters but whitespace ones (PostgreSQL cannot store NUL; none belongs in a note)
PRINTABLE = r"^[^\x00-\x08\x0e-\x1f\x7f]*$"

#: a short piece of text typed by a person (search box, filter, an analyst's note)
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=PRINTABLE)]
#: a forecast id as forecast files define them (a slug); anything else cannot exist
FORECAST_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


class ErrorOut(BaseModel):
    error: str = Field(
        description="kind of error: not_found, not_signed_in, bad_credentials, csrf, lifecycle, ..."
    )
    detail: str = Field(description="one line saying what is wrong and what to do")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad input"},
    401: {"model": ErrorOut, "description": "No or bad credentials"},
    404: {"model": ErrorOut, "description": "No such forecast"},
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    403: {"model": ErrorOut, "description": "Cookie session without the CSRF token"},
    409: {"model": ErrorOut, "description": "The forecast's status does not allow this"},
}


# --- each forecast's own scores ----------------------------------------------------------------


class OwnScoreOut(BaseModel):
    """A forecast's own scores once it is resolved yes or no; lower is better.  Their means over a
    scorecard's forecasts are its Brier, time-weighted Brier and log loss."""

    model_config = ConfigDict(from_attributes=True)

    probability: float = Field(ge=0, le=1, description="the probability scored: the standing one")
    outcome: Literal["yes", "no"]
    brier: float = Field(ge=0, le=1, description="(probability - outcome)^2, 0-1 scale")
    time_weighted_brier: float = Field(
        ge=0,
        le=1,
        description="each day it was open scored with the probability standing that day, averaged "
        "(the Brier score when the probability never changed)",
    )
    log_loss: float = Field(
        ge=0,
        description="-ln of the probability given to the outcome, clipped to [0.001, 0.999] (nats)",
    )
    peer: float | None = Field(
        default=None,
        description="peer score against the other forecasters on its question (null: none)",
    )

    @classmethod
    def of(cls, score: OwnScore | None) -> OwnScoreOut | None:
        return None if score is None else cls.model_validate(score)


class ScoredForecastOut(OwnScoreOut):
    """A scored forecast in a list of them (the costliest, a calibration bin's)."""

    id: str
    author: str
    question: str

    @classmethod
    def of_score(cls, score: OwnScore) -> ScoredForecastOut:
        return cls.model_validate(score)


SCORE_FIELD = Field(
    default=None, description="its own scores once resolved yes or no; null until then"
)


class ForecastSummary(BaseModel):
    id: str
    status: Status
    outcome: Literal["yes", "no"] | None
    probability: float = Field(ge=0, le=1)
    estimate: str
    vague: bool
    opens: date
    closes: date
    tags: list[str]
    author: str
    source: str = Field(description="the source's key (its forecast file's name)")
    question: str
    score: OwnScoreOut | None = SCORE_FIELD

    @classmethod
    def of(cls, row: ForecastRow, score: OwnScore | None = None) -> ForecastSummary:
        found = cls.model_validate(row, from_attributes=True)
        found.score = OwnScoreOut.of(score)
        return found


class PageOut(BaseModel):
    """One page of a paginated list; subclasses add ``items`` and ``total`` (described for their
    list)."""

    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    pages: int = Field(ge=1)

    @staticmethod
    def paging(found: Page[Any]) -> dict[str, int]:
        """The paging fields of one page of a list (everything but its items)."""
        return {
            "total": found.total,
            "page": found.page,
            "per_page": found.per_page,
            "pages": found.pages,
        }


#: what a page read by an old numbered-page link (``?page=3``) says above the first page
OLD_PAGE_NOTE = (
    "Pages are no longer numbered: this is the first page; follow Next \u2192 from here."
)


class CursorQuery(BaseModel):
    """The position of a list read by keyset: ``cursor`` (a ``next_cursor`` or ``prev_cursor``
    of the page before; none: the first page).  ``page`` is what links made before cursors
    carried: ``page=1`` is the first page, a later one reads the first page with a note."""

    cursor: str | None = Field(
        default=None,
        description="the page to read: a next_cursor or prev_cursor of an earlier answer "
        "(none: the first page)",
    )
    page: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="numbered pages are gone: 1 is the first page, a later one answers the "
        "first page with a note",
    )

    def old_page_note(self) -> str | None:
        """The note for an old numbered-page link past the first page."""
        return OLD_PAGE_NOTE if (self.page or 1) > 1 and not self.cursor else None


class KeysetPageOut(BaseModel):
    """One page of a list read by keyset; subclasses add ``items`` (and ``total`` where the
    list counts its rows)."""

    per_page: int = Field(ge=1)
    next_cursor: str | None = Field(description="the cursor of the next page (null: the last)")
    prev_cursor: str | None = Field(
        description="the cursor of the page before (null: this is the first page)"
    )
    note: str | None = Field(default=None, description="a note on the request (an old link)")

    @staticmethod
    def paging(found: KeysetPage[Any], note: str | None = None) -> dict[str, Any]:
        """The paging fields of one page of a list (everything but its items)."""
        return {
            "per_page": found.per_page,
            "next_cursor": found.next_cursor,
            "prev_cursor": found.prev_cursor,
            "note": note,
        }


class ForecastPageOut(KeysetPageOut):
    items: list[ForecastSummary]
    total: int = Field(ge=0, description="forecasts matching the filters, on all pages")

    @classmethod
    def of(
        cls,
        found: KeysetPage[ForecastRow],
        scores: Mapping[str, OwnScore] | None = None,
        note: str | None = None,
    ) -> ForecastPageOut:
        scores = scores or {}
        items = [ForecastSummary.of(row, scores.get(row.id)) for row in found.items]
        return cls(items=items, total=found.total or 0, **cls.paging(found, note))


class CalibrationBinOut(PageOut):
    """A bin of the scorecard's calibration table, as the scorecard has it, and one page of its
    forecasts, costliest (highest Brier) first."""

    bin: int = Field(ge=0, description="the bin's number, 0 the lowest")
    n_bins: int = Field(ge=1)
    label: str = Field(description="its range, e.g. (70%, 80%]")
    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)
    count: int = Field(ge=0, description="forecasts in the bin (the scorecard's count)")
    mean_forecast: float | None = Field(description="null for an empty bin")
    observed: float | None = Field(description="observed frequency of yes; null for an empty bin")
    wilson_low: float | None
    wilson_high: float | None
    filters: dict[str, Any] = Field(description="the scorecard's filters, as its JSON states them")
    items: list[ScoredForecastOut]
    total: int = Field(ge=0, description="forecasts in the bin, on all pages")

    @classmethod
    def of(cls, found: CalibrationBin, filters: ScorecardFilter) -> CalibrationBinOut:
        row = found.row
        assert row.low is not None and row.high is not None  # a bin row has its edges
        return cls(
            bin=found.index,
            n_bins=found.n_bins,
            label=row.label,
            low=row.low,
            high=row.high,
            count=row.count,
            mean_forecast=row.mean_forecast,
            observed=row.observed,
            wilson_low=row.wilson_low,
            wilson_high=row.wilson_high,
            filters=filters.to_json(),
            items=[ScoredForecastOut.of_score(s) for s in found.forecasts.items],
            **cls.paging(found.forecasts),
        )


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    title: str
    author: str
    publisher: str | None
    url: str | None = Field(description="http(s) link to the source; other schemes are withheld")
    published: date | None


class EvidenceRulesOut(BaseModel):
    all: list[str] = []
    any: list[str] = []
    none: list[str] = []


class ProbabilityPointOut(BaseModel):
    """One row of a forecast's statements.  ``quote`` and ``note`` are text from a file or a
    person (escape them); ``url`` is withheld unless it is an http(s) link."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    as_of: date
    probability: float = Field(ge=0, le=1)
    estimate: str
    note: str | None = Field(description="a correction's reason, else a note on the statement")
    kind: Literal["initial", "update", "correction"]
    quote: str | None = Field(description="the author's words, verbatim")
    url: str | None
    origin: Literal["file", "entered", "reimport"] = Field(
        description="a forecast file, a person (CLI, web, API), or a re-import before statements "
        "had their own dates"
    )
    actor: str | None = Field(description="who recorded it")
    recorded_at: datetime
    corrects: int | None = Field(
        description="a correction: the id of the statement (its first row) whose value it replaces"
    )
    replaced: bool = Field(description="a later correction replaced this value: it is not scored")

    @classmethod
    def of(cls, row: Any, replaced: set[int]) -> ProbabilityPointOut:
        return cls.model_validate(
            {
                **row.model_dump(),
                "url": safe_url(row.url),
                "corrects": row.corrects_id,
                "replaced": row.id in replaced,
            }
        )


class ResolutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    outcome: Outcome
    resolved_at: datetime
    resolved_by: str
    note: str | None
    evidence_links: list[str]
    active: bool
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_note: str | None


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any] | None


class ForecastDetailOut(BaseModel):
    id: str
    question: str
    quote: str
    estimate: str
    probability: float = Field(ge=0, le=1)
    probability_from_scale: bool
    vague: bool
    opens: date
    closes: date
    status: Status
    outcome: Literal["yes", "no"] | None
    resolved_at: datetime | None
    tags: list[str]
    criteria: str | None
    yes_when: EvidenceRulesOut | None
    no_when: EvidenceRulesOut | None
    min_sources: int
    default_at_close: str | None
    source: SourceOut
    probability_history: list[ProbabilityPointOut] = Field(
        description="every statement by date, corrections and the values they replaced included"
    )
    corrected_after_resolution: bool = Field(
        description="a value was corrected (a data-entry fix) once the outcome was known"
    )
    resolutions: list[ResolutionOut]
    audit: list[AuditEntryOut]
    proposal: ProposalOut | None = Field(description="the resolver's pending proposal, if any")
    evidence: EvidencePageOut = Field(
        description="counting evidence, oldest article first (the first page; "
        "the rest from /api/forecasts/{id}/evidence)"
    )
    negated_evidence: EvidencePageOut = Field(
        description="evidence whose phrases were all negated (shown to reviewers, never counted)"
    )
    score: OwnScoreOut | None = SCORE_FIELD

    @classmethod
    def of(cls, view: ForecastView, score: OwnScore | None = None) -> ForecastDetailOut:
        detail, f = view.detail, view.detail.forecast
        source = SourceOut.model_validate(detail.source).model_copy(
            update={"url": safe_url(detail.source.url)}
        )
        resolutions = [
            ResolutionOut.model_validate(
                {**r.model_dump(), "evidence_links": _safe_links(r.evidence_links)}
            )
            for r in detail.resolutions
        ]
        fields = {
            "id",
            "question",
            "quote",
            "estimate",
            "probability",
            "probability_from_scale",
            "vague",
            "opens",
            "closes",
            "outcome",
            "resolved_at",
            "criteria",
            "yes_when",
            "no_when",
            "min_sources",
            "default_at_close",
        }
        return cls(
            **f.model_dump(include=fields),
            status=detail.status,
            tags=detail.tags,
            source=source,
            probability_history=[
                ProbabilityPointOut.of(u, detail.replaced) for u in detail.updates
            ],
            corrected_after_resolution=f.corrected_after_resolution,
            resolutions=resolutions,
            audit=[AuditEntryOut.model_validate(a) for a in detail.audit],
            proposal=ProposalOut.of(view.proposal) if view.proposal else None,
            evidence=EvidencePageOut.of(view.evidence),
            negated_evidence=EvidencePageOut.of(view.negated),
            score=OwnScoreOut.of(score),
        )


def _safe_links(links: list[str] | None) -> list[str]:
    return [url for url in map(safe_url, links or []) if url]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome = Field(description="yes, no, or annulled (the question could not be decided)")
    note: Text | None = Field(default=None, description="why: what happened, where it was reported")


class UpdateIn(BaseModel):
    """An author's later statement.  The rules (a probability or a known term, the date inside
    the forecast's window and not after its resolution, an http(s) link) are the tracker's: a 400
    says what is wrong, as the CLI does."""

    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="the day the author said it")
    probability: float | None = Field(default=None, description="the probability, 0 to 1")
    estimate: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=PRINTABLE)]
        | None
    ) = Field(
        default=None,
        description="the author's words: a term of the estimative scale (its probability is "
        "used when none is given)",
    )
    quote: Text | None = Field(default=None, description="the author's words, verbatim")
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = Field(
        default=None, description="where the statement was published (http or https)"
    )
    note: Text | None = None


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text | None = Field(
        default=None, description="why the resolution is undone (required: a 400 without one)"
    )


# --- evidence, proposals, the review queue -----------------------------------------------------


class EvidenceOut(BaseModel):
    """One article bearing on one side of a forecast.  ``title``, ``sentence`` and ``publisher``
    come from a feed (untrusted: escape them); ``url`` is withheld unless it is an http(s) link."""

    id: int
    side: Literal["yes", "no"]
    counts: bool = Field(
        description="counts toward a proposal: not negated and published inside the window"
    )
    negated: bool
    in_window: bool
    sentence: str = Field(description="the sentence that matched, as the article wrote it")
    matched_phrases: list[str]
    publisher: str = Field(
        description="the publisher it counts for: the registered domain of the server the article "
        "was fetched from (its feed's, or its own page's), never one its feed merely names"
    )
    link_publisher: str | None = Field(
        default=None,
        description="the publisher the article's link names, when it is not the one counted "
        "(an aggregator's item whose page was not fetched from there): shown, never counted",
    )
    published_at: datetime
    article_id: int
    title: str
    url: str | None
    field: Literal["title", "summary", "body"] | None = Field(
        description="the article field the sentence is from (null: matched before fields)"
    )
    author: str | None = Field(description="the article's author, as the feed gave it")
    categories: list[str] = Field(description="the article's categories (tags), from the feed")
    attached_by: str | None = Field(
        default=None, description="the analyst who attached it by hand (null: found by matching)"
    )
    note: str | None = Field(default=None, description="why it was attached by hand")

    @classmethod
    def of(cls, view: EvidenceView) -> EvidenceOut:
        return cls(
            id=view.id,
            side=view.side,
            counts=view.counts,
            negated=view.negated,
            in_window=view.in_window,
            sentence=view.sentence,
            matched_phrases=view.matched_phrases,
            publisher=view.publisher,
            link_publisher=view.link_publisher,
            published_at=view.published_at,
            article_id=view.article_id,
            title=view.title,
            url=safe_url(view.url),
            field=view.field,
            author=view.author,
            categories=list(view.categories),
            attached_by=view.attached_by,
            note=view.note,
        )


class EvidencePageOut(KeysetPageOut):
    items: list[EvidenceOut]
    total: int = Field(ge=0, description="rows of this kind, on all pages")

    @classmethod
    def of(cls, page: EvidencePage, note: str | None = None) -> EvidencePageOut:
        items = [EvidenceOut.of(v) for v in page.items]
        return cls(items=items, total=page.total or 0, **cls.paging(page, note))


ProposalKindOut = Literal["evidence", "default_at_close", "disputed", "not_yet_resolvable"]


class ProposalOut(BaseModel):
    id: int
    question_id: str = Field(
        description="the question the proposal is on (its resolution is every forecast's on it)"
    )
    kind: ProposalKindOut
    outcome: Literal["yes", "no"] | None = Field(
        description="the resolver's outcome; null for disputed and "
        "not_yet_resolvable (the analyst decides)"
    )
    evidence_count: int
    publishers: list[str]
    decisive_on: date | None
    reason: str
    created_at: datetime
    status: Literal["pending", "confirmed", "rejected", "superseded"]
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    final_outcome: Outcome | None
    auto_confirmed: bool

    @classmethod
    def of(cls, proposal: Proposal) -> ProposalOut:
        return cls.model_validate(proposal.model_dump())


class ReviewForecastOut(BaseModel):
    id: str
    question: str
    criteria: str | None = Field(description="how the question resolves, as its author wrote it")
    quote: str = Field(description="the author's words, verbatim")
    status: Status
    probability: float = Field(ge=0, le=1)
    estimate: str
    opens: date
    closes: date
    min_sources: int
    default_at_close: str | None


class ReviewItemOut(BaseModel):
    proposal: ProposalOut
    forecast: ReviewForecastOut
    evidence: list[EvidenceOut] = Field(
        description="counting and out-of-window rows, oldest first (at most `evidence_limit`)"
    )
    evidence_total: int = Field(ge=0)
    negated_evidence: list[EvidenceOut] = Field(
        description="negated rows, apart (at most `evidence_limit`)"
    )
    negated_evidence_total: int = Field(ge=0)

    @classmethod
    def of(cls, entry: ReviewEntry) -> ReviewItemOut:
        item = entry.item
        fields = set(ReviewForecastOut.model_fields) - {"status"}
        forecast = ReviewForecastOut(
            **item.forecast.model_dump(include=fields), status=entry.forecast_status
        )
        return cls(
            proposal=ProposalOut.of(item.proposal),
            forecast=forecast,
            evidence=[EvidenceOut.of(e) for e in item.evidence if not e.negated],
            evidence_total=entry.evidence_total,
            negated_evidence=[EvidenceOut.of(e) for e in item.evidence if e.negated],
            negated_evidence_total=entry.negated_total,
        )


class ReviewPageOut(KeysetPageOut):
    items: list[ReviewItemOut]
    total: int = Field(ge=0, description="proposals waiting for review, on all pages")

    @classmethod
    def of(cls, page: ReviewPage, note: str | None = None) -> ReviewPageOut:
        items = [ReviewItemOut.of(entry) for entry in page.items]
        return cls(items=items, total=page.total or 0, **cls.paging(page, note))


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome | None = Field(
        default=None,
        description="the analyst's outcome when it differs from the "
        "proposed one; required for disputed and "
        "not_yet_resolvable proposals",
    )
    note: Text | None = Field(
        default=None, description="why (kept on the resolution and in the audit log)"
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text | None = Field(
        default=None,
        description="why the proposal is wrong (the same proposal is not made again "
        "until a new publisher reports)",
    )


class DecisionOut(BaseModel):
    proposal: ProposalOut
    forecast_id: str
    forecast_status: Status
    forecast_outcome: Literal["yes", "no"] | None


PROPOSAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    400: {
        "model": ErrorOut,
        "description": "Bad input, e.g. a disputed proposal confirmed without an outcome",
    },
    403: {"model": ErrorOut, "description": "Cookie session without the CSRF token"},
    404: {"model": ErrorOut, "description": "No such proposal"},
    409: {
        "model": ErrorOut,
        "description": "The proposal is decided already, or its forecast is resolved",
    },
}


class IdentityOut(BaseModel):
    name: str
    via: Literal["session", "token"]


class ForecastListQuery(CursorQuery):
    """The forecast list's search, filters, order and page (query string of the page and the
    API)."""

    q: Text | None = Field(
        default=None, description="text in the id, question or quote (case-insensitive)"
    )
    status: Status | None = None
    tag: Text | None = None
    author: Text | None = Field(default=None, description="author name, or part of it")
    source: Text | None = Field(default=None, description="source key (the forecast file's name)")
    sort: ForecastSort = ForecastSort.CLOSES
    per_page: int = Field(default=50, ge=1, le=200)

    def filter(self) -> ForecastFilter:
        """The list's filter; the status is the one forecasts have today."""
        return ForecastFilter(
            text=self.q or None,
            status=self.status,
            tag=self.tag or None,
            author=self.author or None,
            source=self.source or None,
            today=today(),
        )


class BlankIsUnset(BaseModel):
    """Mixed into the query models of filter forms: a browser sends an empty field (``status=``)
    for "any", which must mean the parameter is not set rather than an invalid value."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data


class ForecastListForm(BlankIsUnset, ForecastListQuery):
    """The same, as the list page's filter form sends it: an empty field (``status=``) means
    "any"."""


# --- feeds -----------------------------------------------------------------------------------

#: feed ids are database integers (PostgreSQL's ``integer``): larger ones cannot exist
MAX_ID = 2_147_483_647


class FeedOut(BaseModel):
    """A feed and its health.  ``title`` and ``last_error`` may hold text from the feed's server
    (untrusted: escape it); ``site_url`` is withheld unless it is an http(s) link."""

    id: int
    url: str
    title: str | None
    site_url: str | None
    state: FeedState
    interval_s: int
    fetch_articles: bool = Field(
        description="each new article's page is fetched for its full text (`--full-text`)"
    )
    suggest_full_text: bool = Field(
        description="most of the feed's newest entries are teasers and fetch_articles is off"
    )
    next_check_at: datetime | None = Field(description="the next poll; null while disabled")
    last_success_at: datetime | None
    last_polled_at: datetime | None
    consecutive_failures: int
    error_kind: str | None
    last_error: str | None
    last_error_at: datetime | None
    error_since: datetime | None = Field(description="first failure of the current run of failures")
    disabled_at: datetime | None
    disabled_reason: str | None
    articles: int = Field(ge=0, description="stored articles from this feed")
    created_at: datetime

    @classmethod
    def of(cls, health: FeedHealth) -> FeedOut:
        feed = health.feed
        data = feed.model_dump(exclude={"etag", "last_modified", "lease_until"})
        return cls(
            **{
                **data,
                "site_url": safe_url(feed.site_url),
                "state": health.state,
                "articles": health.articles,
                "suggest_full_text": health.suggest_full_text,
                "next_check_at": None if feed.disabled_at else feed.next_check_at,
            }
        )


class FeedsQuery(CursorQuery):
    """A page of the feeds list (the API's query string)."""

    per_page: int = Field(default=FEEDS_PER_PAGE, ge=1, le=500)


class FeedPageOut(KeysetPageOut):
    """A page of the feeds, failing ones first (most failures first), then disabled ones, then
    the rest; ``total``, ``failing`` and ``disabled`` count every feed."""

    items: list[FeedOut]
    total: int = Field(ge=0, description="every feed, on all pages")
    failing: int = Field(ge=0, description="feeds failing now (and not disabled)")
    disabled: int = Field(ge=0, description="feeds disabled")

    @classmethod
    def of(cls, found: FeedsPage, note: str | None = None) -> FeedPageOut:
        page = found.page
        return cls(
            items=[FeedOut.of(health) for health in page.items],
            total=page.total or 0,
            failing=found.failing,
            disabled=found.disabled,
            **cls.paging(page, note),
        )


class FeedIn(BaseModel):
    """A feed to add.  The URL and the interval are checked by the tracker itself (the same
    rules and messages as `tracker feeds add`): a 400 says what is allowed."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        description="an http(s) feed URL, without spaces or control characters"
    )
    title: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=PRINTABLE)]
        | None
    ) = None
    interval: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = (
        Field(
            default=None,
            description="poll interval from one minute to 30 days: 15m, 2h, 1d or seconds; "
            "default TRACKER_POLL_INTERVAL",
        )
    )
    full_text: bool = Field(
        default=False,
        description="fetch each new article's page for its full text (for feeds of teasers)",
    )
    publisher: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = (
        Field(
            default=None,
            description="the publisher the feed is (a domain: bbc.co.uk), for a feed served from "
            "another domain than its site's; default: articles count for the server they came from",
        )
    )


class FeedFullTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_text: bool = Field(
        description="fetch (true) or stop fetching (false) each new article's page for its full "
        "text"
    )


class FeedDisableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text | None = Field(default=None, description="why (shown on the feeds page)")


class FeedRemovedOut(BaseModel):
    id: int
    articles_kept: int = Field(ge=0, description="the feed's articles stay (they may be evidence)")


FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    403: {"model": ErrorOut, "description": "Cookie session without the CSRF token"},
    404: {"model": ErrorOut, "description": "No such feed"},
}


# --- evidence attached by hand ----------------------------------------------------------------


class AttachIn(BaseModel):
    """An article attached to a forecast as evidence.  The rules (yes or no, a note saying why)
    are the tracker's: a 400 names the field, as the CLI does."""

    model_config = ConfigDict(extra="forbid")

    article_id: int = Field(ge=1, le=MAX_ID, description="the article (see GET /api/articles)")
    side: Annotated[str, StringConstraints(max_length=10)] = Field(
        description="yes or no: the outcome the article reports"
    )
    note: Text | None = Field(
        default=None, description="why it is evidence (required: a 400 without one)"
    )


class AttachedEvidenceOut(BaseModel):
    """The stored evidence row (its sentence is the article's title, or its first sentence)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    question_id: str
    article_id: int
    side: Literal["yes", "no"]
    sentence: str
    publisher: str = Field(description="the publisher it counts for (as for matched evidence)")
    published_at: datetime
    attached_by: str | None
    note: str | None


class AttachedOut(BaseModel):
    evidence: AttachedEvidenceOut
    counts: bool = Field(
        description="counts toward a proposal: published inside the forecast's window"
    )
    proposals: list[ProposalOut] = Field(description="proposals the resolver made from it")


ATTACH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_RESPONSES,
    404: {"model": ErrorOut, "description": "No such forecast, article or evidence"},
    409: {"model": ErrorOut, "description": "This article is evidence for that side already"},
}


# --- articles and search ------------------------------------------------------------------------

#: a search as typed: long enough to protect the server; the search's own limit and syntax
#: errors are one 400 line naming ``q`` (README, "Search syntax")
SearchText = Annotated[str, StringConstraints(max_length=20_000)]
Cursor = Annotated[str, StringConstraints(max_length=2_000)]


class SnippetPartOut(BaseModel):
    """A piece of a snippet: ``hit`` pieces are the query's words (untrusted text: escape it)."""

    text: str
    hit: bool

    @staticmethod
    def of(parts: list[tuple[str, bool]]) -> list[SnippetPartOut]:
        return [SnippetPartOut(text=text, hit=hit) for text, hit in parts]


class ArticleQueryIn(BaseModel):
    """An article search (README, "Search syntax") and its filters; no ``q``: the newest
    articles of the filters."""

    q: SearchText | None = Field(default=None, description="the search, in the search syntax")
    feed: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="a feed's id: its articles and those it carried"
    )
    publisher: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = (
        Field(default=None, description="the registered domain an article counts for")
    )
    since: date | None = Field(default=None, description="published on or after this day (UTC)")
    until: date | None = Field(default=None, description="published on or before this day (UTC)")
    cursor: Cursor | None = Field(
        default=None, description="the next_cursor of the page before (none: the first page)"
    )
    per_page: int = Field(default=20, ge=1, le=100)

    def query(self) -> ArticleQuery:
        return ArticleQuery(
            text=self.q or None,
            feed_id=self.feed,
            publisher=self.publisher or None,
            since=self.since,
            until=self.until,
        )


class ArticleListForm(BlankIsUnset, ArticleQueryIn):
    """The articles page's form: an empty field is not set; ``trail`` is the cursors of the
    pages before (for its Previous link: a search reads forward only)."""

    trail: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class ArticleHitOut(BaseModel):
    """An article a search found.  ``title``, ``feed_title`` and the snippet come from feeds
    (untrusted: escape them); ``url`` is withheld unless it is an http(s) link."""

    article_id: int
    title: str
    url: str | None
    published_at: datetime | None
    feed_id: int | None
    feed_title: str | None
    publisher: str | None
    tier: int = Field(description="2: every word in the title, 1: in title and lead, 0: anywhere")
    snippet: list[SnippetPartOut]

    @classmethod
    def of(cls, hit: ArticleHit) -> ArticleHitOut:
        return cls(
            article_id=hit.article_id,
            title=hit.title,
            url=safe_url(hit.url),
            published_at=hit.published_at,
            feed_id=hit.feed_id,
            feed_title=hit.feed_title,
            publisher=hit.publisher,
            tier=hit.tier,
            snippet=SnippetPartOut.of(hit.snippet),
        )


class ArticlePageOut(KeysetPageOut):
    items: list[ArticleHitOut]

    @classmethod
    def of(cls, found: KeysetPage[ArticleHit]) -> ArticlePageOut:
        return cls(items=[ArticleHitOut.of(hit) for hit in found.items], **cls.paging(found))


class ArticleEvidenceOut(BaseModel):
    """A forecast the article is evidence for, shown through ``forecast_id``."""

    evidence_id: int
    question_id: str
    forecast_id: str
    question: str
    side: Literal["yes", "no"]
    negated: bool
    sentence: str
    attached_by: str | None = Field(description="who attached it by hand (null: matched)")
    note: str | None
    created_at: datetime


class ArticleDetailOut(BaseModel):
    """An article as stored (its texts are the feed's or its page's: untrusted) and the
    forecasts it is evidence for."""

    id: int
    title: str
    url: str | None
    feed_id: int | None
    feed_title: str | None
    publisher: str | None
    author: str | None
    categories: list[str]
    published_at: datetime
    published_estimated: bool
    fetched_at: datetime
    summary: str
    body: str
    evidence: list[ArticleEvidenceOut]

    @classmethod
    def of(cls, view: ArticleView) -> ArticleDetailOut:
        a = view.article
        assert a.id is not None  # a stored row
        return cls(
            id=a.id,
            title=a.title,
            url=safe_url(a.url or a.original_url),
            feed_id=a.feed_id,
            feed_title=view.feed_title,
            publisher=a.publisher,
            author=a.author,
            categories=list(a.categories),
            published_at=a.published_at,
            published_estimated=a.published_estimated,
            fetched_at=a.fetched_at,
            summary=a.summary,
            body=a.body,
            evidence=[ArticleEvidenceOut.model_validate(asdict(e)) for e in view.evidence],
        )


class ForecastSearchIn(BaseModel):
    """A forecast search (README, "Search syntax") among the forecasts the filters let through."""

    q: SearchText = Field(description="the search, in the search syntax")
    status: Status | None = None
    tag: Text | None = None
    author: Text | None = Field(default=None, description="author name, or part of it")
    source: Text | None = Field(default=None, description="source key (the forecast file's name)")
    cursor: Cursor | None = Field(
        default=None, description="the next_cursor of the page before (none: the first page)"
    )
    per_page: int = Field(default=20, ge=1, le=100)

    def filter(self) -> ForecastFilter:
        return ForecastFilter(
            status=self.status,
            tag=self.tag or None,
            author=self.author or None,
            source=self.source or None,
            today=today(),
        )


class ForecastHitOut(BaseModel):
    forecast_id: str
    question: str
    author: str
    closes: date
    status: Status = Field(description="the status it has today")
    tier: int = Field(description="2: every word in the question, 1: question and quote, 0: any")
    snippet: list[SnippetPartOut] = Field(description="from its quote and criteria")

    @classmethod
    def of(cls, hit: ForecastHit) -> ForecastHitOut:
        return cls(
            forecast_id=hit.forecast_id,
            question=hit.question,
            author=hit.author,
            closes=hit.closes,
            status=Status(hit.status),
            tier=hit.tier,
            snippet=SnippetPartOut.of(hit.snippet),
        )


class ForecastHitPageOut(KeysetPageOut):
    items: list[ForecastHitOut]

    @classmethod
    def of(cls, found: KeysetPage[ForecastHit]) -> ForecastHitPageOut:
        return cls(items=[ForecastHitOut.of(hit) for hit in found.items], **cls.paging(found))
