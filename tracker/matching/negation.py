"""The negation guard: is a phrase occurrence governed by a negation cue?

The rule (the matching contract, ``docs/dev.md``): an occurrence of a phrase is *negated*
when a cue of :data:`NEGATION_CUES` **governs** it, that is when the cue

1. is in the same sentence and the same clause as the phrase: no clause boundary
   (:data:`CLAUSE_BOUNDARY_PUNCTUATION`, :data:`CLAUSE_BOUNDARY_WORDS`) lies between them;
2. comes **before** the phrase: the cue ends at or before the phrase starts, so a cue that
   is part of the phrase itself ("rejected Russian demands") never negates it;
3. is close: at most :data:`MAX_WORDS_BETWEEN` words separate the end of the cue from the
   start of the phrase ("did not sign a ceasefire" → 0 words; "has no plans to announce a
   moratorium" → 4 words, not negated).

Cues are whole words; a hyphen or an apostrophe joins words, so "no" is not found in
"non-alignment" or "no-fly", nor "not" in "notably".  ``n't`` is a cue at the end of any
word ("didn't", "hasn't").  Everything here works on *normalised* text (see
:func:`tracker.matching.text.normalise`): lowercase, straight quotes, ``-`` for every dash.

Known limits: a cue's scope is counted in words, not parsed, so "not only ... but" and
double negatives count as negation, and an unspaced em dash ("NATO—ending") reads as a
hyphen, not as a clause boundary.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from tracker.matching.text import PreparedText, clean, normalise

#: Negation cues, as normalised text.  Matched as whole words (see the module docstring).
NEGATION_CUES: tuple[str, ...] = (
    "not", "no", "never", "n't",
    "denies", "denied", "deny",
    "rules out", "ruled out", "rule out",
    "rejects", "rejected", "refuses", "refused",
    "fails to", "failed to", "won't", "has yet to", "have yet to",
)

#: Words that end a clause: a cue before one of them does not govern a phrase after it.
CLAUSE_BOUNDARY_WORDS: tuple[str, ...] = (
    "but", "while", "whereas", "although", "though", "saying", "because", "after", "as",
)

#: Punctuation that ends a clause: ``,`` ``;`` ``:`` (not between digits, as in "1,000" or
#: "10:30"), a spaced dash ``" - "`` and parentheses.  Sentence ends are boundaries too.
CLAUSE_BOUNDARY_PUNCTUATION: tuple[str, ...] = (",", ";", ":", " - ", "(", ")")

#: The most words allowed between the end of a cue and the start of the phrase it governs.
MAX_WORDS_BETWEEN = 3

_EDGE_BEFORE = r"(?<![\w'-])"
_EDGE_AFTER = r"(?![\w'-])"


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CUE = re.compile(
    _EDGE_BEFORE
    + "(?:"
    + _alternatives(tuple(c for c in NEGATION_CUES if c != "n't"))
    + r"|\w*n't)"
    + _EDGE_AFTER
)
_BOUNDARY = re.compile(
    r"[;()]|\s-+\s|(?<!\d)[,:]|[,:](?!\d)|" + _EDGE_BEFORE + "(?:" + _alternatives(CLAUSE_BOUNDARY_WORDS) + ")" + _EDGE_AFTER
)
_WORD = re.compile(r"\w+(?:['-]\w+)*")


def find_cues(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of every negation cue in normalised ``text``."""
    return [match.span() for match in _CUE.finditer(text)]


def governs(text: str, cue_end: int, phrase_start: int) -> bool:
    """Whether a cue ending at ``cue_end`` governs a phrase starting at ``phrase_start``.

    Both must be in one sentence (the caller's job); this checks order, distance and clause.
    """
    if cue_end > phrase_start:
        return False
    between = text[cue_end:phrase_start]
    if _BOUNDARY.search(between):
        return False
    return len(_WORD.findall(between)) <= MAX_WORDS_BETWEEN


class NegationScope:
    """Answers "is the occurrence at this offset negated?" for one normalised text.

    ``sentence_start(offset)`` gives the start of the sentence holding an offset (so that a
    cue of the previous sentence never governs).  Cues are found once per text.
    """

    __slots__ = ("_text", "_sentence_start", "_cue_ends")

    def __init__(self, text: str, sentence_start) -> None:
        self._text = text
        self._sentence_start = sentence_start
        self._cue_ends = sorted(end for _, end in find_cues(text))

    def is_negated(self, phrase_start: int) -> bool:
        """The nearest cue ending at or before the phrase decides: a farther one has more
        words and at least the same boundaries between it and the phrase."""
        index = bisect_right(self._cue_ends, phrase_start) - 1
        if index < 0:
            return False
        cue_end = self._cue_ends[index]
        if cue_end <= self._sentence_start(phrase_start):
            return False
        return governs(self._text, cue_end, phrase_start)


def is_negated(text: str, phrase: str) -> bool:
    """Whether the first occurrence of ``phrase`` in ``text`` is negated (both as written).

    A convenience for tests and for explaining a decision; matching uses :class:`NegationScope`.
    """
    prepared = PreparedText(clean(text))
    start = prepared.folded.find(normalise(phrase))
    if start < 0:
        raise ValueError(f"{phrase!r} is not in {text!r}")
    return NegationScope(prepared.folded, lambda offset: prepared.sentence_at(offset)[0]).is_negated(start)
