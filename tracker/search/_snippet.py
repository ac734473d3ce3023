"""Snippets: the stretch of a hit's text where the query's words are densest, with those words
marked (pure: no database).  Parts, not HTML: ``[(text, is_hit), ...]``, so that each front end
escapes the text and marks the hits its own way."""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.search._analyze import fold, token_of

#: about how many characters a snippet shows
WIDTH = 200
#: how far into a text hits are looked for (a snippet of a long text comes from its start)
SCANNED = 30_000

_RUN = re.compile(r"[^\W_]+")

Snippet = list[tuple[str, bool]]


def _hits(text: str, tokens: frozenset[str], prefixes: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the words of ``text`` whose index token the query holds are (start, end).

    A regular expression finds the words that start like one of the query's tokens (a stem
    is nearly always the start of its words, bar its last letters: ``treati``, ``treaty``),
    and only those are analyzed: a long body costs a scan in C, not a loop over its words."""
    if not tokens and not prefixes:
        return []
    folded = text.lower() if text.isascii() else fold(text)
    if len(folded) != len(text):  # folding moved the offsets (a ligature, say): word by word
        return _hits_by_word(text, tokens, prefixes)
    found = []
    for match in _candidates(tokens, prefixes).finditer(folded, 0, SCANNED):
        token = token_of(match.group())
        if token and (token in tokens or token.startswith(prefixes)):
            found.append(match.span())
    return found


@lru_cache(maxsize=256)
def _candidates(tokens: frozenset[str], prefixes: tuple[str, ...]) -> re.Pattern[str]:
    starts = {t[: max(2, len(t) - 2)] for t in (*tokens, *prefixes)}
    alternatives = "|".join(re.escape(s) for s in sorted(starts, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*")


def _hits_by_word(
    text: str, tokens: frozenset[str], prefixes: tuple[str, ...]
) -> list[tuple[int, int]]:
    found = []
    for match in _RUN.finditer(text, 0, SCANNED):
        for piece in _RUN.findall(fold(match.group())):
            token = token_of(piece)
            if token and (token in tokens or token.startswith(prefixes)):
                found.append(match.span())
                break
    return found


def snippet(
    text: str, tokens: frozenset[str] = frozenset(), prefixes: tuple[str, ...] = ()
) -> Snippet:
    """About :data:`WIDTH` characters of ``text`` around its densest stretch of hits (its start
    when nothing is hit), cut at word boundaries, hits marked."""
    text = " ".join(text.split())
    if not text:
        return []
    hits = _hits(text, tokens, prefixes)
    start = _best_start(text, hits)
    end = min(len(text), start + WIDTH)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    parts: Snippet = [("…", False)] if start > 0 else []
    at = start
    for begin, finish in hits:
        if begin < start or finish > end:
            continue
        if begin > at:
            parts.append((text[at:begin], False))
        parts.append((text[begin:finish], True))
        at = finish
    if at < end:
        parts.append((text[at:end], False))
    if end < len(text):
        parts.append(("…", False))
    return parts


def _best_start(text: str, hits: list[tuple[int, int]]) -> int:
    """Where the window holding the most hits starts, a little before its first hit."""
    if not hits:
        return 0
    best, best_count = hits[0][0], 0
    j = 0
    for i, (begin, _end) in enumerate(hits):
        while j < len(hits) and hits[j][1] <= begin + WIDTH:
            j += 1
        if j - i > best_count:
            best, best_count = begin, j - i
    start = max(0, best - 40)
    if start > 0:
        space = text.find(" ", start, best)
        start = space + 1 if space != -1 else best
    return start
