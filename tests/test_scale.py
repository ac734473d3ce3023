"""Tests of the estimative-language scale (tracker/scale.py and its built-in data)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tracker.domain.scale import (
    SCALE_TABLE_COLUMNS,
    EstimativeScale,
    ScaleEntry,
    normalize_term,
    scale_table_rows,
)
from tracker.errors import ConfigError, NotFoundError, UnknownTermError


@pytest.fixture(scope="module")
def scale() -> EstimativeScale:
    return EstimativeScale.builtin()


def write(tmp_path: Path, text: str, name: str = "scale.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------- the published scales

ICD203_BANDS = {
    "almost no chance": (0.01, 0.05),
    "remote": (0.01, 0.05),
    "very unlikely": (0.05, 0.20),
    "highly improbable": (0.05, 0.20),
    "unlikely": (0.20, 0.45),
    "improbable": (0.20, 0.45),
    "roughly even chance": (0.45, 0.55),
    "roughly even odds": (0.45, 0.55),
    "likely": (0.55, 0.80),
    "probable": (0.55, 0.80),
    "very likely": (0.80, 0.95),
    "highly probable": (0.80, 0.95),
    "almost certain": (0.95, 0.99),
    "nearly certain": (0.95, 0.99),
}


@pytest.mark.parametrize(("term", "band"), ICD203_BANDS.items())
def test_icd203_term_is_the_midpoint_of_its_published_band(scale, term, band):
    entry = scale.lookup(term, "icd203")
    low, high = band
    assert (entry.low, entry.high) == pytest.approx((low, high))
    assert low <= entry.probability <= high
    assert entry.probability == pytest.approx((low + high) / 2)


def test_icd203_has_exactly_the_fourteen_published_terms(scale):
    assert {e.term for e in scale.entries("icd203")} == set(ICD203_BANDS)


KENT = {
    "certain": (1.00, None, None),
    "almost certain": (0.93, 0.87, 0.99),
    "probable": (0.75, 0.63, 0.87),
    "chances about even": (0.50, 0.40, 0.60),
    "probably not": (0.30, 0.20, 0.40),
    "almost certainly not": (0.07, 0.02, 0.12),
    "impossible": (0.00, None, None),
}


@pytest.mark.parametrize(("term", "numbers"), KENT.items())
def test_kent_numbers_exactly(scale, term, numbers):
    entry = scale.lookup(term, "kent")
    assert (entry.probability, entry.low, entry.high) == numbers
    assert scale.probability(term, "kent") == numbers[0]


def test_kent_possible_is_vague_with_no_number(scale):
    entry = scale.lookup("possible", "kent")
    assert entry.vague is True
    assert entry.probability is None
    assert "refused" in entry.reasoning
    assert scale.is_vague("possible", "kent")
    with pytest.raises(UnknownTermError) as info:
        scale.probability("possible", "kent")
    assert info.value.scale == "kent"
    assert "'possible'" in str(info.value)


SURVEY_MEDIANS = {
    "almost no chance": 0.02,
    "highly unlikely": 0.05,
    "unlikely": 0.20,
    "probably not": 0.265,
    "likely": 0.70,
    "probably": 0.75,
    "highly likely": 0.90,
    "almost certainly": 0.95,
}


@pytest.mark.parametrize(("term", "median"), SURVEY_MEDIANS.items())
def test_survey_medians_exactly(scale, term, median):
    assert scale.probability(term, "survey") == median


IPCC_RANGES = {
    "virtually certain": (0.99, 1.00),
    "extremely likely": (0.95, 1.00),
    "very likely": (0.90, 1.00),
    "likely": (0.66, 1.00),
    "more likely than not": (0.50, 1.00),
    "about as likely as not": (0.33, 0.66),
    "unlikely": (0.00, 0.33),
    "very unlikely": (0.00, 0.10),
    "extremely unlikely": (0.00, 0.05),
    "exceptionally unlikely": (0.00, 0.01),
}


@pytest.mark.parametrize(("term", "band"), IPCC_RANGES.items())
def test_ipcc_point_value_is_the_midpoint_of_the_published_range(scale, term, band):
    entry = scale.lookup(term, "ipcc")
    assert (entry.low, entry.high) == band
    assert entry.probability == pytest.approx(sum(band) / 2)


def test_ipcc_point_values_keep_the_terms_in_order(scale):
    values = [scale.probability(term, "ipcc") for term in IPCC_RANGES]
    assert values == sorted(values, reverse=True)


# ----------------------------------------------------------------- the tracker scale

TRACKER = {
    "non-existent": (0.02, False),
    "virtually impossible": (0.03, False),
    "impossible": (0.02, False),
    "effectively impossible": (0.03, False),
    "if not impossible": (0.08, False),
    "unlikely": (0.20, False),
    "theoretically possible": (0.15, False),
    "could": (0.30, True),
    "possible": (0.35, True),
    "it's also possible": (0.35, True),
    "there's a chance": (0.30, True),
    "certainly could": (0.35, True),
    "may": (0.40, True),
    "may well": (0.55, True),
    "likely": (0.70, False),
    "probably": (0.70, False),
    "will": (0.90, False),
    "de facto": (0.90, False),
}


@pytest.mark.parametrize(("term", "expected"), TRACKER.items())
def test_tracker_scale_numbers(scale, term, expected):
    entry = scale.lookup(term, "tracker")
    assert entry.term == term  # a row of its own, not an alias or an inflection
    assert (entry.probability, entry.vague) == expected
    # and it is what a look-up without a scale gives
    assert scale.probability(term) == expected[0]
    assert scale.is_vague(term) is expected[1]


def test_impossible_in_prose_is_not_kents_zero(scale):
    entry = scale.lookup("impossible")
    assert entry.scale == "tracker" and entry.probability > 0
    assert "log score" in entry.reasoning
    assert scale.probability("impossible", "kent") == 0.0


@pytest.mark.parametrize(
    "term",
    [
        "almost certain",
        "very likely",
        "probable",
        "even chance",
        "highly unlikely",
        "remote",
        "never",
        "certain",
    ],
)
def test_tracker_scale_covers_the_common_words(scale, term):
    assert scale.lookup(term, "tracker").term == term


@pytest.mark.parametrize(
    "term", ["possible", "could", "may", "might", "perhaps", "conceivable", "there's a chance"]
)
def test_hedge_words_are_vague(scale, term):
    assert scale.is_vague(term)


def test_tracker_scale_never_uses_zero_or_one(scale):
    # either would make the log score infinite on a miss
    assert all(0 < e.probability < 1 for e in scale.entries("tracker"))


def test_tracker_scale_is_ordered_sensibly(scale):
    p = scale.probability
    assert p("impossible") < p("virtually impossible") < p("unlikely") < p("even chance")
    assert p("even chance") < p("likely") < p("very likely") < p("almost certain") < p("certain")
    assert p("may") > p("could")
    assert p("will") + p("will not") == pytest.approx(1.0)


def test_every_row_cites_a_source_and_every_tracker_row_reasons(scale):
    for entry in scale.entries():
        assert entry.source.strip(), entry
        if entry.probability is None:
            assert entry.vague and entry.reasoning, entry
    tracker_rows = scale.entries("tracker")
    assert len(tracker_rows) >= 30
    assert all(e.reasoning.strip() for e in tracker_rows)


def test_scale_names_in_search_order(scale):
    assert scale.scale_names == ["tracker", "icd203", "kent", "survey", "ipcc"]
    assert EstimativeScale.DEFAULT_SCALE == "tracker"


def test_builtin_is_cached(scale):
    assert EstimativeScale.builtin() is scale


# ----------------------------------------------------------------- forgiving look-up


@pytest.mark.parametrize(
    ("written", "term"),
    [
        ("LIKELY", "likely"),
        ("  unlikely. ", "unlikely"),
        ("Unlikely!", "unlikely"),
        ('"remote"', "remote"),
        ("\u201cremote\u201d", "remote"),
        ("Non-existent", "non-existent"),
        ("non existent", "non-existent"),
        ("non\u2011existent", "non-existent"),  # non-breaking hyphen
        ("nonexistent", "non-existent"),  # an alias
        ("De  Facto", "de facto"),
        ("It\u2019s also possible", "it's also possible"),
        ("there\u2019s a chance", "there's a chance"),
        ("there is a chance", "there's a chance"),
        ("Virtually-Impossible", "virtually impossible"),
        ("\uff2c\uff29\uff2b\uff25\uff2c\uff39", "likely"),  # fullwidth, NFKC
        ("possibly", "possible"),  # -ly -> -le
        ("likelier", "likely"),  # comparative
        ("almost certainly", "almost certain"),  # -ly dropped
        ("impossibility", "impossible"),
        ("certainty", "certain"),
        ("remote chances", "remote"),  # plural
    ],
)
def test_lookup_is_case_punctuation_and_inflection_tolerant(scale, written, term):
    entry = scale.lookup(written)
    assert (entry.scale, entry.term) == ("tracker", term)


def test_inflection_only_when_the_word_itself_is_not_a_row(scale):
    # the tracker scale has "probably" and "probable" as rows of their own
    assert scale.lookup("probably", "tracker").term == "probably"
    # ICD 203 has only "probable"; the survey has both, with different medians
    assert scale.lookup("probably", "icd203").term == "probable"
    assert scale.probability("probably", "survey") == 0.75
    assert scale.probability("probable", "survey") == 0.70
    # Kent has "possible" only
    assert scale.lookup("possibly", "kent").term == "possible"


def test_default_scale_wins_over_a_literal_match_elsewhere(scale):
    # Kent lists "certainty" as 100%; the default scale's "certain" (98%) comes first
    assert scale.probability("certainty") == 0.98
    assert scale.probability("certainty", "kent") == 1.0


def test_falls_back_to_the_other_scales_in_order(scale):
    assert scale.lookup("very good chance").scale == "survey"
    assert scale.lookup("about as likely as not").scale == "ipcc"
    assert scale.lookup("exceptionally unlikely").probability == 0.005


def test_normalize_term():
    assert normalize_term("  \u2018Almost\u2014No   Chance\u2019. ") == "almost no chance"
    assert normalize_term("won\u2019t") == "won't"


def test_unknown_term_raises_with_the_term_in_the_message(scale):
    with pytest.raises(UnknownTermError) as info:
        scale.lookup("flibbertigibbet")
    assert "flibbertigibbet" in str(info.value)
    assert info.value.term == "flibbertigibbet"
    assert scale.find("flibbertigibbet") is None
    with pytest.raises(UnknownTermError) as info:
        scale.probability("very good chance", "kent")
    assert "'kent'" in str(info.value) and "very good chance" in str(info.value)


def test_unknown_scale_name_is_not_found(scale):
    with pytest.raises(NotFoundError, match="known scales: tracker"):
        scale.lookup("likely", "nato")


# ----------------------------------------------------------------- override files

OVERRIDE = """\
version: 1
scales:
  tracker:
    terms:
      - term: Likely
        probability: 0.75
        vague: false
        source: "house style guide, 2024"
        reasoning: our readers take it as three to one
      - term: odds-on
        aliases: [odds on favourite]
        probability: 0.65
        low: 0.55
        high: 0.75
        vague: false
        source: "house style guide, 2024"
        reasoning: betting language for better than even
  house:
    terms:
      - {term: slam dunk, probability: 0.9, vague: false, source: "Tenet (2002)"}
