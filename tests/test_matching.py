"""Matching articles against forecasts' evidence rules (tracker.matching)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ARTICLE_FILE
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import RuleError
from tracker.matching import (
    ArticleText,
    ForecastRules,
    RuleSet,
    compile_rules,
    is_negated,
    match_article,
    match_batch,
    negated_at,
    negation,
    normalise,
)
from tracker.matching.text import PreparedText, clean

OPENS, CLOSES = date(2022, 1, 21), date(2022, 12, 31)
IN_WINDOW = datetime(2022, 6, 1, 12, tzinfo=UTC)


def rules(yes=None, no=None, forecast_id="f", opens=OPENS, closes=CLOSES) -> ForecastRules:
    return ForecastRules(forecast_id, opens, closes, yes, no)


def match(forecasts, title, summary="", published=IN_WINDOW):
    forecasts = forecasts if isinstance(forecasts, list) else [forecasts]
    return match_article(compile_rules(forecasts), ArticleText("a1", title, summary, published))


def sides(hits):
    return {(h.forecast_id, h.side, h.negated) for h in hits}


# --- phrases: word boundaries, prefixes, normalisation --------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("NATO leaders met", True),
        ("The NATO-led mission", True),  # a hyphen is not part of a word
        ("NATO's summit", True),
        ("(NATO)", True),
        ("A senator spoke", False),  # never inside a word
        ("Natos of the world", False),
        ("NATO2 exercise", False),
    ],
)
def test_phrases_match_on_word_boundaries(text, found):
    assert bool(match(rules({"any": ["NATO"]}), text)) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("The Duma will ratify it", True),
        ("The Senate ratified the pact", True),
        ("Ratification is due", True),
        ("Accession protocols were signed", False),  # 'ratif*' is not in there
        ("Gratification deferred", False),  # a prefix still starts a word
    ],
)
def test_star_phrases_match_a_word_prefix(text, found):
    assert bool(match(rules({"any": ["ratif*"]}), text)) is found


def test_multiword_prefix_phrase():
    forecast = rules({"any": ["accession protocol*"]})
    assert match(forecast, "Allies sign accession protocols for Finland")
    assert match(forecast, "The accession protocol is signed")
    assert not match(forecast, "Allies discuss accession and protocol")


def test_curly_quotes_dashes_and_case_in_text_match_plain_phrases():
    forecast = rules({"any": ["U.S.-Russia treaty", "Russia's demands", "non-alignment"]})
    hits = match(
        forecast,
        "Senate debates the U.S.–Russia Treaty",
        "Finland’s NON‑ALIGNMENT ends; Russia’s demands",
    )
    assert hits and hits[0].matched_phrases == [
        "U.S.-Russia treaty",
        "non-alignment",
        "Russia's demands",
    ]


def test_curly_phrases_match_plain_text():
    assert match(
        rules({"any": ["Russia’s demands — rejected"]}), "Russia's demands - rejected by Washington"
    )


def test_hyphen_in_phrase_is_literal():
    forecast = rules({"any": ["non-alignment"]})
    assert match(forecast, "Ending decades of non-alignment")
    assert not match(forecast, "Ending decades of non alignment")


# --- all / any / none ------------------------------------------------------------------------


def test_all_any_none():
    forecast = rules({"all": ["NATO", "Finland"], "any": ["joins", "joined"], "none": ["Sweden"]})
    assert match(forecast, "Finland joins NATO")
    assert match(
        forecast, "Finland has joined", "NATO welcomed it"
    )  # `all` anywhere in the article
    assert not match(forecast, "Finland joins the EU")  # an `all` phrase missing
    assert not match(forecast, "Finland and NATO talk")  # no `any` phrase
    assert not match(forecast, "Finland joins NATO", "Sweden waits")  # a `none` phrase anywhere


def test_all_phrases_are_not_negation_checked():
    hits = match(
        rules({"all": ["Russia"], "any": ["full-scale invasion"]}),
        "Not Russia, say officials",
        "A full-scale invasion began",
    )
    assert sides(hits) == {("f", "yes", False)}


def test_a_negated_none_phrase_still_excludes():
    forecast = rules(
        {"all": ["NATO"], "any": ["moratorium on new members"], "none": ["rules out a moratorium"]}
    )
    assert not match(
        forecast,
        "NATO announces a moratorium on new members",
        "Berlin never rules out a moratorium",
    )


def test_all_only_rule_uses_the_negation_guard_on_its_phrases():
    forecast = rules({"all": ["new INF treaty", "signed"]})
    hits = match(forecast, "Washington and Moscow signed a new INF treaty")
    assert sides(hits) == {("f", "yes", False)}
    assert hits[0].matched_phrases == ["new INF treaty", "signed"]
    hits = match(forecast, "Washington and Moscow have not signed a new INF treaty")
    assert sides(hits) == {("f", "yes", True)}
    hits = match(
        forecast,
        "Negotiators signed a memo.",
        "It was not in Geneva that they drafted a new INF treaty",
    )
    assert sides(hits) == {("f", "yes", False)}  # each phrase has an occurrence that counts
    assert hits[0].sentence == "Negotiators signed a memo."


def test_matched_phrases_and_sentence():
    forecast = rules(
        {"all": ["Russia"], "any": ["full-scale invasion", "special military operation"]}
    )
    hits = match(
        forecast,
        "War in Europe",
        "Tanks crossed at dawn. Russia calls it a special military operation. It is a full-scale "
        "invasion.",
    )
    [hit] = hits
    assert hit.matched_phrases == ["Russia", "special military operation", "full-scale invasion"]
    assert hit.sentence == "Russia calls it a special military operation."
    assert hit.counts and hit.forecast_id == "f" and hit.side == "yes"


def test_sentence_is_quoted_as_written():
    [hit] = match(
        rules({"any": ["strasse"]}),
        "Die Straße",
        "In der Straße der Einheit wurde „nichts“ unterzeichnet.",
    )
    assert hit.sentence == "Die Straße."


def test_both_sides_in_one_article_give_two_rows():
    forecast = rules(
        {"all": ["NATO"], "any": ["moratorium on new members"]}, {"any": ["formally joins NATO"]}
    )
    hits = match(
        forecast, "Finland formally joins NATO", "Paris calls for a moratorium on new members."
    )
    assert [(h.side, h.negated) for h in hits] == [("yes", False), ("no", False)]


def test_one_scan_serves_many_forecasts_sharing_phrases():
    forecasts = [
        rules({"all": ["Russia"], "any": ["full-scale invasion"]}, forecast_id="war"),
        rules(
            {"all": ["Russia"], "any": ["agreement on non-expansion"]},
            {"all": ["Russia"], "any": ["full-scale invasion"]},
            forecast_id="deal",
        ),
        rules({"any": ["NATO"]}, forecast_id="other"),
    ]
    hits = match(forecasts, "Russia launches a full-scale invasion of Ukraine")
    assert sides(hits) == {("war", "yes", False), ("deal", "no", False)}


def test_a_batch_gives_each_article_its_own_evidence_in_order():
    compiled = compile_rules(
        [
            rules({"any": ["full-scale invasion"]}, forecast_id="war"),
            rules({"any": ["moratorium"]}, {"any": ["joins NATO"]}, forecast_id="nato"),
        ]
    )
    articles = [
        ArticleText(i, title, "", IN_WINDOW)
        for i, title in enumerate(
            [
                "Finland joins NATO",
                "Nothing here",
                "A full-scale invasion; no moratorium was announced",
                "Moratorium",
            ]
        )
    ]
    batch = match_batch(compiled, articles)
    assert batch == [match_article(compiled, article) for article in articles]
    assert [[(h.forecast_id, h.side, h.negated) for h in hits] for hits in batch] == [
        [("nato", "no", False)],
        [],
        [("war", "yes", False), ("nato", "yes", True)],
        [("nato", "yes", False)],
    ]


# --- the time window -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "counts"),
    [
        (datetime(2022, 1, 20, 23, 59, 59, tzinfo=UTC), False),
        (datetime(2022, 1, 21, 0, 0, tzinfo=UTC), True),  # opens, inclusive
        (datetime(2022, 12, 31, 23, 59, 59, tzinfo=UTC), True),  # closes, whole day inclusive
        (datetime(2023, 1, 1, 0, 0, tzinfo=UTC), False),
        (datetime(2022, 12, 31, 22, 0), True),  # naive: taken as UTC
        # 2023-01-01 01:00 in UTC+3 is 2022-12-31 22:00 UTC: inside.
        (datetime(2023, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=3))), True),
        # 2022-12-31 20:00 in UTC-5 is 2023-01-01 01:00 UTC: outside.
        (datetime(2022, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))), False),
    ],
)
def test_time_window_is_whole_utc_days_inclusive(published, counts):
    assert bool(match(rules({"any": ["NATO"]}), "NATO news", published=published)) is counts


def test_each_forecast_has_its_own_window():
    forecasts = [
        rules({"any": ["NATO"]}, forecast_id="early", closes=date(2022, 3, 31)),
        rules({"any": ["NATO"]}, forecast_id="late", opens=date(2022, 4, 1)),
    ]
    assert {
        h.forecast_id for h in match(forecasts, "NATO", published=datetime(2022, 3, 31, 12))
    } == {"early"}
    assert {
        h.forecast_id for h in match(forecasts, "NATO", published=datetime(2022, 4, 1, 0, 30))
    } == {"late"}


# --- negation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "phrase", "negated"),
    [
        # the examples of the matching contract
        ("Negotiators did not sign a ceasefire agreement", "sign a ceasefire agreement", True),
        (
            "Moscow pulls out of the treaty, saying its concerns were not heard",
            "pulls out of the treaty",
            False,
        ),
        ("Finland joins NATO, ending decades of non-alignment", "joins NATO", False),
        ("Finland joins NATO, ending decades of non-alignment", "non-alignment", False),
        (
            "The Kremlin denied that troops would withdraw from Belarus",
            "troops would withdraw",
            True,
        ),
        (
            "NATO has no plans to announce a moratorium on new members",
            "moratorium on new members",
            False,
        ),
        ("NATO will not announce a moratorium on new members", "moratorium on new members", True),
        # each cue
        ("NATO never announced a moratorium on new members", "moratorium on new members", True),
        ("Washington didn’t sign the draft treaty", "sign the draft treaty", True),
        ("Washington won’t sign the draft treaty", "sign the draft treaty", True),
        ("Moscow denies deploying hypersonic missiles", "deploying hypersonic missiles", True),
        ("Stoltenberg rules out a moratorium on new members", "moratorium on new members", True),
        ("Washington rejected any moratorium on new members", "moratorium on new members", True),
        (
            "The Senate failed to ratify the treaty with Russia",
            "ratify the treaty with Russia",
            True,
        ),
        ("The Senate has yet to vote on the treaty with Russia", "vote on the treaty", True),
        ("NATO says no to a moratorium on new members", "moratorium on new members", True),
        # distance: three words between is the most
        ("NATO did not plan to announce a moratorium", "announce a moratorium", True),  # 2 words
        (
            "NATO did not ever plan to announce a moratorium",
            "announce a moratorium",
            True,
        ),  # 3 words
        (
            "NATO did not at any time plan to announce a moratorium",
            "announce a moratorium",
            False,
        ),  # 5
        # clause boundaries between the cue and the phrase
        (
            "Officials did not comment, but NATO announced a moratorium",
            "announced a moratorium",
            False,
        ),
        ("Moscow did not object; NATO announced a moratorium", "announced a moratorium", False),
        ("Nobody was surprised: no - NATO announced a moratorium", "announced a moratorium", False),
        ("It is not (officials say) a moratorium", "a moratorium", False),
        ("Kyiv is not as hopeful as NATO about a moratorium", "nato about a moratorium", False),
        (
            "Kyiv did not protest after NATO announced a moratorium",
            "nato announced a moratorium",
            False,
        ),
        # cue after the phrase, or in the previous sentence
        ("NATO announced a moratorium and did not say why", "announced a moratorium", False),
        ("Moscow said no. NATO announced a moratorium", "nato announced a moratorium", False),
        # whole words only
        ("Notably, NATO announced a moratorium", "nato announced a moratorium", False),
        ("Nothing stopped NATO announcing a moratorium", "nato announcing a moratorium", False),
        ("Neither Kyiv nor NATO announced a moratorium", "nato announced a moratorium", False),
        ("A no-fly zone and NATO troops", "nato troops", False),
        ("Cannot-miss news: NATO troops", "nato troops", False),
        # a cue inside the phrase does not negate it
        ("Washington rejected Russian demands", "rejected Russian demands", False),
        ("NATO set no timeline for Ukraine", "no timeline for Ukraine", False),
        ("Moscow and Washington agreed not to deploy missiles", "agreed not to deploy", False),
        # ... but a cue before such a phrase does
        (
            "Moscow and Washington have not agreed not to deploy missiles",
            "agreed not to deploy",
            True,
        ),
        # far in characters, close in words: the cue is still found
        (
            "NATO did not " + "x" * 150 + " " + "y" * 150 + " announce a moratorium",
            "announce a moratorium",
            True,
        ),
        # numbers with commas or colons are not clause boundaries
        ("Russia did not send 1,000 troops to Belarus", "troops to belarus", True),
    ],
)
def test_negation_scope(sentence, phrase, negated):
    assert is_negated(sentence, phrase) is negated


def test_negated_hit_is_kept_for_review_but_does_not_count():
    forecast = rules({"all": ["NATO"], "any": ["moratorium on new members"]})
    [hit] = match(forecast, "NATO will not announce a moratorium on new members")
    assert hit.negated and not hit.counts
    assert hit.sentence == "NATO will not announce a moratorium on new members."


def test_one_counting_occurrence_beats_negated_ones():
    forecast = rules(
        {"all": ["NATO"], "any": ["moratorium on new members", "pause on enlargement"]}
    )
    [hit] = match(
        forecast,
        "NATO will not announce a moratorium on new members",
        "Then, in June, NATO agreed a pause on enlargement.",
    )
    assert not hit.negated
    assert hit.sentence == "Then, in June, NATO agreed a pause on enlargement."
    assert hit.matched_phrases == ["NATO", "pause on enlargement"]


def test_negation_with_curly_apostrophes_and_dashes():
    forecast = rules({"any": ["sign the draft treaty"]})
    assert match(forecast, "Washington doesn’t sign the draft treaty")[0].negated
    assert not match(forecast, "Talks failed – Washington will sign the draft treaty")[0].negated


def test_every_negation_cue_holds_one_of_the_prefilter_substrings():
    """find_cues skips a text holding none of them: a cue without one would never be found."""
    assert all(
        any(part in cue for part in negation._CUE_SUBSTRINGS) for cue in negation.NEGATION_CUES
    )


negation_words = st.sampled_from(
    [
        "not",
        "no",
        "never",
        "didn't",
        "won't",
        "denied",
        "ruled out",
        "has yet to",
        "nothing",
        "notably",
        "now",
        "sign",
        "the",
        "treaty",
        "a",
        "but",
        "as",
        ",",
        ";",
        "1,000",
        "-",
        "(",
        ")",
        "u.s.",
        "gen.",
        "done.",
        "why?",
        "\n",
        "***",
        "a-b",
        "x" * 70,
        "long-winded",
        "Denied",
        "NOT",
    ]
)


word_runs = st.lists(
    st.sampled_from(["a", "bc", "-", "'", "a-b", "x'y", "'s", "--", " ", "1,000", "é", "_"]),
    max_size=30,
)


@given(word_runs.map("".join))
def test_the_word_count_short_cut_agrees_with_counting_words(text):
    many = negation.MAX_WORDS_BETWEEN + negation._MOST_CUE_WORDS
    assert (negation._TOO_MANY_WORDS_FOR_A_CUE.search(text) is not None) is (
        len(negation._WORD.findall(text)) > many
    )


def _negated_by_nearest_cue(text: PreparedText, start: int) -> bool:
    """The rule without its short-cuts: the nearest cue in the whole text before the phrase."""
    cues = negation.find_cues(text.folded, 0, start)
    if not cues:
        return False
    cue_end = cues[-1][1]
    return negation.governs(text.folded, cue_end, start) and not text.sentence_ends_between(
        cue_end, start
    )


@settings(max_examples=300)
@given(st.lists(negation_words, max_size=80).map(" ".join))
def test_negated_at_agrees_with_the_nearest_cue_in_the_whole_text(raw):
    """negated_at looks in a short window first; the answer is the same as looking everywhere,
    whatever the window's size (small ones cut through cues and words more often)."""
    text = PreparedText(clean(raw))
    starts = [match.start() for match in re.finditer(r"(?<!\w)\w", text.folded)]
    expected = [_negated_by_nearest_cue(text, start) for start in starts]
    for window in (3, 9, 20, negation._CUE_WINDOW):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(negation, "_CUE_WINDOW", window)
            assert [negated_at(text, start) for start in starts] == expected, window


