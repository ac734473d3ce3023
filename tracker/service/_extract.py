"""Use cases of extraction: a source (a text file, a web page, pasted text) -> a draft forecast
file, printed or written beside its source text (``tracker extract``; the web's "New source"
page drafts through :func:`extract_source` too).

A URL is fetched through the guarded page fetcher of article pages
(:func:`tracker.ingest.make_page_fetcher`: the SSRF guard, the size cap, robots.txt, trafilatura's
main text) and its metadata (title, author, date, site name, tags) fill what the caller did not
give.  Every refusal is an :class:`~tracker.errors.ExtractionError` naming the source, and
nothing is written: a draft is written only when it has candidates, never over another file, and
is checked by the forecast files' own validation before this returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracker.clock import today
from tracker.domain.forecast_files import check_forecast_text
from tracker.domain.scale import EstimativeScale
from tracker.errors import ExtractionError, ForecastImportError, PageError
from tracker.extract import (
    MAX_TEXT_CHARS,
    Draft,
    Extractor,
    ScaleExtractor,
    SourceMeta,
    check_text,
    draft_yaml,
)
from tracker.ingest import PageErrorKind, PageText, make_page_fetcher
from tracker.settings import Settings

Progress = Callable[[str], None]
#: a text file larger than this is refused unread (UTF-8 takes at most 4 bytes a character)
MAX_TEXT_FILE_BYTES = 4 * MAX_TEXT_CHARS
#: where a draft's source text goes, relative to the draft
SOURCES_FOLDER = "sources"
_PAGE_KINDS = {
    PageErrorKind.BINARY.value: "not_html",
    PageErrorKind.TOO_LARGE.value: "too_large",
    PageErrorKind.NO_ARTICLE.value: "no_article",
    PageErrorKind.TOO_LITTLE_TEXT.value: "no_article",
}


@dataclass(frozen=True)
class SavedDraft:
    """A draft written by :func:`save_draft`: the file, its source text, how many candidates."""

    path: Path
    text_path: Path
    candidates: int
    wrote_text: bool  # False when the source text was already there, the same


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def extract_source(
    settings: Settings,
    source: str | None = None,
    *,
    text: str | None = None,
    url: str | None = None,
    path: Path | None = None,
    meta: SourceMeta | None = None,
    scale: EstimativeScale | None = None,
    extractor: Extractor | None = None,
    progress: Progress | None = None,
) -> Draft:
    """The extractor's draft of one source: ``source`` (a URL or a file's path), or exactly one
    of ``text``, ``url``, ``path``.  ``meta`` gives what is known of the source; a page's own
    metadata fills the rest."""
    if source is not None:
        url, path = (source, None) if is_url(source) else (None, Path(source))
    given = [value for value in (text, url, path) if value is not None]
    if len(given) != 1:
        raise ExtractionError("source", "empty", "give exactly one of a text, a URL, a file")
    tell = progress or (lambda _: None)
    meta = meta or SourceMeta()
    if url is not None:
        page = fetch_page(settings, url, tell)
        text, meta = page.text, page_meta(page, meta)
    elif path is not None:
        tell(f"Reading {path}")
        text, meta = read_text_file(path), dataclasses.replace(meta, title=meta.title or path.stem)
    assert text is not None
    name = url or (str(path) if path else "the text")
    tell(f"Finding predictions in {len(text.split()):,} words")
    return extract_text(
        text, meta, source=name, scale=scale or _scale(settings), extractor=extractor
    )


def _scale(settings: Settings) -> EstimativeScale:
    return EstimativeScale.for_project(settings.scale_file)


def extract_text(
    text: str,
    meta: SourceMeta,
    *,
    scale: EstimativeScale,
    source: str = "the text",
    extractor: Extractor | None = None,
) -> Draft:
    """The draft of a text already in hand (checked first: not empty, not too long, English)."""
    check_text(text, source)
    chosen = extractor or ScaleExtractor(scale, today=today())
    opens = meta.published or today()
    return Draft(meta, text, chosen.extract(text, meta), chosen.name, opens=opens)


def read_text_file(path: Path) -> str:
    """A source text file: UTF-8 text of at most :data:`MAX_TEXT_FILE_BYTES`."""
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_FILE_BYTES:
            raise ExtractionError(
                str(path),
                "too_large",
                f"the file is {size:,} bytes, over the {MAX_TEXT_FILE_BYTES:,} the extractor "
                "reads; give one article, not a collection",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractionError(str(path), "unreadable", f"cannot read it ({exc.strerror})") from exc
    if b"\x00" in data[:4096]:
        raise ExtractionError(str(path), "not_text", "a binary file (a PDF, an image?), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            str(path), "not_text", f"not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc


def fetch_page(settings: Settings, url: str, tell: Progress) -> PageText:
    """The main text and metadata of the page at ``url`` (the guarded page fetcher)."""
    tell(f"Fetching {url}")
    with make_page_fetcher(settings) as pages:
        try:
            return pages.fetch(url)
        except PageError as error:
            kind = _PAGE_KINDS.get(error.kind, "fetch")
            raise ExtractionError(url, kind, _page_reason(kind, error)) from error


def _page_reason(kind: str, error: PageError) -> str:
    if kind == "not_html":
        return f"{error.message}: give the article's web page, or its text in a file"
    if kind == "no_article":
        return f"{error.message}; paste the article's text instead"
    return f"cannot fetch the page ({error.kind}: {error.message})"


def page_meta(page: PageText, given: SourceMeta) -> SourceMeta:
    """What the caller gave, and the page's own metadata where the caller gave nothing."""
    return SourceMeta(
        title=given.title or page.title,
        author=given.author or page.author,
        publisher=given.publisher or page.sitename,
        url=given.url or page.url,
        published=given.published or (page.published.date() if page.published else None),
        tags=given.tags or page.tags,
    )