"""


def test_override_file_replaces_a_term_and_adds_new_ones(scale, tmp_path):
    override = EstimativeScale.from_file(write(tmp_path, OVERRIDE))
    merged = scale.merged_with(override)

    assert merged.probability("likely") == 0.75
    assert merged.lookup("likely").source == "house style guide, 2024"
    assert merged.probability("odds on") == 0.65
    assert merged.probability("Odds-on favourite") == 0.65
    assert merged.probability("slam dunk") == 0.9
    assert merged.scale_names[-1] == "house"
    # the replaced row keeps its place, nothing else changes
    before = [e.term for e in scale.entries("tracker")]
    after = [e.term for e in merged.entries("tracker")]
    assert after[: len(before)] == ["Likely" if t == "likely" else t for t in before]
    assert after[len(before) :] == ["odds-on"]
    assert merged.probability("will") == 0.90
    assert merged.probability("likely", "icd203") == 0.675
    # the built-in table itself is untouched
    assert scale.probability("likely") == 0.70
    assert scale.find("slam dunk") is None


def test_override_of_kent_possible_can_give_it_a_number(scale, tmp_path):
    text = """\
scales:
  kent:
    terms:
      - {term: possible, probability: 0.4, vague: true, source: "our reading",
         reasoning: needed a number}