# --- rules: the real forecast file, errors, recompiling ---------------------------------------


def trenin_rules() -> list[ForecastRules]:
    [forecast_file] = registry.load_files([ARTICLE_FILE], EstimativeScale.builtin())
    result = []
    for parsed in forecast_file.forecasts:
        spec = parsed.spec
        resolution = spec.resolution
        result.append(
            ForecastRules(
                spec.id,
                spec.opens,
                spec.closes,
                resolution.yes_when.model_dump() if resolution.yes_when else None,
                resolution.no_when.model_dump() if resolution.no_when else None,
            )
        )
    return result


def test_the_source_articles_rules_compile_into_one_automaton():
    forecasts = trenin_rules()
    compiled = compile_rules(forecasts)
    assert len(compiled) == len(forecasts) >= 12 and not compiled.problems
    assert compiled.phrase_count > 100
    hits = match_article(
        compiled,
        ArticleText(
            "invasion",
            "Russia launches full-scale invasion of Ukraine",
            "Putin calls it a special military operation; the U.S. and allies impose sanctions.",
            datetime(2022, 2, 24, 6, tzinfo=UTC),
        ),
    )
    assert {(h.forecast_id, h.side) for h in hits if h.counts} >= {
        ("russia-military-measures", "yes"),
        ("nonexpansion-nondeployment-agreement", "no"),
    }
    late = match_article(
        compiled, ArticleText("late", "Ukraine formally joins NATO", "", datetime(2025, 1, 2))
    )
    assert late == []  # every forecast of the article closed by the end of 2024


