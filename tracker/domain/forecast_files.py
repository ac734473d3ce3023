"""Forecast files (``forecasts/*.yaml``): reading and validating them, with line numbers.

Every problem becomes a :class:`~tracker.errors.ForecastFileError` naming the file,
the line, the forecast id and the field.  :func:`load_forecast_file` collects all the
problems of a file rather than stopping at the first, so a user fixes them in one pass.
Nothing here touches the database: see :mod:`tracker.domain.registry` for the import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastFileError

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


# --- YAML with line numbers -------------------------------------------------------------


class LineDict(dict[Any, Any]):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """``SafeLoader`` that keeps line numbers and refuses duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[str, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                self.duplicate_keys.append((str(key), key_node.start_mark.line + 1))
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        items = LineList(self.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def _line_of(container: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest element of ``loc`` that the YAML recorded."""
    line = getattr(container, "line", None)
    node = container
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


# --- the schema --------------------------------------------------------------------------


class EvidenceRules(BaseModel):
    """Phrases an article must contain: every ``all``, at least one ``any``, no ``none``."""

    model_config = ConfigDict(extra="forbid")

    all: list[str] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)

    @field_validator("all", "any", "none")
    @classmethod
    def _phrases(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            text = phrase.strip()
            if not text or text == "*":
                raise ValueError("a phrase is empty")
            if "*" in text[:-1]:
                raise ValueError(
                    f"{phrase!r}: '*' may only end a phrase (a word prefix such as ratif*)"
                )
        return [p.strip() for p in phrases]

    @model_validator(mode="after")
    def _something_to_match(self) -> EvidenceRules:
        if not self.all and not self.any:
            raise ValueError("needs at least one phrase under 'all' or 'any'")
        return self


class ResolutionSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    criteria: str | None = None
    yes_when: EvidenceRules | None = None
    no_when: EvidenceRules | None = None
    min_sources: int = Field(default=2, ge=1, le=100)
    default_at_close: Literal["yes", "no", "none"] = "none"

    @field_validator("default_at_close", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `no` / `yes` as booleans and `~` as null.
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return "none" if value is None else value


class UpdateSpec(BaseModel):
    """An author's later statement on a forecast (``updates:`` in a file): from ``as_of`` on, the
    forecast stands at ``probability`` (or the estimate's scale value)."""

    model_config = ConfigDict(extra="forbid")

    as_of: date
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    estimate: str | None = None
    quote: str | None = None
    url: str | None = None
    note: str | None = None


class ForecastSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    question: str = Field(min_length=1)
    quote: str = Field(min_length=1)
    estimate: str = Field(min_length=1)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    opens: date
    closes: date
    tags: list[str] = Field(default_factory=list)
    resolution: ResolutionSpec = Field(default_factory=ResolutionSpec)
    updates: list[UpdateSpec] = Field(default_factory=list)
    #: the note of a correction: set when a re-import changes the probability of a resolved
    #: forecast to fix a data-entry error (refused without it)
    correction: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(
                f"{value!r} is not a slug (lowercase letters, digits and '-', e.g. nato-moratorium)"
            )
        return value

    @field_validator("probability", mode="before")
    @classmethod
    def _not_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number between 0 and 1, not a yes/no")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        cleaned = [t.strip().lower() for t in tags]
        if any(not t for t in cleaned):
            raise ValueError("a tag is empty")
        return list(dict.fromkeys(cleaned))


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: str = Field(min_length=1)
    author: str = Field(min_length=1)
    publisher: str | None = None
    url: str | None = None
    published: date | None = None
    text: str | None = Field(
        default=None, description="path of the source text, relative to the file"
    )


@dataclass(frozen=True)
class ParsedUpdate:
    """One entry of ``updates:``, its probability resolved (the scale's value of its estimate
    when it gives none)."""

    as_of: date
    probability: float
    estimate: str
    quote: str | None = None
    url: str | None = None
    note: str | None = None


@dataclass
class ParsedForecast:
    spec: ForecastSpec
    line: int
    probability: float
    probability_from_scale: bool
    vague: bool
    updates: list[ParsedUpdate] = field(default_factory=list)


@dataclass
class ForecastFile:
    path: Path
    key: str
    source: SourceSpec
    forecasts: list[ParsedForecast] = field(default_factory=list)


# --- validation ----------------------------------------------------------------------------


def _pydantic_problems(
    path: Path,
    exc: ValidationError,
    container: Any,
    prefix: tuple[Any, ...],
    forecast_id: str | None,
) -> list[ForecastFileError]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        field_name = ".".join(str(p) for p in prefix + loc) or None
        if error["type"] == "missing":
            message = "missing required field"
        else:
            message = error["msg"].removeprefix("Value error, ")
            if not isinstance(error["input"], dict | list):  # pydantic always gives the input
                message += f" (got {error['input']!r})"
        problems.append(
            ForecastFileError(
                path,
                message,
                line=_line_of(container, loc),
                forecast_id=forecast_id,
                field=field_name,
            )
        )
    return problems


def normalise_whitespace(text: str) -> str:
    return " ".join(text.split())


def _source_text_variants(text: str) -> tuple[str, str]:
    """The text with whitespace collapsed, and also with words re-joined across line-end hyphens."""
    joined = re.sub(r"-[ \t]*\r?\n\s*", "-", text)
    return normalise_whitespace(text), normalise_whitespace(joined)


def _read_yaml(path: Path) -> tuple[Any, list[ForecastFileError]]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ForecastFileError(path, f"cannot read the file: {exc}")]
    loader = _LineLoader(raw)
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [
            ForecastFileError(path, f"bad YAML: {problem}", line=mark.line + 1 if mark else None)
        ]
    finally:
        loader.dispose()
    problems = [
        ForecastFileError(
            path, f"duplicate key {key!r} (the later value would silently win)", line=line
        )
        for key, line in loader.duplicate_keys
    ]
    return document, problems


def load_forecast_file(
    path: Path, scale: EstimativeScale
) -> tuple[ForecastFile | None, list[ForecastFileError]]:
    """Parse and check one file; returns the file (None if unusable) and every problem found."""
    path = Path(path)
    document, problems = _read_yaml(path)
    if problems and document is None:
        return None, problems
    if not isinstance(document, LineDict):
        return None, [
            ForecastFileError(path, "expected a mapping with 'source' and 'forecasts'", line=1)
        ]
    source, source_problems = _check_source(path, document)
    problems += source_problems
    entries = document.get("forecasts")
    if not isinstance(entries, LineList) or not entries:
        problems.append(
            ForecastFileError(
                path,
                "expected a non-empty list of forecasts",
                line=document.key_lines.get("forecasts", 1),
                field="forecasts",
            )
        )
        return None, problems
    source_text = _load_source_text(path, source, document, problems)
    result = ForecastFile(path=path, key=path.stem, source=source) if source else None
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        parsed = _check_forecast(
            path, entry, entries.item_lines[index], scale, source_text, problems
        )
        if parsed is None:
            continue
        if parsed.spec.id in seen:
            problems.append(
                ForecastFileError(
                    path,
                    f"duplicate id (first used on line {seen[parsed.spec.id]})",
                    line=parsed.line,
                    forecast_id=parsed.spec.id,
                    field="id",
                )
            )
            continue
        seen[parsed.spec.id] = parsed.line
        if result:
            result.forecasts.append(parsed)
    return (None if problems else result), problems


def _check_source(
    path: Path, document: LineDict
) -> tuple[SourceSpec | None, list[ForecastFileError]]:
    raw = document.get("source")
    if not isinstance(raw, dict):
        return None, [
            ForecastFileError(
                path,
                "missing or not a mapping (title, author, ...)",
                line=document.key_lines.get("source", 1),
                field="source",
            )
        ]
    try:
        return SourceSpec.model_validate(raw), []
    except ValidationError as exc:
        return None, _pydantic_problems(path, exc, raw, ("source",), None)


def _load_source_text(
    path: Path, source: SourceSpec | None, document: LineDict, problems: list[ForecastFileError]
) -> tuple[str, str] | None:
    if source is None or not source.text:
        return None
    text_path = (path.parent / source.text).resolve()
    try:
        return _source_text_variants(text_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        line = _line_of(document, ("source", "text"))
        problems.append(
            ForecastFileError(
                path,
                f"cannot read the source text {text_path}: {exc.__class__.__name__}",
                line=line,
                field="source.text",
            )
        )
        return None


def _check_forecast(
    path: Path,
    entry: Any,
    line: int,
    scale: EstimativeScale,
    source_text: tuple[str, str] | None,
    problems: list[ForecastFileError],
) -> ParsedForecast | None:
    if not isinstance(entry, LineDict):
        problems.append(
            ForecastFileError(
                path, "a forecast must be a mapping with id, question, quote, ...", line=line
            )
        )
        return None
    forecast_id = entry.get("id") if isinstance(entry.get("id"), str) else None
    try:
        spec = ForecastSpec.model_validate(entry)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(path, exc, entry, (), forecast_id))
        return None
    here = {"forecast_id": spec.id}
    if spec.closes < spec.opens:
        problems.append(
            ForecastFileError(
                path,
                f"closes {spec.closes} is before opens {spec.opens}",
                line=_line_of(entry, ("closes",)),
                field="closes",
                **here,
            )
        )
    if source_text is not None and not _quote_in(spec.quote, source_text):
        problems.append(
            ForecastFileError(
                path,
                "the quote is not in the source text (it must be verbatim)",
                line=_line_of(entry, ("quote",)),
                field="quote",
                **here,
            )
        )
    term = scale.find(spec.estimate)
    probability = spec.probability
    if probability is None:
        if term is None or term.probability is None:
            problems.append(
                ForecastFileError(
                    path,
                    f"unknown estimative term {spec.estimate!r} and no probability; add "
                    "`probability:` "
                    "or use a term listed by `tracker scale`",
                    line=_line_of(entry, ("estimate",)),
                    field="estimate",
                    **here,
                )
            )
            return None
        probability = term.probability
    return ParsedForecast(
        spec=spec,
        line=line,
        probability=probability,
        probability_from_scale=spec.probability is None,
        vague=bool(term and term.vague),
    )


def _quote_in(quote: str, source_text: tuple[str, str]) -> bool:
    needle = normalise_whitespace(quote)
    return any(needle in variant for variant in source_text)
