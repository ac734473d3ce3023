"""Snippets: the stretch of a hit's text where the query's words are densest, with those words
marked (pure: no database).  Parts, not HTML: ``[(text, is_hit), ...]``, so that each front end
escapes the text and marks the hits its own way."""

from __future__ import annotations

import re

from tracker.search._analyze import MAX_TOKEN, STOP_WORDS, fold, stem

#: about how many characters a snippet shows
WIDTH = 200

_RUN = re.compile(r"[^\W_]+")

Snippet = list[tuple[str, bool]]


def _is_hit(word: str, tokens: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    folded = fold(word)
    if folded in STOP_WORDS or len(folded) > MAX_TOKEN:
        return False
    for piece in _RUN.findall(folded):
        if stem(piece) in tokens or any(piece.startswith(p) for p in prefixes):
            return True
    return False


def snippet(
    text: str, tokens: frozenset[str] = frozenset(), prefixes: tuple[str, ...] = ()
) -> Snippet:
    """About :data:`WIDTH` characters of ``text`` around its densest stretch of hits (its start
    when nothing is hit), cut at word boundaries, hits marked."""
    text = " ".join(text.split())
    if not text:
        return []
    hits = [
        (m.start(), m.end())
        for m in _RUN.finditer(text)
        if (tokens or prefixes) and _is_hit(m.group(), tokens, prefixes)
    ]
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
