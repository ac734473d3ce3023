"""Tags for a candidate: a keyword map read over its sentence, and the source's own tags."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

#: tag -> the starts of the words (one or two) that suggest it, lowercase; a start that ends with
#: "=" must be the whole word ("war=" is not "warn")
KEYWORDS: dict[str, tuple[str, ...]] = {
    "nato": ("nato", "north atlantic", "alliance"),
    "ukraine": ("ukrain", "kyiv", "kiev", "donbas", "crimea", "kharkiv"),
    "russia": ("russia", "moscow", "kremlin", "putin"),
    "china": ("china", "chinese", "beijing", "taiwan", "xi jinping"),
    "belarus": ("belarus", "lukashenko", "minsk"),
    "us-politics": ("congress", "senate", "white house", "republican", "democrat", "biden"),
    "military": ("military", "troops", "army", "armed forces", "invasion", "invade", "war="),
    "missiles": ("missile", "hypersonic", "warhead", "launcher"),
    "nuclear": ("nuclear",),
    "arms-control": ("arms control", "intermediate", "inf=", "new start", "non-deploy"),
    "diplomacy": ("talks", "negotiat", "summit", "diplomat", "agreement", "dialogue"),
    "treaties": ("treaty", "treaties", "ratif"),
    "enlargement": ("enlargement", "expansion", "accession", "membership", "new members"),
    "sanctions": ("sanction", "embargo", "export control"),
    "elections": ("election", "vote", "ballot", "referendum", "polls=", "candidate"),
    "economy": ("econom", "inflation", "recession", "gdp=", "growth", "unemployment"),
    "markets": ("market", "stock", "shares=", "bond=", "bonds=", "yield", "currenc"),
    "central-banks": ("central bank", "interest rate", "rate cut", "rate hike", "federal reserve"),
    "energy": ("oil=", "gas=", "pipeline", "opec", "energy", "electricity", "coal="),
    "climate": ("climate", "emission", "carbon", "warming", "drought", "heatwave"),
    "water": ("water", "river", "reservoir", "dam=", "dams=", "irrigation", "basin", "rainfall"),
    "technology": ("technolog", "artificial intelligence", "ai=", "software", "semiconductor"),
    "health": ("pandemic", "vaccine", "virus", "hospital", "health"),
}
#: at most this many tags from the keywords per candidate
MAX_TAGS = 5


def _index() -> dict[str, list[tuple[str, bool, str]]]:
    """First three letters -> (start, whole word?, tag) for every keyword."""
    index: dict[str, list[tuple[str, bool, str]]] = {}
    for tag, starts in KEYWORDS.items():
        for start in starts:
            word = start.removesuffix("=")
            index.setdefault(word[:3], []).append((word, word != start, tag))
    return index


_INDEX = _index()


def slug_tag(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def _tags_of(phrase: str) -> list[str]:
    return [
        tag
        for start, whole, tag in _INDEX.get(phrase[:3], ())
        if (phrase == start if whole else phrase.startswith(start))
    ]


def tags_for(sentence: str, source_tags: Iterable[str] = ()) -> list[str]:
    """The keyword map's tags found in the sentence (most mentions first), then the source's."""
    tokens = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", sentence.lower())
    phrases = [*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))]
    counts: dict[str, int] = {}
    for phrase in phrases:
        for tag in _tags_of(phrase):
            counts[tag] = counts.get(tag, 0) + 1
    found = sorted(counts, key=lambda t: -counts[t])[:MAX_TAGS]
    extra = [slug_tag(t) for t in source_tags]
    return list(dict.fromkeys(t for t in [*found, *extra] if t))
