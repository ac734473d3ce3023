"""Matched phrases highlighted in an evidence sentence, safely.

The sentence comes from a feed (untrusted).  It is never marked up as text: the phrases are
found in its matching form (the same normalisation and word boundaries as the matcher, see
:class:`tracker.matching.Phrase`), their offsets mapped back to the sentence, and the result
built piece by piece: every piece of the sentence is escaped, and only our own ``<mark>`` tags
are added between pieces.  A prefix phrase (``ratif*``) marks the whole word it starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from markupsafe import Markup, escape

from tracker.matching import Phrase, PreparedText, clean
from tracker.matching.text import is_word_char


@lru_cache(maxsize=4096)
def _phrase(text: str) -> Phrase | None:
    try:
        return Phrase.of(text)
    except ValueError:  # a label that never compiled cannot have matched: nothing to mark
        return None


def spans(sentence: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) offsets in ``sentence`` of each matched phrase's occurrences, merged and
    sorted."""
    prepared = PreparedText(sentence)
    found: list[tuple[int, int]] = []
    for text in dict.fromkeys(phrases):
        phrase = _phrase(text)
        if phrase is None:
            continue
        for start in phrase.occurrences(prepared.folded):
            end = start + len(phrase.key)
            begin, finish = prepared.display_offset(start), prepared.display_offset(end)
            if phrase.prefix:
                while finish < len(sentence) and is_word_char(sentence[finish]):
                    finish += 1
            found.append((begin, finish))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(sentence: str, phrases: Iterable[str]) -> Markup:
    """The sentence, escaped, with each matched phrase in ``<mark>``."""
    text = " ".join(clean(sentence).split())  # the matching form's whitespace: offsets line up
    parts: list[str] = []
    position = 0
    for start, end in spans(text, phrases):
        parts += [escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>"]
        position = end
    parts.append(escape(text[position:]))
    return Markup("".join(parts))  # every piece from the sentence went through escape()
