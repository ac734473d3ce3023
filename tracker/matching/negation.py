"""The negation guard: is a phrase occurrence governed by a negation cue?

The rule (the matching contract, ``docs/dev.md``): an occurrence of a phrase is *negated*
when a cue of :data:`NEGATION_CUES` **governs** it, that is when the cue

1. is in the same sentence and the same clause as the phrase: no sentence end and no clause
   boundary (:data:`CLAUSE_BOUNDARY_PUNCTUATION`, :data:`CLAUSE_BOUNDARY_WORDS`) lies between
   them;
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

from tracker.matching.text import PreparedText, clean, normalise

#: Negation cues, as normalised text.  Matched as whole words (see the module docstring).
NEGATION_CUES: tuple[str, ...] = (
    "not",
    "no",
    "never",
    "n't",
    "denies",
    "denied",
    "deny",
    "rules out",
    "ruled out",
    "rule out",
    "rejects",
    "rejected",
    "refuses",
    "refused",
    "fails to",
    "failed to",
    "won't",
    "has yet to",
    "have yet to",
)

#: Words that end a clause: a cue before one of them does not govern a phrase after it.
CLAUSE_BOUNDARY_WORDS: tuple[str, ...] = (
    "but",
    "while",
    "whereas",
    "although",
    "though",
    "saying",
    "because",
    "after",
    "as",
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


# Without a lookbehind in front, ``re`` skips quickly to the possible first letters; the
# whole-word check before a cue is done in Python on the few matches.
_CUE = re.compile(
    "(?:" + _alternatives(tuple(c for c in NEGATION_CUES if c != "n't")) + ")" + _EDGE_AFTER
)
_NT = re.compile("n't" + _EDGE_AFTER)
_BOUNDARY = re.compile(
    r"[;()]|\s-+\s|(?<!\d)[,:]|[,:](?!\d)|"
    + _EDGE_BEFORE
    + "(?:"
    + _alternatives(CLAUSE_BOUNDARY_WORDS)
    + ")"
    + _EDGE_AFTER
)
_WORD = re.compile(r"\w+(?:['-]\w+)*")


def _word_joined(char: str) -> bool:
    return char.isalnum() or char in "_'-"


#: Every cue holds one of these: a text without any of them holds no cue, which one search
#: for them tells faster than the cue search (most phrase occurrences have no cue before them).
_CUE_SUBSTRINGS: tuple[str, ...] = (
    "no",
    "n't",
    "never",
    "den",
    "rule",
    "reject",
    "refus",
    "fail",
    "yet to",
)
_CUE_HINT = re.compile("|".join(map(re.escape, _CUE_SUBSTRINGS)))


def find_cues(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of every negation cue in normalised ``text[start:end]``."""
    end = len(text) if end is None else end
    if not _CUE_HINT.search(text, start, end):
        return []
    # Search one character past ``end`` so that the whole-word check sees the real next one.
    stop = min(end + 1, len(text))
    cues = [
        m.span()
        for m in _CUE.finditer(text, start, stop)
        if m.end() <= end and not (m.start() and _word_joined(text[m.start() - 1]))
    ]
    if "n't" in text[start:end]:
        for m in _NT.finditer(text, start, stop):
            word_start = m.start()
            while word_start > 0 and _word_joined(text[word_start - 1]):
                word_start -= 1
            if m.end() <= end and word_start >= start:
                cues.append((word_start, m.end()))
        cues.sort(key=lambda span: span[1])
    return cues


def governs(text: str, cue_end: int, phrase_start: int) -> bool:
    """Whether a cue ending at ``cue_end`` governs a phrase starting at ``phrase_start``.

    This checks order, distance and clause; :func:`negated_at` also checks the sentence.
    """
    if cue_end > phrase_start:
        return False
    between = text[cue_end:phrase_start]
    if _BOUNDARY.search(between):
        return False
    return len(_WORD.findall(between)) <= MAX_WORDS_BETWEEN


#: Cues are looked for in this many characters before a phrase first (see :func:`negated_at`):
#: a governing cue is at most a few words away, so a short window nearly always decides.
_CUE_WINDOW = 64
_MOST_CUE_WORDS = max(len(cue.split()) for cue in NEGATION_CUES)
#: Matches where a text holds more than ``MAX_WORDS_BETWEEN + _MOST_CUE_WORDS`` words (as
#: :data:`_WORD` counts them; the atomic group keeps a word from being split): quicker than
#: counting them all.
_TOO_MANY_WORDS_FOR_A_CUE = re.compile(
    rf"(?:(?>{_WORD.pattern})\W+){{{MAX_WORDS_BETWEEN + _MOST_CUE_WORDS}}}\w"
)


def negated_at(text: PreparedText, phrase_start: int) -> bool:
    """Whether the phrase occurrence at folded offset ``phrase_start`` of ``text`` is negated.

    Only the nearest cue ending at or before the phrase needs checking: a farther one has
    more words, and at least the same boundaries, between it and the phrase.  It is looked
    for in the last :data:`_CUE_WINDOW` characters, and before them only when those hold so
    few words that a cue further back could still be close enough.
    """
    folded = text.folded
    window = max(0, phrase_start - _CUE_WINDOW)
    cues = find_cues(folded, window, phrase_start)
    if not cues and window > 0:
        if _TOO_MANY_WORDS_FOR_A_CUE.search(folded, window, phrase_start):
            return False
        cues = find_cues(folded, 0, phrase_start)
    if not cues:
        return False
    cue_end = cues[-1][1]
    return governs(folded, cue_end, phrase_start) and not text.sentence_ends_between(
        cue_end, phrase_start
    )


def is_negated(text: str, phrase: str) -> bool:
    """Whether the first occurrence of ``phrase`` in ``text`` is negated (both as written).

    A convenience for tests and for explaining a decision; matching calls :func:`negated_at`.
    """
    prepared = PreparedText(clean(text))
    start = prepared.folded.find(normalise(phrase))
    if start < 0:
        raise ValueError(f"{phrase!r} is not in {text!r}")
    return negated_at(prepared, start)
