"""Printing search hits: a snippet with its hit words in bold, and the command that reads the
next page (a search reads forward: its cursor is printed as a ready-to-run line)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperOption

from tracker.cli._layout import Col, Record, json_text, print_records, untrusted

#: hits per page unless ``--limit`` says otherwise (the hint repeats a limit only if changed)
DEFAULT_LIMIT = 20


class SearchCommand(TyperCommand):
    """A search command, whose query may start with ``-`` (``-ukraine nato``: nato but not
    ukraine), which click would take for short options it does not know.  Such a word, where
    no option's value goes, is read as the query (moved after a ``--``), so the query works as
    the syntax says, and so does the next page's printed command; a mistyped ``--option``
    still gets click's "No such option"."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click's Context
        return super().parse_args(ctx, self._query_words_last(args))

    def _query_words_last(self, args: list[str]) -> list[str]:
        if "--" in args:  # the user said where the options end
            return args
        options = {name for param in self.params for name in param.opts}
        with_value = {
            name
            for param in self.params
            if isinstance(param, TyperOption) and not param.is_flag
            for name in param.opts
        }
        kept: list[str] = []
        queries: list[str] = []
        for arg in args:
            is_value = bool(kept) and kept[-1] in with_value
            dashed = arg.startswith("-") and not arg.startswith("--") and len(arg) > 1
            (queries if dashed and not is_value and arg not in options else kept).append(arg)
        return [*kept, "--", *queries] if queries else kept


def snippet_text(parts: Sequence[tuple[str, bool]]) -> Text:
    """A snippet as terminal text: the hit words bold, nothing of it read as markup, every
    control character shown as a symbol."""
    text = Text()
    for part, hit in parts:
        text.append_text(untrusted(part, "bold" if hit else ""))
    return text


def print_hit_page(
    console: Console,
    *,
    noun: str,
    columns: Sequence[Col],
    records: list[Record],
    next_cursor: str | None,
    command: Sequence[str],
    options: dict[str, object],
    limit: int,
    wide: bool,
) -> None:
    """One page of search hits as a table, then (if there is a next page) the command that
    prints it: ``command`` with the ``options`` that are set, the limit if not the default,
    and the cursor."""
    more = " on this page" if next_cursor else ""
    print_records(console, columns, records, title=f"{len(records)} {noun}(s){more}", wide=wide)
    if next_cursor:
        if limit != DEFAULT_LIMIT:
            options = {**options, "--limit": limit}
        for line in next_page_hint(command, options, next_cursor, console.width):
            console.print(untrusted(line), soft_wrap=True, crop=False, highlight=False)


def hit_page_json(items: list[dict[str, Any]], next_cursor: str | None) -> str:
    """One page of hits as the API gives it: the items and the cursor of the next page."""
    return json_text({"items": items, "next_cursor": next_cursor})


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
