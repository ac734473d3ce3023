"""Use cases of a new source: an article's candidates drafted for the analyst, and the forecasts
the analyst kept saved as a forecast file and imported, in one step (the web's "New source" page
and ``POST /api/sources``).

Saving is all or nothing.  The file is written by the draft writer
(:func:`tracker.extract.draft_yaml`) and checked before anything is written, by the import's
own validation (:func:`tracker.domain.forecast_files.check_forecast_text`: every problem at
once, a quote not in the text among them); the forecasts are imported in the caller's
transaction (which refuses ids of other sources); only then are the file and the text written
into the forecasts folder, each created exclusively (never over another file), and removed
again should the transaction roll back after all.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session, col, select

from tracker.clock import today as utc_today
from tracker.domain import registry
from tracker.domain.forecast_files import ForecastFile, check_forecast_text
from tracker.domain.registry import ImportReport
from tracker.domain.scale import EstimativeScale
from tracker.errors import (
    ConfigError,
    ConflictError,
    ForecastFileError,
    ForecastImportError,
    InvalidInputError,
)
from tracker.extract import Candidate, Draft, SourceMeta, check_text, draft_yaml
from tracker.models import Forecast, Source
from tracker.service._extract import extract_source
from tracker.settings import Settings

#: the most "-2", "-3", ... tried after a source's key before giving up
MAX_KEY_SUFFIX = 100


@dataclass(frozen=True)
class SavedSource:
    """A source saved from the web or the API: its key, where its file and text were written,
    and what the import did."""

    key: str
    file: Path
    text_file: Path
    report: ImportReport

    @property
    def forecast_ids(self) -> list[str]:
        return [*self.report.created, *self.report.updated, *self.report.unchanged]


def draft_source(
    session: Session,
    settings: Settings,
    scale: EstimativeScale,
    *,
    text: str | None = None,
    url: str | None = None,
    meta: SourceMeta,
) -> Draft:
    """The extractor's draft of an article: of ``text`` when it has any (``url`` is then only
    where it was published), else of the page at ``url``.  Each candidate's id is made free: one
    a stored forecast already has gets ``-2``, ``-3``... (the import would refuse it)."""
    if (text and text.strip()) or not url:
        meta = dataclasses.replace(meta, url=meta.url or url)
        draft = extract_source(settings, text=text or "", meta=meta, scale=scale)
    else:
        draft = extract_source(settings, url=url, meta=meta, scale=scale)
    ids = [c.id for c in draft.candidates]
    taken = set(session.exec(select(col(Forecast.id)).where(col(Forecast.id).in_(ids))).all())
    if taken:
        used = set(ids) | taken
        for candidate in draft.candidates:
            if candidate.id in taken:
                candidate.id = _free_id(candidate.id, used)
                used.add(candidate.id)
    return draft


def _free_id(base: str, used: set[str]) -> str:
    return next(f"{base}-{n}" for n in range(2, len(used) + 3) if f"{base}-{n}" not in used)


def save_source(
    session: Session,
    settings: Settings,
    scale: EstimativeScale,
    *,
    meta: SourceMeta,
    text: str,
    forecasts: Sequence[Candidate],
    actor: str,
    key: str | None = None,
    today: date | None = None,
) -> SavedSource:
    """Write ``<forecasts dir>/<key>.yaml`` (the source and ``forecasts`` as the analyst edited
    them) and ``<forecasts dir>/sources/<key>.txt`` (``text``), and import them, all or nothing.

    ``key`` defaults to the author's surname and the publication date (``trenin-2022-01-21``),
    followed by ``-2``, ``-3``... when a file or a source of that key exists; a ``key`` given
    and taken is refused.  Raises :class:`~tracker.errors.ForecastImportError` listing every
    problem of the forecasts (each named by forecast and field), with nothing written.
    """
    check_text(text, "the text")
    if not forecasts:
        raise InvalidInputError("forecasts", "none accepted; accept at least one candidate")
    folder = settings.resolved_forecasts_dir()
    key = _free_key(session, folder, key) if key else _new_key(session, folder, meta, today)
    path = folder / f"{key}.yaml"
    opens = meta.published or today or utc_today()
    draft = Draft(meta=meta, text=text, candidates=list(forecasts), opens=opens)
    content = draft_yaml(draft, text_path=f"sources/{key}.txt")
    checked = _checked(path, content, draft, scale)
    try:
        report = registry.import_files(
            session, [checked], today=today or utc_today(), actor=actor, scale=scale
        )
    except ForecastImportError as exc:
        raise _refused(exc.problems) from None
    written = _write_exclusively({path: content, folder / "sources" / f"{key}.txt": text})
    _remove_on_rollback(session, written)
    return SavedSource(key, written[0], written[1], report)


def _checked(path: Path, content: str, draft: Draft, scale: EstimativeScale) -> ForecastFile:
    """The file as `tracker forecasts check` reads it, with what the draft writer fills in for
    an analyst to correct (a missing title or author, a close before the opening) refused too."""
    checked, problems = check_forecast_text(content, draft.text, scale, name=str(path))
    problems = [*_not_drafted(path, draft), *problems]
    if problems or checked is None:
        raise _refused(problems)
    return checked


def _not_drafted(path: Path, draft: Draft) -> list[ForecastFileError]:
    """What a saved file must say that a draft may leave to the analyst: ``draft_yaml`` writes
    a placeholder title or author and moves a close before the opening to the opening day."""
    problems = [
        ForecastFileError(path, f"missing: give the article's {name}", field=f"source.{name}")
        for name in ("title", "author")
        if not getattr(draft.meta, name)
    ]
    opens = draft.opens or utc_today()
    problems += [
        ForecastFileError(
            path,
            f"closes {c.closes} is before opens {opens} (the article's date)",
            forecast_id=c.id,
            field="closes",
        )
        for c in draft.candidates
        if c.closes < opens
    ]
    return problems


def source_key(meta: SourceMeta, today: date | None = None) -> str:
    """The key a source is filed under: its (first) author's surname and its publication date
    (today when unknown), as a slug: ``Dmitri Trenin`` of 2022-01-21 -> ``trenin-2022-01-21``."""
    first_author = re.split(r",|&|\band\b", meta.author or "")[0].split()
    name = _slug(first_author[-1]) if first_author else ""
    day = meta.published or today or utc_today()
    return f"{name or _slug(meta.title or '') or 'source'}-{day.isoformat()}"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:60].strip("-")


def _taken(session: Session, folder: Path, key: str) -> bool:
    """Whether a forecast file or a stored source already has ``key`` (a source imported from
    elsewhere, the project's ``forecasts/`` for one, must not be overwritten by a new one)."""
    stored = session.exec(select(col(Source.id)).where(col(Source.key) == key)).first()
    return stored is not None or (folder / f"{key}.yaml").exists()


def _new_key(session: Session, folder: Path, meta: SourceMeta, today: date | None) -> str:
    base = source_key(meta, today)
    for candidate in [base, *(f"{base}-{n}" for n in range(2, MAX_KEY_SUFFIX + 1))]:
        if not _taken(session, folder, candidate):
            return candidate
    raise ConflictError("source", base, f"and {MAX_KEY_SUFFIX - 1} suffixed keys are taken")


def _free_key(session: Session, folder: Path, key: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", key):
        raise InvalidInputError(
            "key", f"{key!r} is not a slug (lowercase letters, digits and '-', e.g. trenin-2022)"
        )
    if _taken(session, folder, key):
        raise ConflictError("source", key, "choose another key, or leave it out to get a free one")
    return key


def _refused(problems: Sequence[ForecastFileError]) -> ForecastImportError:
    """The problems without their lines: they are lines of a file nobody has seen."""
    return ForecastImportError(
        [
            ForecastFileError(p.path, p.message, forecast_id=p.forecast_id, field=p.field)
            for p in problems
        ]
    )


def _write_exclusively(files: dict[Path, str]) -> list[Path]:
    """Create each file, refusing to replace one; all of them, or none."""
    written: list[Path] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as out:
                written.append(path)
                out.write(content)
    except FileExistsError as exc:
        _remove(written)
        raise ConflictError(
            "file", exc.filename, "another save took this key; save again"
        ) from None
    except OSError as exc:
        _remove(written)
        raise ConfigError(
            f"cannot write {exc.filename}: {exc.strerror}; check TRACKER_FORECASTS_DIR"
        ) from exc
    return written


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _remove_on_rollback(session: Session, paths: Sequence[Path]) -> None:
    """Files that belong to the session's transaction: removed if it rolls back instead of
    committing (a failed commit after the use case returned), kept once it commits."""
    committed = False

    def keep(_session: Session) -> None:
        nonlocal committed
        committed = True

    def remove(_session: Session) -> None:
        if not committed:
            _remove(paths)

    event.listen(session, "after_commit", keep, once=True)
    event.listen(session, "after_rollback", remove, once=True)