"""
    merged = scale.merged_with(EstimativeScale.from_file(write(tmp_path, text)))
    assert merged.probability("possible", "kent") == 0.4


ROW = "term: likely, probability: 0.7, vague: false, source: src, reasoning: why"

BAD_FILES = {
    "bad_yaml": ("scales:\n  tracker:\n    terms: [ {term: likely\n", "not valid YAML"),
    "tab_yaml": ("scales:\n\ttracker: {}\n", "not valid YAML"),
    "not_a_mapping": ("- just\n- a list\n", "'scales:'"),
    "missing_field": (
        (
            "scales:\n  tracker:\n    terms:\n      - {term: likely, probability: 0.7, vague: "
            "false, "
            "reasoning: why}\n"
        ),
        "missing field(s) source",
    ),
    "missing_reasoning_in_tracker": (
        (
            "scales:\n  tracker:\n    terms:\n      - {term: likely, probability: 0.7, vague: "
            "false, "
            "source: s}\n"
        ),
        "missing field(s) reasoning",
    ),
    "probability_above_one": (
        (
            "scales:\n  tracker:\n    terms:\n      - {term: likely, probability: 70, vague: "
            "false, "
            "source: s, reasoning: r}\n"
        ),
        "field 'probability': 70 is outside [0, 1] (a fraction: write 0.7, not 70)",
    ),
    "probability_negative": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probability: -0.1, vague: false, "
            "source: s}\n"
        ),
        "field 'probability'",
    ),
    "probability_not_a_number": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probability: 'ten percent', vague: "
            "false, source: s}\n"
        ),
        "field 'probability'",
    ),
    "low_above_high": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probability: 0.3, low: 0.4, high: "
            "0.2, "
            "vague: false, source: s}\n"
        ),
        "low 0.4 is above high 0.2",
    ),
    "point_outside_range": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probability: 0.9, low: 0.1, high: "
            "0.2, "
            "vague: false, source: s}\n"
        ),
        "outside the row's range",
    ),
    "duplicate_term": (
        (
            f"scales:\n  tracker:\n    terms:\n      - {{{ROW}}}\n      - "
            f"{{{ROW.replace('likely', 'Likely.')}}}\n"
        ),
        "duplicate term 'likely'",
    ),
    "duplicate_via_alias": (
        (
            f"scales:\n  tracker:\n    terms:\n      - {{{ROW}}}\n"
            "      - {term: probable, aliases: [LIKELY], probability: 0.7, vague: false, source: "
            "s, "
            "reasoning: r}\n"
        ),
        "duplicate term 'likely'",
    ),
    "null_probability_not_vague": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probability: null, vague: false, "
            "source: s}\n"
        ),
        "null is allowed only for a vague term",
    ),
    "vague_not_boolean": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probability: 0.1, vague: 'yes', "
            "source: s}\n"
        ),
        "field 'vague'",
    ),
    "empty_source": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probability: 0.1, vague: false, "
            "source: ''}\n"
        ),
        "field 'source'",
    ),
    "misspelt_field": (
        (
            "scales:\n  house:\n    terms:\n      - {term: nah, probabilty: 0.1, vague: false, "
            "source: "
            "s}\n"
        ),
        "unknown field(s) probabilty",
    ),
    "terms_not_a_list": ("scales:\n  house: {terms: likely}\n", "'terms:' list"),
    "empty_file": ("", "'scales:'"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_override_file_raises_config_error_naming_the_file(tmp_path, case):
    text, expected = BAD_FILES[case]
    path = write(tmp_path, text, name=f"{case}.yaml")
    with pytest.raises(ConfigError) as info:
        EstimativeScale.from_file(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message  # one readable line


def test_row_errors_name_the_scale_row_and_term(tmp_path):
    text, _ = BAD_FILES["probability_above_one"]
    with pytest.raises(
        ConfigError, match=r"scale 'tracker', row 1 \('likely'\), field 'probability'"
    ):
        EstimativeScale.from_file(write(tmp_path, text))


def test_yaml_error_gives_the_line(tmp_path):
    text = (
        "scales:\n  house:\n    terms:\n"
        "      - {term: a, probability: 0.1, vague: false, source: s}\n   bad: [\n"
    )
    with pytest.raises(ConfigError, match=r"line \d+"):
        EstimativeScale.from_file(write(tmp_path, text))


def test_missing_override_file_is_a_config_error(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml"):
        EstimativeScale.from_file(path)


def test_override_file_is_loaded_safely(tmp_path):
    text = "scales: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(ConfigError, match="not valid YAML"):
        EstimativeScale.from_file(write(tmp_path, text))


# ----------------------------------------------------------------- the table for `tracker scale`


def test_scale_table_rows(scale):
    rows = scale_table_rows(scale, "kent")
    assert all(len(row) == len(SCALE_TABLE_COLUMNS) for row in rows)
    by_term = {row[1]: row for row in rows}
    assert by_term["almost certain"][:5] == ("kent", "almost certain", "93%", "87%-99%", "")
    assert by_term["possible"][2:5] == ("no number", "", "yes")
    assert by_term["impossible"][2] == "0%"
    assert scale_table_rows(scale, "survey")[9][1:3] == ("probably not", "26.5%")
    assert len(scale_table_rows(scale, None)) == len(scale.entries())
    with_aliases = scale_table_rows(scale, "tracker", with_aliases=True)
    assert any("nonexistent" in row[-1] for row in with_aliases)


def test_scale_entry_is_frozen(scale):
    entry = scale.lookup("likely")
    assert isinstance(entry, ScaleEntry)
    with pytest.raises(AttributeError):
        entry.probability = 0.1  # type: ignore[misc]
    assert not math.isnan(entry.probability)
