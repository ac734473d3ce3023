"""The search syntax (README, "Search syntax"), parsed by us and written out for each engine.

``words`` (all must appear), ``"a phrase"``, ``prefix*`` (2 letters or more before the star),
``-word`` and ``-"a phrase"`` to exclude, ``OR`` between two terms.  Each term is analyzed like
the indexed text (:mod:`._analyze`), then written as an FTS5 ``MATCH`` string with every token
double-quoted (no FTS5 syntax can come from the user) and as a PostgreSQL ``tsquery`` literal
(cast, never ``to_tsquery``, so no second parser is involved).

A prefix is matched against indexed *stems*: ``treaty*`` becomes the common start of the word and
its stem (``treat``), so it finds ``treaty`` (stem ``treati``) and ``treaties``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.errors import InvalidInputError
from tracker.search._analyze import MAX_TOKEN, STOP_WORDS, analyze, stem, words

#: the longest query taken, in characters
MAX_QUERY = 500
#: letters needed before a ``*``
MIN_PREFIX = 2

_LEXEME = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Term:
    """A word or a phrase (its analyzed tokens, in order); ``prefix``: the last token is a
    prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """``groups``: every group must match (a group is one term, or terms joined by ``OR``);
    ``excluded``: no excluded term may appear anywhere."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def highlights(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The tokens a snippet marks, and the prefixes it marks words by."""
        tokens: set[str] = set()
        prefixes: list[str] = []
        for group in self.groups:
            for term in group:
                whole = term.tokens[:-1] if term.prefix else term.tokens
                tokens.update(whole)
                if term.prefix:
                    prefixes.append(term.tokens[-1])
        return frozenset(tokens), tuple(prefixes)


@dataclass
class _Raw:
    text: str
    phrase: bool
    negated: bool


def parse_query(text: str) -> ParsedQuery:
    """The query in ``text``; bad input raises :class:`InvalidInputError` naming ``q``."""
    _check_raw(text)
    raws = _lex(text)
    dropped: list[str] = []
    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    for item in _join_or(raws):
        if isinstance(item, list):
            terms = tuple(t for t in (_term(r, dropped) for r in item) if t is not None)
            if terms:
                groups.append(terms)
        else:
            term = _term(item, dropped)
            if term is not None and item.negated:
                excluded.append(term)
            elif term is not None:
                groups.append((term,))
    if not groups:
        _nothing_to_find(raws, dropped, excluded)
    return ParsedQuery(tuple(groups), tuple(excluded))


def _check_raw(text: str) -> None:
    if "\x00" in text:
        raise InvalidInputError("q", "contains a NUL character; remove it")
    if len(text) > MAX_QUERY:
        raise InvalidInputError(
            "q", f"is {len(text)} characters long; the limit is {MAX_QUERY}, shorten it"
        )
    if text.count('"') % 2:
        at = text.rfind('"')
        after = text[at + 1 : at + 21].strip()
        where = f"before '{after}'" if after else "at the end"
        raise InvalidInputError(
            "q", f'has an unbalanced quote: the " {where} is never closed; add the closing "'
        )


def _lex(text: str) -> list[_Raw | str]:
    """Terms, and the word ``OR`` between them (kept as the string ``"OR"``)."""
    out: list[_Raw | str] = []
    for match in _LEXEME.finditer(text):
        if match.group(3) is None:
            out.append(_Raw(match.group(2), phrase=True, negated=bool(match.group(1))))
            continue
        word = match.group(3)
        if word == "OR":
            out.append("OR")
        elif word.startswith("-") and len(word) > 1:
            out.append(_Raw(word[1:], phrase=False, negated=True))
        else:
            out.append(_Raw(word, phrase=False, negated=False))
    return out


def _join_or(raws: list[_Raw | str]) -> list[_Raw | list[_Raw]]:
    """``a OR b OR c`` becomes one list; an ``OR`` with no term on one side is the word "or"."""
    out: list[_Raw | list[_Raw]] = []
    i = 0
    while i < len(raws):
        item = raws[i]
        if item == "OR":
            before = out[-1] if out else None
            after = raws[i + 1] if i + 1 < len(raws) else None
            if isinstance(after, _Raw) and before is not None:
                if after.negated or (isinstance(before, _Raw) and before.negated):
                    raise InvalidInputError(
                        "q", "OR joins two terms to find; put an excluded -word outside it"
                    )
                out[-1] = [*(before if isinstance(before, list) else [before]), after]
                i += 2
                continue
            item = _Raw("or", phrase=False, negated=False)
        assert isinstance(item, _Raw)
        out.append(item)
        i += 1
    return out


def _term(raw: _Raw, dropped: list[str]) -> Term | None:
    if not raw.phrase and raw.text.endswith("*"):
        return _prefix_term(raw.text.rstrip("*"))
    tokens = analyze(raw.text)
    if not tokens:
        dropped.extend(w for w in words(raw.text) if w in STOP_WORDS)
        return None
    return Term(tuple(tokens))


