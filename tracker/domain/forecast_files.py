"""Forecast files (``forecasts/*.yaml``): reading and validating them, with line numbers.

Every problem becomes a :class:`~tracker.errors.ForecastFileError` naming the file,
the line, the forecast id and the field.  :func:`load_forecast_file` collects all the
problems of a file rather than stopping at the first, so a user fixes them in one pass.
Nothing here touches the database: see :mod:`tracker.domain.registry` for the import.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tracker.domain.resolution_rules import resolved_by_hand
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastFileError

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

#: the longest text each kind of field may hold, the same on SQLite and PostgreSQL (SQLite would
#: store any length; a 5,000-character id made a page nobody could open).  Ids are in URLs.
MAX_ID = 100
MAX_NAME = 200  # an author, a title, a publisher, an estimate, an evidence phrase
MAX_TAG = 50
MAX_QUESTION = 1000
MAX_URL = 2000
MAX_TEXT = 10_000  # a quote, notes, criteria, a correction's or an update's note

#: the deepest nesting of mappings and lists a file may have (a forecast file needs 6)
MAX_DEPTH = 32
#: the most nodes a file may hold once its aliases are expanded (a billion-laughs file of 699
#: bytes expands to billions); the largest real file has a few thousand
MAX_NODES = 100_000


@dataclass(frozen=True)
class FileLimits:
    """How much a forecast file and its source text may hold (the settings
    ``forecast_file_max_bytes`` and ``source_text_max_bytes``): they are read from disk at most
    this many bytes, so a huge file or a device (``/dev/zero``) costs no memory."""

    file_bytes: int = 1 << 20
    text_bytes: int = 4 << 20


class _UnreadableError(Exception):
    """A file that is not read: over its limit, a device or a pipe, outside its folder.
    ``reason`` says which, ``raise_limit`` whether a larger limit would help."""

    def __init__(self, reason: str, *, raise_limit: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raise_limit = raise_limit


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.  Opened without blocking (a FIFO
    named like a forecast file does not hang the import) and checked before and while reading,
    so that ``/dev/zero`` or a file that grows is refused, not read into memory."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _UnreadableError("is not a regular file (a device, a pipe or a folder)")
        if info.st_size > limit:
            raise _UnreadableError(
                f"is {info.st_size:,} bytes, over the limit of {limit:,}", raise_limit=True
            )
        data = b""
        while len(data) <= limit and (chunk := os.read(fd, limit + 1 - len(data))):
            data += chunk
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _UnreadableError(f"is over the limit of {limit:,} bytes", raise_limit=True)
    return data


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
        self._depth = 0
        #: id of a composed node -> its size with every alias under it expanded
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        """PyYAML's composer, refusing deep nesting (its recursion would end in a
        ``RecursionError``) and aliases that expand past :data:`MAX_NODES` (an alias bomb),
        before anything is constructed."""
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and id(anchored) not in self._sizes:
                raise yaml.composer.ComposerError(
                    None, None, "an alias refers to the node that holds it (a loop)", mark
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", mark
                )
            node = cast(yaml.Node, super().compose_node(parent, index))
        finally:
            self._depth -= 1
        self._sizes[id(node)] = size = self._size(node)
        if size > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"its aliases expand to more than {MAX_NODES:,} values", mark
            )
        return node

    def _size(self, node: yaml.Node) -> int:
        """A node's size with its aliases expanded, from its children's (composed before it)."""
        if id(node) in self._sizes:  # an alias: the anchored node, composed before
            return self._sizes[id(node)]
        if isinstance(node, yaml.ScalarNode):
            return 1
        children = (
            [child for pair in node.value for child in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        return 1 + sum(self._sizes[id(child)] for child in children)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date or time as YAML reads it; an impossible one (``2022-02-30``, month 13, hour
        25) stays the text as written, so that the field's validation names it."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)

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
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_yaml_timestamp)


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

#: the forecast's free-form fields: kept as they are (in ``Forecast.extra``), read by no rule
FREE_FORM_FIELDS = ("notes",)

NO_WAY_TO_RESOLVE = (
    "nothing can resolve this forecast: add `yes_when`/`no_when` evidence rules or "
    "`default_at_close: yes|no` under `resolution:`, or write `resolution: manual` to resolve "
    "it by hand"
)


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
            if len(text) > MAX_NAME:
                raise ValueError(f"a phrase is longer than {MAX_NAME} characters")
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
    """How a forecast is resolved: evidence rules and a default at close, or ``manual`` (written
    ``resolution: manual``, or ``manual: true`` in the mapping to keep a ``criteria`` text)."""

    model_config = ConfigDict(extra="forbid")

    criteria: str | None = Field(default=None, max_length=MAX_TEXT)
    yes_when: EvidenceRules | None = None
    no_when: EvidenceRules | None = None
    min_sources: int = Field(default=2, ge=1, le=100)
    default_at_close: Literal["yes", "no", "none"] = "none"
    manual: bool = False

    @model_validator(mode="before")
    @classmethod
    def _manual_word(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(NO_WAY_TO_RESOLVE)
        if isinstance(value, str):
            if value.strip().lower() == "manual":
                return {"manual": True}
            raise ValueError(
                "write `manual`, or a mapping with criteria, yes_when, no_when, min_sources, "
                "default_at_close"
            )
        return value

    @field_validator("default_at_close", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `no` / `yes` as booleans and `~` as null.
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return "none" if value is None else value

    @model_validator(mode="after")
    def _a_way_to_resolve(self) -> ResolutionSpec:
        by_hand = resolved_by_hand(self.yes_when, self.no_when, self.default_at_close)
        if self.manual and not by_hand:
            raise ValueError(
                "a manual forecast has no yes_when, no_when or default_at_close; "
                "remove them or `manual`"
            )
        if not self.manual and by_hand:
            raise ValueError(NO_WAY_TO_RESOLVE)
        return self


def _not_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number between 0 and 1, not a yes/no")
    return value


class UpdateSpec(BaseModel):
    """An author's later statement on a forecast (``updates:`` in a file): from ``as_of`` on, the
    forecast stands at ``probability`` (or the estimate's scale value)."""

    model_config = ConfigDict(extra="forbid")

    as_of: date
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    estimate: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    quote: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    url: str | None = Field(default=None, max_length=MAX_URL)
    note: str | None = Field(default=None, max_length=MAX_TEXT)

    _probability_not_boolean = field_validator("probability", mode="before")(_not_boolean)


def question_ref(question: str) -> str | None:
    """The id a forecast's ``question:`` refers to, or None when it is the question's text (a
    question defined inline).  An id is a slug: lowercase letters, digits, ``-``, no spaces;
    a question's text always has spaces."""
    value = question.strip()
    return value if SLUG.fullmatch(value) else None


def _slug_id(value: str) -> str:
    if not SLUG.fullmatch(value):  # not .match: its `$` lets a trailing newline through
        raise ValueError(
            f"{_shown(value)} is not a slug (lowercase letters, digits and '-', e.g. "
            "nato-moratorium)"
        )
    if len(value) > MAX_ID:
        raise ValueError(f"an id is at most {MAX_ID} characters (this one has {len(value):,})")
    return value


class ForecastSpec(BaseModel):
    """One forecast.  ``question`` is the question's text (the question is defined inline, with
    ``closes`` and ``resolution``), or the id of a question defined elsewhere (another forecast
    or a question file), which then gives the close date and the resolution."""

    model_config = ConfigDict(extra="forbid")

    id: str
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    quote: str = Field(min_length=1, max_length=MAX_TEXT)
    estimate: str = Field(min_length=1, max_length=MAX_NAME)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    opens: date
    #: required when the question is defined inline
    closes: date | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    #: free text for readers (see FREE_FORM_FIELDS)
    notes: str | None = Field(default=None, max_length=MAX_TEXT)
    #: required when the question is defined inline: evidence rules, a default at close, or
    #: ``manual``
    resolution: ResolutionSpec | None = None
    updates: list[UpdateSpec] = Field(default_factory=list)
    #: the note of a correction: set when a re-import changes the probability of a resolved
    #: forecast to fix a data-entry error (refused without it)
    correction: str | None = Field(default=None, max_length=MAX_TEXT)

    _probability_not_boolean = field_validator("probability", mode="before")(_not_boolean)
    _slug = field_validator("id")(_slug_id)

    @property
    def question_id(self) -> str | None:
        """The question referred to (:func:`question_ref`), None when defined inline."""
        return question_ref(self.question)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        cleaned = [t.strip().lower() for t in tags]
        if any(not t for t in cleaned):
            raise ValueError("a tag is empty")
        if any(len(t) > MAX_TAG for t in cleaned):
            raise ValueError(f"a tag is longer than {MAX_TAG} characters")
        return list(dict.fromkeys(cleaned))

    def free_form(self) -> dict[str, Any]:
        """The free-form fields given (FREE_FORM_FIELDS), as the import stores them."""
        given = {name: getattr(self, name) for name in FREE_FORM_FIELDS}
        return {name: value for name, value in given.items() if value is not None}


class QuestionSpec(BaseModel):
    """A question defined on its own (``questions:`` in a question file): the event, its window
    and how it resolves; forecasts refer to it with ``question: <id>``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    opens: date
    closes: date
    #: evidence rules, a default at close, or ``manual``
    resolution: ResolutionSpec
    #: free text for readers
    notes: str | None = Field(default=None, max_length=MAX_TEXT)

    _slug = field_validator("id")(_slug_id)

    @model_validator(mode="after")
    def _window(self) -> QuestionSpec:
        if self.closes < self.opens:
            raise ValueError(f"closes {self.closes} is before opens {self.opens}")
        return self


class _QuestionFileSpec(BaseModel):
    """The top level of a question file."""

    questions: list[QuestionSpec]


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_NAME)
    author: str = Field(min_length=1, max_length=MAX_NAME)
    publisher: str | None = Field(default=None, max_length=MAX_NAME)
    url: str | None = Field(default=None, max_length=MAX_URL)
    published: date | None = None
    text: str | None = Field(
        default=None, max_length=1000, description="path of the source text, relative to the file"
    )


class _FileSpec(BaseModel):
    """The top level of a file; it names the known fields for messages (the parts are
    validated one by one, so that each forecast's problems carry its id and lines)."""

    source: SourceSpec
    forecasts: list[ForecastSpec]


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
    #: the ``updates:`` entries, sorted by ``as_of``
    updates: list[ParsedUpdate] = field(default_factory=list)


@dataclass
class ForecastFile:
    path: Path
    key: str
    source: SourceSpec
    forecasts: list[ParsedForecast] = field(default_factory=list)


@dataclass
class QuestionFile:
    """A file of questions defined on their own (``questions:``, no ``source:``)."""

    path: Path
    key: str
    questions: list[tuple[QuestionSpec, int]] = field(default_factory=list)  # (spec, line)

    @property
    def defined_in(self) -> str:
        """What :attr:`tracker.models.Question.defined_in` records for its questions."""
        return f"questions/{self.key}"


# --- the template -----------------------------------------------------------------------------

TEMPLATE_RESOURCE = "data/forecast_template.yaml"


def forecast_template() -> str:
    """What ``tracker forecasts new`` prints: every field with a comment saying what it means.
    ``check`` accepts it once each ``<<...>>`` is filled; a test keeps every field of the models
    above documented in it."""
    return resources.files("tracker").joinpath(TEMPLATE_RESOURCE).read_text(encoding="utf-8")


# --- messages ------------------------------------------------------------------------------

#: pydantic's error types that deserve a plainer one-line message
_PLAIN_MESSAGES = {
    "date_type": "expected a date written YYYY-MM-DD",
    "date_parsing": "expected a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "expected a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "expected a date written YYYY-MM-DD, without a time",
    "string_type": "expected text",
    "string_too_short": "is empty",
    "list_type": "expected a list, e.g. [first, second]",
    "model_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
    "dict_type": "expected a mapping of fields",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}
#: a placeholder of the template (``tracker forecasts new``) left unfilled
PLACEHOLDER = re.compile(r"<<[^<>\n]*>>")


def _field_name(loc: tuple[Any, ...]) -> str | None:
    """``('updates', 0, 'quote')`` -> ``updates[0].quote``."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name or None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds (``X``, ``X | None``, ``list[X]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_in, get_args(annotation))), None)


def _models_along(models: list[type[BaseModel]], loc: tuple[Any, ...]) -> list[type[BaseModel]]:
    """``models`` extended by the models that the string parts of ``loc`` lead into."""
    chain = list(models)
    for part in loc:
        if isinstance(part, int):
            continue
        info = chain[-1].model_fields.get(str(part))
        child = _model_in(info.annotation) if info else None
        if child is None:
            break
        chain.append(child)
    return chain


def _unknown_field(chain: list[type[BaseModel]], key: Any) -> str:
    """The message for an unknown key of ``chain[-1]``: a near miss of a field here, the field
    under which it belongs, or a near miss of a field one level down."""
    name, here = str(key), chain[-1]
    message = f"unknown field {name!r}"
    children = {
        field_name: child.model_fields
        for field_name, info in here.model_fields.items()
        if (child := _model_in(info.annotation)) is not None
    }
    typo = get_close_matches(name, list(here.model_fields), n=1, cutoff=0.85)
    homes = [field_name for field_name, fields in children.items() if name in fields]
    if not typo and homes:
        return f"{message}: it belongs under {' or '.join(map(repr, homes))}"
    if not typo and len(chain) > 1 and name in chain[-2].model_fields:
        return f"{message} here: it belongs one level up (check the indentation)"
    typo = typo or get_close_matches(name, list(here.model_fields), n=1)
    if typo:
        return f"{message} (did you mean {typo[0]!r}?)"
    for field_name, fields in children.items():
        if below := get_close_matches(name, list(fields), n=1):
            return f"{message} (did you mean {below[0]!r}, under {field_name!r}?)"
    return f"{message}; the fields here are {', '.join(here.model_fields)}"


def _pydantic_message(error: Any, chain: list[type[BaseModel]]) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "missing":
        if chain[-1] in (ForecastSpec, QuestionSpec) and loc == ("resolution",):
            return NO_WAY_TO_RESOLVE
        return "missing required field"
    if error["type"] == "extra_forbidden":
        return _unknown_field(_models_along(chain, loc[:-1]), loc[-1])
    message = _PLAIN_MESSAGES.get(error["type"]) or error["msg"].removeprefix("Value error, ")
    if error["type"].startswith("date") and "outside expected range" in error["msg"]:
        # an impossible date or time written as one (2022-02-30, month 13, hour 25)
        message = "no such date: " + error["msg"].split(", ", 1)[-1]
    if not isinstance(error["input"], dict | list):  # pydantic always gives the input
        message += f" (got {_shown(error['input'])})"
    return message


# --- validation ----------------------------------------------------------------------------


@dataclass
class _Problems:
    """Collects one file's problems, each located by a path (``loc``) within ``container``."""

    path: Path
    found: list[ForecastFileError] = field(default_factory=list)

    def add(
        self,
        message: str,
        container: Any = None,
        loc: tuple[Any, ...] = (),
        *,
        prefix: tuple[Any, ...] = (),
        forecast_id: str | None = None,
        line: int | None = None,
    ) -> None:
        """A problem at ``loc`` within ``container`` (its line, unless ``line`` is given); the
        field is named ``prefix + loc``."""
        self.found.append(
            ForecastFileError(
                self.path,
                message,
                line=line if line is not None else _line_of(container, loc),
                forecast_id=forecast_id,
                field=_field_name(prefix + loc),
            )
        )

    def validate(
        self,
        chain: list[type[BaseModel]],
        raw: Any,
        prefix: tuple[Any, ...] = (),
        forecast_id: str | None = None,
    ) -> tuple[Any, set[tuple[Any, ...]]]:
        """``raw`` validated by ``chain[-1]`` (None when it fails, every error added), and the
        locations of the errors.  An unfilled placeholder is left to :meth:`placeholders`."""
        try:
            return chain[-1].model_validate(raw), set()
        except ValidationError as exc:
            errors = exc.errors()
        for error in errors:
            if isinstance(error["input"], str) and PLACEHOLDER.search(error["input"]):
                continue
            self.add(
                _pydantic_message(error, chain),
                raw,
                tuple(error["loc"]),
                prefix=prefix,
                forecast_id=forecast_id,
            )
        return None, {tuple(error["loc"]) for error in errors}

    def placeholders(
        self, node: Any, forecast_id: str | None = None, prefix: tuple[Any, ...] = ()
    ) -> set[tuple[Any, ...]]:
        """Adds a problem for each template placeholder left in ``node``, and for each NUL
        character (PostgreSQL refuses it in text, SQLite would keep it); returns their
        locations."""
        found = set()
        for loc, value in _scalars(node):
            if isinstance(value, str) and "\x00" in value:
                found.add(loc)
                self.add(
                    "contains a NUL character (\\x00); remove it",
                    node,
                    loc,
                    prefix=prefix,
                    forecast_id=forecast_id,
                )
                continue
            if isinstance(value, str) and (match := PLACEHOLDER.search(value)):
                found.add(loc)
                self.add(
                    f"fill in the placeholder {match.group()}",
                    node,
                    loc,
                    prefix=prefix,
                    forecast_id=forecast_id,
                )
        return found


def _scalars(node: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _scalars(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _scalars(value, (*loc, index))
    else:
        yield loc, node


def normalise_whitespace(text: str) -> str:
    return " ".join(text.split())


def _source_text_variants(text: str) -> tuple[str, str]:
    """The text with whitespace collapsed, and also with words re-joined across line-end hyphens."""
    joined = re.sub(r"-[ \t]*\r?\n\s*", "-", text)
    return normalise_whitespace(text), normalise_whitespace(joined)


def _quote_in(quote: str, source_text: tuple[str, str]) -> bool:
    needle = normalise_whitespace(quote)
    return any(needle in variant for variant in source_text)


def _read_yaml(path: Path, raw: str) -> tuple[Any, list[ForecastFileError]]:
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
    path: Path, scale: EstimativeScale, limits: FileLimits = FileLimits()
) -> tuple[ForecastFile | QuestionFile | None, list[ForecastFileError]]:
    """Parse and check one file; returns the file (None if it has any problem) and every problem
    found, in the order of their lines.  Quotes are checked against ``source.text``, read
    relative to the file (see :func:`_read_source_text`)."""
    path = Path(path)
    try:
        raw = read_capped(path.resolve(), limits.file_bytes).decode("utf-8")
    except _UnreadableError as exc:
        hint = "; split it, or raise forecast_file_max_bytes" if exc.raise_limit else ""
        return None, [ForecastFileError(path, f"the file {exc.reason}{hint}")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ForecastFileError(path, f"cannot read the file: {exc}")]
    return _check(path, raw, scale, text_folder=path.parent, limits=limits)


def check_forecast_text(
    yaml_text: str, source_text: str | None, scale: EstimativeScale, name: str = "draft.yaml"
) -> tuple[ForecastFile | None, list[ForecastFileError]]:
    """Like :func:`load_forecast_file`, for a file not yet written (a draft to save): ``name``
    stands for its path in messages and gives the source's key; quotes are checked against
    ``source_text`` (not checked when None; ``source.text`` is not read)."""
    given = None if source_text is None else _source_text_variants(source_text)
    checked, problems = _check(Path(name), yaml_text, scale, given_text=given)
    if isinstance(checked, QuestionFile):
        return None, [ForecastFileError(Path(name), _FORECAST_FILE_SHAPE, line=1)]
    return checked, problems


_FORECAST_FILE_SHAPE = (
    "expected a mapping with 'source' and 'forecasts' (or 'questions' for a question file)"
)


def _check(
    path: Path,
    raw: str,
    scale: EstimativeScale,
    *,
    text_folder: Path | None = None,
    given_text: tuple[str, str] | None = None,
    limits: FileLimits = FileLimits(),
) -> tuple[ForecastFile | QuestionFile | None, list[ForecastFileError]]:
    document, read_problems = _read_yaml(path, raw)
    if read_problems and document is None:
        return None, read_problems
    if not isinstance(document, LineDict):
        return None, [ForecastFileError(path, _FORECAST_FILE_SHAPE, line=1)]
    problems = _Problems(path, read_problems)
    if "questions" in document and not {"source", "forecasts"} & document.keys():
        return _check_question_file(path, document, problems)
    for key in document.keys() - _FileSpec.model_fields.keys():
        problems.add(_unknown_field([_FileSpec], key), document, (key,))
    source = _check_source(document, problems)
    if text_folder is not None:
        given_text = _read_source_text(document, text_folder, problems, limits.text_bytes)
    result = _check_forecasts(document, scale, given_text, problems)
    found = sorted(problems.found, key=lambda p: p.line or 0)
    if found or source is None or result is None:
        return None, found
    return ForecastFile(path=path, key=path.stem, source=source, forecasts=result), found


def _check_source(document: LineDict, problems: _Problems) -> SourceSpec | None:
    raw = document.get("source")
    if not isinstance(raw, dict):
        problems.add("missing or not a mapping (title, author, ...)", document, ("source",))
        return None
    problems.placeholders(raw, prefix=("source",))
    source, _ = problems.validate([_FileSpec, SourceSpec], raw, ("source",))
    return cast(SourceSpec | None, source)


def _read_source_text(
    document: LineDict, folder: Path, problems: _Problems, limit: int
) -> tuple[str, str] | None:
    """The source's text (``source.text``, relative to the file), read even when another field
    of the source is wrong, so that every quote is still checked.

    Only a regular file in the folder of the forecast file (or under it) is read, at most
    ``limit`` bytes: a file names its own article's text, so ``/etc/passwd``, ``../..``, a
    symbolic link that leads out of the folder and ``/dev/zero`` are refused, not read."""
    source = document.get("source")
    name = source.get("text") if isinstance(source, dict) else None
    if not isinstance(name, str) or not name.strip() or PLACEHOLDER.search(name):
        return None
    root = folder.resolve()
    text_path = (folder / name).resolve()
    try:
        if not text_path.is_relative_to(root):
            raise _UnreadableError("is outside the folder of the forecast file; put the text there")
        return _source_text_variants(read_capped(text_path, limit).decode("utf-8"))
    except _UnreadableError as exc:
        hint = "; raise source_text_max_bytes" if exc.raise_limit else ""
        problems.add(f"the source text {name!r} {exc.reason}{hint}", document, ("source", "text"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(
            f"cannot read the source text {text_path}: {exc.__class__.__name__}",
            document,
            ("source", "text"),
        )
    return None


def _check_forecasts(
    document: LineDict,
    scale: EstimativeScale,
    source_text: tuple[str, str] | None,
    problems: _Problems,
) -> list[ParsedForecast] | None:
    entries = document.get("forecasts")
    if not isinstance(entries, LineList) or not entries:
        problems.add("expected a non-empty list of forecasts", document, ("forecasts",))
        return None
    parsed_forecasts: list[ParsedForecast] = []
    seen: dict[str, int] = {}
    for entry, line in zip(entries, entries.item_lines, strict=True):
        parsed = _check_forecast(entry, line, scale, source_text, problems)
        if parsed is None:
            continue
        if parsed.spec.id in seen:
            problems.add(
                f"duplicate id (first used on line {seen[parsed.spec.id]})",
                loc=("id",),
                forecast_id=parsed.spec.id,
                line=parsed.line,
            )
            continue
        seen[parsed.spec.id] = parsed.line
        parsed_forecasts.append(parsed)
    return parsed_forecasts


def _check_question_file(
    path: Path, document: LineDict, problems: _Problems
) -> tuple[QuestionFile | None, list[ForecastFileError]]:
    for key in document.keys() - _QuestionFileSpec.model_fields.keys():
        problems.add(_unknown_field([_QuestionFileSpec], key), document, (key,))
    entries = document.get("questions")
    questions: list[tuple[QuestionSpec, int]] = []
    if not isinstance(entries, LineList) or not entries:
        problems.add("expected a non-empty list of questions", document, ("questions",))
        entries = LineList()
        entries.item_lines = []
    seen: dict[str, int] = {}
    for entry, line in zip(entries, entries.item_lines, strict=True):
        if not isinstance(entry, LineDict):
            problems.add("a question must be a mapping with id, question, opens, ...", line=line)
            continue
        question_id = entry.get("id") if isinstance(entry.get("id"), str) else None
        if question_id and len(question_id) > MAX_ID:
            question_id = question_id[:MAX_ID] + "..."
        problems.placeholders(entry, question_id)
        spec, _ = problems.validate([_QuestionFileSpec, QuestionSpec], entry, (), question_id)
        if not isinstance(spec, QuestionSpec):
            continue
        if spec.id in seen:
            problems.add(
                f"duplicate id (first used on line {seen[spec.id]})",
                loc=("id",),
                forecast_id=spec.id,
                line=line,
            )
            continue
        seen[spec.id] = line
        questions.append((spec, line))
    found = sorted(problems.found, key=lambda p: p.line or 0)
    if found:
        return None, found
    return QuestionFile(path=path, key=path.stem, questions=questions), found


class _Checkable(BaseModel):
    """The fields of a forecast that are checked together, each None when it is missing or
    has a problem of its own (so that every other check still runs)."""

    quote: str | None = None
    estimate: str | None = None
    probability: float | None = None
    opens: date | None = None
    closes: date | None = None


def _usable(
    model: type[BaseModel], entry: LineDict, failed: set[tuple[Any, ...]]
) -> dict[str, Any]:
    """The values of ``entry`` for ``model``'s fields that have no problem of their own."""
    bad = {loc[0] for loc in failed if loc}
    return {k: entry[k] for k in model.model_fields if k in entry and k not in bad}


@dataclass
class _ForecastCheck:
    """The checks of one forecast that involve more than one field, or the scale, or the
    source text."""

    entry: LineDict
    forecast_id: str | None
    scale: EstimativeScale
    source_text: tuple[str, str] | None
    problems: _Problems

    def add(self, message: str, loc: tuple[Any, ...]) -> None:
        self.problems.add(message, self.entry, loc, forecast_id=self.forecast_id)

    def question(self) -> None:
        """Inline, the question needs its close date and resolution; referred to by id, it
        gives them, and the forecast may not."""
        text = self.entry.get("question")
        ref = question_ref(text) if isinstance(text, str) else None
        if ref is None:
            if self.entry.get("closes") is None:
                self.add("missing required field", ("closes",))
            if self.entry.get("resolution") is None:
                self.add(NO_WAY_TO_RESOLVE, ("resolution",))
            return
        for key in ("closes", "resolution"):
            if key in self.entry:
                self.add(
                    f"question {ref!r} gives the close date and the resolution: remove `{key}` "
                    "(or write the question's text to define a question here)",
                    (key,),
                )

    def dates(self, values: _Checkable) -> None:
        if values.opens and values.closes and values.closes < values.opens:
            self.add(f"closes {values.closes} is before opens {values.opens}", ("closes",))

    def quote(self, quote: str | None, loc: tuple[Any, ...], elsewhere: str = "") -> None:
        text = self.source_text
        if quote is not None and text is not None and not _quote_in(quote, text):
            self.add(f"the quote is not in the source text (it must be verbatim{elsewhere})", loc)

    def probability(
        self, estimate: str | None, probability: float | None, loc: tuple[Any, ...]
    ) -> tuple[float, bool] | None:
        """The probability (given, else the scale's for the estimate) and whether the estimate
        is a vague term; None when there is none (the problem added)."""
        term = self.scale.find(estimate) if estimate else None
        vague = bool(term and term.vague)
        if probability is not None:
            return probability, vague
        if term is not None and term.probability is not None:
            return term.probability, vague
        if estimate is None:
            self.add("give `probability:` or an `estimate:` listed by `tracker scale`", loc)
        elif term is None:
            self.add(
                f"unknown estimative term {estimate!r} and no probability; add `probability:` "
                "or use a term listed by `tracker scale`",
                (*loc, "estimate"),
            )
        else:
            self.add(
                f"{estimate!r} has no number on the scale (a vague term); add `probability:`",
                (*loc, "estimate"),
            )
        return None

    def updates(self, values: _Checkable, failed: set[tuple[Any, ...]]) -> list[ParsedUpdate]:
        """The valid ``updates:`` entries, checked against the forecast and each other."""
        raw = self.entry.get("updates")
        if not isinstance(raw, list) or ("updates",) in failed:
            return []
        parsed: list[ParsedUpdate] = []
        first_line: dict[date, int | None] = {}
        for index, item in enumerate(raw):
            loc = ("updates", index)
            if any(bad[:2] == loc for bad in failed):
                continue
            spec = UpdateSpec.model_validate(item)
            update = self._update(spec, loc, values, first_line)
            if update is not None:
                parsed.append(update)
        return sorted(parsed, key=lambda u: u.as_of)

    def _update(
        self,
        spec: UpdateSpec,
        loc: tuple[Any, ...],
        values: _Checkable,
        first_line: dict[date, int | None],
    ) -> ParsedUpdate | None:
        ok = True
        if values.opens and spec.as_of <= values.opens:
            self.add(
                f"as_of {spec.as_of} is not after the forecast opens ({values.opens}): that day "
                "holds the forecast's own statement (change `probability`, or date it later)",
                (*loc, "as_of"),
            )
            ok = False
        if values.closes and spec.as_of > values.closes:
            self.add(
                f"as_of {spec.as_of} is after the forecast closes ({values.closes})",
                (*loc, "as_of"),
            )
            ok = False
        if spec.as_of in first_line:
            self.add(
                f"another update is dated {spec.as_of} (line {first_line[spec.as_of]}); "
                "give one update per day",
                (*loc, "as_of"),
            )
            ok = False
        first_line.setdefault(spec.as_of, _line_of(self.entry, (*loc, "as_of")))
        if spec.url is None:
            self.quote(spec.quote, (*loc, "quote"), "; a statement made elsewhere gives its `url`")
        found = self.probability(spec.estimate, spec.probability, loc)
        if found is None or not ok:
            return None
        probability = found[0]
        return ParsedUpdate(
            as_of=spec.as_of,
            probability=probability,
            estimate=spec.estimate or _percent(probability),
            quote=spec.quote,
            url=spec.url,
            note=spec.note,
        )


def _percent(probability: float) -> str:
    """``0.35`` -> ``"35%"``, ``0.355`` -> ``"35.5%"``."""
    return f"{round(probability * 100, 1):g}%"


def _check_forecast(
    entry: Any,
    line: int,
    scale: EstimativeScale,
    source_text: tuple[str, str] | None,
    problems: _Problems,
) -> ParsedForecast | None:
    if not isinstance(entry, LineDict):
        problems.add("a forecast must be a mapping with id, question, quote, ...", line=line)
        return None
    forecast_id = entry.get("id")
    if not isinstance(forecast_id, str) or PLACEHOLDER.search(forecast_id):
        forecast_id = None
    elif len(forecast_id) > MAX_ID:  # named in messages: shortened (its own problem says why)
        forecast_id = forecast_id[:MAX_ID] + "..."
    before = len(problems.found)
    failed = problems.placeholders(entry, forecast_id)
    spec, errors = problems.validate([_FileSpec, ForecastSpec], entry, forecast_id=forecast_id)
    failed |= errors
    check = _ForecastCheck(entry, forecast_id, scale, source_text, problems)
    check.question()
    values = _Checkable.model_validate(_usable(_Checkable, entry, failed))
    check.dates(values)
    check.quote(values.quote, ("quote",))
    found = None
    if values.estimate is not None and not {("probability",), ("estimate",)} & failed:
        found = check.probability(values.estimate, values.probability, ())
    updates = check.updates(values, failed)
    if spec is None or found is None or len(problems.found) > before:
        return None
    return ParsedForecast(
        spec=spec,
        line=line,
        probability=found[0],
        probability_from_scale=spec.probability is None,
        vague=found[1],
        updates=updates,
    )
