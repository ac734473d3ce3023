"""How the CLI lays out what it prints, so that every table reads at 80 columns.

The conventions, for every command (those of other modules too: `review`, `demo`, `report`):

- **Keys and numbers are never cut.**  A :class:`Col` of kind ``"key"`` (an id, a name that is
  typed back into another command) or ``"number"`` (a score, a count, a date, a percentage) gets
  the width of its longest value; rich never shrinks it, never puts an ellipsis in it.
- **Text wraps or moves.**  A ``"text"`` column (a title, a note) takes the room that is left
  and wraps in it.  When the terminal is too narrow for every column, the columns with the
  highest ``drop`` number are left out first (key columns never are) and the caption says which
  ones ``--wide`` would show.  Long text that would make a row tall (a question, a quote) goes
  *under* its row in :func:`print_records`, shortened to one line there and given whole by the
  command's ``show`` (or by ``--wide``).
- **URLs are never cut.**  They are printed whole on a line of their own (:func:`print_url`),
  so a terminal can select them; they are the only lines that may run past the width.
- **``--wide``** (:data:`WideOption`) shows every column and the long text in full, whatever
  the width of the terminal.

Two layouts:

- :func:`print_table` (or :class:`FittedTable`, a renderable): a table of columns, for data that
  is mostly keys and numbers (scorecards, users, tokens);
- :func:`print_records`: one line of key and number columns per item, with text lines and URLs
  under it (forecasts, articles, feeds).

Times are written :func:`when` (``YYYY-MM-DD HH:MM``, UTC, the same width every time).

Text from outside (feed and article titles, OPML, forecast files, error messages of servers) is
printed through :func:`untrusted`: never read as markup, its control characters shown as visible
symbols (an escape code cannot recolour, retitle or link the terminal).  Every cell, line and URL
of these helpers goes through it, and the CLI's consoles run everything they print through
:class:`ControlGuard` as a last line of defence.
This module imports only rich and the standard library: a CLI module may import it at start-up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

import typer
from rich import box
from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

Kind = Literal["key", "number", "text"]
Cell = str | Text

#: the narrowest a text column gets before columns are left out
TEXT_MIN = 14
#: the space between two columns of a table (a blank each side of a blank divider) ...
GAP = 3
#: ... and of a record's row
RECORD_GAP = 2
#: the indent of the lines under a record's row
INDENT = 2

WideOption = Annotated[
    bool, typer.Option("--wide", help="every column and the long text in full, however wide")
]


def _visible(code: int) -> str:
    """The symbol shown for a control character: its Control Pictures glyph (``␛`` for ESC,
    ``␇`` for BEL, ``␡`` for DEL), ``\ufffd`` for C1 controls and bidirectional overrides."""
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


#: C0 (but tab and newline), DEL, C1, and the bidirectional overrides and isolates (which
#: reorder what a terminal shows) -> one visible character each (the width stays the same)
_CONTROLS = {
    code: _visible(code)
    for code in (
        *(c for c in range(0x20) if c not in (0x09, 0x0A)),
        *range(0x7F, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}


def visible(text: str) -> str:
    """The text with every control character replaced by a visible symbol, one for one."""
    return text.translate(_CONTROLS)


def untrusted(value: str | Text | None, style: str = "") -> Text:
    """Text from outside, ready to print: never markup (``[/bold]`` and ``[link=...]`` print as
    they are), every control character shown as a symbol (:func:`visible`).  A :class:`Text`
    keeps its styles: the replacement is one character for one."""
    if value is None:
        return Text(style=style)
    if isinstance(value, str):
        return Text(visible(value), style=style)
    clean = visible(value.plain)
    if clean != value.plain:
        value = value.copy()
        value.plain = clean
    return value


_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in _CONTROLS}


def json_text(data: Any, **options: Any) -> str:
    """``json.dumps`` for the terminal: indented, Unicode kept, and the control characters JSON
    leaves raw (DEL, C1, bidirectional overrides) written as ``\\uXXXX`` escapes, so a script
    reads the same value and a terminal shows no escape code."""
    text = json.dumps(data, indent=2, ensure_ascii=False, **options)
    return text.translate(_JSON_ESCAPES)


class _Visible:
    """A renderable drawn as another, with the control characters of its text made visible."""

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control or segment.text.isprintable():
                yield segment
            else:
                yield Segment(visible(segment.text), segment.style, segment.control)


class ControlGuard(RenderHook):
    """A console hook that shows the control characters of whatever is printed as symbols:
    what a command forgot to pass through :func:`untrusted` still cannot reach the terminal as
    an escape code.  (rich's own colours are added after it, from styles, not from text.)"""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Visible(r) for r in renderables]


def guarded(console: Console) -> Console:
    """The console with a :class:`ControlGuard` installed."""
    console.push_render_hook(ControlGuard())
    return console


@dataclass(frozen=True)
class Col:
    """One column: its header, what it holds, and how early it goes when room is short (the
    highest ``drop`` first; 0 never).  ``wide_only`` columns show only with ``--wide``."""

    header: str
    kind: Kind = "text"
    drop: int = 0
    wide_only: bool = False
    justify: Literal["left", "right"] | None = None

    def min_width(self, cells: Iterable[Cell], *, wraps: bool = True) -> int:
        """The width this column needs: its longest value for a key or a number (and the
        longest word of its header, which may wrap), :data:`TEXT_MIN` at most for text; all
        of its header and of its text when nothing ``wraps`` (a record's row)."""
        longest = max((_width(cell) for cell in cells), default=0)
        if not wraps:
            return max(len(self.header), longest)
        header = max((len(word) for word in self.header.split()), default=0)
        if self.kind == "text":
            return max(header, min(longest, TEXT_MIN))
        return max(header, longest)


def _width(cell: Cell) -> int:
    text = cell.plain if isinstance(cell, Text) else cell
    return max((len(line) for line in text.splitlines()), default=0)


def when(value: datetime | None, none: str = "-") -> str:
    """A UTC time to the minute, always 16 characters (the header or the caption says UTC)."""
    return value.strftime("%Y-%m-%d %H:%M") if value else none


def fitting(
    columns: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    wide: bool = False,
    gap: int = GAP,
    wraps: bool = True,
) -> list[int]:
    """The indexes of the columns shown at this width: all with ``wide``; else every column
    but the wide-only ones, leaving out the highest ``drop`` first until the rest fit."""
    if wide:
        return list(range(len(columns)))
    shown = [i for i, c in enumerate(columns) if not c.wide_only]
    needs = {i: columns[i].min_width((row[i] for row in rows), wraps=wraps) for i in shown}
    while _total((needs[i] for i in shown), gap) > width:
        droppable = [i for i in shown if columns[i].drop > 0]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (columns[i].drop, i)))
    return shown


