"""Matching one article against every compiled forecast rule.

An article's text is scanned once by the automaton; the trigger phrases found decide which
rules to look at (see :mod:`tracker.matching.rules`).  For each such rule, in order: the article
must be
published inside the forecast's window, every ``all`` phrase must occur somewhere, no ``none``
phrase may occur, and an ``any`` phrase must occur not negated.  Sentences and negation cues
are only worked out for articles that get that far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from tracker.matching.negation import negated_at
from tracker.matching.rules import CompiledRules, Side, SideRule
from tracker.matching.text import PreparedText


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What the matcher reads of an article: its title, teaser and full text (as text)."""

    article_id: object
    title: str | None
    summary: str | None
    published: datetime
    body: str | None = None
    categories: Sequence[str] = ()


class EvidenceHit(NamedTuple):
    """One side of one forecast satisfied (or satisfied only by negated phrases) by an article.

    ``matched_phrases`` are the ``all`` phrases and then the ``any`` phrases found, as written
    in the rules.  ``sentence`` is the sentence of the first counting ``any`` occurrence, or of
    the first negated one when all are negated (``negated=True``: shown to reviewers, never
    counted toward a proposal); ``field`` is the article field it comes from.

    A named tuple rather than a frozen dataclass: one is made for every (article, forecast,
    side) that matches, and a frozen dataclass takes twice as long to make.
    """

    forecast_id: str
    side: Side
    matched_phrases: list[str]
    sentence: str
    negated: bool
    field: str = "summary"  # where the sentence is: title, summary or body

    @property
    def counts(self) -> bool:
        return not self.negated


def published_day(published: datetime) -> date:
    """The UTC day of a publication time; a naive datetime is taken to be UTC already."""
    if published.tzinfo is not None:
        published = published.astimezone(UTC)
    return published.date()


def scan(compiled: CompiledRules, folded: str) -> dict[int, list[int]]:
    """Trigger phrase id → start offsets of its occurrences on word boundaries, in text order."""
    found: dict[int, list[int]] = {}
    if compiled.automaton is None:
        return found
    by_pattern, length = compiled.automaton_phrases, len(folded)
    for pattern, start, _ in compiled.automaton.find_matches_as_indexes(folded, overlapping=True):
        for phrase_id, phrase in by_pattern[pattern]:  # the automaton holds phrases cut short
            if phrase.starts_at(folded, start, length):
                found.setdefault(phrase_id, []).append(start)
    return found


class _Article:
    """One article's text and phrase occurrences; sentences and negation worked out on demand."""

    __slots__ = ("_negated", "_sentences", "compiled", "found", "text")

    def __init__(
        self, compiled: CompiledRules, text: PreparedText, found: dict[int, list[int]]
    ) -> None:
        self.compiled = compiled
        self.text = text
        self.found = found  # trigger phrases (complete); other phrases added as looked up
        self._negated: dict[int, bool] = {}
        self._sentences: dict[int, str] = {}

    def occurrences(self, phrase_id: int) -> list[int]:
        starts = self.found.get(phrase_id)
        if starts is None:
            if phrase_id in self.compiled.triggers:
                return []  # the scan found them all
            starts = self.found[phrase_id] = self.compiled.phrases[phrase_id].occurrences(
                self.text.folded
            )
        return starts

    def occurs(self, phrase_id: int) -> bool:
        """Whether the phrase occurs: without working out all its occurrences when not needed."""
        starts = self.found.get(phrase_id)
        if starts is None and phrase_id not in self.compiled.triggers:  # not scanned for: look
            return self.compiled.phrases[phrase_id].occurs_in(self.text.folded)
        return bool(starts)

    def negated(self, start: int) -> bool:
        known = self._negated.get(start)
        if known is None:
            known = self._negated[start] = negated_at(self.text, start)
        return known

    def hit(self, rule: SideRule, phrases: list[str], start: int, *, negated: bool) -> EvidenceHit:
        """The evidence of ``rule`` shown by the occurrence at folded offset ``start``."""
        return EvidenceHit(
            rule.forecast_id,
            rule.side,
            phrases,
            self.sentence(start),
            negated,
            self.text.field_at(start),
        )

    def sentence(self, start: int) -> str:
        """The sentence, as displayed, that holds the occurrence at folded offset ``start``."""
        known = self._sentences.get(start)
        if known is None:
            known = self._sentences[start] = self.text.sentence_at(start).text
        return known


