"""Normalising text and splitting it into sentences, with offsets.

Rule phrases and article text go through the same normalisation, so that a phrase written
``U.S.–Russia`` in a forecast file matches ``u.s.-russia`` typed with a plain hyphen:

1. Unicode NFKC (ligatures, full-width forms, no-break spaces become plain characters);
2. curly quotes become straight (``‘ ’ ‚ ‛ ʼ`` → ``'``, ``“ ” „ ‟`` → ``"``) and every dash
   (``‐ ‑ ‒ – — ― ⸺ ⸻``, minus ``−``) becomes ``-``; soft hyphens and zero-width spaces go;
3. case folding (``str.casefold``: "ß" matches "ss");
4. every whitespace run becomes one space.

An article's text keeps its line breaks (a line break ends a sentence), and keeps its case in
a *display* copy: sentences are quoted to reviewers as written, while matching runs on the
folded copy.  :class:`PreparedText` maps offsets between the two.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple

_TRANSLATION = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u02bc", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f", '"'),
        **dict.fromkeys(
            "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d", "-"
        ),
        **dict.fromkeys("\u00ad\u200b\u2060\ufeff", None),
    }
)


_REPLACEMENTS = tuple(
    (chr(code), "" if target is None else str(target)) for code, target in _TRANSLATION.items()
)


def _straighten(text: str) -> str:
    """Quotes and dashes made plain, invisible characters dropped (``_TRANSLATION``).

    Not ``str.translate``: with a mapping it looks every character up one by one, 50 ns each
    on text that is not ASCII (a news article with one curly apostrophe), while a search for
    each of the few characters concerned, and a replace where one occurs, runs in C.  ASCII
    text (its flag is stored with the string) holds none of them."""
    if text.isascii():
        return text
    for char, plain in _REPLACEMENTS:
        if char in text:
            text = text.replace(char, plain)
    return text


def _clean_line(line: str) -> str:
    return " ".join(line.split())


def clean(text: str) -> str:
    """NFKC, straight quotes and dashes, whitespace collapsed; case and line breaks kept.

    Text taken out of HTML (feeds, article pages) is one line with single spaces already: a
    few scans in C tell (every whitespace character but the space is unprintable), and save
    splitting a long body into words and joining them again."""
    text = _straighten(unicodedata.normalize("NFKC", text))
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return "\n".join(line for line in map(_clean_line, text.splitlines()) if line)


def normalise(text: str) -> str:
    """The matching form of ``text``: NFKC, quotes, dashes, casefold, one space per whitespace
    run."""
    return " ".join(_straighten(unicodedata.normalize("NFKC", text)).casefold().split())


def is_word_char(char: str) -> bool:
    """Letters, digits and ``_`` make words; a phrase must not touch one at either end."""
    return char.isalnum() or char == "_"


class Sentence(NamedTuple):
    """A sentence of a :class:`PreparedText`: offsets into its display text, and that text.

    A named tuple rather than a frozen dataclass: one is made for every piece of evidence, and
    a frozen dataclass takes twice as long to make.
    """

    start: int
    end: int
    text: str


# --- sentence splitting --------------------------------------------------------------------

#: A sentence ends at ``.``, ``!`` or ``?`` (possibly repeated, possibly followed by closing
#: quotes or brackets) that is followed by whitespace, and at every line break.
_SENTENCE_END = re.compile(r"[.!?\n](?:(?<=\n)|[.!?]*[\"')\]]*(?=\s))")  # starts with a class: fast
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
#: Abbreviations after which a ``.`` does not end a sentence ("Gen. Milley", "St. Petersburg").
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "adm",
        "sen",
        "rep",
        "gov",
        "pres",
        "st",
        "jr",
        "sr",
        "vs",
    ]
)
#: A ``.`` right after more letters than this is told apart at once (see :func:`_is_abbreviation`).
_LONGEST_ABBREVIATION = max(map(len, ABBREVIATIONS))


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the ``.`` at ``dot`` closes an abbreviation rather than a sentence.

    The word before it is a letter or a run of initials ("U.S", "R" in "Joseph R. Biden"), or
    one of :data:`ABBREVIATIONS`; or the next word starts with a lowercase letter.
    """
    following = text[dot + 1 : dot + 8].lstrip(" \"'")
    if following and following[0].islower():
        return True
    # The common case: more letters before the "." than any abbreviation has, and at least two,
    # so not initials either (their last part is one letter); told without finding the word.
    if dot > _LONGEST_ABBREVIATION and text[dot - _LONGEST_ABBREVIATION - 1 : dot].isalpha():
        return False
    space = text.rfind(" ", 0, dot)
    token_start = max(space, text.rfind("\n", space + 1, dot)) + 1
    token = text[token_start:dot].lstrip("\"'([")
    # Initials without a "." are one letter: most tokens are told apart without the regex.
    if ("." in token or len(token) == 1) and _INITIALS.fullmatch(token):
        return True
    return token.casefold() in ABBREVIATIONS


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    found = match.group()
    if found != "." and (found == "\n" or found[0] != "." or len(found.rstrip("\"')]")) != 1):
        return True
    return not _is_abbreviation(text, match.start())


