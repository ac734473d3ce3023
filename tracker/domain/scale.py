"""The estimative-language scale: verbal probability terms ("likely", "remote") -> numbers.

The built-in table lives in ``tracker/data/estimative_scale.yaml`` and holds several
named scales (``tracker``, ``icd203``, ``kent``, ``survey``, ``ipcc``), every row citing
its published source. A project may override or extend it with its own file in the same
format::

    scale = EstimativeScale.builtin().merged_with(EstimativeScale.from_file(path))
    scale.probability("Very likely")           # 0.85, from the default `tracker` scale
    scale.probability("likely", scale="ipcc")  # 0.83

Look-ups forgive case, punctuation, hyphens, curly apostrophes and simple inflections
(see :func:`normalize_term` and :func:`term_variants`).
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import ConfigError, NotFoundError, UnknownTermError

if TYPE_CHECKING:
    import yaml

DEFAULT_SCALE = "tracker"
#: Scales searched after the default one when a look-up names no scale.
FALLBACK_ORDER = ("icd203", "kent", "survey", "ipcc")
BUILTIN_PACKAGE = "tracker"
BUILTIN_RESOURCE = "data/estimative_scale.yaml"
SCALE_TABLE_COLUMNS = ("scale", "term", "probability", "range", "vague", "source")

_REQUIRED_FIELDS = ("term", "probability", "vague", "source")
_OPTIONAL_FIELDS = ("low", "high", "reasoning", "aliases")
#: Scales whose every row must say why it has its number (our own judgements).
_REASONING_REQUIRED = frozenset({DEFAULT_SCALE})


@dataclass(frozen=True)
class ScaleEntry:
    """One row of one scale."""

    term: str
    scale: str
    probability: float | None
    low: float | None
    high: float | None
    vague: bool
    source: str
    reasoning: str = ""
    aliases: tuple[str, ...] = ()


# ----------------------------------------------------------------- normalisation

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u2032`\u00b4", "'"))
_DASHES = re.compile("[-\u2010-\u2015\u2212\ufe58\ufe63]+")
_EDGE_CHARS = (
    string.punctuation + string.whitespace + "\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a\u2026"
)

# (suffix, replacement) pairs tried on one word at a time, in this order.
_INFLECTIONS = (
    ("ly", "le"),  # probably -> probable, possibly -> possible
    ("ly", ""),  # certainly -> certain, definitely -> definite
    ("ly", "e"),  # truly -> true
    ("le", "ly"),  # probable -> probably
    ("", "ly"),  # certain -> certainly
    ("iest", "y"),  # likeliest -> likely
    ("ier", "y"),  # likelier -> likely
    ("est", ""),
    ("st", ""),  # remotest -> remote
    ("er", ""),
    ("r", ""),  # remoter -> remote
    ("ies", "y"),
    ("es", ""),
    ("s", ""),  # chances -> chance
    ("bility", "ble"),  # impossibility -> impossible
    ("ty", ""),  # certainty -> certain
)
_MIN_STEM = 3


def normalize_term(text: str) -> str:
    """The form terms are compared in: NFKC, casefolded, straight apostrophes,
    hyphens/dashes and whitespace runs as one space, no surrounding punctuation or quotes."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    text = " ".join(_DASHES.sub(" ", text).split())
    return text.strip(_EDGE_CHARS)


def term_variants(key: str) -> Iterator[str]:
    """Inflected forms of a normalised term, one word changed at a time.

    Only tried when the term itself is not in the scale, so "probably" finds the row
    "probable" only in a scale that has no row "probably".
    """
    words = key.split(" ")
    seen = {key}
    for i, word in enumerate(words):
        for form in _word_variants(word):
            variant = " ".join([*words[:i], form, *words[i + 1 :]])
            if variant not in seen:
                seen.add(variant)
                yield variant


def _word_variants(word: str) -> Iterator[str]:
    for suffix, replacement in _INFLECTIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            yield word[: len(word) - len(suffix)] + replacement


