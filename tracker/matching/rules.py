"""Compiling every forecast's evidence rules into one Aho–Corasick automaton.

Each distinct phrase (normalised, with its ``*`` prefix flag) gets a phrase id.  A rule is
*triggered* by its ``any`` phrases (a rule without ``any`` by its longest ``all`` phrase);
the trigger phrases of every forecast go into one automaton, so one scan of an article finds
every rule it may satisfy, whatever the number of forecasts.  The ``all`` and ``none``
phrases of the few triggered rules are then looked up in the text directly (and remembered
for the article).  Context words that thousands of forecasts share ("Russia", "NATO") are
thus never scanned for: they would hit in most articles and cost time per hit for nothing.

The automaton is ``ahocorasick_rs`` (the Rust ``aho-corasick`` crate, contiguous NFA): its
scan time grows far less with the number of phrases than ``pyahocorasick``'s
(``benchmarks/bench_matching.py`` prints both; docs/dev.md has the figures).

The automaton holds each trigger phrase only up to :data:`KEY_CHARS_PAST_FIRST_SPACE`
characters past its first space (:func:`automaton_key`); a match is then checked against the
whole phrase.  With thousands of forecasts the scan's time goes into cache misses on the
automaton's states, and most of those states are the phrases' tails: cut, the automaton is a
fraction of the size, while a first word and the start of the next one are still rare enough
together that few matches need the check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import ahocorasick_rs

from tracker.errors import RuleError
from tracker.matching.text import is_word_char, normalise

Side = Literal["yes", "no"]
SIDES: tuple[Side, ...] = ("yes", "no")
ROLES = ("all", "any", "none")


@dataclass(frozen=True)
class ForecastRules:
    """What the matcher needs of a forecast: its window and its two rules (dicts of phrase lists).

    ``yes_when`` / ``no_when`` have the shape of :class:`tracker.models.Forecast`'s JSON
    columns: ``{"all": [...], "any": [...], "none": [...]}``, any key optional; ``None`` for
    a side without a rule.
    """

    forecast_id: str
    opens: date
    closes: date
    yes_when: Mapping[str, Sequence[str]] | None = None
    no_when: Mapping[str, Sequence[str]] | None = None

    @classmethod
    def from_forecast(cls, forecast: Any) -> ForecastRules:
        """From a :class:`tracker.models.Forecast` (or anything with the same attributes)."""
        return cls(
            forecast.id, forecast.opens, forecast.closes, forecast.yes_when, forecast.no_when
        )

    def side(self, side: Side) -> Mapping[str, Sequence[str]] | None:
        return self.yes_when if side == "yes" else self.no_when


@dataclass(frozen=True, slots=True)
class Phrase:
    """A normalised phrase: its text without ``*``, and the word boundaries it needs.

    A phrase that starts (ends) with a letter or digit must not touch another one before
    (after) it; a ``*`` phrase needs no boundary after it (it is a word prefix).
    """

    key: str
    prefix: bool
    needs_boundary_before: bool
    needs_boundary_after: bool

    @classmethod
    def of(cls, phrase: str) -> Phrase:
        """The phrase as a rule writes it (``ratif*``: a word prefix), normalised.  Raises
        ValueError for a ``*`` inside the phrase or a phrase without a letter or digit."""
        text = normalise(phrase)
        prefix = text.endswith("*")
        key = text[:-1].rstrip() if prefix else text
        if "*" in key:
            raise ValueError(
                f"{phrase!r}: '*' may only end a phrase (a word prefix such as ratif*)"
            )
        if not any(is_word_char(c) for c in key):
            raise ValueError(f"{phrase!r} has no letter or digit to match")
        return cls(key, prefix, is_word_char(key[0]), not prefix and is_word_char(key[-1]))

    def occurrences(self, text: str) -> list[int]:
        """The start offsets of this phrase in normalised ``text``, on word boundaries."""
        return list(self._bounded_starts(text))

    def occurs_in(self, text: str) -> bool:
        """Whether this phrase occurs in normalised ``text`` on word boundaries."""
        return next(self._bounded_starts(text), None) is not None

    def _bounded_starts(self, text: str) -> Iterator[int]:
        last = len(text)
        index = text.find(self.key)
        while index >= 0:
            if self.starts_at(text, index, last):
                yield index
            index = text.find(self.key, index + 1)

    def starts_at(self, text: str, start: int, length: int) -> bool:
        """Whether this phrase occurs at ``start`` in normalised ``text`` (of ``length``), on word
        boundaries: the check of an automaton match (the automaton holds phrases cut short).

        One function, without helpers: it runs for every automaton match.
        """
        key = self.key
        if not text.startswith(key, start):
            return False
        if self.needs_boundary_before and start and is_word_char(text[start - 1]):
            return False
        end = start + len(key)
        return not (self.needs_boundary_after and end < length and is_word_char(text[end]))


#: How much of a trigger phrase past its first space goes into the automaton (see the module
#: docstring): with the keys in sorted order 3 scanned fastest on the benchmark's data (2: 4.3
#: matches an article to check, 4 and 6: more states); 1 lets through tens of matches an article.
KEY_CHARS_PAST_FIRST_SPACE = 3


def automaton_key(key: str) -> str:
    """The part of a normalised phrase the automaton holds: all of it up to its first space,
    and :data:`KEY_CHARS_PAST_FIRST_SPACE` characters more."""
    space = key.find(" ")
    return key if space < 0 else key[: space + 1 + KEY_CHARS_PAST_FIRST_SPACE]


@dataclass(frozen=True, slots=True)
class SideRule:
    """One side of one forecast, compiled to phrase ids (``labels``: id → phrase as written).

    The forecast's id and window are carried here because every triggered rule is checked
    against them first.
    """

    forecast_id: str
    opens: date
    closes: date
    side: Side
    all: tuple[int, ...]
    any: tuple[int, ...]
    none: tuple[int, ...]
    labels: Mapping[int, str]


@dataclass
class CompiledRules:
    """Every forecast's rules, their trigger phrases in one automaton; see :func:`compile_rules`.

    ``problems`` lists the forecasts left out by a non-strict compile.
    """

    forecasts: list[ForecastRules]
    rules: list[SideRule]
    phrases: list[Phrase]  # by phrase id
    automaton: Any  # ahocorasick_rs.AhoCorasick over automaton_keys, or None without rules
    automaton_phrases: list[
        tuple[tuple[int, Phrase], ...]
    ]  # automaton pattern index → (trigger phrase id, phrase)
    triggers: dict[int, tuple[int, ...]]  # phrase id → indexes into ``rules`` it triggers
    fingerprint: str
    problems: list[RuleError] = field(default_factory=list)

    @property
    def forecast_ids(self) -> list[str]:
        return [f.forecast_id for f in self.forecasts]

    @property
    def phrase_count(self) -> int:
        """Distinct phrases of all rules."""
        return len(self.phrases)

    @property
    def automaton_keys(self) -> list[str]:
        """Automaton pattern index → the (cut) trigger key it finds."""
        return [automaton_key(group[0][1].key) for group in self.automaton_phrases]

    @property
    def scanned_phrase_count(self) -> int:
        """Distinct (cut) trigger phrase texts in the automaton."""
        return len(self.automaton_phrases)

    def __len__(self) -> int:
        return len(self.forecasts)


def fingerprint(rules: Iterable[ForecastRules]) -> str:
    """A digest of rules and windows: equal digests compile to the same automaton."""
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.forecast_id):
        record = [
            rule.forecast_id,
            rule.opens.isoformat(),
            rule.closes.isoformat(),
            rule.yes_when,
            rule.no_when,
        ]
        digest.update(json.dumps(record, sort_keys=True, default=_jsonable).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _jsonable(value: object) -> object:
    return dict(value) if isinstance(value, Mapping) else list(value)  # type: ignore[call-overload]


class _Builder:
    def __init__(self) -> None:
        self.phrase_ids: dict[tuple[str, bool], int] = {}
        self.phrases: list[Phrase] = []

    def phrase_id(self, forecast_id: str, field_name: str, phrase: object) -> int:
        if not isinstance(phrase, str):
            raise RuleError(
                forecast_id, field_name, f"a phrase must be text, not {type(phrase).__name__}"
            )
        try:
            parsed = Phrase.of(phrase)
        except ValueError as exc:
            raise RuleError(forecast_id, field_name, str(exc)) from exc
        key, prefix = parsed.key, parsed.prefix
        known = self.phrase_ids.get((key, prefix))
        if known is not None:
            return known
        self.phrase_ids[(key, prefix)] = len(self.phrases)
        self.phrases.append(parsed)
        return len(self.phrases) - 1

    def automaton(
        self, trigger_ids: Iterable[int]
    ) -> tuple[Any, list[tuple[tuple[int, Phrase], ...]]]:
        by_key: dict[str, list[tuple[int, Phrase]]] = {}
        for phrase_id in sorted(trigger_ids):
            phrase = self.phrases[phrase_id]
            by_key.setdefault(automaton_key(phrase.key), []).append((phrase_id, phrase))
        if not by_key:
            return None, []
        # In sorted order: the automaton numbers its states as the keys add them, so sorted keys
        # lay the trie out depth first, and the states under one first word (the keys' cut
        # tails) lie next to each other in memory, where a scan walking them finds them cached.
        keys = sorted(by_key)
        automaton = ahocorasick_rs.AhoCorasick(
            keys,
            matchkind=ahocorasick_rs.MatchKind.Standard,  # every match, overlapping ones included
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )
        return automaton, [tuple(by_key[key]) for key in keys]


def _phrase_list(forecast_id: str, field_name: str, value: object) -> Sequence[object]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise RuleError(forecast_id, field_name, "must be a list of phrases")
    return value


def _compile_side(builder: _Builder, rules: ForecastRules, side: Side) -> SideRule | None:
    spec = rules.side(side)
    if not spec:
        return None
    name = f"{side}_when"
    if not isinstance(spec, Mapping):
        raise RuleError(
            rules.forecast_id, name, "must be a mapping with all / any / none phrase lists"
        )
    unknown = set(spec) - set(ROLES)
    if unknown:
        raise RuleError(
            rules.forecast_id,
            name,
            f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; use all, any, none",
        )
    labels: dict[int, str] = {}
    ids: dict[str, tuple[int, ...]] = {}
    for role in ROLES:
        field_name = f"{name}.{role}"
        role_ids = []
        for phrase in _phrase_list(rules.forecast_id, field_name, spec.get(role)):
            phrase_id = builder.phrase_id(rules.forecast_id, field_name, phrase)
            labels.setdefault(phrase_id, str(phrase).strip())  # a str: phrase_id checked it
            role_ids.append(phrase_id)
        ids[role] = tuple(dict.fromkeys(role_ids))
    if not ids["all"] and not ids["any"]:
        raise RuleError(rules.forecast_id, name, "needs at least one phrase under 'all' or 'any'")
    return SideRule(
        rules.forecast_id,
        rules.opens,
        rules.closes,
        side,
        ids["all"],
        ids["any"],
        ids["none"],
        labels,
    )


def _trigger_phrases(rule: SideRule, phrases: list[Phrase]) -> tuple[int, ...]:
    if rule.any:
        return rule.any
    # Every `all` phrase must occur: waiting for the longest one (likely the rarest) is enough.
    return (max(rule.all, key=lambda phrase_id: len(phrases[phrase_id].key)),)


def compile_rules(rules: Iterable[ForecastRules], *, strict: bool = True) -> CompiledRules:
    """Compile every forecast's rules into one :class:`CompiledRules`.

    A bad rule raises :class:`~tracker.errors.RuleError` naming the forecast and field; with
    ``strict=False`` that forecast is left out and its error kept in ``problems`` instead, so
    one bad row does not stop matching for every other forecast.
    """
    rules = list(rules)
    builder = _Builder()
    forecasts: list[ForecastRules] = []
    compiled: list[SideRule] = []
    problems: list[RuleError] = []
    seen: set[str] = set()
    for forecast in rules:
        try:
            if forecast.forecast_id in seen:
                raise RuleError(
                    forecast.forecast_id, "id", "given twice; each forecast may be compiled once"
                )
            if forecast.closes < forecast.opens:
                raise RuleError(
                    forecast.forecast_id,
                    "closes",
                    f"{forecast.closes} is before opens {forecast.opens}",
                )
            sides = [_compile_side(builder, forecast, side) for side in SIDES]
        except RuleError as error:
            if strict:
                raise
            problems.append(error)
            continue
        seen.add(forecast.forecast_id)
        forecasts.append(forecast)
        compiled.extend(side for side in sides if side is not None)
    triggers: dict[int, list[int]] = {}
    for index, rule in enumerate(compiled):
        for phrase_id in _trigger_phrases(rule, builder.phrases):
            triggers.setdefault(phrase_id, []).append(index)
    automaton, automaton_phrases = builder.automaton(triggers)
    return CompiledRules(
        forecasts=forecasts,
        rules=compiled,
        phrases=builder.phrases,
        automaton=automaton,
        automaton_phrases=automaton_phrases,
        triggers={phrase_id: tuple(indexes) for phrase_id, indexes in triggers.items()},
        fingerprint=fingerprint(rules),
        problems=problems,
    )


class RuleSet:
    """Holds the compiled rules of the current forecasts; recompiles only when they change.

    A worker calls :meth:`update` with the open (and closed-but-unresolved) forecasts before
    each batch: the same rules give back the same :class:`CompiledRules` without rebuilding.
    """

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self._compiled: CompiledRules | None = None
        self.builds = 0

    def update(self, rules: Iterable[ForecastRules]) -> CompiledRules:
        rules = list(rules)
        if self._compiled is None or self._compiled.fingerprint != fingerprint(rules):
            self._compiled = compile_rules(rules, strict=self.strict)
            self.builds += 1
        return self._compiled

    @property
    def compiled(self) -> CompiledRules | None:
        return self._compiled