def test_the_source_articles_rules_from_the_database_shape(engine):
    from sqlmodel import select

    from tracker.db import session_scope
    from tracker.models import Forecast

    files = registry.load_files([ARTICLE_FILE], EstimativeScale.builtin())
    with session_scope(engine) as session:
        registry.import_files(session, files, today=date(2022, 2, 1), actor="tester")
    with session_scope(engine) as session:
        stored = [ForecastRules.from_forecast(f) for f in session.exec(select(Forecast)).all()]
    assert compile_rules(stored).fingerprint == compile_rules(trenin_rules()).fingerprint


@pytest.mark.parametrize(
    ("yes", "field", "message"),
    [
        ({"any": ["ra*tify"]}, "yes_when.any", "'*' may only end a phrase"),
        ({"any": ["—"]}, "yes_when.any", "no letter or digit"),
        ({"any": "NATO"}, "yes_when.any", "must be a list of phrases"),
        ({"any": [3]}, "yes_when.any", "must be text"),
        ({"some": ["NATO"]}, "yes_when", "unknown key(s) some"),
        ({"none": ["NATO"]}, "yes_when", "at least one phrase under 'all' or 'any'"),
    ],
)
def test_bad_rules_raise_one_clear_error(yes, field, message):
    with pytest.raises(RuleError) as caught:
        compile_rules([rules(yes, forecast_id="bad-one")])
    assert caught.value.forecast_id == "bad-one" and caught.value.field == field
    assert message in str(caught.value) and "bad-one" in str(caught.value)