# ----------------------------------------------------------------- the scale


class EstimativeScale:
    """Named scales of estimative terms, searchable by forgiving term look-up.

    Immutable: :meth:`merged_with` returns a new object, so the cached
    :meth:`builtin` instance can be shared.
    """

    DEFAULT_SCALE = DEFAULT_SCALE

    def __init__(self, entries: Iterable[ScaleEntry] = ()) -> None:
        self._rows: dict[str, list[ScaleEntry]] = {}
        for entry in entries:
            self._rows.setdefault(entry.scale, []).append(entry)
        self._index = {name: _build_index(rows) for name, rows in self._rows.items()}

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(self._rows[name])}" for name in self.scale_names)
        return f"EstimativeScale({counts})"

    # --- construction

    @classmethod
    def builtin(cls) -> EstimativeScale:
        """The table shipped with the tracker (loaded once, then cached)."""
        return _builtin_scale()

    @classmethod
    def for_project(cls, scale_file: Path | str | None) -> EstimativeScale:
        """The built-in table, overridden and extended by ``scale_file`` (``TRACKER_SCALE_FILE``) if
        set."""
        scale = cls.builtin()
        return scale.merged_with(cls.from_file(scale_file)) if scale_file else scale

    @classmethod
    def from_file(cls, path: Path | str) -> EstimativeScale:
        """A project's own scale file, in the built-in format; any problem is a ConfigError."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ConfigError(f"{path}: cannot read the estimative scale file ({reason})") from exc
        return cls.from_text(text, origin=str(path))

    @classmethod
    def from_text(cls, text: str, origin: str = "<string>") -> EstimativeScale:
        """Parse scale YAML; ``origin`` names the file in error messages."""
        import yaml  # here: reading forecasts back needs no YAML (docs/dev.md, "CLI start-up")

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{origin}: not valid YAML ({_yaml_problem(exc)})") from exc
        return cls(_parse_document(data, origin))

    def merged_with(self, other: EstimativeScale) -> EstimativeScale:
        """Our rows with ``other``'s on top: a row of the same scale and term replaces ours
        (in place), any other row is added."""
        merged = {
            name: {normalize_term(e.term): e for e in rows} for name, rows in self._rows.items()
        }
        for entry in other.entries():
            merged.setdefault(entry.scale, {})[normalize_term(entry.term)] = entry
        return EstimativeScale(e for rows in merged.values() for e in rows.values())

    # --- reading

    @property
    def scale_names(self) -> list[str]:
        """Scale names in search order: the default, the fixed fallbacks, then any others."""
        fixed = [DEFAULT_SCALE, *FALLBACK_ORDER]
        return [n for n in fixed if n in self._rows] + sorted(
            n for n in self._rows if n not in fixed
        )

    def entries(self, scale: str | None = None) -> list[ScaleEntry]:
        """Every row (scales in search order, rows in file order), or one scale's rows."""
        return [e for name in self._search_order(scale) for e in self._rows[name]]

    def find(self, term: str, scale: str | None = None) -> ScaleEntry | None:
        """Like :meth:`lookup`, but None for an unknown term (an unknown scale still raises)."""
        order = self._search_order(scale)
        key = normalize_term(term)
        candidates = [key, *term_variants(key)]
        # Scale by scale, so the default scale's reading of an inflected word
        # ("certainty" -> 0.98) wins over Kent's literal "certainty" (1.0).
        for name in order:
            index = self._index[name]
            hit = next((index[c] for c in candidates if c in index), None)
            if hit is not None:
                return hit
        return None

    def lookup(self, term: str, scale: str | None = None) -> ScaleEntry:
        """The row for ``term`` in ``scale``; with no scale, the default scale first,
        then icd203, kent, survey, ipcc. Raises UnknownTermError."""
        entry = self.find(term, scale)
        if entry is None:
            raise UnknownTermError(term, scale)
        return entry

    def probability(self, term: str, scale: str | None = None) -> float:
        """The point value of ``term``; a row whose source gave no number (Kent's
        "possible") raises UnknownTermError for that row's scale."""
        entry = self.lookup(term, scale)
        if entry.probability is None:
            raise UnknownTermError(term, entry.scale)
        return entry.probability

    def is_vague(self, term: str, scale: str | None = None) -> bool:
        """Whether ``term`` carries little probability information; raises UnknownTermError."""
        return self.lookup(term, scale).vague

    def _search_order(self, scale: str | None) -> list[str]:
        if scale is None:
            return self.scale_names
        if scale not in self._rows:
            known = ", ".join(self.scale_names) or "none"
            raise NotFoundError("estimative scale", scale, f"known scales: {known}")
        return [scale]


