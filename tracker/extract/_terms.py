"""Finding the words of probability in a clause: every term of every scale, the modal and hedge
patterns pundits use, stated plans and promises, and numbers (:mod:`._odds`).

Each find is a :class:`Hit` with its estimate as written, a probability and where that number
comes from.  Scale terms are read through :meth:`EstimativeScale.find`, so the project's own
scale file (``TRACKER_SCALE_FILE``) changes what the extractor reads, as it changes the import.
A negation right before a term ("not impossible", "isn't likely") turns it (:func:`negated`).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from tracker.domain.scale import EstimativeScale, ScaleEntry, normalize_term
from tracker.extract._odds import find_numbers


class Kind(enum.IntEnum):
    """What sort of words carry the estimate; a higher kind wins within a clause ("There's a
    chance that an agreement could be reached" is "there's a chance", not "could")."""

    WILL = 1  # a bare future: will, won't, is going to
    PLAN = 2  # a stated plan or promise: "are planning to", "have promised to"
    HEDGE = 3  # a modal hedge: could, may, might, should
    TERM = 4  # an estimative term: likely, theoretically possible, no chance ...
    NUMBER = 5  # a percentage, "one in five", odds


@dataclass(frozen=True)
class Hit:
    """One estimate found in a clause; offsets are into the string searched."""

    start: int
    end: int
    written: str  # the words as in the text
    estimate: str  # the estimate field: as written, lowercase, straight apostrophes
    probability: float
    vague: bool
    kind: Kind
    basis: str  # where the number comes from, for the reason line
    negated: bool = False


WILL_FORMS = frozenset(
    {"will", "will not", "won't", "is going to", "are going to", "going to", "not going to"}
)
HEDGE_FORMS = frozenset({"could", "could be", "may", "might", "should"})
#: inflected forms the scale's look-up reads but no row spells
COMPARATIVES = ("likelier", "likeliest", "unlikelier", "unlikeliest")
#: a negation right before a term: "not likely", "isn't likely", "hardly possible"
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|\b\w+n['’]t|\bhardly|\bnever|\bno longer)\s+(?:\w+ly\s+)?$", re.IGNORECASE
)
#: "may not", "might not": the hedge is on the event not happening
_NOT_AFTER = re.compile(r"\s+not\b", re.IGNORECASE)
_PLAN = re.compile(
    r"\b(?:(?:(?:currently|now|already|still)\s+)?(?:planning|preparing|poised|intending|aiming)"
    r"|plans|plan|intends|intend|aims"
    r"|(?:has|have|had)\s+(?:already\s+)?(?:promised|pledged|vowed|committed|undertaken))\s+to\b",
    re.IGNORECASE,
)
_HOPED_FOR = re.compile(r"\bthe most (?:that )?(?:can|could) be (?:hoped|expected) for\b", re.I)
_APOSTROPHES = str.maketrans(dict.fromkeys("‘’‛ʼ`\u00b4", "'"))


def estimate_text(written: str) -> str:
    """The words as the ``estimate`` field shows them: one line, lowercase, straight apostrophes
    (the hyphen of "non-existent" is kept)."""
    return " ".join(written.translate(_APOSTROPHES).lower().split())


_GAP = r"[\s\-‐-―]+"  # between two words of a term: whitespace or a hyphen


def _word_pattern(word: str) -> str:
    return re.escape(word).replace("'", "['’‘ʼ]")


def trie_pattern(forms: list[list[str]]) -> str:
    """One regex for many word sequences (each non-empty), as a trie of words: a scan tries the
    few terms that start with the word at hand, not every term ("non existent" also finds
    "non-existent").  At each branch the longer continuation is tried first, so the longest
    term is found."""
    branches: dict[str, list[list[str]]] = {}
    for words in forms:
        branches.setdefault(words[0], []).append(words[1:])
    parts = []
    for word in sorted(branches, key=len, reverse=True):
        tails = [tail for tail in branches[word] if tail]
        piece = _word_pattern(word)
        if tails:
            more = _GAP + trie_pattern(tails)
            piece += f"(?:{more})?" if len(tails) < len(branches[word]) else more
        parts.append(piece)
    return "(?:" + "|".join(parts) + ")"


class TermFinder:
    """Every scale form and pattern, compiled once into one regex (longest form first)."""

    def __init__(self, scale: EstimativeScale) -> None:
        self.scale = scale
        self.entries: dict[str, ScaleEntry] = {}
        for entry in scale.entries():
            for form in map(normalize_term, (entry.term, *entry.aliases)):
                found = scale.find(form)  # the default scale's reading first
                if found is not None and found.probability is not None:
                    self.entries.setdefault(form, found)
        for form in COMPARATIVES:
            found = scale.find(form)  # "likeliest" is read as "likely", as the import reads it
            if found is not None and found.probability is not None:
                self.entries.setdefault(form, found)
        alternatives = trie_pattern([form.split(" ") for form in self.entries])
        self.pattern = re.compile(rf"(?<![\w'’-]){alternatives}(?![\w-])", re.IGNORECASE)
        self.will = self._entry("will")
        self.possible = self._entry("possible")

    def _entry(self, term: str) -> ScaleEntry:
        entry = self.scale.find(term)
        if entry is None or entry.probability is None:
            return ScaleEntry(term, "tracker", 0.5, None, None, True, "no scale row")
        return entry

    def find(self, text: str) -> list[Hit]:
        """Every estimate in ``text``, earliest first."""
        hits = [*self._scale_hits(text), *self._pattern_hits(text), *self._number_hits(text)]
        return sorted(hits, key=lambda h: (h.start, -h.end))

    def _scale_hits(self, text: str) -> list[Hit]:
        hits = []
        for m in self.pattern.finditer(text):
            form = normalize_term(m[0])
            entry = self.entries[form]
            kind = (
                Kind.WILL
                if form in WILL_FORMS
                else Kind.HEDGE
                if form in HEDGE_FORMS
                else Kind.TERM
            )
            written = m[0]
            if kind is Kind.HEDGE and form.endswith(" be"):  # "could be resolved": the verb's
                written = written.split()[0]  # "be" is no part of the estimate
            basis = f"{entry.scale} scale '{entry.term}'"
            hit = _hit(m.start(), m.start() + len(written), written, entry, kind, basis)
            hits.append(negated(hit, text, self.scale))
        return hits

    def _pattern_hits(self, text: str) -> list[Hit]:
        hits = []
        for m in _PLAN.finditer(text):
            written = re.sub(r"\s+to$", "", m[0])
            basis = f"a stated plan or promise, read as '{self.will.term}'"
            hits.append(
                _hit(m.start(), m.start() + len(written), written, self.will, Kind.PLAN, basis)
            )
        for m in _HOPED_FOR.finditer(text):
            basis = f"the best outcome the writer allows, read as '{self.possible.term}'"
            hits.append(_hit(m.start(), m.end(), m[0], self.possible, Kind.TERM, basis))
        return hits

    def _number_hits(self, text: str) -> list[Hit]:
        return [
            Hit(
                n.start,
                n.end,
                n.written,
                estimate_text(n.written),
                round(n.probability, 4),
                False,
                Kind.NUMBER,
                n.basis,
            )
            for n in find_numbers(text)
        ]


def _hit(start: int, end: int, written: str, entry: ScaleEntry, kind: Kind, basis: str) -> Hit:
    assert entry.probability is not None
    return Hit(
        start, end, written, estimate_text(written), entry.probability, entry.vague, kind, basis
    )


def negated(hit: Hit, text: str, scale: EstimativeScale) -> Hit:
    """The hit read with its negation, if it has one.

    "may not" and "might not" hedge the event's not happening: ``1 - p``.  A negation right
    before a term turns it: the scale's own "not <term>" row wins ("not likely" is "unlikely");
    otherwise "not impossible" (and other near-zero terms) is "cannot be ruled out", not zero;
    "not unlikely" is "may well"; "not certain" (near-one terms) is an even chance; anything else
    is ``1 - p``."""
    if hit.kind is Kind.HEDGE:
        after = _NOT_AFTER.match(text, hit.end)
        if after is None:
            return hit
        return _turn(hit, text, hit.start, after.end(), _complement(hit))
    before = _NEGATION_BEFORE.search(text, 0, hit.start)
    if before is None or hit.kind in (Kind.WILL, Kind.PLAN):
        return hit
    row = scale.find("not " + normalize_term(hit.written))
    if row is not None and row.probability is not None:
        reading = (row.probability, row.vague, f"{row.scale} scale '{row.term}'")
    else:
        reading = _turned(hit, scale)
    return _turn(hit, text, before.start(), hit.end, reading)


def _turn(hit: Hit, text: str, start: int, end: int, reading: tuple[float, bool, str]) -> Hit:
    written = text[start:end]
    probability, vague, basis = reading
    return replace(
        hit,
        start=start,
        end=end,
        written=written,
        estimate=estimate_text(written),
        probability=probability,
        vague=vague,
        basis=basis,
        negated=True,
    )


def _complement(hit: Hit) -> tuple[float, bool, str]:
    return (
        round(1 - hit.probability, 4),
        hit.vague,
        f"negated '{hit.estimate}' (1 - {hit.probability:g})",
    )


def _turned(hit: Hit, scale: EstimativeScale) -> tuple[float, bool, str]:
    p = hit.probability
    if p <= 0.05:
        return _scale_value(scale, "cannot be ruled out", 0.15, "negated near-zero term")
    if p < 0.5:
        return _scale_value(scale, "may well", 0.55, "negated unlikely term")
    if p >= 0.9:
        return _scale_value(scale, "even chance", 0.5, "negated near-certain term")
    return _complement(hit)


def _scale_value(
    scale: EstimativeScale, term: str, fallback: float, why: str
) -> tuple[float, bool, str]:
    row = scale.find(term)
    if row is None or row.probability is None:
        return fallback, True, why
    return row.probability, row.vague, f"{why}, read as {row.scale} scale '{row.term}'"
