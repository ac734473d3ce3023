"""A draft question ("Will …?") and a slug from a claim, for the analyst to edit."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from tracker.extract._claims import Claim
from tracker.extract._lexicon import words

#: how a noun-phrase claim is asked, by the noun at its head ("demand" -> "be met")
NOUN_VERBS = {
    **dict.fromkeys(
        words("demand demands request requests call calls condition conditions"), "be met"
    ),
    **dict.fromkeys(
        words("plan plans bid attempt attempts effort efforts push proposal proposals idea"),
        "succeed",
    ),
    **dict.fromkeys(
        words(
            "agreement agreements deal deals treaty treaties compromise settlement accord accords "
            "ceasefire truce"
        ),
        "be reached",
    ),
}
STOPWORDS = words(
    "a an the this that these those of to in on at by for with from into as and or but nor if "
    "is are was were be been being will would could may might should can it its it's their "
    "his her our we they he she them there here not no any some such than then so very also "
    "will won't one two three neither either each every both all none"
)
_HEAD_END = re.compile(r"\s+(?:of|for|to|on|in|with|between|from|by|about|over|against)\s", re.I)
#: longest id made from a claim
MAX_SLUG = 60


def _lower_first(text: str, lower_words: frozenset[str]) -> str:
    """The first word in lowercase, unless it is a name ("NATO", "Moscow": never written in
    lowercase in the article)."""
    first, _, rest = text.partition(" ")
    if first.isupper() and len(first) > 1:
        return text
    if first.lower() in lower_words or first.lower() in STOPWORDS:
        return " ".join(filter(None, [first.lower(), rest]))
    return text


def noun_head(phrase: str) -> str:
    """The noun a phrase is about: its last word before a preposition ("Moscow's demand for the
    withdrawal" -> "demand")."""
    head = _HEAD_END.split(" " + phrase + " ", maxsplit=1)[0].split()
    return re.sub(r"['’]s$", "", head[-1]).lower() if head else ""


def _body(claim: Claim) -> str:
    if claim.frame == "verb":
        return f"{claim.subject or 'anyone'} {claim.predicate}"
    if claim.frame == "noun":
        if not claim.subject:
            return f"there be {claim.predicate}"
        verb = NOUN_VERBS.get(noun_head(claim.subject), "happen")
        return f"{claim.subject} {verb} {claim.predicate}"
    return ""


def question(claim: Claim, closes: date, quote: str, lower_words: frozenset[str]) -> str:
    """ "Will <subject> <verb phrase> [<condition>] by <closes>?"; an unparsed claim is asked as
    'Will this come true: "<quote>"?'."""
    body = " ".join(_body(claim).split())
    if not body or (claim.frame != "noun" and not claim.predicate):
        flat = " ".join(quote.split()).rstrip(".!;:")
        return f'Will this come true by {closes.isoformat()}: "{flat}"?'
    if claim.condition:
        body += " " + _lower_first(claim.condition, lower_words)
    text = f"Will {_lower_first(body, lower_words)} by {closes.isoformat()}?"
    return re.sub(r"\s+([,.;:?])", r"\1", " ".join(text.split()))


def slug(claim: Claim, quote: str) -> str:
    """An id from the claim's content words ("nato-announce-long-term-moratorium")."""
    source = f"{claim.subject} {claim.predicate}" if claim.predicate else quote
    ascii_text = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode()
    tokens = [t for t in re.findall(r"[a-z0-9]+", ascii_text.lower()) if t not in STOPWORDS]
    text = "-".join(tokens[:7]) or "prediction"
    return text[:MAX_SLUG].rstrip("-")
