"""Use cases on forecast files that need no database: checking them, and the blank template."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tracker.domain import forecast_files, registry
from tracker.domain.forecast_files import FileLimits, ForecastFile, QuestionFile
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastFileError, ForecastImportError
from tracker.settings import Settings


@dataclass(frozen=True)
class ForecastCheck:
    """What ``tracker forecasts check`` found: how many files and forecasts were read, and every
    problem (none when an import of the same files would be accepted, ids owned by another
    source in the database aside)."""

    files: int
    forecasts: int
    problems: list[ForecastFileError] = field(default_factory=list)
    #: questions defined in question files
    questions: int = 0


def file_limits(settings: Settings | None) -> FileLimits:
    """The sizes a forecast file and its source text may have, from the settings (the defaults
    without)."""
    if settings is None:
        return FileLimits()
    return FileLimits(
        file_bytes=settings.forecast_file_max_bytes, text_bytes=settings.source_text_max_bytes
    )


def check_forecasts(
    paths: Iterable[Path], scale: EstimativeScale, settings: Settings | None = None
) -> ForecastCheck:
    """Validate forecast files (or folders of them) as an import does, writing nothing; the
    ``settings`` give the size limits."""
    paths = list(paths)
    try:
        files = registry.load_files(paths, scale, file_limits(settings))
    except ForecastImportError as exc:
        return ForecastCheck(len(registry.expand_paths(paths)), 0, exc.problems)
    return ForecastCheck(
        len(files),
        sum(len(f.forecasts) for f in files if isinstance(f, ForecastFile)),
        questions=sum(len(f.questions) for f in files if isinstance(f, QuestionFile)),
    )


def forecast_template() -> str:
    """A blank forecast file with every field commented (``tracker forecasts new``)."""
    return forecast_files.forecast_template()
