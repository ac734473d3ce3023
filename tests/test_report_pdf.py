"""The PDF report of the seed's forecasts, opened with pypdf: the summary and the author are in
its text, every page has the header, the figures are embedded, no heading ends a page."""

from __future__ import annotations

import json
import re

import pypdf

from tests.conftest import ARTICLE_FILE
from tests.test_scorecard import AS_OF, OUTCOMES
from tracker.reports import GLOSSARY


def _squeeze(text: str) -> str:
    """Text without whitespace: line breaks fall where the PDF's lines end."""
    return re.sub(r"\s+", "", text)


def test_seed_report_as_pdf(cli, tmp_path):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    for forecast_id, outcome in OUTCOMES.items():
        cli("resolve-manually", forecast_id, "--outcome", outcome, "--note", "n", "--by", "ana")
    args = ["report", "calibration", "--author", "Trenin", "--as-of", AS_OF, "--out"]
    pdf_file, json_file, md_file = tmp_path / "r.pdf", tmp_path / "r.json", tmp_path / "r.md"
    assert "Wrote" in cli(*args, pdf_file, "--format", "pdf").output
    cli(*args, json_file, "--format", "json")
    cli(*args, md_file, "--format", "md")
    summary = json.loads(json_file.read_text(encoding="utf-8"))["summary"]

    reader = pypdf.PdfReader(pdf_file)
    pages = [page.extract_text() for page in reader.pages]
    assert 4 <= len(pages) <= 15
    whole = _squeeze("\n".join(pages))
    assert summary["count"] == 19
    assert summary["text"][0].startswith("Forecasts by Dmitri Trenin: 19 forecasts scored")
    for sentence in summary["text"]:
        assert _squeeze(sentence) in whole
    assert _squeeze(summary["verdict"]) in _squeeze(pages[0])  # the summary opens the report
    assert "Dmitri Trenin" in "\n".join(pages)  # the costliest forecasts' author
    for number, text in enumerate(pages, 1):
        assert text.startswith(f"Calibration report · Dmitri Trenin · as of {AS_OF}")
        assert f"page {number} of {len(pages)}" in text
    assert len(reader.pages[1].images) == 1 and "Figures" in pages[1]
    headings = {
        line[3:].replace("\\", "")
        for line in md_file.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }
    assert "Glossary" in headings and "Costliest forecasts" in headings
    terms = {term for term, _ in GLOSSARY}
    for text in pages:
        content = [line for line in text.splitlines() if not line.startswith("page ")]
        assert content[-1].strip() not in headings, f"a heading ends a page: {content[-1]}"
        assert content[-1].strip() not in terms, f"a term ends a page: {content[-1]}"
    # table headings wrap between words, never inside one ("sampl e size", "outco me")
    text = "\n".join(pages)
    words = set(text.split())
    assert {"sample", "outcome", "time-weighted", "resolution"} <= words
    assert not words & {"sampl", "outco", "time-weighte", "resolutio"}  # cut in narrow columns
