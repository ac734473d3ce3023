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
    ReportFormat.csv: "text/csv; charset=utf-8",
    ReportFormat.json: "application/json",
    ReportFormat.png: "image/png",
    ReportFormat.md: "text/markdown; charset=utf-8",
}
#: what each format holds, for the exports page
DESCRIPTIONS: dict[ReportFormat, str] = {
    ReportFormat.html: (
        "one self-contained page: diagrams and every table (opens offline, no script)"
    ),
    ReportFormat.csv: "every table in turn, for a spreadsheet (formula-safe)",
    ReportFormat.json: "the full scorecard, versioned shape (docs/scorecard-json.md)",
    ReportFormat.png: "the diagrams as one image",
    ReportFormat.md: "the tables in Markdown",
}
_UNSAFE = re.compile(r"[^a-z0-9]+")


def file_name(card: Scorecard, fmt: ReportFormat) -> str:
    """``calibration-<scope>-<day>.<ext>``, ASCII letters, digits and dashes only."""
    f = card.filters
    scope = [_UNSAFE.sub("-", v.lower()).strip("-")[:40] for v in (f.author, f.source, f.tag) if v]
    if f.resolved_between:
        scope.append("resolved-" + "-to-".join(d.isoformat() for d in f.resolved_between))
    parts = ["calibration", *(s for s in scope if s), f.day().isoformat()]
    return "-".join(parts) + f".{fmt.value}"


def report_response(card: Scorecard, fmt: ReportFormat, data: bytes) -> Response:
    """``data`` (the report of ``card`` in ``fmt``) as a download."""
    disposition = f'attachment; filename="{file_name(card, fmt)}"'
    return Response(data, headers={"Content-Disposition": disposition}, media_type=MEDIA_TYPES[fmt])
