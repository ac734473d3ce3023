"""How an extraction compares with the predictions a person annotated in the same text.

A candidate *finds* an annotated prediction when their quotes overlap in the text (the quotes are
located with whitespace ignored, so a quote across a line break is found).  Recall is the share
of annotated predictions found; precision the share of candidates that find one; the estimate
agrees when the verbal terms are the same (compared as the scale compares them:
:func:`~tracker.domain.scale.normalize_term`), the probability when it is within
:data:`PROBABILITY_TOLERANCE`.  A found prediction is judged by the candidate that overlaps it
most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tracker.domain.scale import normalize_term
from tracker.extract._contract import Candidate

PROBABILITY_TOLERANCE = 0.1


@dataclass(frozen=True)
class Expected:
    """One annotated prediction: its quote, its verbal term and its probability."""

    quote: str
    estimate: str
    probability: float


@dataclass
class Evaluation:
    expected: int
    candidates: int
    found: int = 0  # annotated predictions some candidate overlaps
    matching: int = 0  # candidates that overlap an annotated prediction
    same_estimate: int = 0  # of the found: the best candidate has the same term
    close_probability: int = 0  # of the found: within PROBABILITY_TOLERANCE
    missed: list[str] = field(default_factory=list)
    misread: list[tuple[str, str]] = field(default_factory=list)  # (expected, extracted) terms

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 0.0

    @property
    def precision(self) -> float:
        return self.matching / self.candidates if self.candidates else 0.0

    @property
    def estimate_agreement(self) -> float:
        return self.same_estimate / self.found if self.found else 0.0

    @property
    def probability_agreement(self) -> float:
        return self.close_probability / self.found if self.found else 0.0


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text``, whitespace (and a line-end hyphen's break) ignored."""
    words = [re.escape(w) for w in quote.split()]
    if not words:
        return None
    found = re.search(r"(?:-?\s+|(?<=-)\s*)".join(words), text)
    return (found.start(), found.end()) if found else None


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def evaluate(text: str, candidates: list[Candidate], expected: list[Expected]) -> Evaluation:
    """Recall, precision and agreement of ``candidates`` against ``expected`` in ``text``."""
    result = Evaluation(expected=len(expected), candidates=len(candidates))
    spans = [(c.start, c.end) for c in candidates]
    matched: set[int] = set()
    for truth in expected:
        where = locate(text, truth.quote)
        overlaps = [(_overlap(where, s), i) for i, s in enumerate(spans)] if where else []
        overlaps = [(n, i) for n, i in overlaps if n > 0]
        if not overlaps:
            result.missed.append(truth.quote)
            continue
        result.found += 1
        matched.update(i for _, i in overlaps)
        best = candidates[max(overlaps)[1]]
        if normalize_term(best.estimate) == normalize_term(truth.estimate):
            result.same_estimate += 1
        else:
            result.misread.append((truth.estimate, best.estimate))
        if abs(best.probability - truth.probability) <= PROBABILITY_TOLERANCE + 1e-9:
            result.close_probability += 1
    result.matching = len(matched)
    return result