def _prefix_term(text: str) -> Term:
    runs = words(text)
    last = runs[-1] if runs else ""
    if len(last) < MIN_PREFIX:
        raise InvalidInputError(
            "q", f"a * needs at least {MIN_PREFIX} letters before it (like 'morat*'); add them"
        )
    start = _common_start(last, stem(last))[:MAX_TOKEN]
    if len(start) < MIN_PREFIX:
        start = last[:MAX_TOKEN]
    return Term((*analyze(" ".join(runs[:-1])), start), prefix=True)


def _common_start(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _nothing_to_find(raws: list[_Raw | str], dropped: list[str], excluded: list[Term]) -> None:
    if dropped:
        common = ", ".join(f"'{w}'" for w in dict.fromkeys(dropped))
        raise InvalidInputError(
            "q", f"every word is too common to search: {common}; add a rarer word"
        )
    if excluded or any(isinstance(r, _Raw) and r.negated for r in raws):
        raise InvalidInputError("q", "only excludes words; add a word to find")
    raise InvalidInputError("q", "has no words to search for; type a word of letters or digits")


# --- FTS5 -------------------------------------------------------------------------------------


def _fts_term(term: Term) -> str:
    phrase = " + ".join(f'"{t}"' for t in term.tokens)
    return phrase + " *" if term.prefix else phrase


def _fts_positive(query: ParsedQuery, columns: str | None) -> str:
    groups = " AND ".join(
        "(" + " OR ".join(_fts_term(t) for t in group) + ")" for group in query.groups
    )
    return f"({{{columns}}} : ({groups}))" if columns else f"({groups})"


def _fts_excluded(query: ParsedQuery) -> str:
    return "".join(f" NOT ({_fts_term(t)})" for t in query.excluded)


#: the columns a tier's whole query must match within, and those of the tier above it
_TIER_COLUMNS: dict[int, tuple[str | None, str | None]] = {
    2: ("title", None),
    1: ("title lead", "title"),
    0: (None, "title lead"),
}


def fts_match(query: ParsedQuery, tier: int | None = None) -> str:
    """The FTS5 ``MATCH`` string of the rows of ``tier`` (None: every row the query finds)."""
    if tier is None:
        return _fts_positive(query, None) + _fts_excluded(query)
    within, above = _TIER_COLUMNS[tier]
    text = _fts_positive(query, within)
    if above:
        text += f" NOT {_fts_positive(query, above)}"
    return text + _fts_excluded(query)


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_term(term: Term, weights: str) -> str:
    parts = [f"'{t}'" + (":" + weights if weights else "") for t in term.tokens]
    if term.prefix:
        parts[-1] = f"'{term.tokens[-1]}':*{weights}"
    return "(" + " <-> ".join(parts) + ")"


def _pg_positive(query: ParsedQuery, weights: str) -> str:
    return (
        "("
        + " & ".join(
            "(" + " | ".join(_pg_term(t, weights) for t in group) + ")" for group in query.groups
        )
        + ")"
    )


#: the weights of a tier's fields, and of the tier above it (title A, lead B, the rest D)
_TIER_WEIGHTS: dict[int, tuple[str, str | None]] = {2: ("A", None), 1: ("AB", "A"), 0: ("", "AB")}


def pg_tsquery(query: ParsedQuery, tier: int | None = None) -> str:
    """The ``tsquery`` literal of the rows of ``tier`` (None: every row the query finds)."""
    within, above = _TIER_WEIGHTS[0 if tier is None else tier]
    parts = [_pg_positive(query, within if tier is not None else "")]
    if tier is not None and above:
        parts.append("!" + _pg_positive(query, above))
    parts.extend("!" + _pg_term(t, "") for t in query.excluded)
    return " & ".join(parts)


#: a condition on one of PostgreSQL's vectors: (column, tsquery literal, negated)
PgCondition = tuple[str, str, bool]


def pg_conditions(query: ParsedQuery, tier: int | None) -> list[PgCondition]:
    """An article's tier as conditions on its two vectors: ``head_tsv`` (title A, lead B: small,
    stored inline, with statistics of its own) for tiers 2 and 1, ``tsv`` (everything) for tier
    0 and the exclusions.  The same rows as :func:`pg_tsquery` on ``tsv`` alone, but the planner
    knows how rare a word is in titles, and checks a small vector per row."""
    excluded = [f"!{_pg_term(t, '')}" for t in query.excluded]
    if tier is None:
        return [("tsv", pg_tsquery(query), False)]
    if tier == 0:
        full = " & ".join([_pg_positive(query, ""), *excluded])
        return [("tsv", full, False), ("head_tsv", _pg_positive(query, "AB"), True)]
    head = _pg_positive(query, "A")
    if tier == 1:
        head = f"{_pg_positive(query, 'AB')} & !{head}"
    return [("head_tsv", head, False)] + (
        [("tsv", " & ".join(excluded), False)] if excluded else []
    )
