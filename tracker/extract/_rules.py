"""Draft evidence rules (``yes_when`` / ``no_when``) and ``default_at_close`` from a claim.

The phrases come from the claim's own words: its main name (a word the article only ever
capitalises, "NATO", "United States") under ``all``, and under ``any`` its verb with the start
of its object in the past and present tense ("announced a long-term moratorium"), a passive's
participle phrase ("accepted into NATO"), and the object's noun phrase.  ``no_when`` drafts the
refusal of that noun phrase ("rejected a long-term moratorium").  The matcher's negation guard
already keeps "did not announce a moratorium" from counting as a yes.

A claim that something will *not* happen ("neither Ukraine nor Georgia will be accepted") or
will last ("remain", "stay") is yes when nothing happens: its event phrases go under
``no_when`` and ``default_at_close`` is ``yes``; any other claim defaults to ``no``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.extract._claims import Claim
from tracker.extract._lexicon import words
from tracker.extract._questions import STOPWORDS, noun_head

Rules = dict[str, list[str]]

AUXILIARY = words("be been have has need needs begin start continue try manage get to")
NEGATIVE_SUBJECT = re.compile(r"^(?:neither|no|none|nobody|nothing)\b", re.IGNORECASE)
PERSISTENCE = words("remain remains stay stays continue keep persist survive last endure")
DETERMINERS = words("a an the its their his her our any some this that these those such no new")
#: words that end an object phrase
OBJECT_END = words(
    "as if that which while because since by when until unless though although than so"
)
MAX_OBJECT_WORDS = 6
PREPOSITIONS = words("on in at to into from with about over of for between against through")
REFUSALS = ("rejected", "rejects", "ruled out", "rules out")


@dataclass(frozen=True)
class DraftRules:
    yes_when: Rules | None
    no_when: Rules | None
    default_at_close: str  # "yes" or "no"


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][\w’'./-]*[\w]|[A-Za-z0-9]", text)


def names(text: str, lower_words: frozenset[str]) -> list[str]:
    """Runs of capitalised words the article never writes in lowercase ("United States")."""
    found: list[str] = []
    run: list[str] = []
    for token in [*_words(text), "."]:
        word = re.sub(r"['’]s$", "", token)
        named = bool(run) or word.lower() not in lower_words or word.isupper()
        proper = word[:1].isupper() and named
        if proper and word.lower() not in STOPWORDS:
            run.append(word)
            continue
        if run:
            found.append(" ".join(run))
        run = []
    return list(dict.fromkeys(found))


def _inflections(verb: str) -> list[str]:
    from lemminflect import getInflection  # its tables load on first use

    forms = [*getInflection(verb, tag="VBD"), *getInflection(verb, tag="VBZ")]
    return list(dict.fromkeys(str(f) for f in forms)) or [verb]


def _object(tokens: list[str]) -> list[str]:
    taken: list[str] = []
    for token in tokens:
        if token.lower() in OBJECT_END or len(taken) >= MAX_OBJECT_WORDS:
            break
        taken.append(token)
    return taken


def _noun_phrase(obj: list[str]) -> str:
    """The words of an object without its determiners and trailing function words ("a long-term
    moratorium on new members" -> "long-term moratorium on new members"); "" for a prepositional
    phrase or a single word."""
    if obj and obj[0].lower() in PREPOSITIONS:
        return ""
    while obj and obj[0].lower() in DETERMINERS:
        obj = obj[1:]
    while obj and obj[-1].lower() in STOPWORDS:
        obj = obj[:-1]
    return " ".join(obj) if len(obj) >= 2 else ""


def _passive(
    participle: str, rest: list[str], subject: str, lower_words: frozenset[str]
) -> list[str]:
    """ "an agreement" + "reached" -> "reached an agreement", "agreement was reached", ...;
    with a name or no subject, the participle with what follows it ("accepted into NATO")."""
    noun = noun_head(subject) if subject else ""
    if not noun or noun not in lower_words or noun in STOPWORDS:
        return [" ".join([participle, *rest])] if rest else []
    if noun.endswith("s"):
        return [f"{noun} were {participle}", f"{noun} have been {participle}"]
    article = "an" if noun[0] in "aeiou" else "a"
    return [
        f"{participle} {article} {noun}",
        f"{noun} was {participle}",
        f"{noun} has been {participle}",
    ]


def _is_participle(word: str) -> bool:
    from lemminflect import getInflection, getLemma

    lemmas = getLemma(word.lower(), upos="VERB")
    return bool(lemmas) and word.lower() in getInflection(lemmas[0], tag="VBN")


def event_phrases(
    predicate: str, subject: str = "", lower_words: frozenset[str] = frozenset()
) -> tuple[list[str], str]:
    """Phrases saying the claimed event happened, and the object's noun phrase (for refusals)."""
    tokens = _words(predicate)
    copula = predicate.lower().startswith("be ")
    while len(tokens) > 1 and tokens[0].lower() in AUXILIARY:
        tokens = tokens[1:]
    if not tokens:
        return [], ""
    verb, obj = tokens[0], _object(tokens[1:])
    if copula or verb.lower() == "be":
        if not _is_participle(verb):
            return [], ""  # "be of a political nature": no event to look for
        return _passive(verb, obj, subject, lower_words), ""
    noun = _noun_phrase(obj)
    tail = " ".join(obj)
    phrases = [f"{form} {tail}".strip() for form in _inflections(verb.lower())] if obj else []
    refused = _refused(obj)
    return [*phrases, *([noun] if noun else [])], refused


def _refused(obj: list[str]) -> str:
    """The object as a refusal would name it: an article and the words up to a preposition ("a
    long-term moratorium"); "" when the object does not start with an article."""
    if not obj or obj[0].lower() not in ("a", "an", "the", "any", "new"):
        return ""
    words_ = [obj[0]]
    for token in obj[1:]:
        if token.lower() in PREPOSITIONS:
            break
        words_.append(token)
    return " ".join(words_) if len(words_) >= 2 else ""


def _clean(phrases: list[str]) -> list[str]:
    """Phrases the rules accept: no ``*``, no quotes, at least one letter, not only stopwords."""
    kept = []
    for phrase in phrases:
        text = " ".join(re.sub(r"[*\"“”()\[\]]", " ", phrase).split()).strip(" ,.;:")
        if re.search(r"[A-Za-z]", text) and set(text.lower().split()) - STOPWORDS:
            kept.append(text)
    return list(dict.fromkeys(kept))


def _rules(all_: list[str], any_: list[str]) -> Rules | None:
    any_ = _clean(any_)
    if not any_:
        return None
    return {"all": _clean(all_), "any": any_} if all_ else {"any": any_}


def _key_name(subject: str, predicate: str, lower_words: frozenset[str]) -> list[str]:
    """The name an article about the event must mention: the subject's first, else the verb
    phrase's last ("agreement ... in Ukraine" -> Ukraine)."""
    return names(subject, lower_words)[:1] or names(predicate, lower_words)[-1:]


def draft_rules(claim: Claim, lower_words: frozenset[str]) -> DraftRules:
    """The evidence rules a claim suggests (see the module docstring)."""
    if claim.frame != "verb" or not claim.predicate:
        noun = claim.predicate if claim.frame == "noun" and not claim.subject else claim.subject
        found = _rules(names(noun, lower_words)[:1], [_noun_phrase(_words(noun)[:6])])
        return DraftRules(found, None, "no")
    events, noun = event_phrases(claim.predicate, claim.subject, lower_words)
    key = _key_name(claim.subject, claim.predicate, lower_words)
    first_verb = next(iter(_words(claim.predicate)), "").lower()
    if NEGATIVE_SUBJECT.match(claim.subject) or first_verb == "not":
        key = _key_name("", claim.predicate, lower_words)
        return DraftRules(None, _rules(key, events), "yes")
    if first_verb in PERSISTENCE:
        return DraftRules(None, None, "yes")
    refusals = [f"{verb} {noun}" for verb in REFUSALS] if noun else []
    return DraftRules(_rules(key, events), _rules(key, refusals), "no")
