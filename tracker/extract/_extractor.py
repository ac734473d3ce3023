"""The built-in extractor: the estimative scale and the patterns pundits use, offline.

For each sentence (a question is skipped) and each of its clauses, the words of probability are
found (:mod:`._terms`), those that make no forecast are dropped (:mod:`._filters`), and the
strongest that is left (a number over a term over a hedge over a plan over "will") makes one
candidate: its clause is the quote, its claim (:mod:`._claims`) gives the question, the slug
and the rules, the sentence's time words give the close date (:mod:`._dates`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from tracker.clock import today
from tracker.domain.scale import EstimativeScale
from tracker.extract._claims import Claim, parse_claim
from tracker.extract._contract import Candidate, SourceMeta
from tracker.extract._dates import Closes, closes_from
from tracker.extract._filters import Place, why_not_a_forecast
from tracker.extract._questions import STOPWORDS, question, slug
from tracker.extract._rules import draft_rules
from tracker.extract._sentences import Span, split_clauses, split_sentences
from tracker.extract._tags import tags_for
from tracker.extract._terms import Hit, Kind, TermFinder

#: how sure a candidate is, before the adjustments of :func:`judge`, by the kind of its words
BASE_CONFIDENCE = {
    Kind.NUMBER: 0.9,
    Kind.TERM: 0.8,
    Kind.HEDGE: 0.55,
    Kind.PLAN: 0.5,
    Kind.WILL: 0.5,
}
#: two candidates whose quotes share this much of the shorter one's content words are one
#: prediction said twice (a standfirst, a pull quote): the later is kept
REPEAT_OVERLAP = 0.7
PRONOUN_SUBJECTS = frozenset({"this", "it", "that", "they", "these", "those"})


@dataclass(frozen=True)
class Found:
    """A hit that makes a forecast, with its sentence and clause (hit offsets: in the clause)."""

    sentence: Span
    clause: Span
    hit: Hit


def lower_words(text: str) -> frozenset[str]:
    """Every word the text writes in lowercase: a capitalised word not among them is a name."""
    return frozenset(re.findall(r"(?<![\w'’])[a-z][a-z'’-]*", text))


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2}


def strongest(hits: list[Hit]) -> Hit:
    """The hit that carries the clause's estimate: the highest kind, then the longest words."""
    return max(hits, key=lambda h: (h.kind, len(h.written), -h.start))


def judge(found: Found, claim: Claim, closes: Closes) -> tuple[float, str]:
    """How sure the extractor is that this is a forecast, and a one-line reason."""
    hit = found.hit
    confidence = BASE_CONFIDENCE[hit.kind]
    notes = [f"'{hit.estimate}' is {hit.probability:.0%} ({hit.basis})"]
    if closes.words:
        confidence += 0.1
        notes.append(f"a time is stated ('{closes.words}')")
    if claim.attribution:
        confidence -= 0.3
        notes.append(f"someone else's forecast? ('{claim.attribution}')")
    if claim.condition:
        notes.append(f"conditional ('{claim.condition}')")
    if claim.frame == "clause":
        confidence -= 0.1
        notes.append("the claim could not be read into a question")
    if claim.subject.lower() in PRONOUN_SUBJECTS:
        confidence -= 0.05
        notes.append(f"its subject is '{claim.subject}': say what it stands for")
    return round(min(0.95, max(0.05, confidence)), 2), "; ".join(notes)


class ScaleExtractor:
    """The extractor that reads the estimative scale (see the module docstring).  ``today`` is
    the date read from when the source has none (the default: the clock's today)."""

    name = "scale"

    def __init__(self, scale: EstimativeScale, *, today: date | None = None) -> None:
        self.terms = TermFinder(scale)
        self.today = today

    def extract(self, text: str, meta: SourceMeta) -> list[Candidate]:
        base = meta.published or self.today or today()
        lower = lower_words(text)
        found = drop_repeats([f for s in split_sentences(text) for f in self.forecasts(text, s)])
        candidates = [self.candidate(text, f, base, meta, lower) for f in found]
        return with_unique_ids(candidates)

    def forecasts(self, text: str, sentence: Span) -> Iterator[Found]:
        """The clauses of a sentence that make a forecast, each with its strongest hit."""
        if sentence.text.rstrip(" \"”’')").endswith("?"):
            return
        for clause in split_clauses(sentence):
            after = text[clause.end : sentence.end]
            hits = [
                h
                for h in self.terms.find(clause.text)
                if why_not_a_forecast(Place(clause.text, h, after)) is None
            ]
            if hits:
                yield Found(sentence, clause, strongest(hits))

    def candidate(
        self, text: str, found: Found, base: date, meta: SourceMeta, lower: frozenset[str]
    ) -> Candidate:
        clause, sentence, hit = found.clause, found.sentence, found.hit
        claim = parse_claim(clause.text, hit, text[sentence.start : clause.start])
        closes = closes_from([clause.text, sentence.text], base)
        rules = draft_rules(claim, lower)
        confidence, reason = judge(found, claim, closes)
        return Candidate(
            id=slug(claim, clause.text),
            quote=clause.flat,
            start=clause.start,
            end=clause.end,
            estimate=hit.estimate,
            probability=hit.probability,
            vague=hit.vague,
            closes=closes.day,
            closes_reason=closes.reason,
            question=question(claim, closes.day, clause.text, lower),
            tags=tags_for(sentence.text, meta.tags),
            yes_when=rules.yes_when,
            no_when=rules.no_when,
            confidence=confidence,
            reason=reason,
            condition=claim.condition,
            default_at_close=rules.default_at_close,
        )


def drop_repeats(found: list[Found]) -> list[Found]:
    """One of each prediction said twice (see :data:`REPEAT_OVERLAP`): the later is kept."""
    words = [content_words(f.clause.text) for f in found]
    index: dict[str, list[int]] = {}
    repeated: set[int] = set()
    for i, mine in enumerate(words):
        shared: dict[int, int] = {}
        for word in mine:
            for j in index.get(word, ()):
                shared[j] = shared.get(j, 0) + 1
            index.setdefault(word, []).append(i)
        for j, count in shared.items():
            smaller = min(len(mine), len(words[j]))
            if smaller >= 5 and count / smaller >= REPEAT_OVERLAP:
                repeated.add(j)
    return [f for i, f in enumerate(found) if i not in repeated]


def with_unique_ids(candidates: list[Candidate]) -> list[Candidate]:
    """Each id once: a second "nato-announce-moratorium" becomes "nato-announce-moratorium-2"."""
    seen: dict[str, int] = {}
    for candidate in candidates:
        base = candidate.id
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            candidate.id = f"{base}-{seen[base]}"
    return candidates
