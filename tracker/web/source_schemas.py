"""The JSON of a new source (``POST /api/sources``, ``POST /api/sources/extract``), and the
conversions between it and the extractor's contract (:mod:`tracker.extract`).

As elsewhere in the API, the schemas state types and lengths only (what protects the server);
the rules (a quote in the text, a known estimative term, a slug id, dates in order, a text the
extractor can read) are the tracker's own, checked once for the web page and the API alike.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tracker.extract import Candidate, Draft, SourceMeta
from tracker.web.schemas import PRINTABLE

#: the most characters of text a request may carry: above the extractor's own limit, so that a
#: text too long is refused by the tracker with its message, not by the schema
MAX_REQUEST_TEXT = 16_000_000
#: the most forecasts one source may be saved with
MAX_FORECASTS = 200

Line = Annotated[str, StringConstraints(max_length=2000, pattern=PRINTABLE)]
Phrase = Annotated[str, StringConstraints(max_length=500, pattern=PRINTABLE)]
Phrases = list[Phrase]


class SourceMetaIn(BaseModel):
    """What is known of the source; the title and the author are needed to save it."""

    model_config = ConfigDict(extra="forbid")

    title: Line | None = None
    author: Line | None = None
    publisher: Line | None = None
    url: Line | None = Field(default=None, description="where the article was published")
    published: date | None = Field(
        default=None, description="the article's date: forecasts open on it (default: today)"
    )

    def meta(self) -> SourceMeta:
        return SourceMeta(
            title=_given(self.title),
            author=_given(self.author),
            publisher=_given(self.publisher),
            url=_given(self.url),
            published=self.published,
        )

    @classmethod
    def of(cls, meta: SourceMeta) -> SourceMetaIn:
        return cls.model_validate(meta, from_attributes=True)


def _given(value: str | None) -> str | None:
    """A text field's value; None when it is blank."""
    return value.strip() or None if value else None


class RulesIn(BaseModel):
    """Phrases an article must contain to count as evidence: every ``all``, at least one
    ``any``, none of ``none``."""

    model_config = ConfigDict(extra="forbid")

    all: Phrases = Field(default_factory=list, max_length=100)
    any: Phrases = Field(default_factory=list, max_length=100)
    none: Phrases = Field(default_factory=list, max_length=100)


