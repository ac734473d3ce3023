"""Reading the report files in tests: the CSV report's zip."""

from __future__ import annotations

import csv
import io
import zipfile


def csv_files(data: bytes) -> dict[str, list[list[str]]]:
    """The CSV report's tables by key (``03-murphy.csv`` -> ``murphy``), header row first."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name[3:-4]: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
            if name.endswith(".csv")
        }