def _build_index(rows: list[ScaleEntry]) -> dict[str, ScaleEntry]:
    """Normalised term/alias -> row. Terms beat aliases; otherwise a later row wins,
    which is how an override's alias can shadow a built-in one."""
    index: dict[str, ScaleEntry] = {}
    for entry in rows:
        index.update(dict.fromkeys(map(normalize_term, entry.aliases), entry))
    for entry in rows:
        index[normalize_term(entry.term)] = entry
    return index


@functools.cache
def _builtin_scale() -> EstimativeScale:
    resource = resources.files(BUILTIN_PACKAGE).joinpath(BUILTIN_RESOURCE)
    origin = f"{BUILTIN_PACKAGE}/{BUILTIN_RESOURCE} (built-in)"
    return EstimativeScale.from_text(resource.read_text(encoding="utf-8"), origin=origin)


# ----------------------------------------------------------------- parsing and validation


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line out of PyYAML's multi-line message."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return " ".join(f"{where}{problem}".split())


def _parse_document(data: Any, origin: str) -> list[ScaleEntry]:
    if data is None:
        raise ConfigError(
            f"{origin}: the file is empty; expected a 'scales:' mapping at the top level"
        )
    if not isinstance(data, dict) or not isinstance(data.get("scales"), dict):
        raise ConfigError(f"{origin}: expected a mapping with a 'scales:' mapping at the top level")
    extra = sorted(map(str, set(data) - {"version", "scales"}))
    if extra:
        raise ConfigError(
            f"{origin}: unknown top-level key(s) {', '.join(extra)}; expected 'version', 'scales'"
        )
    entries: list[ScaleEntry] = []
    for name, body in data["scales"].items():
        entries.extend(_parse_scale(str(name), body, origin))
    return entries


def _parse_scale(name: str, body: Any, origin: str) -> list[ScaleEntry]:
    if not isinstance(body, dict) or not isinstance(body.get("terms"), list):
        raise ConfigError(f"{origin}: scale {name!r} must be a mapping with a 'terms:' list")
    entries: list[ScaleEntry] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(body["terms"], start=1):
        entry = _parse_row(row, name, number, origin)
        for key in map(normalize_term, (entry.term, *entry.aliases)):
            if key in seen:
                raise ConfigError(
                    f"{_where(origin, name, number, entry.term)}: duplicate term {key!r} "
                    f"(already in row {seen[key]} of the scale)"
                )
            seen[key] = number
        entries.append(entry)
    return entries


def _where(origin: str, scale: str, number: int, term: object = None) -> str:
    label = f" ({term!r})" if isinstance(term, str) else ""
    return f"{origin}: scale {scale!r}, row {number}{label}"


def _parse_row(row: Any, scale: str, number: int, origin: str) -> ScaleEntry:
    where = _where(origin, scale, number, row.get("term") if isinstance(row, dict) else None)
    if not isinstance(row, dict):
        raise ConfigError(
            f"{where}: a row must be a mapping with the fields {', '.join(_REQUIRED_FIELDS)}"
        )
    _check_field_names(row, scale, where)
    check = _FieldChecker(row, where)
    entry = ScaleEntry(
        term=check.text("term"),
        scale=scale,
        probability=check.unit("probability"),
        low=check.unit("low"),
        high=check.unit("high"),
        vague=check.flag("vague"),
        source=check.text("source"),
        reasoning=check.text("reasoning", required=scale in _REASONING_REQUIRED),
        aliases=check.text_list("aliases"),
    )
    _check_consistency(entry, where)
    return entry


