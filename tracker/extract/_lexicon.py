"""Word lists the extractor's modules share, written as one string each (read by :func:`words`)."""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The words of a space-separated list."""
    return frozenset(text.split())


def word_list(text: str) -> tuple[str, ...]:
    """The words of a space-separated list, in order."""
    return tuple(text.split())


#: after these a full stop does not end a sentence (lowercased, without the stop)
ABBREVIATIONS = words(
    "mr mrs ms dr prof gen col lt sgt capt adm gov sen rep st jr sr vs etc inc ltd co corp "
    "no nos vol fig approx est dept univ jan feb mar apr jun jul aug sep sept oct nov dec "
    "e.g i.e a.m p.m u.s u.k u.n e.u u.s.a"
)
#: words that say a number is a probability
PROBABILITY_WORDS = words(
    "chance chances probability probabilities likelihood odds likely unlikely likelier likeliest "
    "risk certain certainty sure confident confidence bet possibility prospect prospects"
)
UNITS = word_list(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
TENS = word_list("twenty thirty forty fifty sixty seventy eighty ninety")
