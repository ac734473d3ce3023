"""Which words of probability make a forecast, and which do not.

Each check looks at one hit in its clause and says why it is *not* a forecast, or nothing: a
past report ("was unlikely", "suspected the drills could be"), a counterfactual ("would have
viewed"), a capability ("weapons that could reach"), an indirect question ("whether we might
see"), a quotation of someone's words, an attributive adjective ("any conceivable conditions"),
a judgement about the present ("It's possible that this is ..."), a concession ("may leave a bad
taste, but ..."), a noun that looks like a modal ("political will", "in May"), and so on.
The checks are deliberately simple word rules, written down here one by one so a reader can see
what is left out and why (:func:`why_not_a_forecast`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tracker.extract._dates import mentions_time
from tracker.extract._lexicon import words
from tracker.extract._terms import Hit, Kind

#: a modal is a verb only when a verb (or an adverb) follows; these words say it is a noun
NOT_AFTER_MODAL = words(
    "and or of to for the a an that which is was in on at by with from as than nor"
)
PRONOUNS = words("i we you he she it they")
PAST_AUX = words("was were had did wasn't weren't hadn't didn't")
PAST_REPORTING = words(
    "suspected thought feared believed expected predicted warned said reported claimed told "
    "hoped assumed doubted worried speculated argued estimated"
)
PRESENT_FINITE = words("is are was were has have had did does do isn't aren't wasn't")
#: words that may follow a predicative adjective ("likely to", "impossible as", "possible on")
AFTER_PREDICATE = words(
    "to that for in on at by with if but and or as this these given though although even when "
    "until unless within over during than since enough now yet either too any after before "
    "because so under without here there today soon again anyway anymore however though next "
    "later tomorrow eventually ever"
)
ADJECTIVES = words(
    "likely unlikely possible impossible probable improbable conceivable inevitable certain "
    "remote plausible doubtful non-existent nonexistent unavoidable definite"
)
MONTH_MAY = re.compile(r"^May$")
#: nouns that are themselves a chance: the adjective before them is the estimate
PROBABILITY_NOUNS = words(
    "chance chances possibility prospect prospects probability likelihood risk outcome scenario "
    "bet odds eventuality"
)
#: a word before a term that makes it predicative or adverbial, not attributive
VERB_OR_DEGREE = words(
    "will would could may might should is are be been being was were seems seem looks look "
    "appears appear remains remain becomes become very highly quite so more most less increasingly"
)
#: past verbs of a writer pricing an event: a number after them was given before
PAST_PRICING = words("gave priced rated called")


@dataclass(frozen=True)
class Place:
    """A hit in its clause and sentence (offsets of the hit are into ``clause``)."""

    clause: str
    hit: Hit
    after_clause: str  # the rest of the sentence after the clause

    @property
    def before(self) -> list[str]:
        return _tokens(self.clause[: self.hit.start])

    @property
    def after(self) -> list[str]:
        return _tokens(self.clause[self.hit.end :])

    @property
    def head(self) -> str:
        """The last word of the hit, lowercase ("possible" of "theoretically possible")."""
        return self.hit.written.split()[-1].lower().replace("’", "'")

    def next_is_word(self) -> bool:
        """A word follows (or a parenthetical: "NATO could, at the initiative of ...")."""
        rest = self.clause[self.hit.end :]
        return bool(re.match(r"\s+[A-Za-z]|,\s+[A-Za-z]", rest))


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in re.findall(r"[A-Za-z][A-Za-z'’-]*", text)]


def _is_modal(place: Place) -> bool:
    return place.hit.kind in (Kind.WILL, Kind.HEDGE)


def in_quotation(place: Place) -> str | None:
    before = place.clause[: place.hit.start]
    opened = before.count("“") - before.count("”") + before.count('"') % 2
    return "inside quotation marks: someone else's words" if opened > 0 else None


def modal_is_a_noun(place: Place) -> str | None:
    if not _is_modal(place) and place.head not in ("to",):
        return None
    if MONTH_MAY.match(place.hit.written) and place.hit.start > 0:
        return "'May' the month"
    if re.match(r",\s+[A-Za-z]", place.clause[place.hit.end :]):
        return None  # "NATO could, at the initiative of the United States, announce ..."
    following = place.after[:1]
    if not place.next_is_word() or (following and following[0] in NOT_AFTER_MODAL):
        return f"'{place.hit.written}' is not a verb here"
    return None


def counterfactual(place: Place) -> str | None:
    after = place.after[:2]
    if _is_modal(place) and len(after) == 2 and after[0] == "have" and after[1] != "to":
        return f"'{place.hit.written} have ...': a counterfactual or a past possibility"
    return None


def inverted(place: Place) -> str | None:
    after = place.after[:1]
    if _is_modal(place) and after and after[0] in PRONOUNS:
        return "a modal before its subject: a question or 'nor could they'"
    return None


def capability(place: Place) -> str | None:
    before = place.before[-1:]
    if place.hit.kind is Kind.HEDGE and before and before[0] in ("that", "which", "who"):
        return "a relative clause of capability ('weapons that could reach ...')"
    return None


def purpose(place: Place) -> str | None:
    if re.search(r"\b(?:so|in order) that\b", place.clause[: place.hit.start], re.IGNORECASE):
        return "a purpose clause ('so that it could ...')"
    return None


def past_frame(place: Place) -> str | None:
    if any(word in PAST_AUX for word in place.before[-2:]) or place.hit.estimate.startswith("had "):
        return "in the past tense"
    if place.head in ("expected", "expect") and place.before[-1:] == ["as"]:
        return "'as expected': a past expectation"
    return None


def past_report(place: Place) -> str | None:
    if place.hit.kind is Kind.HEDGE and set(place.before) & PAST_REPORTING:
        return "a backshifted modal after a past report ('suspected the drills could be ...')"
    if place.hit.kind is Kind.NUMBER and set(place.before) & PAST_PRICING:
        return "a number given in the past ('I gave the deal a 70 % chance')"
    return None


def indirect_question(place: Place) -> str | None:
    return "an indirect question ('whether ...')" if "whether" in place.before else None


def attributive(place: Place) -> str | None:
    """ "any conceivable conditions", "likely future threats": an adjective before a noun says
    nothing of an event's chance, unless the noun is a chance itself ("a remote prospect"), or the
    word is an adverb after a verb ("will likely be imposed", "is very likely")."""
    if place.head not in ADJECTIVES or place.hit.kind is Kind.NUMBER:
        return None
    following = place.after[:1]
    verb_before = bool(place.before[-1:]) and place.before[-1] in VERB_OR_DEGREE
    if (
        place.next_is_word()
        and following
        and following[0] not in AFTER_PREDICATE | PROBABILITY_NOUNS
        and not verb_before
    ):
        return f"'{place.hit.written}' describes a noun ('{following[0]}'), it predicts nothing"
    before = place.before[-1:]
    idiom = ("the", "if", "where", "whenever", "wherever", "as")
    if before and before[0] in idiom and not place.next_is_word():
        return f"'{before[0]} {place.hit.written}': an idiom, not a forecast"
    return None


def judges_the_present(place: Place) -> str | None:
    """ "It's possible that this is Putin's attempt": a state now or before, not an event to come
    ("no chance that the treaty is ratified" is one: a passive names an event)."""
    if place.hit.kind not in (Kind.TERM, Kind.NUMBER) or place.after[:1] != ["that"]:
        return None
    words_after = place.after[1:10]
    for i, word in enumerate(words_after):
        if word in ("will", "would", "could", "may", "might", "should", "can", "to", "won't"):
            return None
        if word in PRESENT_FINITE:
            following = words_after[i + 1 : i + 2]
            if word in PAST_AUX or not (following and re.search(r"(?:ed|en)$", following[0])):
                return "a judgement about the present or the past ('possible that this is ...')"
            return None
    return None


def concession(place: Place) -> str | None:
    hedge = place.hit.estimate in ("may", "might", "may well", "might well")
    if hedge and re.match(r",?\s*but\b", place.after_clause.lstrip(), re.IGNORECASE):
        return "a concession ('may ..., but ...')"
    return None


def negated_capability(place: Place) -> str | None:
    if place.hit.negated and place.hit.estimate.split()[0] in ("could", "should"):
        return f"'{place.hit.estimate}': inability or advice, not a forecast"
    return None


def normative(place: Place) -> str | None:
    """ "Should" predicts only with a time ("talks should resume next week"); without one it
    advises ("the minister should resign"), and at the start of a clause it is a condition."""
    if place.hit.estimate != "should":
        return None
    if place.before[-2:-1] in (["can"], ["must"]) or not place.before:
        return "a normative or conditional 'should'"
    if not mentions_time(place.clause):
        return "'should' without a time: advice, not a forecast"
    return None


def de_facto(place: Place) -> str | None:
    if place.hit.estimate == "de facto" and not set(place.before[-2:]) & {"will", "would"}:
        return "'de facto' describes the present"
    return None


def never_past(place: Place) -> str | None:
    following = place.after[:1]
    if place.hit.estimate == "never" and following and re.search(r"ed$|^been$", following[0]):
        return "'never' with a past tense"
    return None


def opportunity(place: Place) -> str | None:
    if place.head in ("chance", "possibility") and place.after[:1] == ["to"]:
        return "'a chance to ...' is an opportunity, not a probability"
    return None


CHECKS: tuple[Callable[[Place], str | None], ...] = (
    in_quotation,
    modal_is_a_noun,
    counterfactual,
    inverted,
    capability,
    purpose,
    past_frame,
    past_report,
    indirect_question,
    attributive,
    judges_the_present,
    concession,
    negated_capability,
    normative,
    de_facto,
    never_past,
    opportunity,
)


def why_not_a_forecast(place: Place) -> str | None:
    """The first reason the hit makes no forecast, or None when it may make one."""
    for check in CHECKS:
        reason = check(place)
        if reason:
            return reason
    return None
