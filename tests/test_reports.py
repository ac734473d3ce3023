"""Calibration reports: opened in a real browser, safe with hostile text, and on synthetic data."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from datetime import date

import numpy as np
import pytest

from tests.conftest import ARTICLE_FILE
from tests.report_files import csv_files
from tests.test_scorecard import AS_OF, OUTCOMES
from tracker.domain.scale import EstimativeScale
from tracker.reports import csv_safe, md_text, render_report
from tracker.scoring import ScorecardFilter, ScoringData, score_data

HOSTILE_AUTHOR = '=HYPERLINK("http://127.0.0.1/x","y") <script>alert(1)</script>'


def test_html_report_renders_in_chromium(cli, tmp_path, browser):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    for forecast_id, outcome in OUTCOMES.items():
        cli(
            "resolve-manually",
            forecast_id,
            "--outcome",
            outcome,
            "--note",
            "by hand",
            "--by",
            "ana",
        )
    report = tmp_path / "calibration.html"
    cli("report", "calibration", "--format", "html", "--out", report, "--as-of", AS_OF)
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri())
    assert page.title() == "Calibration report"
    for figure in ("#reliability-diagram svg", "#corp-diagram svg", "#sharpness-histogram svg"):
        svg = page.locator(figure)
        assert svg.is_visible()
        box = svg.bounding_box()
        assert box["width"] >= 300 and box["height"] >= 300
    # binned diagram: one point per non-empty bin, each with its count and Wilson bar
    filled = sum(
        1
        for row in json.loads(cli("scorecard", "--format", "json", "--as-of", AS_OF).stdout)[
            "calibration"
        ]
        if row["count"]
    )
    assert page.locator("#reliability-diagram g.bin circle").count() == filled
    assert page.locator("#reliability-diagram line.wilson").count() == filled
    assert page.locator("#reliability-diagram text.count").first.text_content().startswith("n=")
    assert page.locator("#corp-diagram polygon.band").is_visible()
    assert page.locator("#corp-diagram polyline.corp").is_visible()
    assert page.locator("table.calibration tbody tr").count() == 10
    assert page.locator("table.sensitivity tbody tr").count() == 6
    assert page.get_by_text("Brier (0–2, Tetlock)").first.is_visible()
    assert errors == []


def _hostile_file(tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(
        textwrap.dedent(f"""\
        source:
          title: "@SUM(1+1) <b>bold</b>"
          author: '{HOSTILE_AUTHOR}'
        forecasts:
          - id: hostile-one
            question: Will it happen?
            quote: "It is likely <img src=x onerror=alert(1)>."
            estimate: likely
            opens: 2020-01-01
            closes: 2020-06-30
            tags: ["-2+3", "[link](http://127.0.0.1)"]
            resolution: manual
          - id: hostile-two
            question: Will it not happen?
            quote: "It is unlikely."
            estimate: unlikely
            opens: 2020-01-01
            closes: 2020-06-30
            tags: [plain]
            resolution: manual
        """),
        encoding="utf-8",
    )
    return path


def test_hostile_text_is_inert_in_every_format(cli, tmp_path):
    cli("init")
    cli("forecasts", "import", _hostile_file(tmp_path))
    cli("resolve-manually", "hostile-one", "--outcome", "yes", "--note", "n", "--by", "ana")
    cli("resolve-manually", "hostile-two", "--outcome", "no", "--note", "n", "--by", "ana")
    out = {}
    for fmt in ("html", "csv", "md"):
        path = tmp_path / f"r.{fmt}"
        cli("report", "calibration", "--format", fmt, "--out", path, "--as-of", AS_OF)
        out[fmt] = path.read_bytes()
    zipped = out.pop("csv")
    out = {fmt: data.decode("utf-8") for fmt, data in out.items()}
    assert "<script>" not in out["html"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in out["html"]
    cells = [cell for rows in csv_files(zipped).values() for row in rows for cell in row]
    assert "'" + HOSTILE_AUTHOR in cells and HOSTILE_AUTHOR not in cells
    assert "'-2+3" in cells
    assert not [
        c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _is_number(c))
    ]
    assert "<script>" not in out["md"] and "\\[link\\]" in out["md"]
    scorecard_csv = cli("scorecard", "--format", "csv", "--by", "author", "--as-of", AS_OF).stdout
    assert list(csv.reader(io.StringIO(scorecard_csv)))[1][0] == "'" + HOSTILE_AUTHOR


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_csv_safe_and_md_text():
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("+1") == "'+1" and csv_safe("@x") == "'@x"
    assert csv_safe("-x") == "'-x" and csv_safe("\tx") == "'\tx" and csv_safe("plain") == "plain"
    assert csv_safe(-0.25) == -0.25  # a negative skill score stays a number
    assert md_text("a|b <i>\n*c*") == "a\\|b &lt;i&gt; \\*c\\*"


def _synthetic(n: int, seed: int = 3) -> ScoringData:
    rng = np.random.default_rng(seed)
    terms = ["almost certain", "likely", "could", "unlikely", "remote", "currently planning"]
    term_codes = rng.integers(0, len(terms), n)
    p = np.array([0.95, 0.7, 0.3, 0.2, 0.05, 0.9])[term_codes]
    y = (rng.random(n) < np.clip(p + rng.normal(0, 0.1, n), 0, 1)).astype(float)
    days = np.full(n, date(2020, 1, 1).toordinal())
    tag_forecast = np.repeat(np.arange(n), 2)
    return ScoringData(
        ids=[f"f{i}" for i in range(n)],
        p=p,
        y=y,
        opens=days,
        closes=days + 100,
        resolved=days + 120,
        from_scale=np.ones(n, bool),
        term_codes=term_codes,
        terms=terms,
        source_codes=rng.integers(0, 40, n),
        sources=[f"source-{i}" for i in range(40)],
        author_codes=rng.integers(0, 12, n),
        authors=[f"Author {i}" for i in range(12)],
        tag_forecast=tag_forecast,
        tag_codes=rng.integers(0, 8, 2 * n),
        tags=[f"tag{i}" for i in range(8)],
    )


def test_synthetic_scorecard_and_reports():
    data = _synthetic(20_000)
    card = score_data(
        data, ScorecardFilter(as_of=date(2026, 1, 1), resamples=200), EstimativeScale.builtin()
    )
    assert (
        card.summary.count == 20_000
        and abs(card.murphy.residual()) < 1e-12
        and abs(card.corp.residual()) < 1e-12
    )
    assert (
        len(card.breakdowns["author"]) == 12
        and sum(r.count for r in card.breakdowns["tag"]) == 40_000
    )
    kent = next(r for r in card.sensitivity if r.scale == "kent")
    assert kent.re_read == int(
        np.isin(data.term_codes, [0, 1, 3]).sum()
    )  # Kent lacks could/remote/planning
    for fmt in ("html", "csv", "json", "png", "md"):
        assert len(render_report(card, fmt)) > 1000
    shape = json.loads(render_report(card, "json"))
    assert set(shape) == {
        "schema_version",
        "generated_at",
        "filters",
        "scale",
        "counts",
        "scores",
        "murphy",
        "corp",
        "calibration",
        "terms",
        "breakdowns",
        "sensitivity",
        "sharpness",
        "worst",
        "summary",
    }


def test_unknown_report_format():
    card = score_data(
        _synthetic(50),
        ScorecardFilter(as_of=date(2026, 1, 1), resamples=10),
        EstimativeScale.builtin(),
    )
    with pytest.raises(
        Exception, match="unknown report format 'docx'; use one of: html, csv, json, png, md, pdf"
    ):
        render_report(card, "docx")
