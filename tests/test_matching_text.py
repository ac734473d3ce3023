"""Normalisation and sentence splitting (tracker.matching.text)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.matching import PreparedText, clean, normalise, split_sentences
from tracker.matching.text import ABBREVIATIONS, _is_abbreviation, sentence_around


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NATO’s “open door”", 'nato\'s "open door"'),
        ("‘Moratorium’ „Zeitenwende“", "'moratorium' \"zeitenwende\""),
        ("U.S.–Russia talks — again", "u.s.-russia talks - again"),
        ("non‑alignment ‐ ‒ ― −5", "non-alignment - - - -5"),
        ("  several\t\tspaces\u00a0and\nlines  ", "several spaces and lines"),
        (
            "\ufb01nal \uff2e\uff21\uff34\uff2f summit",
            "final nato summit",
        ),  # NFKC: fi ligature, full-width
        ("Straße", "strasse"),  # casefold, not lower()
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_clean_keeps_case_and_line_breaks():
    assert clean("  The  U.S.–Russia\n\n talks “ended”  ") == 'The U.S.-Russia\ntalks "ended"'


@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@given(st.text())
def test_normalise_equals_folded_clean_text(text):
    """What phrases are normalised with equals what article text is matched in."""
    assert normalise(text) == " ".join(PreparedText(clean(text)).folded.split())


def sentences(text):
    return [s.text for s in split_sentences(clean(text))]


def test_sentences_split_on_end_punctuation_and_line_breaks():
    assert sentences("NATO met. Russia left! Why? Nobody knows\nA new line") == [
        "NATO met.",
        "Russia left!",
        "Why?",
        "Nobody knows",
        "A new line",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The U.S. Senate ratified nothing.",  # initials, then a capital
        "Talks with the U.S. stalled in Geneva.",  # initials, then lowercase
        "Gen. Milley and Dr. Smith met in St. Petersburg.",
        "Joseph R. Biden spoke.",
        "Growth was 3.5 per cent in 2022.",  # '.' directly followed by a digit
        "It ended in a deadlock. talks resume Monday.",  # '.' then a lowercase word
        "He said “no.” then left.",
    ],
)
def test_abbreviations_do_not_split(text):
    assert sentences(text) == [clean(text)]


def test_quotes_after_the_end_stay_with_the_sentence():
    assert sentences("He said “we will not sign.” The talks ended.") == [
        'He said "we will not sign."',
        "The talks ended.",
    ]


def test_sentence_offsets_point_into_the_display_text():
    text = clean("First one. Second one!\nThird")
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text


def test_article_text_is_title_then_summary():
    text = PreparedText.of_article("Finland joins NATO", "  It ends decades of non‑alignment. ")
    assert text.display == "Finland joins NATO.\nIt ends decades of non-alignment."
    text = PreparedText.of_article("Will NATO pause enlargement?", "")
    assert text.display == "Will NATO pause enlargement?"
    assert PreparedText.of_article(None, "only a summary").display == "only a summary"


def test_offsets_map_between_display_and_folded_when_folding_changes_length():
    text = PreparedText.of_article("Die Straße nach Moskau", "Gespräche über Sicherheitsgarantien.")
    assert len(text.folded) != len(text.display)
    start = text.folded.index("moskau")
    assert text.display[text.display_offset(start) :].startswith("Moskau")
    start_of_second = text.folded.index("gespräche")
    assert text.sentence_at(start_of_second).text == "Gespräche über Sicherheitsgarantien."


sentence_texts = st.lists(
    st.sampled_from(
        [
            "NATO",
            "met",
            "U.S.",
            "Gen.",
            "talks",
            "ended.",
            "why?",
            "no!",
            "(yes.)",
            "3.5",
            "a",
            "\n",
            "“quoted.”",
            "Mr.",
            "so...",
            "what?!",
            "wait..!",
            "x.y",
            ".",
            "?",
            "“Go!”",
            "e.g.",
            "“U.S.”",
        ]
    ),
    max_size=60,
).map(" ".join)


@given(sentence_texts)
def test_sentence_around_agrees_with_split_sentences(raw):
    text = clean(raw)
    for sentence in split_sentences(text):
        for offset in range(sentence.start, sentence.end):
            assert sentence_around(text, offset) == sentence


def abbreviation_by_the_rule(text: str, dot: int) -> bool:
    """``_is_abbreviation`` as its docstring states it, without its short cuts."""
    following = text[dot + 1 : dot + 8].lstrip(" \"'")
    if following and following[0].islower():
        return True
    word = re.split(r"[ \n]", text[:dot])[-1].lstrip("\"'([")
    return bool(re.fullmatch(r"(?:[^\W\d_]\.)*[^\W\d_]", word)) or word.casefold() in ABBREVIATIONS


@given(
    st.lists(
        st.sampled_from(
            [
                "Gen.",
                "CAPT.",
                "Pres.",
                "pres.",
                "(St.",
                "“Dr.",
                "U.S.",
                "R.",
                "e.g.",
                "ab.",
                "abcd.",
                "abcde.",
                "Milley.",
                "talks",
                "3.5",
                "x.y",
                "12345.",
                "ab3de.",
                "a_bcd.",
                "Straße.",
                "ÉTATS.",
                "naïve.",
                "Talks",
                "talks",
                "\n",
                "“Next",
                "'quoted'",
            ]
        ),
        max_size=30,
    ).map(" ".join)
)
def test_is_abbreviation_follows_its_rule(raw):
    text = clean(raw)
    for dot in (i for i, char in enumerate(text) if char == "."):
        assert _is_abbreviation(text, dot) == abbreviation_by_the_rule(text, dot), (text, dot)


def test_sentence_around_in_a_long_text():
    text = clean(" ".join(f"Sentence number {i} says little." for i in range(200)))
    offset = text.index("number 150")
    assert sentence_around(text, offset).text == "Sentence number 150 says little."
    long_sentence = clean("A " + "very " * 400 + "long sentence. Next.")
    assert sentence_around(long_sentence, long_sentence.index("long")).text.startswith(
        "A very very"
    )