def _total(widths: Iterable[int], gap: int) -> int:
    widths = list(widths)
    return sum(widths) + gap * max(len(widths) - 1, 0)


def _hidden_note(columns: Sequence[Col], shown: Sequence[int]) -> str:
    hidden = [c.header for i, c in enumerate(columns) if i not in shown]
    return f"--wide adds: {', '.join(hidden)}" if hidden else ""


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


@dataclass
class FittedTable:
    """A rich table that, when printed, shows the columns that fit the width it is given
    (see :func:`fitting`); key and number columns get their full width, text wraps."""

    columns: Sequence[Col]
    rows: Sequence[Sequence[Cell]]
    title: str | None = None
    caption: str | None = None
    wide: bool = False
    styles: Sequence[str | None] = field(default_factory=list)

    def table(self, width: int) -> Table:
        """The rich table for a terminal this wide (its caption is printed under it)."""
        shown = fitting(self.columns, self.rows, width, wide=self.wide)
        out = Table(
            title=self.title,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            title_justify="left",
        )
        for i in shown:
            col = self.columns[i]
            fixed = None if col.kind == "text" else col.min_width(row[i] for row in self.rows)
            justify = col.justify or ("right" if col.kind == "number" else "left")
            out.add_column(col.header, width=fixed, justify=justify, overflow="fold")
        for n, row in enumerate(self.rows):
            style = self.styles[n] if n < len(self.styles) else None
            out.add_row(*(_cell(row[i]) for i in shown), style=style)
        return out

    def caption_for(self, width: int) -> str:
        """The caption with, when columns are left out at this width, which ones."""
        shown = fitting(self.columns, self.rows, width, wide=self.wide)
        return _join(self.caption or "", _hidden_note(self.columns, shown))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        table = self.table(width)
        caption = self.caption_for(width)
        if self.wide:
            natural = console.measure(table, options=options.update_width(10_000)).maximum
            width = max(width, natural)
        yield from table.__rich_console__(console, options.update_width(width))
        if caption:
            yield Text(caption, style="dim")


def _cell(value: Cell) -> Text:
    """Cells are text, never markup: a name with brackets prints as it is (:func:`untrusted`)."""
    return untrusted(value)


def print_table(
    console: Console,
    columns: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    caption: str | None = None,
    wide: bool = False,
    styles: Sequence[str | None] = (),
) -> None:
    """Print a :class:`FittedTable` (wider than the terminal only with ``wide``)."""
    fitted = FittedTable(columns, rows, title, caption, wide, list(styles))
    console.print(fitted, crop=not wide)