class ForecastIn(BaseModel):
    """A forecast to save, as the analyst accepted and edited a candidate of the extract."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(max_length=200, pattern=PRINTABLE)] = Field(
        description="a slug (lowercase letters, digits, '-'), unique in the tracker"
    )
    question: Line
    quote: Annotated[str, StringConstraints(max_length=10_000, pattern=PRINTABLE)] = Field(
        description="the words of the text, verbatim (whitespace may differ)"
    )
    estimate: Annotated[str, StringConstraints(max_length=200, pattern=PRINTABLE)] = Field(
        description="the verbal term or number as written"
    )
    probability: float = Field(ge=0, le=1)
    closes: date
    tags: list[Annotated[str, StringConstraints(max_length=100, pattern=PRINTABLE)]] = Field(
        default_factory=list, max_length=50
    )
    yes_when: RulesIn | None = None
    no_when: RulesIn | None = None
    condition: Line | None = Field(default=None, description="of a conditional prediction")
    default_at_close: Literal["yes", "no", "none"] = Field(
        default="no",
        description="the outcome when no evidence came by the close date (as the extractor's "
        "candidates have it); none: an analyst decides, and yes_when or no_when is needed",
    )

    def candidate(self, text: str) -> Candidate:
        start, end = locate(text, self.quote)
        return Candidate(
            id=self.id,
            quote=self.quote,
            start=start,
            end=end,
            estimate=self.estimate,
            probability=self.probability,
            vague=False,
            closes=self.closes,
            closes_reason="set by the analyst",
            question=self.question,
            tags=list(self.tags),
            yes_when=self.yes_when.model_dump() if self.yes_when else None,
            no_when=self.no_when.model_dump() if self.no_when else None,
            condition=self.condition,
            default_at_close=self.default_at_close,
        )


def locate(text: str, quote: str) -> tuple[int, int]:
    """Where ``quote`` is in ``text``, its words in order whatever the whitespace between them
    (a hard-wrapped article, a quote edited in a form); ``(-1, -1)`` when it is not there."""
    words = quote.split()
    found = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
    return (found.start(), found.end()) if found else (-1, -1)


class SourceIn(BaseModel):
    """A source to save: its description, its text, and the forecasts the analyst kept."""

    model_config = ConfigDict(extra="forbid")

    source: SourceMetaIn
    key: Annotated[str, StringConstraints(max_length=200, pattern=PRINTABLE)] | None = Field(
        default=None,
        description="the file's name (a slug); default: author's surname and date, e.g. "
        "trenin-2022-01-21 (-2, -3... when taken)",
    )
    text: Annotated[str, StringConstraints(max_length=MAX_REQUEST_TEXT)] = Field(
        description="the article's text: every quote must be in it"
    )
    forecasts: list[ForecastIn] = Field(max_length=MAX_FORECASTS)


class SourceCreatedOut(BaseModel):
    key: str = Field(description="the source's key (its forecast file's name, without .yaml)")
    file: str = Field(description="the forecast file written, relative to TRACKER_FORECASTS_DIR")
    text_file: str = Field(description="the source text written, relative to the same folder")
    forecasts: list[str] = Field(description="the ids of the forecasts imported")


class ExtractIn(BaseModel):
    """An article to draft forecasts from: its text, or the URL of its page (fetched by the
    tracker through its guarded HTTP client; private addresses are refused unless
    TRACKER_ALLOW_PRIVATE_FEEDS is set)."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(max_length=MAX_REQUEST_TEXT)] | None = None
    url: Annotated[str, StringConstraints(max_length=2000, pattern=PRINTABLE)] | None = None
    source: SourceMetaIn = Field(default_factory=SourceMetaIn)


class CandidateOut(BaseModel):
    """A prediction found in the text: a draft forecast for the analyst to edit."""

    id: str
    quote: str
    start: int = Field(description="offset of the quote in the draft's text")
    end: int
    estimate: str
    probability: float = Field(ge=0, le=1)
    vague: bool
    closes: date
    closes_reason: str
    question: str
    tags: list[str]
    yes_when: dict[str, list[str]] | None
    no_when: dict[str, list[str]] | None
    confidence: float = Field(ge=0, le=1)
    reason: str
    condition: str | None
    default_at_close: str


class DraftOut(BaseModel):
    source: SourceMetaIn
    text: str = Field(description="the text the offsets refer to (the page's text for a URL)")
    extractor: str
    candidates: list[CandidateOut]

    @classmethod
    def of(cls, draft: Draft) -> DraftOut:
        return cls(
            source=SourceMetaIn.of(draft.meta),
            text=draft.text,
            extractor=draft.extractor,
            candidates=[
                CandidateOut.model_validate(c, from_attributes=True) for c in draft.candidates
            ],
        )


def problem_detail(problems: list[Any], forecast_ids: list[str]) -> list[dict[str, Any]]:
    """The problems of a refused save (``ForecastFileError``s) as the items of a 422's
    ``detail``, the shape FastAPI gives a request that does not fit the schema: ``loc`` points
    into the request body (``["body", "forecasts", 1, "quote"]``), ``ctx`` names the forecast."""
    return [_problem_item(p, forecast_ids) for p in problems]


def _problem_item(problem: Any, forecast_ids: list[str]) -> dict[str, Any]:
    path: list[str | int] = [
        int(p) if p.isdigit() else p for p in (problem.field or "").split(".") if p
    ]
    if problem.forecast_id in forecast_ids:
        path = [
            "forecasts",
            forecast_ids.index(problem.forecast_id),
            *path[path[:1] == ["resolution"] :],
        ]
    return {
        "loc": ["body", *path],
        "msg": problem.message,
        "type": "forecast_file",
        "ctx": {"forecast_id": problem.forecast_id, "field": problem.field},
    }
