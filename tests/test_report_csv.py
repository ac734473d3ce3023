"""The CSV report: one file per table in a zip, values as the report shows them, one table
with --table."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from tests.conftest import ARTICLE_FILE
from tests.report_files import csv_files
from tests.test_report_summary import _card, _data
from tests.test_scorecard import AS_OF, OUTCOMES
from tracker.reports import all_tables, render_report

#: more decimals than any column of the report shows: float noise
_NOISE = re.compile(r"\d\.\d{7,}")


def _overconfident():
    return _card(_data([0.8] * 20 + [0.1] * 20, [1] * 8 + [0] * 12 + [1] * 2 + [0] * 18), "Ann")


def test_one_file_per_table_in_report_order_values_as_shown():
    card = _overconfident()
    data = render_report(card, "csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        index = archive.read("README.txt").decode()
    tables = all_tables(card)
    assert names == [f"{i:02d}-{t.key}.csv" for i, t in enumerate(tables, 1)] + ["README.txt"]
    assert "02-calibration.csv: Calibration by probability bin" in index
    files = csv_files(data)
    assert files["calibration"][0][:2] == ["bin", "count"]
    cells = [cell for rows in files.values() for row in rows for cell in row]
    assert not [c for c in cells if _NOISE.search(c)]
    brier = next(row for row in files["summary"] if row[0] == "Brier (0–1)")
    assert brier[1] == "0.2450"  # 4 decimals, as the report shows it
    murphy = {row[0]: row[1] for row in files["murphy"][1:]}
    assert re.fullmatch(r"0\.\d{6}", murphy["Reliability (REL)"])


def test_one_named_table_and_an_unknown_name(cli, tmp_path):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    for forecast_id, outcome in OUTCOMES.items():
        cli("resolve-manually", forecast_id, "--outcome", outcome, "--note", "n", "--by", "ana")
    out = tmp_path / "bins.csv"
    args = ["report", "calibration", "--format", "csv", "--as-of", AS_OF, "--out"]
    result = cli(*args, out, "--table", "calibration")
    assert "1 table(s)" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == [
        "bin",
        "count",
        "mean forecast",
        "observed frequency",
        "Wilson 95% low",
        "Wilson 95% high",
    ]
    assert sum(int(r[1]) for r in rows[1:]) == 19
    bad = cli(*args, tmp_path / "x.csv", "--table", "bins", ok=False)
    assert bad.exit_code != 0
    assert "unknown table 'bins' (--table); use one of: summary, calibration, murphy" in " ".join(
        bad.output.split()
    )
    assert not (tmp_path / "x.csv").exists()
    zipped = tmp_path / "report.zip"
    cli(*args, zipped)
    assert set(csv_files(zipped.read_bytes())) >= {"summary", "worst", "by_author"}
