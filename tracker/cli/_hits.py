"""Printing search hits: a snippet with its hit words in bold, and the command that reads the
next page (a search reads forward: its cursor is printed as a ready-to-run line)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from rich.text import Text

from tracker.cli._layout import untrusted


def snippet_text(parts: Sequence[tuple[str, bool]]) -> Text:
    """A snippet as terminal text: the hit words bold, nothing of it read as markup, every
    control character shown as a symbol."""
    text = Text()
    for part, hit in parts:
        text.append_text(untrusted(part, "bold" if hit else ""))
    return text


def next_page_hint(
    command: Sequence[str], options: dict[str, object], cursor: str, width: int
) -> list[str]:
    """The command that prints the next page (the same search and options, and ``--cursor``),
    every value quoted for the shell, under a "Next page:" line, in lines of at most ``width``
    joined by ``\\`` continuations (a cursor is never cut): paste them and run."""
    words = [shlex.quote(word) for word in command]
    for option, value in options.items():
        if value is not None and value is not False:
            words += [option] if value is True else [option, shlex.quote(str(value))]
    words += ["--cursor", shlex.quote(cursor)]
    lines, line = ["Next page:"], " "
    for pair in _option_pairs(words):
        if line.strip() and len(line) + 1 + len(pair) + 2 > width:
            lines.append(line + " \\")
            line = "   "
        line += " " + pair
    return [*lines, line]


def _option_pairs(words: list[str]) -> list[str]:
    """The words with each option kept beside its value (a line never ends on ``--cursor``)."""
    pairs: list[str] = []
    for word in words:
        if pairs and pairs[-1].startswith("--") and " " not in pairs[-1]:
            pairs[-1] += " " + word
        else:
            pairs.append(word)
    return pairs
