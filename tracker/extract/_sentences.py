"""Sentences and clauses of an article's text, as spans with offsets into the text itself.

The text is what a reader pasted or a page gave: hard-wrapped lines, paragraphs between blank
lines, headings and "Related article" lines on their own, page furniture such as a bare URL.
So a line break does not end a sentence, a blank line (or a line that is only a URL) does, and
a one-line block without a full stop is a heading, not a sentence.  A sentence ends at ``.``,
``!``, ``?`` or ``…`` (with any closing quotes or brackets) before a capital, a digit or an
opening quote, unless the word before the stop is an abbreviation ("U.S.", "Mr.", "Jan.") or an
initial.  A quote is a span of the text, so it is verbatim by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tracker.extract._lexicon import ABBREVIATIONS

#: a block (between blank lines) this short with no sentence stop is a heading
HEADING_MAX_WORDS = 14

_BLOCK_BREAK = re.compile(
    r"\n[ \t\r]*(?:\n|(?:https?://\S+[ \t\r]*(?:\n|$)))\s*"  # a blank line, a line that is a URL
    r"|\n[ \t]+(?=[A-Z\"“‘])"  # an indented line that starts with a capital: a new paragraph
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.*$")
_URL_ONLY = re.compile(r"^\s*https?://\S+\s*$")
_CLAUSE_BREAK = re.compile(r"\s*[;:]\s+|,\s+(?:and|but|while|whereas|yet)\s+")


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of the article, kept with its offsets."""

    start: int
    end: int
    text: str

    @property
    def flat(self) -> str:
        """The span with every whitespace run as one space (how quotes are compared)."""
        return " ".join(self.text.split())


def _span(text: str, start: int, end: int) -> Span | None:
    """The span ``start:end`` with the whitespace at either end left out; None when empty."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end, text[start:end]) if end > start else None


def blocks(text: str) -> Iterator[Span]:
    """Paragraphs and headings: the text between blank lines (or lines that are only a URL)."""
    start = 0
    for brk in _BLOCK_BREAK.finditer(text):
        block = _span(text, start, brk.start())
        if block:
            yield block
        start = brk.end()
    last = _span(text, start, len(text))
    if last:
        yield last


def is_heading(block: Span) -> bool:
    """A one-line block with few words and no sentence stop: a heading or a link line."""
    line = block.text.strip()
    if _URL_ONLY.match(line):
        return True
    return (
        "\n" not in line
        and len(line.split()) <= HEADING_MAX_WORDS
        and not line.endswith((".", "!", "?", "…", '."', ".”", "?”", "!”"))
    )


def _ends_sentence(text: str, stop: re.Match[str]) -> bool:
    if text[stop.start()] != ".":
        return True
    word = _WORD_BEFORE.search(text, max(0, stop.start() - 40), stop.start() + 1)
    if word is None:
        return True
    token = word.group(1).lower().rstrip(".")
    return not (
        token in ABBREVIATIONS or len(token) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token)
    )


def _sentences_of(text: str, block: Span) -> Iterator[Span]:
    start = block.start
    for stop in _SENTENCE_END.finditer(text, block.start, block.end):
        if _ends_sentence(text, stop):
            sentence = _span(text, start, stop.end())
            if sentence:
                yield sentence
            start = stop.end()
    rest = _span(text, start, block.end)
    if rest:
        yield rest


def split_sentences(text: str) -> list[Span]:
    """Every sentence of the text, in order; headings are left out."""
    return [s for b in blocks(text) if not is_heading(b) for s in _sentences_of(text, b)]


def _inside_brackets(text: str, at: int) -> bool:
    before = text[:at]
    return before.count("(") > before.count(")") or before.count("[") > before.count("]")


def split_clauses(sentence: Span) -> list[Span]:
    """The clauses of a sentence: its parts between ``;`` and ``:``, and before ", and",
    ", but", ", while", ", whereas", ", yet" (a comma alone is too often a list or an aside)."""
    found = []
    start = 0
    for brk in _CLAUSE_BREAK.finditer(sentence.text):
        if _inside_brackets(sentence.text, brk.start()):
            continue
        part = _span(sentence.text, start, brk.start())
        if part:
            found.append(part)
        start = brk.end()
    last = _span(sentence.text, start, len(sentence.text))
    if last:
        found.append(last)
    return [Span(sentence.start + p.start, sentence.start + p.end, p.text) for p in found]