def _check_field_names(row: dict[str, Any], scale: str, where: str) -> None:
    unknown = sorted(map(str, set(row) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS)))
    if unknown:
        allowed = ", ".join(_REQUIRED_FIELDS + _OPTIONAL_FIELDS)
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
    required = _REQUIRED_FIELDS + (("reasoning",) if scale in _REASONING_REQUIRED else ())
    missing = [name for name in required if name not in row]
    if missing:
        raise ConfigError(f"{where}: missing field(s) {', '.join(missing)}")


def _check_consistency(entry: ScaleEntry, where: str) -> None:
    if entry.probability is None and not entry.vague:
        raise ConfigError(
            f"{where}, field 'probability': null is allowed only for a vague term (vague: true)"
        )
    if (entry.low is None) != (entry.high is None):
        raise ConfigError(f"{where}, field 'low'/'high': give both ends of the range or neither")
    if entry.low is None or entry.high is None:
        return
    if entry.low > entry.high:
        raise ConfigError(f"{where}, field 'low': low {entry.low} is above high {entry.high}")
    if entry.probability is not None and not entry.low <= entry.probability <= entry.high:
        raise ConfigError(
            f"{where}, field 'probability': {entry.probability} is outside the row's range "
            f"{entry.low}-{entry.high}"
        )


class _FieldChecker:
    """Reads typed fields out of one row, raising ConfigError that names the row and field."""

    def __init__(self, row: dict[str, Any], where: str) -> None:
        self.row = row
        self.where = where

    def fail(self, name: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}, field {name!r}: {problem}")

    def text(self, name: str, required: bool = True) -> str:
        value = self.row.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not normalize_term(value):
            raise self.fail(name, f"expected a non-empty string, got {value!r}")
        return " ".join(value.split())

    def text_list(self, name: str) -> tuple[str, ...]:
        value = self.row.get(name) or []
        if not isinstance(value, list) or not all(
            isinstance(v, str) and normalize_term(v) for v in value
        ):
            raise self.fail(name, f"expected a list of non-empty strings, got {value!r}")
        return tuple(value)

    def unit(self, name: str) -> float | None:
        value = self.row.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, f"expected a number between 0 and 1, got {value!r}")
        if not 0 <= value <= 1:
            hint = (
                f" (a fraction: write {value / 100:g}, not {value!r})" if 1 < value <= 100 else ""
            )
            raise self.fail(name, f"{value!r} is outside [0, 1]{hint}")
        return float(value)

    def flag(self, name: str) -> bool:
        value = self.row.get(name)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {value!r}")
        return value


# ----------------------------------------------------------------- display


def scale_table_rows(
    scale: EstimativeScale, scale_name: str | None = None, *, with_aliases: bool = False
) -> list[tuple[str, ...]]:
    """Rows for `tracker scale`, columns :data:`SCALE_TABLE_COLUMNS`
    (plus "aliases" last when ``with_aliases``), all as display strings."""
    return [_table_row(entry, with_aliases) for entry in scale.entries(scale_name)]


def _table_row(entry: ScaleEntry, with_aliases: bool) -> tuple[str, ...]:
    probability = "no number" if entry.probability is None else _percent(entry.probability)
    span = (
        ""
        if entry.low is None or entry.high is None
        else f"{_percent(entry.low)}-{_percent(entry.high)}"
    )
    row = (entry.scale, entry.term, probability, span, "yes" if entry.vague else "", entry.source)
    return (*row, ", ".join(entry.aliases)) if with_aliases else row


def _percent(value: float) -> str:
    """0.265 -> "26.5%", 0.7 -> "70%"."""
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"
