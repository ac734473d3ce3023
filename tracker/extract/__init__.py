"""Finding predictions in prose: an article's text -> draft forecasts an analyst edits.

The contract (stable; the web "New source" page, the CLI and the service code against it):

- :class:`SourceMeta` what is known of the source (title, author, publisher, url, published);
- :class:`Candidate` one prediction found, with its verbatim quote and its offsets in the text;
- :class:`Draft` the source, its text and its candidates;
- :class:`Extractor` the interface an extractor implements (``name``, ``extract(text, meta)``);
  the built-in one reads the estimative-language scale and the patterns pundits use, offline.
  Another (one calling a language model, where a user has one) plugs in behind the same
  interface without touching the rest.
"""

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


@dataclass
class Draft:
    meta: SourceMeta
    text: str
    candidates: list[Candidate] = field(default_factory=list)
    extractor: str = ""


class Extractor(Protocol):
    name: str

    def extract(self, text: str, meta: SourceMeta) -> list[Candidate]: ...


__all__ = ["Candidate", "Draft", "Extractor", "SourceMeta"]
