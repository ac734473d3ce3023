"""The one analyzer both engines index with (pure: no database).

Text becomes tokens here, in Python, and each engine is handed the tokens already made: SQLite
FTS5 a space-joined string its ``ascii`` tokenizer splits back unchanged, PostgreSQL a
``tsvector`` literal.  So both see the same tokens at the same positions and find the same rows
(``to_tsvector`` would split hosts, decimals and hyphens its own way).

Steps: NFKC, casefold, strip diacritics (NFKD, combining marks dropped), tokens are runs of
letters and digits (no underscore), tokens longer than :data:`MAX_TOKEN` and the words of
:data:`STOP_WORDS` are dropped, the rest stemmed (Snowball English, PyStemmer).  A change to any
step changes which rows a query finds: bump :data:`ANALYZER_VERSION`, and ``tracker search
reindex`` rebuilds the index with it.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

import Stemmer

#: stored beside the index; an index made by another version is stale (``tracker search reindex``)
ANALYZER_VERSION = 2

#: tokens kept per document, all fields together (PostgreSQL's positions end at 16,383)
MAX_POSITIONS = 16_000

#: longer runs (hashes, base64, glued URLs) are not words anyone searches for
MAX_TOKEN = 40

#: our own short list: words so common that they find nearly every article
STOP_WORDS = frozenset(
    """a an and are as at be but by for from had has have he her his i if in into is it its
    of on or our she so than that the their them then there these they this to was we were
    which who will with would you""".split()  # noqa: SIM905 (a paragraph reads better)
)

_RUN = re.compile(r"[^\W_]+")
_STEMMER = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """NFKC, casefold, diacritics stripped: what a token is compared as before stemming."""
    if text.isascii():  # the common case, and NFKC, casefold and NFKD change nothing there
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    if decomposed.isascii():
        return decomposed
    return unicodedata.normalize("NFC", _combining_marks().sub("", decomposed))


@cache
def _combining_marks() -> re.Pattern[str]:
    """Every combining mark (made once, on the first text that is not ASCII: 0.1 s)."""
    marks = "".join(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c)))
    return re.compile(f"[{re.escape(marks)}]+")


#: word -> its stem, or "" for a word left out (a stop word, an over-long run); bounded
_STEMS: dict[str, str] = {}
_MAX_CACHED = 500_000

#: ASCII text to its words in one C pass: letters and digits lowercased, every other character
#: a space (what ``_RUN`` finds in folded ASCII text, split by ``str.split``)
_ASCII_WORDS = str.maketrans(
    {code: (chr(code).lower() if chr(code).isalnum() else " ") for code in range(128)}
)


def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """The folded runs of letters and digits of ``text``, stop words and over-long runs kept.
    ASCII text (nearly all of it) is split by a translation table, four times the regular
    expression's speed; both give the same words (a test holds them to it)."""
    if text.isascii():
        return text.translate(_ASCII_WORDS).split()
    return _RUN.findall(fold(text))


def analyze(text: str | None) -> list[str]:
    """The index tokens of ``text``, in order.  (The hot loop of indexing: every word is looked
    up in C, ``map`` and ``filter``, not in a Python loop; words not cached yet are stemmed once
    each and the look-up runs again.)"""
    if not text:
        return []
    found = words(text)
    cache = _STEMS
    try:
        return list(filter(None, map(cache.__getitem__, found)))
    except KeyError:  # a word seen for the first time
        for word in set(found).difference(cache):
            token_of(word)
        if len(cache) >= _MAX_CACHED:  # full: some of them were not cached
            return [token for token in map(token_of, found) if token]
        return list(filter(None, map(cache.__getitem__, found)))


def token_of(word: str) -> str:
    """The index token of one folded word ("" when it is left out), cached."""
    token = _STEMS.get(word)
    if token is None:
        token = "" if word in STOP_WORDS or len(word) > MAX_TOKEN else stem(word)
        if len(_STEMS) < _MAX_CACHED:
            _STEMS[word] = token
    return token
