"""What a source must be before predictions are looked for in it: some text, not too much, and
English (the scale's words and the patterns are English).

The language check is cheap on purpose: the share of the text's words that are among the most
common English function words (:data:`ENGLISH_WORDS`).  English prose runs at 35-50 %; French,
German or Spanish prose at a few per cent (their "a", "in", "die" and "on" are the overlaps);
a text in another script at none.
"""

from __future__ import annotations

import re

from tracker.errors import ExtractionError
from tracker.extract._lexicon import words

#: the most text the extractor reads (characters; about 1 MB, some 150,000 words): a pasted
#: 10 MB dump is refused rather than read for minutes
MAX_TEXT_CHARS = 1_000_000
ENGLISH_WORDS = words(
    "the of and to a in is that for it on with as be by this are was not will have has at from "
    "or an but which their its they would could can may there been were more than also his her "
    "he she we what who if about into after over had one all"
)
#: below this share of common English words a text is not English
MIN_ENGLISH_SHARE = 0.15
#: texts shorter than this many words are not judged for their language
MIN_WORDS_TO_JUDGE = 20
_WORD = re.compile(r"[^\W\d_]+")


def english_share(text: str) -> tuple[float, int]:
    """The share of the text's words (in any script) that are common English words, and how
    many words it has."""
    found = _WORD.findall(text.lower())
    if not found:
        return 0.0, 0
    return sum(w in ENGLISH_WORDS for w in found) / len(found), len(found)


def check_text(text: str, source: str) -> None:
    """Raises :class:`ExtractionError` when ``text`` cannot be read for predictions; ``source``
    names it in the message (a file, a URL, "the pasted text")."""
    if not text.strip():
        raise ExtractionError(source, "empty", "the text is empty; give the article's text")
    if len(text) > MAX_TEXT_CHARS:
        raise ExtractionError(
            source,
            "too_large",
            f"the text is {len(text):,} characters, over the {MAX_TEXT_CHARS:,} (about 1 MB) the "
            "extractor reads; give one article, not a collection",
        )
    if "\x00" in text:
        raise ExtractionError(source, "not_text", "this is binary data, not text")
    share, count = english_share(text)
    if count >= MIN_WORDS_TO_JUDGE and share < MIN_ENGLISH_SHARE:
        raise ExtractionError(
            source,
            "not_english",
            f"the text does not look like English: {share:.0%} of its words are common English "
            "words such as 'the', 'of', 'and' (in English prose, 35 % to 50 %); the extractor "
            "reads English only",
        )