def test_non_strict_compile_leaves_out_only_the_bad_forecast():
    compiled = compile_rules(
        [
            rules({"any": ["ra*tify"]}, forecast_id="bad"),
            rules({"any": ["NATO"]}, forecast_id="good"),
        ],
        strict=False,
    )
    assert compiled.forecast_ids == ["good"]
    assert [p.forecast_id for p in compiled.problems] == ["bad"]
    assert match_article(compiled, ArticleText(1, "NATO", "", IN_WINDOW))[0].forecast_id == "good"


def test_duplicate_forecast_ids_are_refused():
    with pytest.raises(RuleError, match="given twice"):
        compile_rules([rules({"any": ["NATO"]}), rules({"any": ["EU"]})])


def test_no_forecasts_match_nothing():
    assert match_article(compile_rules([]), ArticleText(1, "NATO", "", IN_WINDOW)) == []


def test_rule_set_recompiles_only_when_rules_change():
    rule_set = RuleSet()
    first = rule_set.update([rules({"any": ["NATO"]})])
    assert rule_set.update([rules({"any": ["NATO"]})]) is first and rule_set.builds == 1
    changed = rule_set.update([rules({"any": ["NATO", "EU"]})])
    assert changed is not first and rule_set.builds == 2
    assert match_article(changed, ArticleText(1, "EU summit", "", IN_WINDOW))
    moved = rule_set.update([rules({"any": ["NATO", "EU"]}, closes=date(2022, 2, 1))])
    assert rule_set.builds == 3 and not match_article(
        moved, ArticleText(1, "EU summit", "", IN_WINDOW)
    )


