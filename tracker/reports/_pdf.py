"""The PDF report, drawn with fpdf2 (pure Python: no system libraries, see docs/dev.md).

Laid out for print: the summary on the first page, the figures on the next, then the glossary
and the technical tables, each section starting on a new page; a table's heading never ends a
page (it moves to the next with the table's first rows); every page carries a header with the
author(s), the filter and the date, and a page number.  Text is set in matplotlib's DejaVu
Sans (matplotlib is a dependency already), so any Unicode name prints, not only Latin-1.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, cast

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from tracker.reports._glossary import GLOSSARY
from tracker.reports._summary import plain_summary, subject
from tracker.reports._tables import Table, fmt

if TYPE_CHECKING:
    from tracker.scoring import Scorecard

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FAMILY = "DejaVu"
#: a heading is kept with at least this much of what follows it (mm)
_KEEP_WITH_NEXT = 30.0


class _ReportPDF(FPDF):
    """A4 pages with the report's running header and a page number."""

    def __init__(self, running_head: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.running_head = running_head
        self.add_font(_FAMILY, "", str(_FONTS / "DejaVuSans.ttf"))
        self.add_font(_FAMILY, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title("Calibration report")
        self.set_author(running_head)

    def header(self) -> None:
        self.set_font(_FAMILY, "", 8)
        self.set_text_color(90)
        self.cell(0, 5, self.running_head, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(4)
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FAMILY, "", 8)
        self.set_text_color(90)
        self.cell(0, 5, f"page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 13) -> None:
        """A heading kept on the same page as the start of what follows it."""
        if self.get_y() + _KEEP_WITH_NEXT > self.page_break_trigger:
            self.add_page()
        self.set_font(_FAMILY, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def paragraph(
        self, text: str, size: float = 10, gap: float = 2, line: float | None = None
    ) -> None:
        self.set_font(_FAMILY, "", size)
        height = size * 0.5 if line is None else line
        self.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)


def running_head(card: Scorecard) -> str:
    """The header of every page: who, the filter and the day of the report."""
    return (
        f"Calibration report · {subject(card)} · as of {card.filters.day().isoformat()} · "
        f"generated {card.generated_at.strftime('%Y-%m-%d %H:%M UTC')}"
    )


def _summary_page(pdf: _ReportPDF, card: Scorecard, title: str, meta: str) -> None:
    pdf.heading(title, 16)
    pdf.paragraph(meta, 9, 4)
    pdf.heading("Summary")
    for sentence in plain_summary(card).sentences():
        pdf.paragraph(sentence, 11, 3)


def _figures_page(pdf: _ReportPDF, png: bytes) -> None:
    pdf.add_page()
    pdf.heading("Figures")
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.image(io.BytesIO(png), w=width, alt_text="reliability, CORP and sharpness diagrams")
    pdf.paragraph(
        "Top left: each probability bin at its mean forecast and how often it came true, with "
        "its Wilson 95 % interval and count; points on the dashed diagonal are perfectly "
        "calibrated. Top right: the CORP (PAV) recalibration with its consistency band. Bottom: "
        "how many forecasts fall in each bin, and the Brier score under each reading of words.",
        8,
    )


def _glossary(pdf: _ReportPDF) -> None:
    pdf.add_page()
    pdf.heading("Glossary")
    for term, meaning in GLOSSARY:
        pdf.set_font(_FAMILY, "", 9)
        lines = cast(list[str], pdf.multi_cell(0, 4.2, meaning, dry_run=True, output="LINES"))
        height = 4.2 * (1 + len(lines))
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()  # a term never ends a page without its meaning
        pdf.set_font(_FAMILY, "B", 9)
        pdf.multi_cell(0, 4.2, term, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.paragraph(meaning, 9, 1.2, line=4.2)


def _cell(value: object, digits: int | None) -> str:
    return value if isinstance(value, str) else fmt(value, digits)


#: the padding of a table cell (mm), on each side
_PADDING = 0.8
#: font sizes tried in turn until a table's words fit the page width unbroken
_TABLE_FONT_SIZES = (8.0, 7.0, 6.0, 5.0)
#: a column is never made wider than this (mm): long notes wrap
_MAX_COLUMN = 70.0


def _texts(table: Table, index: int) -> list[str]:
    column = table.columns[index]
    return [_cell(row[index], column.digits) for row in table.rows]


def _column_bounds(pdf: _ReportPDF, table: Table, index: int) -> tuple[float, float]:
    """The narrowest width (mm) at which no word of the column is cut, and the width at which
    every cell fits on one line (capped), at the current font size."""
    label, texts = table.columns[index].label, _texts(table, index)
    pad = 2 * _PADDING + 0.5
    pdf.set_font(_FAMILY, "B")
    label_words = [pdf.get_string_width(w) for w in label.split()] or [0.0]
    pdf.set_font(_FAMILY, "")
    words = [pdf.get_string_width(w) for text in texts for w in text.split()] or [0.0]
    lines = [pdf.get_string_width(text) for text in texts] or [0.0]
    narrowest = max(*label_words, *words) + pad
    return narrowest, max(narrowest, min(max(lines) + pad, _MAX_COLUMN))


def _layout(pdf: _ReportPDF, table: Table) -> tuple[float, tuple[float, ...]]:
    """The largest font size at which every word of ``table`` fits its column unbroken, and
    the column widths (mm): each column's narrowest width, plus a share of the room left in
    proportion to what its longest cell still lacks."""
    room = pdf.epw
    for size in _TABLE_FONT_SIZES:
        pdf.set_font_size(size)
        bounds = [_column_bounds(pdf, table, i) for i in range(len(table.columns))]
        if sum(low for low, _ in bounds) <= room:
            break
    lacking = sum(high - low for low, high in bounds)
    spare = max(room - sum(low for low, _ in bounds), 0.0)
    share = min(spare / lacking, 1.0) if lacking else 0.0
    return size, tuple(low + (high - low) * share for low, high in bounds)


def _table(pdf: _ReportPDF, table: Table) -> None:
    pdf.heading(table.title, 11)
    if not table.rows:
        pdf.paragraph("Nothing to show.", 8)
    else:
        size, widths = _layout(pdf, table)
        pdf.set_font(_FAMILY, "", size)
        with pdf.table(
            width=sum(widths),
            align="LEFT",
            line_height=size * 0.5,
            padding=_PADDING,
            first_row_as_headings=True,
            col_widths=widths,
            text_align=tuple("RIGHT" if c.digits is not None else "LEFT" for c in table.columns),
        ) as grid:
            head = grid.row()
            for column in table.columns:
                head.cell(column.label)
            for values in table.rows:
                row = grid.row()
                for value, column in zip(values, table.columns, strict=True):
                    row.cell(_cell(value, column.digits))
    if table.note:
        pdf.paragraph(table.note, 7)
    pdf.ln(3)


def render_pdf(card: Scorecard, tables: list[Table], png: bytes, title: str, meta: str) -> bytes:
    """The report as a PDF: summary, figures (``png``), glossary, then ``tables``."""
    pdf = _ReportPDF(running_head(card))
    pdf.add_page()
    _summary_page(pdf, card, title, meta)
    _figures_page(pdf, png)
    _glossary(pdf)
    pdf.add_page()
    for table in tables:
        _table(pdf, table)
    return bytes(pdf.output())
