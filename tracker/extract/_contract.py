"""The extractor's contract: what a source is, what a candidate is, what an extractor does
(re-exported by :mod:`tracker.extract`, whose docstring tells the whole of it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class SourceMeta:
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: date | None = None
    tags: tuple[str, ...] = ()  # the page's own categories and tags, when it gives them


@dataclass
class Candidate:
    """One prediction found in the text; every field is a draft for the analyst to edit."""

    id: str  # a slug made from the claim, unique within the draft
    quote: str  # verbatim words of the text (a sentence, or the clause carrying the prediction)
    start: int  # offsets of the quote in Draft.text, for highlighting
    end: int
    estimate: str  # the verbal term or number as written ("unlikely", "3-to-1", "30 %")
    probability: float
    vague: bool
    closes: date
    closes_reason: str  # e.g. "'this year' in the sentence" or "no time stated: default horizon"
    question: str  # "Will ...?"
    tags: list[str] = field(default_factory=list)
    yes_when: dict[str, list[str]] | None = None  # {"all": [...], "any": [...], "none": [...]}
    no_when: dict[str, list[str]] | None = None
    confidence: float = 0.5  # 0..1: how sure the extractor is that this is a prediction
    reason: str = ""  # one line: why it was picked and how sure
    condition: str | None = None  # the condition of a conditional prediction ("if the talks fail")
    default_at_close: str = "no"  # what the forecast resolves to when no evidence came: yes or no


@dataclass
class Draft:
    meta: SourceMeta
    text: str
    candidates: list[Candidate] = field(default_factory=list)
    extractor: str = ""
    opens: date | None = None  # the day the forecasts open: the source's date, else the day read


class Extractor(Protocol):
    name: str

    def extract(self, text: str, meta: SourceMeta) -> list[Candidate]: ...