def _evaluate(article: _Article, rule: SideRule) -> EvidenceHit | None:
    if rule.all and not all(map(article.occurs, rule.all)):
        return None
    if rule.none and any(map(article.occurs, rule.none)):
        return None
    if rule.any:
        return _evaluate_any(article, rule)
    return _evaluate_all_only(article, rule)


def _evaluate_any(article: _Article, rule: SideRule) -> EvidenceHit | None:
    found = article.found  # `any` phrases are trigger phrases: the scan found all their occurrences
    end = article.text.text_end  # in the text, not the categories
    occurrences = [(start, p) for p in rule.any if p in found for start in found[p] if start < end]
    if not occurrences:
        return None
    occurrences.sort()
    counting = [(start, p) for start, p in occurrences if not article.negated(start)]
    shown = counting or occurrences
    labels = rule.labels
    phrases = [labels[p] for p in rule.all]
    phrases += [labels[p] for p in dict.fromkeys(p for _, p in shown)]
    return article.hit(rule, phrases, shown[0][0], negated=not counting)


def _evaluate_all_only(article: _Article, rule: SideRule) -> EvidenceHit | None:
    """Without ``any`` phrases the ``all`` phrases decide, and the negation guard applies to
    them: each needs an occurrence in the text (not only among the categories) that is not
    negated."""
    first_counting: int | None = None
    first_negated: int | None = None
    end = article.text.text_end
    for p in rule.all:
        starts = [start for start in article.occurrences(p) if start < end]
        if not starts:
            return None
        counting = [start for start in starts if not article.negated(start)]
        if counting:
            first_counting = (
                counting[0] if first_counting is None else min(first_counting, counting[0])
            )
        elif first_negated is None or starts[0] < first_negated:
            first_negated = starts[0]
    phrases = [rule.labels[p] for p in rule.all]
    if first_negated is not None:
        return article.hit(rule, phrases, first_negated, negated=True)
    assert first_counting is not None
    return article.hit(rule, phrases, first_counting, negated=False)


def match_article(compiled: CompiledRules, article: ArticleText) -> list[EvidenceHit]:
    """The evidence an article gives, for every forecast whose window holds its publication day.

    At most one hit per (forecast, side); both sides of a forecast may be hit (a conflict that
    the resolution stage turns into a dispute).  Hits come in the order of the compiled
    forecasts, ``yes`` before ``no``.
    """
    return match_batch(compiled, [article])[0]


def match_batch(
    compiled: CompiledRules, articles: Sequence[ArticleText]
) -> list[list[EvidenceHit]]:
    """:func:`match_article` for each article, in order, done a stage at a time.

    Why in stages: with thousands of forecasts the automaton is megabytes, and a scan's time
    goes into fetching its states from memory.  Preparing every text first and then scanning
    them one after another keeps those states in the cache from one article to the next,
    instead of having each article's text preparation push them out.
    """
    texts = [
        PreparedText.of_article(article.title, article.summary, article.body, article.categories)
        for article in articles
    ]
    found = [scan(compiled, text.folded) for text in texts]
    return [
        _evidence(compiled, article, text, phrases) if phrases else []
        for article, text, phrases in zip(articles, texts, found, strict=True)
    ]


def _evidence(
    compiled: CompiledRules, article: ArticleText, text: PreparedText, found: dict[int, list[int]]
) -> list[EvidenceHit]:
    if len(found) == 1:  # the common case: one trigger phrase (its rules are in order already)
        indexes: Sequence[int] = compiled.triggers[next(iter(found))]
    else:
        indexes = sorted({index for phrase_id in found for index in compiled.triggers[phrase_id]})
    day = published_day(article.published)
    state: _Article | None = None
    hits = []
    for index in indexes:
        rule = compiled.rules[index]
        if not rule.opens <= day <= rule.closes:
            continue
        if state is None:
            state = _Article(compiled, text, found)
        hit = _evaluate(state, rule)
        if hit is not None:
            hits.append(hit)
    return hits
