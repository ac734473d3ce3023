"""Importing a baseline file: all of it, or nothing.

The file is checked whole against the questions (:mod:`._file`), then against the stored
baselines: a file may not write into a baseline pulled from a market API (its next pull would
overwrite the file's values).  Only then is anything written; a day already stored takes the
file's value, other days are kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from tracker.baselines._file import BaselineRow, read_baseline_file
from tracker.baselines._store import (
    Written,
    file_baseline,
    find_baseline,
    question_catalogue,
    write_points,
)
from tracker.errors import BaselineFileError, BaselineFileProblem


@dataclass(frozen=True)
class BaselineImport:
    """What an import did: the baselines it wrote to (name, question, made new) and the days
    added, changed (a new value for a stored day) and already so."""

    path: str
    baselines: list[tuple[str, str, bool]]
    written: Written

    @property
    def created(self) -> int:
        return sum(1 for _name, _question, new in self.baselines if new)


def import_baseline_file(session: Session, path: Path, *, now: datetime) -> BaselineImport:
    """Every row of the file stored, or a :class:`~tracker.errors.BaselineFileError` listing
    every problem and nothing stored."""
    rows = read_baseline_file(path, question_catalogue(session))
    groups: dict[tuple[str, str], list[BaselineRow]] = defaultdict(list)
    for row in rows:
        groups[(row.source, row.question_id)].append(row)
    _refuse_pulled(session, str(path), groups)
    baselines = []
    written = Written()
    for (name, question_id), group in groups.items():
        kinds = {row.kind for row in group if row.kind}
        urls = [row.url for row in group if row.url]
        kind = kinds.pop() if len(kinds) == 1 else None
        baseline, new = file_baseline(session, name, question_id, kind, urls[-1] if urls else None)
        points = sorted((row.day, row.probability) for row in group)
        written += write_points(session, baseline.id or 0, points, now)
        baselines.append((name, question_id, new))
    return BaselineImport(str(path), baselines, written)


def _refuse_pulled(
    session: Session, origin: str, groups: dict[tuple[str, str], list[BaselineRow]]
) -> None:
    problems = []
    for (name, question_id), group in groups.items():
        stored = find_baseline(session, name, question_id)
        if stored is not None and stored.provider is not None:
            problems.append(
                BaselineFileProblem(
                    origin,
                    f"{name!r} on {question_id!r} is pulled from {stored.provider} (baseline "
                    f"{stored.id}); its pulls would overwrite the file: give the file's source "
                    "another name",
                    line=group[0].line,
                    item=group[0].item,
                    field="source",
                )
            )
    if problems:
        raise BaselineFileError(origin, problems)