def draft_file(draft: Draft, text_path: str | None = None) -> str:
    """The draft forecast file's text; ``text_path``: ``source.text``, relative to the file."""
    return draft_yaml(draft, text_path)


def save_draft(
    draft: Draft, out: Path, *, scale: EstimativeScale, overwrite: bool = False
) -> SavedDraft:
    """Validates the draft as the file it will be (quotes checked against its text), then writes
    it to ``out`` and its source text to ``sources/<name>.txt`` beside it (``source.text`` points
    there); on any problem nothing is written."""
    if not draft.candidates:
        raise ExtractionError(
            str(out),
            "no_predictions",
            "no sentence makes a prediction the extractor knows; nothing was written",
        )
    if out.exists() and not overwrite:
        raise ExtractionError(
            str(out), "exists", "the file exists; choose another --out, or --force to replace it"
        )
    text_path = out.parent / SOURCES_FOLDER / f"{out.stem}.txt"
    content = draft_file(draft, f"{SOURCES_FOLDER}/{text_path.name}")
    _, problems = check_forecast_text(content, draft.text, scale, name=str(out))
    if problems:
        raise ForecastImportError(problems)
    wrote_text = _write_text(text_path, draft.text)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(content, encoding="utf-8")
    except OSError as exc:
        _remove(text_path, wrote_text)
        raise ExtractionError(str(out), "unwritable", f"cannot write it ({exc.strerror})") from exc
    return SavedDraft(out, text_path, len(draft.candidates), wrote_text)


def _write_text(path: Path, text: str) -> bool:
    """Writes the source text unless the same text is there already; refuses another text."""
    if path.exists():
        try:
            same = path.read_text(encoding="utf-8-sig") == text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            raise ExtractionError(
                str(path), "exists", "another text is there; choose another --out name"
            )
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise ExtractionError(str(path), "unwritable", f"cannot write it ({exc.strerror})") from exc
    return True


def _remove(path: Path, ours: bool) -> None:
    if ours:
        path.unlink(missing_ok=True)