def split_sentences(text: str) -> list[Sentence]:
    """Split cleaned text (see :func:`clean`) into sentences, with their offsets.

    The rule, kept small on purpose: a sentence ends at ``.``, ``!`` or ``?`` followed by
    whitespace, and at a line break.  A ``.`` directly followed by a letter ("U.S.", "3.5")
    is never an end; nor is a ``.`` followed by a lowercase word, or closing an abbreviation
    or initials ("U.S. Senate", "Gen. Milley", "Joseph R. Biden").
    """
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _ends_sentence(text, match):
            _append(sentences, text, start, match.end())
            start = match.end()
    _append(sentences, text, start, len(text))
    return sentences


def sentence_around(text: str, offset: int) -> Sentence:
    """The sentence of :func:`split_sentences` that holds ``offset``, found without splitting
    the whole text: only the possible ends nearest to ``offset`` are checked, those before it
    found with ``str.rfind`` (a regex only searches forwards, and running one over a window
    before the offset cost more than the rest of matching an article)."""
    start = _last_end_before(text, offset)
    token_start = text.rfind(" ", 0, offset) + 1  # an end may begin before the offset: "(yes.)"
    end = _first_end_after(text, token_start, offset)
    return _stripped(text, start, end) or Sentence(offset, offset, "")


_END_CHARS = ".!?\n"


def _last_end_before(text: str, offset: int) -> int:
    """Where the sentence holding ``offset`` starts: the end of the last sentence end that
    :data:`_SENTENCE_END` finds in ``text[:offset]``, or 0.

    A run of ``.!?`` either matches from its first character or nowhere, so each candidate
    is tried from the start of its run, as a left-to-right search would.
    """
    position = offset
    while True:
        dot = text.rfind(".", 0, position)  # the commonest end: the others are looked for after it
        candidate = max(
            dot,
            text.rfind("\n", dot + 1, position),
            text.rfind("!", dot + 1, position),
            text.rfind("?", dot + 1, position),
        )
        if candidate < 0:
            return 0
        if text[candidate] != "\n":
            while candidate and text[candidate - 1] in ".!?":
                candidate -= 1
        match = _SENTENCE_END.match(text, candidate, offset)
        if match is not None and _ends_sentence(text, match):
            return match.end()
        position = candidate


def _first_end_after(text: str, position: int, offset: int) -> int:
    """The end of the first sentence end found from ``position`` that ends past ``offset``
    (as ``_SENTENCE_END.finditer(text, position)`` would meet it), or ``len(text)``."""
    match = _SENTENCE_END.search(text, position)
    while match is not None:
        if match.end() > offset and _ends_sentence(text, match):
            return match.end()
        match = _SENTENCE_END.search(text, match.end())
    return len(text)


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    sentence = _stripped(text, start, end)
    if sentence is not None:
        sentences.append(sentence)


