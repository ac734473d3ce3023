"""Calibration report downloads: one function turns a report into a file response.

The bytes come from :func:`tracker.service.report` (the same files `tracker report calibration`
writes); here they get their media type and a ``Content-Disposition: attachment`` with a file
name made only of safe characters (the filter values are untrusted text)."""

from __future__ import annotations

import re

from fastapi.responses import Response

from tracker.reports import ReportFormat
from tracker.scoring import Scorecard

MEDIA_TYPES: dict[ReportFormat, str] = {
    ReportFormat.html: "text/html; charset=utf-8",
    ReportFormat.csv: "application/zip",
    ReportFormat.json: "application/json",
    ReportFormat.png: "image/png",
    ReportFormat.md: "text/markdown; charset=utf-8",
    ReportFormat.pdf: "application/pdf",
}
#: the media type of one table of the CSV report (``table=``)
CSV_TABLE_TYPE = "text/csv; charset=utf-8"
#: what each format holds, for the exports page
DESCRIPTIONS: dict[ReportFormat, str] = {
    ReportFormat.html: (
        "one self-contained page: diagrams and every table (opens offline, no script)"
    ),
    ReportFormat.csv: (
        "a zip of one CSV file per table, for a spreadsheet (values as shown, formula-safe); "
        "one table: add &table=NAME to the link"
    ),
    ReportFormat.json: "the full scorecard, versioned shape (docs/scorecard-json.md)",
    ReportFormat.png: "the diagrams as one image",
    ReportFormat.md: "the tables in Markdown",
    ReportFormat.pdf: (
        "for print or e-mail: summary, figures, glossary and tables, a header on every page"
    ),
}
_UNSAFE = re.compile(r"[^a-z0-9]+")


def file_name(card: Scorecard, fmt: ReportFormat, table: str | None = None) -> str:
    """``calibration-<scope>-<day>.<ext>``, ASCII letters, digits and dashes only; the CSV
    report is a ``.zip``, one of its tables ``-<table>.csv``."""
    f = card.filters
    scope = [_UNSAFE.sub("-", v.lower()).strip("-")[:40] for v in (f.author, f.source, f.tag) if v]
    if f.resolved_between:
        scope.append("resolved-" + "-to-".join(d.isoformat() for d in f.resolved_between))
    parts = ["calibration", *(s for s in scope if s), f.day().isoformat()]
    if table is not None:
        return "-".join([*parts, _UNSAFE.sub("-", table.lower()).strip("-")]) + ".csv"
    return "-".join(parts) + (".zip" if fmt is ReportFormat.csv else f".{fmt.value}")


def report_response(
    card: Scorecard, fmt: ReportFormat, data: bytes, table: str | None = None
) -> Response:
    """``data`` (the report of ``card`` in ``fmt``, or its CSV ``table``) as a download."""
    disposition = f'attachment; filename="{file_name(card, fmt, table)}"'
    media_type = CSV_TABLE_TYPE if table is not None else MEDIA_TYPES[fmt]
    return Response(data, headers={"Content-Disposition": disposition}, media_type=media_type)
