"""Calibration reports of a :class:`~tracker.scoring.Scorecard`.

    data = render_report(card, "html")   # or csv, json, png, md
    data = render_report(card, "html", resolver=resolver_stats(session))  # with the resolver
    section
    data = render_report(card, "md", comparison=compare(scored, pairs=pairs))  # with a
    comparison section (several forecasters: peer and relative scores, head to head)

HTML is one self-contained file (inline SVG diagrams, no script, autoescaped Jinja2
template); CSV neutralises formula-like text cells; JSON is ``Scorecard.to_json()``
(documented in docs/scorecard-json.md); PNG is drawn by matplotlib's Agg backend.
The inline SVG diagrams (:func:`reliability_diagram`, :func:`corp_diagram`,
:func:`sharpness_histogram`) are also what the web app's scorecard page shows, and the
:class:`Table` builders what the CLI prints: one implementation of each.
"""

from tracker.reports._glossary import GLOSSARY
from tracker.reports._render import ReportFormat, csv_safe, md_text, render_report, write_csv_table
from tracker.reports._summary import PlainSummary, plain_summary, subject
from tracker.reports._svg import (
    corp_diagram,
    head_to_head_diagram,
    reliability_diagram,
    sharpness_histogram,
)
from tracker.reports._tables import (
    REPORT_PAIRS,
    Column,
    Table,
    all_tables,
    breakdown_table,
    comparison_tables,
    fmt,
    resolver_tables,
    sensitivity_table,
    summary_table,
)

__all__ = [
    "GLOSSARY",
    "REPORT_PAIRS",
    "Column",
    "PlainSummary",
    "ReportFormat",
    "Table",
    "all_tables",
    "breakdown_table",
    "comparison_tables",
    "corp_diagram",
    "csv_safe",
    "fmt",
    "head_to_head_diagram",
    "md_text",
    "plain_summary",
    "reliability_diagram",
    "render_report",
    "resolver_tables",
    "sensitivity_table",
    "sharpness_histogram",
    "subject",
    "summary_table",
    "write_csv_table",
]
