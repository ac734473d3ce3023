"""Probabilities written as numbers: percentages, "one in five", odds ("3-to-1", "9-to-1 against").

A number is a probability only near a word that says so (:data:`PROBABILITY_WORDS` within
:data:`CONTEXT_WORDS` words): "inflation of 3 %" and "one in five voters" are not forecasts, "a
30 % chance" and "odds of one in five" are.  Odds read as the odds *for* the event ("the odds are
3-to-1 that ..." is 75 %) unless the text says "against" or names a bookmaker's price ("a 9-to-1
shot", "at 9-to-1"): then the first number is against (10 %).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tracker.extract._lexicon import PROBABILITY_WORDS, TENS, UNITS

#: how many words either side of a number a probability word may stand
CONTEXT_WORDS = 6

NUMBER_WORDS: dict[str, int] = {
    **{w: i for i, w in enumerate(UNITS)},
    **{w: 20 + 10 * i for i, w in enumerate(TENS)},
    "a hundred": 100,
    "hundred": 100,
    "one hundred": 100,
    "a thousand": 1000,
    "thousand": 1000,
}
_WORD = r"(?:(?:" + "|".join(TENS) + r")[\s-](?:" + "|".join(UNITS[1:10]) + r")|"
_WORD += "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
_NUM = rf"(?:\d{{1,4}}(?:\.\d+)?|{_WORD})"

_PERCENT = re.compile(
    rf"(?<![\w.])(?P<a>{_NUM})(?:\s*(?:-|–|to|and)\s*(?P<b>{_NUM}))?\s*(?:%|per\s?cent\b|percent\b)",
    re.IGNORECASE,
)
_ONE_IN = re.compile(rf"(?<![\w.])(?P<a>{_NUM})[\s-]+in[\s-]+(?P<b>{_NUM})\b", re.IGNORECASE)
_ODDS = re.compile(
    rf"(?<![\w.])(?P<a>{_NUM})(?:\s*-\s*|\s+)to(?:\s*-\s*|\s+)(?P<b>{_NUM})\b"
    r"(?P<side>\s+(?:against|on|in\s+favou?r|for))?",
    re.IGNORECASE,
)
_AGAINST_CONTEXT = re.compile(r"\b(?:shot|outsider|price|priced|at)\b", re.IGNORECASE)
_ODDS_CONTEXT = re.compile(r"\b(?:odds|bet|bets|betting|bookmakers?|shot|favou?rite)\b", re.I)


@dataclass(frozen=True)
class NumberHit:
    start: int
    end: int
    written: str
    probability: float
    basis: str


def number_value(text: str) -> float | None:
    """``"30"`` -> 30.0, ``"twenty-five"`` -> 25.0, ``"a hundred"`` -> 100.0; None if not one."""
    word = " ".join(text.lower().replace("-", " ").split())
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    parts = word.split(" ")
    if len(parts) == 2 and parts[0] in TENS and parts[1] in UNITS[1:10]:
        return float(NUMBER_WORDS[parts[0]] + NUMBER_WORDS[parts[1]])
    try:
        return float(word)
    except ValueError:
        return None


def _words_around(text: str, start: int, end: int) -> set[str]:
    before = re.findall(r"[a-z]+", text[:start].lower())[-CONTEXT_WORDS:]
    after = re.findall(r"[a-z]+", text[end:].lower())[:CONTEXT_WORDS]
    return {*before, *after}


#: the words that give a number as the value of what came before: "the chance of X ... is
#: small, perhaps 10 %", "my odds of X are one in five", "I put X at about 25 %"
_VALUE_OF = re.compile(
    r"(?:\b(?:at|is|are|be|perhaps|maybe|about|around|roughly|some|something\s+like|"
    r"(?:no\s+)?(?:better|more|less|worse)\s+than|under|over)\s*)$",
    re.IGNORECASE,
)
#: a forecaster's own pricing: "I put / give / rate / price X at N"
_PRICING = re.compile(r"\b(?:put|puts|putting|give|gives|rate|rates|price|prices)\b", re.I)


def _has_context(text: str, start: int, end: int) -> bool:
    """A word of probability near the number; or the number is the value given to something
    earlier in the clause that is a probability, or that the writer prices ("I put X at")."""
    if _words_around(text, start, end) & PROBABILITY_WORDS:
        return True
    if not _VALUE_OF.search(text[max(0, start - 30) : start]):
        return False
    earlier = set(re.findall(r"[a-z]+", text[:start].lower()))
    return bool(earlier & PROBABILITY_WORDS) or bool(_PRICING.search(text[:start]))


def _percentages(text: str) -> Iterator[NumberHit]:
    for m in _PERCENT.finditer(text):
        low, high = number_value(m["a"]), number_value(m["b"] or m["a"])
        if low is None or high is None or not _has_context(text, m.start(), m.end()):
            continue
        value = (low + high) / 2
        if 0 <= value <= 100:
            basis = "a range of percentages, read at its middle" if m["b"] else "a percentage"
            yield NumberHit(m.start(), m.end(), m[0], value / 100, basis)


def _one_in(text: str) -> Iterator[NumberHit]:
    for m in _ONE_IN.finditer(text):
        part, whole = number_value(m["a"]), number_value(m["b"])
        if not part or not whole or part > whole or not _has_context(text, m.start(), m.end()):
            continue
        yield NumberHit(m.start(), m.end(), m[0], part / whole, f"{part:g} in {whole:g}")


def _odds(text: str) -> Iterator[NumberHit]:
    for m in _ODDS.finditer(text):
        first, second = number_value(m["a"]), number_value(m["b"])
        if not first or not second:
            continue
        side = (m["side"] or "").strip().lower()
        before = text[max(0, m.start() - 30) : m.start()]
        if not side and not (_ODDS_CONTEXT.search(before) or _ODDS_CONTEXT.search(text[m.end() :])):
            continue  # a score ("won 3-to-1") or a ratio, not odds
        against = side == "against" or (not side and _AGAINST_CONTEXT.search(before[-12:]))
        value = second / (first + second) if against else first / (first + second)
        basis = f"odds {'against' if against else 'for'} the event"
        yield NumberHit(m.start(), m.end(), m[0], value, basis)


#: a quick test before the patterns: no number is a probability without one of these
_ANY_CONTEXT = re.compile(
    "|".join(sorted(PROBABILITY_WORDS, key=len, reverse=True))
    + r"|against|shot|favou?r|\bput|\bgive|\brate|\bprice",
    re.IGNORECASE,
)


def find_numbers(text: str) -> list[NumberHit]:
    """Every probability written as a number in ``text``, earliest first (overlaps dropped)."""
    if not _ANY_CONTEXT.search(text):
        return []  # no word that makes a number a probability: nothing to look for
    hits = sorted([*_percentages(text), *_one_in(text), *_odds(text)], key=lambda h: h.start)
    kept: list[NumberHit] = []
    for hit in hits:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept
