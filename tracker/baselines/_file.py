"""Reading a baseline file (CSV or JSON), checked whole against the question catalogue.

A row is one outside forecaster's probability on one question on one day:

    question,date,probability,source,url,kind
    nato-moratorium,2022-01-21,0.12,Metaculus community,https://www.metaculus.com/...,crowd

``question``, ``date`` (``YYYY-MM-DD``), ``probability`` (0 to 1) and ``source`` (the
baseline's name) are required; ``url`` and ``kind`` (``market`` or ``crowd``) are optional.  A
JSON file is a list of objects with the same keys.

The file is untrusted: it is read at most :data:`MAX_FILE_BYTES` and :data:`MAX_ROWS` rows, its
text is only ever stored as text (a cell such as ``=HYPERLINK(...)`` is refused, never
evaluated; names with markup or control characters are refused), and every problem of every
row is collected before anything is refused, so one run lists them all
(:class:`~tracker.errors.BaselineFileError`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import NoReturn

from tracker.errors import BaselineFileError, BaselineFileProblem

#: the largest baseline file read, and the most rows it may hold
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
MAX_NAME = 100
MAX_URL = 2000
REQUIRED = ("question", "date", "probability", "source")
OPTIONAL = ("url", "kind")
KINDS = ("market", "crowd")
#: what a spreadsheet would read as a formula at the start of a cell
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: question id -> (opens, closes): the window a baseline's dates must fall in
Catalogue = Mapping[str, tuple[date, date]]
#: adds a problem of one row: (field, message)
_Problem = Callable[[str, str], None]


@dataclass(frozen=True)
class BaselineRow:
    """One checked row: ``source`` is the baseline's name; ``kind`` is ``market``, ``crowd`` or
    None (the file did not say)."""

    source: str
    question_id: str
    day: date
    probability: float
    url: str | None
    kind: str | None
    line: int | None = None
    item: int | None = None


def read_baseline_file(path: Path, catalogue: Catalogue) -> list[BaselineRow]:
    """Every row of a ``.csv`` or ``.json`` baseline file, or one
    :class:`~tracker.errors.BaselineFileError` listing every problem found."""
    data = _read_capped(path)
    return parse_baseline_data(data, str(path), path.suffix.lower(), catalogue)


def parse_baseline_data(
    data: bytes, origin: str, suffix: str, catalogue: Catalogue
) -> list[BaselineRow]:
    """The rows of a baseline file's bytes; ``suffix`` (``.csv`` or ``.json``) says which
    format, ``origin`` names the file in every problem."""
    if len(data) > MAX_FILE_BYTES:
        _refuse(origin, f"the file is larger than {MAX_FILE_BYTES:,} bytes; split it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _refuse(origin, f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8")
    checker = _Checker(origin, catalogue)
    if suffix == ".csv":
        records = _csv_records(text, checker)
    elif suffix == ".json":
        records = _json_records(text, checker)
    else:
        _refuse(origin, f"{suffix or 'no extension'!r} is not a baseline file; use .csv or .json")
    rows = [row for row in (checker.row(record) for record in records) if row is not None]
    if checker.problems:
        raise BaselineFileError(origin, checker.problems)
    if not rows:
        _refuse(origin, "the file holds no rows; nothing to import")
    return rows


def _read_capped(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return _refuse(str(path), f"cannot read it ({exc.strerror or exc})")


def _refuse(origin: str, message: str) -> NoReturn:
    raise BaselineFileError(origin, [BaselineFileProblem(origin, message)])


@dataclass(frozen=True)
class _Record:
    """One row as the file gave it: its values by column, and where it is."""

    values: Mapping[str, object]
    line: int | None = None
    item: int | None = None


def _csv_records(text: str, checker: _Checker) -> Iterator[_Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\0extra")
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        checker.add(f"the header cannot be read as CSV: {exc}", line=1)
        return
    if not checker.columns([str(name).strip() for name in header], line=1):
        return
    count = 0
    try:
        for values in reader:
            count += 1
            if count > MAX_ROWS:
                checker.add(f"more than {MAX_ROWS:,} rows; split the file")
                return
            cleaned = {str(k).strip(): v for k, v in values.items() if k != "\0extra"}
            if "\0extra" in values:
                checker.add("more cells than columns", line=reader.line_num)
                continue
            yield _Record(cleaned, line=reader.line_num)
    except csv.Error as exc:
        checker.add(f"not valid CSV: {exc}", line=reader.line_num)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _json_records(text: str, checker: _Checker) -> Iterator[_Record]:
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        checker.add(f"not valid JSON: {exc}")
        return
    if not isinstance(document, list):
        checker.add("the file must be a JSON list of objects (one per row)")
        return
    if len(document) > MAX_ROWS:
        checker.add(f"more than {MAX_ROWS:,} rows; split the file")
        return
    for index, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            checker.add("each item must be an object with question, date, ...", item=index)
        elif checker.columns(list(item), item=index):
            yield _Record(item, item=index)


class _Checker:
    """Collects the problems of one file while its rows are checked."""

    def __init__(self, origin: str, catalogue: Catalogue) -> None:
        self.origin = origin
        self.catalogue = catalogue
        self.problems: list[BaselineFileProblem] = []
        self._seen: dict[tuple[str, str, date], str] = {}
        self._guesses: dict[str, str] = {}

    def add(
        self, message: str, *, line: int | None = None, item: int | None = None, field: str = ""
    ) -> None:
        self.problems.append(
            BaselineFileProblem(self.origin, message, line=line, field=field or None, item=item)
        )

    def columns(
        self, names: list[str], *, line: int | None = None, item: int | None = None
    ) -> bool:
        """Whether the columns (or an object's keys) are the known ones, each problem added."""
        known = (*REQUIRED, *OPTIONAL)
        fine = True
        for name in sorted({name for name in names if names.count(name) > 1}):
            self.add(f"the column {name!r} appears twice", line=line, item=item, field=name)
            fine = False
        for name in names:
            if name not in known:
                guess = get_close_matches(name, known, n=1)
                hint = f" (did you mean {guess[0]!r}?)" if guess else ""
                self.add(f"unknown column {name!r}{hint}; columns: {', '.join(known)}",
                         line=line, item=item, field=name)  # fmt: skip
                fine = False
        for name in REQUIRED:
            if name not in names:
                self.add(f"the column {name!r} is missing", line=line, item=item, field=name)
                fine = False
        return fine

    def row(self, record: _Record) -> BaselineRow | None:
        """The checked row, or None with its problems added."""
        before = len(self.problems)
        values = record.values

        def problem(field: str, message: str) -> None:
            self.add(message, line=record.line, item=record.item, field=field)

        source = _name(values.get("source"), problem)
        question_id = self._question(values.get("question"), problem)
        day = _day(values.get("date"), problem)
        probability = _probability(values.get("probability"), problem)
        url = _url(values.get("url"), problem)
        kind = _kind(values.get("kind"), problem)
        if question_id is not None and day is not None:
            opens, closes = self.catalogue[question_id]
            if not opens <= day <= closes:
                problem("date", f"{day} is outside question {question_id!r}'s window "
                        f"({opens} to {closes}); give a date in it or drop the row")  # fmt: skip
        where = f"line {record.line}" if record.line else f"item {record.item}"
        if source is not None and question_id is not None and day is not None:
            first = self._seen.setdefault((source, question_id, day), where)
            if first != where:
                problem("date", f"a second row for {source!r} on {question_id!r} on {day} "
                        f"(the first is {first}); keep one")  # fmt: skip
        if len(self.problems) > before:
            return None
        assert source and question_id and day and probability is not None
        return BaselineRow(
            source, question_id, day, probability, url, kind, line=record.line, item=record.item
        )

    def _question(self, value: object, problem: _Problem) -> str | None:
        text = _text(value)
        if not text:
            problem("question", "the question id is empty")
            return None
        if text in self.catalogue:
            return text
        if text not in self._guesses:
            guess = get_close_matches(text[:200], list(self.catalogue), n=1)
            self._guesses[text] = f" (did you mean {guess[0]!r}?)" if guess else ""
        problem("question", f"no question {text[:200]!r}{self._guesses[text]}; "
                "import its forecast or question file first, or fix the id")  # fmt: skip
        return None


def _text(value: object) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _name(value: object, problem: _Problem) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problem("source", "give the source as text: the baseline's name, e.g. Manifold")
        return None
    name = value.strip()
    if len(name) > MAX_NAME:
        problem("source", f"the name is longer than {MAX_NAME} characters")
    elif name.startswith(_FORMULA_START):
        problem("source", f"{name[:40]!r} starts like a spreadsheet formula; "
                "write the name without its leading sign")  # fmt: skip
    elif any(ch in name for ch in "<>") or any(ord(ch) < 32 for ch in name):
        problem("source", "the name holds markup (< or >) or control characters; "
                "write it as plain text")  # fmt: skip
    else:
        return name
    return None


def _day(value: object, problem: _Problem) -> date | None:
    text = _text(value)
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    problem("date", f"{text[:40]!r} is not a date; write it as YYYY-MM-DD")
    return None


def _probability(value: object, problem: _Problem) -> float | None:
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if not math.isfinite(number):
        problem("probability", f"{_text(value)[:40]!r} is not a number; "
                "write a probability from 0 to 1 (0.35 for 35 %)")  # fmt: skip
        return None
    if not 0 <= number <= 1:
        hint = f" (write {number / 100:g} for {number:g} %)" if 1 < number <= 100 else ""
        problem("probability", f"{number:g} is outside 0 to 1{hint}")
        return None
    return number


def _url(value: object, problem: _Problem) -> str | None:
    text = _text(value)
    if not text:
        return None
    if len(text) > MAX_URL or not text.lower().startswith(("http://", "https://")):
        problem("url", f"{text[:60]!r} is not an http(s) URL of at most {MAX_URL} characters")
        return None
    if any(ch.isspace() or ord(ch) < 32 or ch in "<>\"'" for ch in text):
        problem("url", f"{text[:60]!r} holds spaces, quotes or markup; give the plain link")
        return None
    return text


def _kind(value: object, problem: _Problem) -> str | None:
    text = _text(value).lower()
    if not text:
        return None
    if text not in KINDS:
        problem("kind", f"{text[:40]!r} is not a kind; write market or crowd (or leave it empty)")
        return None
    return text
