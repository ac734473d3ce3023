"""Rendering a scorecard as a report file: HTML, CSV, JSON, PNG or Markdown."""

from __future__ import annotations

import csv
import enum
import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tracker.errors import ReportError
from tracker.reports import _svg
from tracker.reports._glossary import GLOSSARY
from tracker.reports._summary import plain_summary
from tracker.reports._tables import Table, all_tables, fmt
from tracker.scoring import RECORDED, SCHEMA_VERSION, Comparison, Scorecard

if TYPE_CHECKING:
    from _csv import Writer as CsvWriter

    from tracker.resolution import ResolverStats


class ReportFormat(str, enum.Enum):
    html = "html"
    csv = "csv"
    json = "json"
    png = "png"
    md = "md"
    pdf = "pdf"


def render_report(
    card: Scorecard,
    fmt_: ReportFormat | str,
    *,
    resolver: ResolverStats | None = None,
    comparison: Comparison | None = None,
    table: str | None = None,
) -> bytes:
    """The calibration report of ``card`` in one format, as the bytes of a file; with
    ``resolver`` (:func:`tracker.resolution.resolver_stats`) it has a section on the resolver,
    with ``comparison`` (:func:`tracker.scoring.compare` of the same forecasts) a section
    comparing the forecasters (none in PNG).  CSV is a zip of one file per table, or with
    ``table`` (a table's key) that one table as a CSV file."""
    try:
        kind = ReportFormat(fmt_)
    except ValueError as exc:
        known = ", ".join(f.value for f in ReportFormat)
        raise ReportError(f"unknown report format {fmt_!r}; use one of: {known}") from exc
    if table is not None:
        if kind is not ReportFormat.csv:
            raise ReportError("--table picks one table of the CSV report; use --format csv")
        return csv_table(pick_table(all_tables(card, resolver, comparison), table))
    if kind is ReportFormat.png:
        return render_png(card)
    return _RENDERERS[kind](card, resolver, comparison)


def _title(card: Scorecard) -> str:
    f = card.filters
    scope = [
        f"author {f.author}" if f.author else "",
        f"source {f.source}" if f.source else "",
        f"tag {f.tag}" if f.tag else "",
    ]
    return "Calibration report" + (": " + ", ".join(s for s in scope if s) if any(scope) else "")


def _meta(card: Scorecard) -> str:
    """The line under the title: when, as of which day, which forecasts, which reading."""
    reading = f"re-read under the {card.scale_used} scale" if card.scale_used else "as recorded"
    return (
        f"Generated {card.generated_at.strftime('%Y-%m-%d %H:%M UTC')}, "
        f"as of {card.filters.day().isoformat()}, {_scope(card)}; probabilities {reading}."
    )


def _scope(card: Scorecard) -> str:
    f = card.filters
    if f.resolved_between:
        return (
            f"resolved {f.resolved_between[0].isoformat()} to {f.resolved_between[1].isoformat()}"
        )
    return "all resolution dates"