# --- a property: the automaton agrees with a per-forecast regex -------------------------------

WORDS = [
    "nato",
    "russia",
    "senator",
    "ratify",
    "ratified",
    "treaty",
    "moratorium",
    "joins",
    "u.s.",
    "non-alignment",
    "pact",
]
phrases = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
prefix_phrases = st.sampled_from(["rat*", "nat*", "mora*", "non-*"])
side_rules = st.fixed_dictionaries(
    {
        "all": st.lists(phrases, max_size=2),
        "any": st.lists(phrases | prefix_phrases, min_size=1, max_size=3),
        "none": st.lists(phrases, max_size=1),
    }
)
texts = st.lists(
    st.sampled_from([*WORDS, "and", "the", "natos", "ratification", ",", "."]), max_size=40
).map(" ".join)


def regex_oracle(rule: dict, text: str) -> bool:
    def occurs(phrase):
        phrase = normalise(phrase)
        if phrase.endswith("*"):
            pattern = r"(?<!\w)" + re.escape(phrase[:-1])
        else:
            pattern = r"(?<!\w)" + re.escape(phrase) + (r"(?!\w)" if phrase[-1].isalnum() else "")
        return re.search(pattern, text) is not None

    return (
        all(map(occurs, rule["all"]))
        and any(map(occurs, rule["any"]))
        and not any(map(occurs, rule["none"]))
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(side_rules, min_size=1, max_size=6), texts)
def test_automaton_agrees_with_a_regex_per_forecast(side_specs, text):
    """No negation cues in these words: the hits are exactly what a regex per forecast finds."""
    forecasts = [rules(spec, forecast_id=f"f{i}") for i, spec in enumerate(side_specs)]
    hits = match_article(compile_rules(forecasts), ArticleText(1, "", text, IN_WINDOW))
    expected = {f"f{i}" for i, spec in enumerate(side_specs) if regex_oracle(spec, normalise(text))}
    assert {h.forecast_id for h in hits} == expected
    assert not any(h.negated for h in hits)


