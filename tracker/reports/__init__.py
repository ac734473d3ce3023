"""Calibration reports of a :class:`~tracker.scoring.Scorecard`.

    data = render_report(card, "html")   # or csv, json, png, md
    data = render_report(card, "html", resolver=resolver_stats(session))  # with the resolver section

HTML is one self-contained file (inline SVG diagrams, no script, autoescaped Jinja2
template); CSV neutralises formula-like text cells; JSON is ``Scorecard.to_json()``
(documented in docs/scorecard-json.md); PNG is drawn by matplotlib's Agg backend.
The inline SVG diagrams (:func:`reliability_diagram`, :func:`corp_diagram`,
:func:`sharpness_histogram`) are also what the web app's scorecard page shows: one implementation.
"""

from tracker.reports._render import ReportFormat, csv_safe, md_text, render_report, write_csv_table
from tracker.reports._svg import corp_diagram, reliability_diagram, sharpness_histogram
from tracker.reports._tables import Table, all_tables, breakdown_table, resolver_tables

__all__ = [
    "ReportFormat",
    "Table",
    "all_tables",
    "breakdown_table",
    "corp_diagram",
    "csv_safe",
    "md_text",
    "reliability_diagram",
    "render_report",
    "resolver_tables",
    "sharpness_histogram",
    "write_csv_table",
]