@dataclass
class Record:
    """One item of :func:`print_records`: its row's cells, text lines under the row (each
    shortened to one line unless ``--wide``), and URLs (printed whole, one a line)."""

    cells: Sequence[Cell]
    under: Sequence[Cell] = ()
    urls: Sequence[str] = ()
    style: str | None = None


def print_records(
    console: Console,
    columns: Sequence[Col],
    records: Sequence[Record],
    *,
    title: str | None = None,
    caption: str | None = None,
    wide: bool = False,
    indent: int = 0,
    shorten: bool = True,
) -> None:
    """Print items as a header line and, for each, a line of columns (keys and numbers at
    their full width, never cut) with its text and URLs under it.  Text columns are not
    wrapped in the row: give them a low priority (a high ``drop``) or put the text under.
    The lines under a row are shortened to one line each, unless ``wide`` or not ``shorten``
    (a ``show`` command, whose point is the whole text)."""
    rows = [r.cells for r in records]
    shown = fitting(columns, rows, console.width - indent, wide=wide, gap=RECORD_GAP, wraps=False)
    widths = {i: columns[i].min_width((row[i] for row in rows), wraps=False) for i in shown}
    if title:
        console.print(Text(title, style="bold"))
    margin = Text(" " * indent)
    header = _line([Text(columns[i].header) for i in shown], shown, columns, widths)
    header.stylize("bold")
    console.print(margin + header, crop=False, no_wrap=True, soft_wrap=True)
    for record in records:
        cells = [_cell(record.cells[i]) for i in shown]
        line = _line(cells, shown, columns, widths)
        if record.style:
            line.stylize(record.style)
        console.print(margin + line, crop=False, no_wrap=True, soft_wrap=True)
        for text in record.under:
            _print_under(console, _cell(text), wrap=wide or not shorten, indent=indent + INDENT)
        for url in record.urls:
            print_url(console, url, indent=indent + INDENT)
    note = _join(caption or "", _hidden_note(columns, shown))
    if note:
        console.print(Text(note, style="dim"))


def _line(
    cells: list[Text], shown: list[int], columns: Sequence[Col], widths: dict[int, int]
) -> Text:
    line = Text()
    for n, (i, cell) in enumerate(zip(shown, cells, strict=True)):
        pad = " " * (widths[i] - _width(cell))
        last = n == len(shown) - 1
        if columns[i].kind == "number" or columns[i].justify == "right":
            line.append(pad).append_text(cell)
        else:
            line.append_text(cell).append("" if last else pad)
        if not last:
            line.append(" " * RECORD_GAP)
    return line


def _print_under(console: Console, text: Text, *, wrap: bool, indent: int) -> None:
    """A line under a record's row, indented (dim unless styled): wrapped, or shortened to one
    line with an ellipsis (the whole text is in the command's ``show``, or with ``--wide``)."""
    text = untrusted(text)
    if not text.style and not text.spans:
        text = Text(text.plain, style="dim")
    if wrap:
        console.print(Padding(text, (0, 0, 0, indent)))
    else:
        console.print(Text(" " * indent) + shortened(text, console.width - indent))


def shortened(text: Text, width: int) -> Text:
    """The text on one line of this width: cut after its last whole word that fits, with
    `` …`` (never inside a word or a number)."""
    if len(text.plain) <= width:
        return text
    cut = text.plain.rfind(" ", 0, width - 1)
    short = text.copy()
    short.truncate(cut if cut > 0 else width - 2)
    return short.append(" …")


def print_url(console: Console, url: str, *, indent: int = 0) -> None:
    """A URL whole on a line of its own (never wrapped, never cut, never styled as markup),
    so that it can be selected and copied even when it is wider than the terminal."""
    console.print(untrusted(" " * indent + url), soft_wrap=True, crop=False, highlight=False)


def print_fields(console: Console, fields: Iterable[tuple[str, Cell]], *, indent: int = 0) -> None:
    """``label: value`` lines, each value wrapping under itself (as the web page's definition
    lists); empty values are left out."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    for label, value in fields:
        value_text = _cell(value)
        if value_text.plain:
            grid.add_row(f"{label}:", value_text)
    if grid.row_count:
        console.print(Padding(grid, (0, 0, 0, indent)))


def key_values(data: dict[str, Any], *, prefix: str = "") -> list[tuple[str, str]]:
    """A mapping (an audit entry's detail) as ``key: value`` pairs, sorted by key: a list is
    joined with commas, a nested mapping gives ``key.sub`` pairs; never a dict or JSON."""
    pairs: list[tuple[str, str]] = []
    for key in sorted(data):
        value = data[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs.extend(key_values(value, prefix=f"{name}."))
        elif isinstance(value, list | tuple):
            pairs.append((name, ", ".join(str(v) for v in value) or "-"))
        else:
            pairs.append((name, "-" if value is None else str(value)))
    return pairs