# --- full text: title, teaser and body; categories as context --------------------------------


def _full(title, summary, body, categories=()):
    return ArticleText("a1", title, summary, IN_WINDOW, body, categories)


def test_a_sentence_only_in_the_body_is_evidence_and_says_it_came_from_the_body():
    forecast = rules({"all": ["NATO"], "any": ["moratorium"]})
    body = (
        "Diplomats met in Geneva on Monday. After hours of talks, NATO agreed to a moratorium "
        "on enlargement for ten years. Markets rose."
    )
    [hit] = match_article(
        compile_rules([forecast]), _full("Talks end", "Diplomats met in Geneva.", body)
    )
    assert (hit.field, hit.negated) == ("body", False)
    assert (
        hit.sentence
        == "After hours of talks, NATO agreed to a moratorium on enlargement for ten years."
    )
    assert match(forecast, "Talks end", "Diplomats met in Geneva.") == []  # the teaser alone: none


def test_a_teaser_that_opens_the_body_is_read_once_as_body():
    text = PreparedText.of_article("Title", "NATO and Russia talk…", "NATO and Russia talk today.")
    assert text.display == "Title.\nNATO and Russia talk today."
    assert text.field_at(text.folded.index("russia")) == "body"
    assert text.field_at(0) == "title"


def test_categories_give_context_but_never_the_evidence_itself():
    forecast = rules({"all": ["NATO"], "any": ["moratorium"]})
    compiled = compile_rules([forecast])
    # the context phrase only in the categories: the rule holds, the sentence is the text's
    [hit] = match_article(compiled, _full("Alliance weighs a moratorium", "", "", ["NATO", "War"]))
    assert (hit.sentence, hit.field) == ("Alliance weighs a moratorium.", "title")
    # the trigger phrase only in the categories: no evidence
    assert match_article(compiled, _full("NATO meets", "", "", ["Moratorium"])) == []