def _stripped(text: str, start: int, end: int) -> Sentence | None:
    """``text[start:end]`` without the whitespace around it, or None when nothing is left."""
    part = text[start:end]
    stripped = part.strip()
    if not stripped:
        return None
    start += len(part) - len(part.lstrip())
    return Sentence(start, start + len(stripped), stripped)


# --- an article's text, in both forms -------------------------------------------------------


_EXCERPT_ENDINGS = " .…[]()"


def _is_opening_of(teaser: str, body: str) -> bool:
    """Whether a teaser is the body's opening words (cut, perhaps with an ellipsis)."""
    core = teaser.rstrip(_EXCERPT_ENDINGS)
    return bool(core) and body.startswith(core)


class PreparedText:
    """An article's text cleaned for display and folded for matching, with offset maps.

    Case folding almost never changes the length of a text ("ß" → "ss" does); when it does
    not, offsets are the same in both forms and no map is built.
    """

    __slots__ = ("_fields", "_starts", "display", "folded", "text_end")

    def __init__(
        self, display: str, fields: tuple[tuple[int, str], ...] = (), context: str = ""
    ) -> None:
        self.display = display + "\n" + context if context else display
        self.folded = self.display.casefold()
        self._fields = fields  # (display offset where it starts, field name), in order
        # Past this folded offset is context only (the categories): it can satisfy a rule's
        # context phrases, never give the sentence of a piece of evidence.
        self.text_end = len(display.casefold())
        self._starts: list[int] | None = None
        if len(self.folded) != len(self.display):
            starts, position = [], 0
            for char in self.display:
                starts.append(position)
                position += len(char.casefold())
            starts.append(position)
            self._starts = starts

    @classmethod
    def of_article(
        cls,
        title: str | None,
        summary: str | None,
        body: str | None = None,
        categories: Sequence[str] = (),
    ) -> PreparedText:
        """The matchable text of an article: ``TITLE. SUMMARY. BODY``, each field its own
        sentences.

        A ``.`` is added to the title, and to another field followed by more, that does not end
        in ``.``, ``!`` or ``?``; the parts are joined by line breaks, so a field ends a sentence
        whatever follows it.  A teaser that is only the body's opening (the usual excerpt) is
        read once, as part of the body.  The article's ``categories`` come last, as context
        (see ``text_end``).
        """
        parts = [("title", clean(title or "")), ("summary", clean(summary or ""))]
        body_text = clean(body or "")
        if body_text:
            if _is_opening_of(parts[1][1], body_text):
                parts.pop()
            parts.append(("body", body_text))
        parts = [(name, text) for name, text in parts if text]
        for index, (name, text) in enumerate(parts):
            if text[-1] not in ".!?" and (name == "title" or index < len(parts) - 1):
                parts[index] = (name, text + ".")
        fields, offset = [], 0
        for name, text in parts:
            fields.append((offset, name))
            offset += len(text) + 1
        context = "; ".join(filter(None, map(clean, categories)))
        return cls("\n".join(text for _, text in parts), tuple(fields), context)

    def field_at(self, folded_offset: int) -> str:
        """Which field (title, summary or body) holds a folded offset."""
        offset, name = self.display_offset(folded_offset), "summary"
        for start, field_name in self._fields:
            if start > offset:
                break
            name = field_name
        return name

    def display_offset(self, folded_offset: int) -> int:
        if self._starts is None:
            return folded_offset
        return bisect_right(self._starts, folded_offset) - 1

    def sentence_ends_between(self, folded_start: int, folded_end: int) -> bool:
        """Whether a sentence ends between two folded offsets (see :func:`split_sentences`)."""
        display, start, end = (
            self.display,
            self.display_offset(folded_start),
            self.display_offset(folded_end),
        )
        if not any(char in display[start:end] for char in _END_CHARS):
            return False
        return any(_ends_sentence(display, m) for m in _SENTENCE_END.finditer(display, start, end))

    def sentence_at(self, folded_offset: int) -> Sentence:
        """The sentence holding a folded offset (offsets into the display text)."""
        return sentence_around(self.display, self.display_offset(folded_offset))
