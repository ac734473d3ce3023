"""What is indexed of an article and of a forecast, as analyzed fields (pure: no database).

Three fields per document: ``title``, ``lead`` and ``body`` (see docs/dev.md, "Search").  Both
engines get them from :func:`fts_values` and :func:`tsvector_literal`, made from one token list,
so they agree on every token and position:

- at most :data:`~._analyze.MAX_POSITIONS` tokens per document, title first;
- PostgreSQL keeps at most 256 positions per lexeme: later occurrences are written to FTS5 as a
  filler token no query can produce (``·``), so phrases see the same positions on both;
- PostgreSQL numbers positions across fields: a gap of one position between fields keeps a
  phrase from spanning two of them, as in FTS5, where columns are apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, islice

from tracker.search._analyze import MAX_POSITIONS, analyze

Fields = tuple[list[str], list[str], list[str]]

#: well under PostgreSQL's 1 MB limit of a tsvector, positions included (16,000 of 2 bytes)
MAX_LEXEME_BYTES = 900_000
#: PostgreSQL's limit of positions per lexeme in a tsvector
MAX_OCCURRENCES = 256
#: a token no query can produce (not a letter or digit; FTS5's ascii tokenizer keeps it whole)
FILLER = "\u00b7"
_WEIGHTS = ("A", "B", "")


def analyze_fields(title: str | None, lead: str | None, body: Iterable[str | None]) -> Fields:
    """The tokens of each field, capped per document (title first, then lead, then body)."""
    budget = MAX_POSITIONS
    out: list[list[str]] = []
    texts = (title or "", lead or "", " \n".join(t for t in body if t))
    for text in texts:
        tokens = analyze(text)[:budget]
        budget -= len(tokens)
        out.append(tokens)
    if _may_pass_bytes(texts, out):
        return _within_bytes(out)
    return out[0], out[1], out[2]


def _may_pass_bytes(texts: tuple[str, str, str], fields: list[list[str]]) -> bool:
    """Whether the tokens may take more than :data:`MAX_LEXEME_BYTES` (4 bytes a character at
    most).  ASCII text has no more token characters than text characters, so most documents
    are cleared by their length without counting their tokens (``str.isascii`` is a flag)."""
    if all(map(str.isascii, texts)) and sum(map(len, texts)) * 4 <= MAX_LEXEME_BYTES:
        return False
    return sum(map(len, chain(*fields))) * 4 > MAX_LEXEME_BYTES


def _within_bytes(fields: list[list[str]]) -> Fields:
    """The fields up to the token whose distinct lexemes would pass :data:`MAX_LEXEME_BYTES`
    (a document of thousands of distinct long words in a four-byte script)."""
    seen: set[str] = set()
    size = 0
    out: list[list[str]] = []
    for tokens in fields:
        kept: list[str] = []
        for token in tokens:
            if token not in seen:
                size += len(token.encode()) + 8  # the lexeme, its header and a position
                seen.add(token)
            if size > MAX_LEXEME_BYTES:
                break
            kept.append(token)
        out.append(kept)
        if size > MAX_LEXEME_BYTES:
            out += [[]] * (3 - len(out))
            break
    return out[0], out[1], out[2]


def article_fields(
    title: str | None,
    summary: str | None,
    body: str | None,
    author: str | None,
    publisher: str | None,
) -> Fields:
    return analyze_fields(title, summary, (body, author, publisher))


def article_index_values(
    sqlite: bool,
    title: str | None,
    summary: str | None,
    body: str | None,
    author: str | None,
    publisher: str | None,
) -> tuple[str, ...]:
    """An article's entry as the engine takes it: FTS5's three columns (``sqlite``) or the two
    ``tsvector`` literals.  Pure, so a feed's parse worker makes them for its new rows before
    any write lock is taken (the analysis is most of an entry's indexing cost)."""
    fields = article_fields(title, summary, body, author, publisher)
    return fts_values(fields) if sqlite else pg_values(fields)


def forecast_fields(
    question: str | None, quote: str | None, criteria: Sequence[str | None]
) -> Fields:
    """``criteria``: the criteria text, the yes_when/no_when phrases, author, source title/key."""
    return analyze_fields(question, quote, criteria)


def fts_values(fields: Fields) -> tuple[str, str, str]:
    """The three column values for FTS5 (space-joined tokens, over-used ones as the filler)."""
    if not _may_overuse(fields):  # the usual case
        return " ".join(fields[0]), " ".join(fields[1]), " ".join(fields[2])
    seen: dict[str, int] = {}
    columns = []
    for tokens in fields:
        kept = []
        for token in tokens:
            seen[token] = seen.get(token, 0) + 1
            kept.append(token if seen[token] <= MAX_OCCURRENCES else FILLER)
        columns.append(" ".join(kept))
    return columns[0], columns[1], columns[2]


#: how often a token may occur in the part of a document :func:`_may_overuse` counts first
_COUNTED_MARGIN = 64


def _may_overuse(fields: Fields) -> bool:
    """Whether a token may occur more than :data:`MAX_OCCURRENCES` times in the document.  A
    document of no more tokens (a title and a teaser) is not counted.  Otherwise its first
    ``n - MAX_OCCURRENCES + _COUNTED_MARGIN`` tokens are counted first: when none occurs more
    than ``_COUNTED_MARGIN`` times there, the ``MAX_OCCURRENCES - _COUNTED_MARGIN`` tokens left
    cannot carry one past the limit.  An article of 4,000 characters (about 400 tokens) has
    half of them counted (counting them all was a sixth of its analysis); only a document
    where one token crowds that first part is counted whole."""
    total = sum(map(len, fields))
    if total <= MAX_OCCURRENCES:
        return False
    first = Counter(islice(chain(*fields), total - MAX_OCCURRENCES + _COUNTED_MARGIN))
    if max(first.values()) <= _COUNTED_MARGIN:
        return False
    return max(Counter(chain(*fields)).values()) > MAX_OCCURRENCES


def tsvector_literal(fields: Fields, *, head: bool = False) -> str:
    """The ``tsvector`` literal: ``'tok':1A,5A 'other':3B`` (title A, lead B, body D); ``head``:
    of the title and lead only (the same positions), PostgreSQL's ``head_tsv``."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in zip(fields[:2] if head else fields, _WEIGHTS, strict=False):
        for token in tokens:
            position += 1
            at = positions.setdefault(token, [])
            if len(at) < MAX_OCCURRENCES:
                at.append(f"{position}{weight}")
        position += 1  # the gap between fields
    return " ".join(f"'{token}':{','.join(at)}" for token, at in positions.items())


def pg_values(fields: Fields) -> tuple[str, str]:
    """An article's two vectors for PostgreSQL: the whole document's, and its title and lead's."""
    return tsvector_literal(fields), tsvector_literal(fields, head=True)
