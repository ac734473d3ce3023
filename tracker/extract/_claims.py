"""What a prediction claims: its subject, its verb phrase (base form), its condition, and who
said it, read from the clause around the words of probability.

No parser: the frames pundits write in are few, and each is a pattern here.

- a modal: "NATO could announce a moratorium" -> NATO / announce a moratorium;
- a predicative term with ``to``: "this is unlikely to happen" -> this / happen;
- an impersonal frame with ``that``: "It's possible that an agreement could be reached" -> the
  clause after ``that`` read again;
- an impersonal frame with ``to``: "it's virtually impossible to reach any agreements" -> no
  subject / reach any agreements;
- "the chances of X doing Y are ..." -> X / do Y (the gerund made a base form by lemminflect);
- a copula: "Agreements are theoretically possible on two issues" -> a noun phrase, asked as
  "Will agreements be reached on two issues?";
- a stated plan: "have promised to present ..." -> present ...

A condition ("If X, ...", "Should X, ...", "... as long as X", "if the talks fail, Moscow will")
is kept apart, and so is a report of someone else's words ("Biden has said that ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.extract._lexicon import words
from tracker.extract._terms import Hit, Kind

I = re.IGNORECASE  # noqa: E741 (the regex flag's own name)

MODALS = words("will would could may might should can won't wouldn't shall")
CONNECTORS = re.compile(
    r"^(?:(?:yet|but|and|or|so|still|however|finally|meanwhile|moreover|indeed|thus|then|now|"
    r"right now|today|in fact|of course|also|therefore|instead|plus|after all|for now|in short|"
    r"at the same time|at present|as a result|in any case|in this case|for example)\b[,\s]*)+",
    I,
)
#: adverbs that stand between a subject and its verb, or a modal and its verb
ADVERBS = words(
    "also certainly still well eventually then now even soon logically therefore actually indeed "
    "easily perhaps probably possibly likely simply surely currently already just really finally "
    "ultimately quickly further only again instead however thus hence"
)
BE = words("is are was were be been being 's am")
#: the words of a modal hit before its verb ("is going to", "will not", "may well")
HIT_FILLERS = words("not never going to well is are")
#: degree words between a copula and its adjective ("is as impossible as")
DEGREE = words("as so too more less most quite very rather equally")
FINITE = words("is are was were has have had does did")
#: a subject longer than this is a misreading
MAX_SUBJECT_WORDS = 14
_LEADING_CONDITION = re.compile(
    r"(?P<cond>\b(?:if|unless|once|should|provided(?:\s+that)?|in\s+the\s+event\s+(?:that|of)|"
    r"in\s+case|for\s+(?:that|this|it)\s+to\s+happen)\b[^,]*?),\s+",
    I,
)
_TRAILING_CONDITION = re.compile(
    r",?\s+(?P<cond>(?:if|unless|as\s+long\s+as|so\s+long\s+as|provided(?:\s+that)?)\b.*?)"
    r"[.!;:]*$",
    I,
)
#: a report of someone's words before the claim (lowercase verbs: "United States" is no verb)
_ATTRIBUTION = re.compile(
    r"^(?P<who>.*?\b(?:said|says|told|warned|warns|stated|claimed|claims|argued|argues|"
    r"insisted|insists|predicted|predicts|announced|announces|[Aa]ccording\s+to\s+[^,]+))"
    r"(?:\s+publicly)?(?:\s+that|,)?\s+"
)
_CHANCES_OF = re.compile(
    r"^(?:the\s+)?(?:chances?|odds|likelihood|probability|prospects?|risk|possibility)\s+"
    r"(?:of|that)\s+(?P<rest>.+?)\s+(?:is|are|was|were|remains?|seems?|looks?)\s*(?:\w+ly\s+)?$",
    I,
)
_IMPERSONAL = re.compile(r"^(?:it|there)(?:['’]s)?$", I)
_HAS_A = re.compile(r"\s+(?:has|have|had|stands?|gives?|is|are)\s+(?:a|an|the)?\s*$", I)
_TRIM_TAIL = re.compile(
    r"(?:,|\s+—|\s+–)\s+(?:as|since|because|which|for\s+example|for\s+instance|say|thereby|while|"
    r"although|though|given|thus|so|rather|from|unlike|even|in\s+which|paving)\b.*$",
    I,
)
_NUMBER_NOUN = re.compile(
    r"^\s*(?:chance|probability|likelihood|risk|odds|possibility)\b(?:\s+(?:that|of))?", I
)
_HOPED_COPULA = re.compile(r"^\s*(?:here\s+)?(?:is|are|was|would\s+be|will\s+be)\s+", I)


@dataclass(frozen=True)
class Claim:
    """What a prediction says will happen, in pieces a question is built from."""

    subject: str  # "" when the clause names none ("it's possible to agree on ...")
    predicate: str  # a verb phrase in the base form ("announce a moratorium"), or a noun phrase
    frame: str  # "verb", "noun" (asked as "be reached", "be met", ...), or "clause" (unparsed)
    condition: str | None = None
    attribution: str | None = None  # "Russian officials have said"


_SUBORDINATE = re.compile(
    r"^(?:given|since|as|while|although|though|because|despite|with|after|before|when|whereas)"
    r"\b[^,]*,\s*",
    I,
)


def clean_subject(text: str) -> str:
    """The subject without the connectors and reason clauses before it ("Yet", "Since X, ")
    and the adverbs after it."""
    text = CONNECTORS.sub("", " ".join(text.split()).strip(" ,;:—–-"))
    text = _SUBORDINATE.sub("", text).strip(" ,;:—–-")
    tokens = text.split()
    while tokens and (tokens[-1].lower().strip(",") in ADVERBS or tokens[-1] in (",", "—")):
        tokens.pop()
    text = " ".join(tokens).strip(" ,")
    return re.sub(r",\s*(?:however|therefore|meanwhile|though|too|then)$", "", text, flags=I)


def clean_predicate(text: str) -> str:
    text = text.strip()
    text = re.sub(r"^,[^,]*,\s*", "", text)  # "could, at the initiative of X, announce"
    tokens = text.split()
    while tokens and tokens[0].lower().strip(",") in ADVERBS:
        tokens.pop(0)
    text = _TRIM_TAIL.sub("", " ".join(tokens))
    return text.strip(" ,;:.!?—–")


def _condition(before: str, after: str) -> tuple[str, str, str | None]:
    lead = _LEADING_CONDITION.search(before)
    if lead is not None:
        return before[: lead.start()] + before[lead.end() :], after, lead["cond"].strip()
    trail = _TRAILING_CONDITION.search(after)
    if trail is not None:
        return before, after[: trail.start()], trail["cond"].strip()
    return before, after, None


def _attribution(before: str) -> tuple[str, str | None]:
    found = _ATTRIBUTION.search(before)
    if found is None:
        return before, None
    return before[found.end() :], clean_subject(found["who"])


def _lemma(word: str) -> str:
    from lemminflect import getLemma  # its tables load on first use

    lemmas = getLemma(word.lower(), upos="VERB")
    return str(lemmas[0]) if lemmas else word


def _gerund_clause(text: str) -> tuple[str, str] | None:
    """ "the United States implementing Russia's demands" -> ("the United States", "implement
    Russia's demands"); None without a gerund."""
    tokens = text.split()
    for i, token in enumerate(tokens):
        if token.endswith("ing") and len(token) > 4 and token[0].islower():
            return " ".join(tokens[:i]), " ".join([_lemma(token), *tokens[i + 1 :]])
    return None


def is_modal(hit: Hit) -> bool:
    """A hit that is, or holds, a modal verb: "could", "will not", "may well", "probably won't"
    (not "it would be possible", whose subject is "it")."""
    tokens = [t.lower().replace("’", "'") for t in hit.written.split()]
    if hit.kind in (Kind.WILL, Kind.HEDGE):
        return True
    return bool(set(tokens) & MODALS) and tokens[0] in MODALS | ADVERBS


def _after_modal(hit: Hit, after: str) -> str:
    """The verb phrase after a modal hit: "could be reached" -> "be reached", "will not join"
    -> "join"."""
    tokens = hit.written.split()
    while tokens and tokens[0].lower().replace("’", "'") in MODALS | ADVERBS | HIT_FILLERS:
        tokens.pop(0)
    return " ".join([*tokens, after])


def _complement(text: str) -> tuple[str, str, str]:
    """A ``that`` clause: its subject and verb phrase, read at its first modal."""
    tokens = text.split()
    for i, token in enumerate(tokens):
        if token.lower().replace("’", "'") in MODALS:
            rest = tokens[i + 1 :]
            if token.lower().startswith(("won", "wouldn")):
                rest = ["not", *rest]
            return " ".join(tokens[:i]), " ".join(rest), "verb"
    return "", text, "clause"


def _frame(hit: Hit, before: str, after: str) -> tuple[str, str, str]:
    """(subject, predicate, frame) for the hit's frame (see the module docstring)."""
    if hit.kind is Kind.NUMBER:
        after = _NUMBER_NOUN.sub(lambda m: " that" if "that" in m[0] else " of", after, count=1)
        before = _HAS_A.sub("", before)
    rest = after.strip(" ,")
    if is_modal(hit):
        return before, _after_modal(hit, after), "verb"
    chances = _CHANCES_OF.match(before.strip(" ,"))
    if chances is not None:
        gerund = _gerund_clause(chances["rest"])
        return (*gerund, "verb") if gerund else ("", chances["rest"], "noun")
    if re.match(r"that\b", rest, I):
        return _complement(rest[4:])
    if re.match(r"of\b", rest, I):
        gerund = _gerund_clause(rest[2:])
        if gerund is not None:
            return (gerund[0] or before, gerund[1], "verb")
    if re.match(r"to\b", rest, I) or hit.kind is Kind.PLAN:
        return _subject_before_verb(before), re.sub(r"^to\s+", "", rest, flags=I), "verb"
    if before.split()[-1:] and before.split()[-1].lower() in MODALS:
        return " ".join(before.split()[:-1]), rest, "verb"
    copula = _HOPED_COPULA.match(after)
    if hit.estimate.startswith("the most") and copula is not None:
        return "", after[copula.end() :], "noun"
    subject = _subject_before_verb(before)
    infinitive = re.search(r"\bto\s+(?=[a-z])", rest)
    if not subject and infinitive is not None:  # "it could be possible during X to address Y"
        return "", rest[infinitive.end() :], "verb"
    return subject, _copular_rest(rest), "noun"


def _copular_rest(rest: str) -> str:
    """What follows a predicative term: "on two of the three key issues"; "as it is ..." (a
    comparison) and "and would ..." (another verb) are dropped."""
    if re.match(r"(?:as|and|but|or)\b", rest, I):
        return ""
    return rest


def _subject_before_verb(before: str) -> str:
    """The subject of "X is/are (adverb) <term>": the words before the verb "to be"; none for
    "it is", "it's", "it will be harder,", "there is"."""
    tokens = clean_subject(before).split()
    while tokens and (tokens[-1].lower() in BE | ADVERBS | MODALS | DEGREE):
        tokens.pop()
    if tokens and _IMPERSONAL.match(tokens[0]) and len(tokens) <= 5:
        return ""
    return " ".join(tokens)


def parse_claim(clause: str, hit: Hit, prior: str = "") -> Claim:
    """The claim of ``clause`` around ``hit`` (offsets into ``clause``); ``prior`` is the text of
    the sentence before the clause, where a clause without a subject ("..., and are planning to
    evacuate ...") finds it."""
    before, attribution = _attribution(_flat_keep_edges(clause[: hit.start]))
    before, after, condition = _condition(before, _flat_keep_edges(clause[hit.end :]))
    subject, predicate, frame = _frame(hit, before, after)
    subject = clean_subject(subject)
    if not subject and frame == "verb" and (is_modal(hit) or hit.kind is Kind.PLAN):
        subject = clean_subject(_subject_of(prior))
    if subject.lower() in ("it", "they") and condition:
        subject = _proper_noun(condition) or subject
    if frame == "verb" and _not_a_subject(subject):
        frame = "clause"
    return Claim(subject, clean_predicate(predicate), frame, _flat(condition), _flat(attribution))


def _flat(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


def _flat_keep_edges(text: str) -> str:
    """Whitespace runs as one space, and a word cut by a line-end hyphen joined
    ("two-\nthirds" -> "two-thirds")."""
    return re.sub(r"\s+", " ", re.sub(r"(\w)-\s*\n\s*(\w)", r"\1-\2", text))


def _not_a_subject(subject: str) -> bool:
    """A "subject" with a verb of its own in it (outside a relative clause), or too long to be
    one: the modal found was not the claim's own ("no treaties can provide guarantees that they
    will be ...", "History has shown that ... it will")."""
    tokens = [t.lower().strip(",") for t in subject.split()]
    if len(tokens) > MAX_SUBJECT_WORDS:
        return True
    return any(
        word in MODALS | FINITE and (i == 0 or tokens[i - 1] not in ("that", "which", "who"))
        for i, word in enumerate(tokens)
    )


def _subject_of(sentence: str) -> str:
    """The words of a sentence before its first verb-like word (a rough subject)."""
    tokens = CONNECTORS.sub("", sentence.strip()).split()
    for i, token in enumerate(tokens):
        word = token.lower().strip(",")
        if word in BE | MODALS or word in ("has", "have", "had") or word.endswith("ed"):
            return " ".join(tokens[:i])
    return ""


def _proper_noun(text: str) -> str | None:
    """The first capitalised word run of ``text`` after its first word ("If Russia cannot ..."
    -> "Russia")."""
    found = re.search(r"(?<=\s)([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)", text)
    return re.sub(r"['’]s$", "", found[1]) if found else None