_env = Environment(
    loader=PackageLoader("tracker.reports", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(
    card: Scorecard,
    resolver: ResolverStats | None = None,
    comparison: Comparison | None = None,
) -> bytes:
    s = card.summary
    headline = {
        "brier": fmt(s.brier, 3),
        "tetlock": fmt(s.brier_tetlock, 3),
        "metaculus": fmt(s.metaculus_baseline, 1),
        "skill": fmt(s.skill_vs_base_rate, 3),
    }
    page = _env.get_template("calibration.html.j2").render(
        title=_title(card),
        card=card,
        filters=card.filters.to_json(),
        tables=all_tables(card, resolver, comparison),
        fmt=fmt,
        generated=card.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        scope=_scope(card),
        scale_text=f"re-read under the {card.scale_used!r} scale" if card.scale_used else RECORDED,
        headline=headline,
        summary=plain_summary(card),
        glossary=GLOSSARY,
        schema_version=SCHEMA_VERSION,
        svg={
            "reliability": _svg.reliability_diagram(card),
            "corp": _svg.corp_diagram(card),
            "sharpness": _svg.sharpness_histogram(card),
            "murphy": _top_pair_diagram(comparison),
        },
        top_pair=comparison.head_to_head[0] if comparison and comparison.head_to_head else None,
    )
    return page.encode("utf-8")


def _top_pair_diagram(comparison: Comparison | None) -> Markup | None:
    """The Murphy diagram of the pair sharing the most questions, if any pair shares one."""
    if comparison is None or not comparison.head_to_head:
        return None
    return _svg.head_to_head_diagram(comparison.head_to_head[0])


# --- CSV ---------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Neutralise a text cell a spreadsheet would run as a formula (OWASP: prefix a quote).
    Numbers are written as numbers: a negative skill score stays a number."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_cell(value: object, digits: int | None) -> object:
    """A cell as the report shows it: floats rounded to their column's decimals (no float
    noise such as 0.43249999999999994), text formula-safe, nothing for a missing value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return fmt(value, digits)
    return csv_safe(value)


def write_csv_table(writer: CsvWriter, table: Table, *, title_row: bool) -> None:
    if title_row:
        writer.writerow([csv_safe(table.title)])
    writer.writerow([csv_safe(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(v, c.digits) for v, c in zip(row, table.columns, strict=True)])


def csv_table(table: Table) -> bytes:
    """One table as a CSV file: a header row, then the rows."""
    out = io.StringIO()
    write_csv_table(csv.writer(out, lineterminator="\n"), table, title_row=False)
    return out.getvalue().encode("utf-8")


def table_names(tables: list[Table]) -> list[str]:
    return [t.key for t in tables]


def pick_table(tables: list[Table], name: str) -> Table:
    """The table called ``name``; an unknown name is a :class:`ReportError` listing them."""
    for table in tables:
        if table.key == name:
            return table
    known = ", ".join(table_names(tables))
    raise ReportError(f"unknown table {name!r} (--table); use one of: {known}")


def render_csv(
    card: Scorecard,
    resolver: ResolverStats | None = None,
    comparison: Comparison | None = None,
) -> bytes:
    """A zip archive holding one CSV file per table (``<table>.csv``, in report order) and a
    README.txt naming each file's table."""
    tables = all_tables(card, resolver, comparison)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        index = [f"{_title(card)}. {_meta(card)}", ""]
        for number, table in enumerate(tables, 1):
            name = f"{number:02d}-{table.key}.csv"
            archive.writestr(name, csv_table(table))
            index.append(f"{name}: {table.title}" + (f" ({table.note})" if table.note else ""))
        archive.writestr("README.txt", "\n".join(index) + "\n")
    return out.getvalue()


def render_json(
    card: Scorecard,
    resolver: ResolverStats | None = None,
    comparison: Comparison | None = None,
) -> bytes:
    data = card.to_json()
    data["summary"] = plain_summary(card).to_json()
    if resolver is not None:
        data["resolver"] = resolver.to_json()
    if comparison is not None:
        data["comparison"] = comparison.to_json(per_forecast=False)
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


# --- Markdown ----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~])")


def md_text(value: str) -> str:
    """Untrusted text made inert in Markdown: HTML escaped, Markdown punctuation backslashed,
    line breaks flattened (they would end the table row)."""
    flat = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def render_markdown(
    card: Scorecard,
    resolver: ResolverStats | None = None,
    comparison: Comparison | None = None,
) -> bytes:
    lines = [
        f"# {md_text(_title(card))}",
        "",
        f"Generated {card.generated_at.strftime('%Y-%m-%d %H:%M UTC')}, "
        f"as of {card.filters.day().isoformat()}, "
        f"{md_text(_scope(card))}; probabilities "
        + (
            f"re-read under the {md_text(card.scale_used)} scale."
            if card.scale_used
            else "as recorded."
        ),
        "",
        "## Summary",
        "",
    ]
    for sentence in plain_summary(card).sentences():
        lines += [md_text(sentence), ""]
    lines += ["## Glossary", ""]
    lines += [f"- **{md_text(term)}**: {md_text(meaning)}" for term, meaning in GLOSSARY]
    lines.append("")
    for table in all_tables(card, resolver, comparison):
        lines += [f"## {md_text(table.title)}", ""]
        if table.rows:
            lines.append("| " + " | ".join(md_text(c.label) for c in table.columns) + " |")
            lines.append(
                "|"
                + "|".join("---:" if c.digits is not None else "---" for c in table.columns)
                + "|"
            )
            for row in table.rows:
                cells = [
                    fmt(v, c.digits) if not isinstance(v, str) else md_text(v)
                    for v, c in zip(row, table.columns, strict=True)
                ]
                lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append("Nothing to show.")
        if table.note:
            lines += ["", md_text(table.note)]
        lines.append("")
    return "\n".join(lines).encode("utf-8")


def render_pdf(
    card: Scorecard,
    resolver: ResolverStats | None = None,
    comparison: Comparison | None = None,
) -> bytes:
    """Summary, figures, glossary and tables, laid out for print (:mod:`._pdf`)."""
    from tracker.reports._pdf import render_pdf as pdf

    tables = all_tables(card, resolver, comparison)
    return pdf(card, tables, render_png(card), _title(card), _meta(card))


def render_png(card: Scorecard) -> bytes:
    from tracker.reports._png import render_png as png

    return png(card)


_RENDERERS: dict[
    ReportFormat, Callable[[Scorecard, ResolverStats | None, Comparison | None], bytes]
] = {
    ReportFormat.html: render_html,
    ReportFormat.csv: render_csv,
    ReportFormat.json: render_json,
    ReportFormat.md: render_markdown,
    ReportFormat.pdf: render_pdf,
}
