"""``tracker extract``: an article's predictions as a draft forecast file, with real parts (the
built-in scale, the forecast files' own validation, the CLI, a real HTTP server on 127.0.0.1
behind the guarded page fetcher).

What a user checks: the seed article's curated predictions are found with their terms; each
estimate, negation, number, odds and time expression is read as a person reads it; past reports,
questions and opinions are left out; a conditional prediction says its condition; the draft passes
the file validation with its quotes checked against the saved text; every bad input is one clear
line and nothing is written.
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.feedserver import FeedServer, Static
from tests.pagesite import article_page, no_article, page_route
from tracker import service
from tracker.cli import app
from tracker.domain.forecast_files import load_forecast_file
from tracker.domain.scale import EstimativeScale
from tracker.errors import ExtractionError
from tracker.extract import (
    MAX_TEXT_CHARS,
    Candidate,
    Draft,
    Expected,
    ScaleExtractor,
    SourceMeta,
    check_text,
    draft_yaml,
    evaluate,
)
from tracker.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = ROOT / "forecasts" / "sources" / "trenin-2022-01-21.txt"
SEED_FILE = ROOT / "forecasts" / "trenin-2022-01-21.yaml"
SCALE = EstimativeScale.builtin()
DAY = date(2024, 3, 1)
FRENCH = (
    "La guerre en Ukraine pourrait durer encore plusieurs années, selon les experts interrogés "
    "par le journal. Il est peu probable que les négociations aboutissent cette année, a déclaré "
    "le ministre des affaires étrangères devant la presse réunie à Paris mardi soir."
)


def extract(text: str, published: date = DAY) -> list[Candidate]:
    return ScaleExtractor(SCALE).extract(text, SourceMeta(published=published))


def only(text: str, published: date = DAY) -> Candidate:
    found = extract(text, published)
    assert len(found) == 1, [c.quote for c in found]
    return found[0]


# --- the seed article ----------------------------------------------------------------------


def seed_expected() -> list[Expected]:
    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    return [Expected(f["quote"], f["estimate"], f["probability"]) for f in data["forecasts"]]


def test_the_seed_articles_curated_predictions_are_found_with_their_terms():
    text = SEED_TEXT.read_text(encoding="utf-8")
    candidates = extract(text, date(2022, 1, 21))
    result = evaluate(text, candidates, seed_expected())
    assert result.recall >= 0.9, result.missed
    assert result.estimate_agreement >= 0.8, result.misread
    # precision is reported by benchmarks/bench_extract.py; this floor keeps it from sliding
    assert result.precision >= 0.4, (result.matching, result.candidates)


def test_every_quote_is_the_texts_own_words_at_its_offsets():
    text = SEED_TEXT.read_text(encoding="utf-8")
    for candidate in extract(text, date(2022, 1, 21)):
        assert " ".join(text[candidate.start : candidate.end].split()) == candidate.quote
        assert candidate.question.startswith("Will ") and candidate.question.endswith("?")
        assert 0 < candidate.confidence < 1 and candidate.reason and "\n" not in candidate.reason


def test_a_paragraph_break_ends_a_sentence_and_a_heading_is_none():
    text = (
        "Why rates will fall\r\n\r\nThe bank will cut rates in June\r\n\r\n"
        "A recession is likely\r\nnext year."
    )
    assert [c.quote for c in extract(text)] == ["A recession is likely next year."]


def test_a_standfirst_repeating_a_later_sentence_gives_one_candidate():
    text = (
        "If the talks fail, Moscow will resort to other methods.\n\n"
        "The talks resumed on Monday. Officials met in Geneva. If the talks fail this month, "
        "Moscow will need to resort to other methods and tools."
    )
    assert [c.quote for c in extract(text)] == [
        "If the talks fail this month, Moscow will need to resort to other methods and tools."
    ]


# --- terms, negation, numbers and odds --------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "estimate", "probability"),
    [
        ("Russia is unlikely to invade Finland.", "unlikely", 0.2),
        ("The talks could resume in Vienna.", "could", 0.3),
        ("There's a chance that the talks resume in Vienna.", "there's a chance", 0.3),
        ("There’s a chance that the talks resume in Vienna.", "there's a chance", 0.3),
        ("Moscow will retaliate against the sanctions.", "will", 0.9),
        ("The chances of a deal with Tehran are non-existent.", "non-existent", 0.02),
        ("A deal with Tehran is virtually impossible.", "virtually impossible", 0.03),
        ("There is no chance that the treaty is ratified.", "no chance", 0.02),
        (
            "The most that can be hoped for is a partial truce.",
            "the most that can be hoped for",
            0.35,
        ),
        ("A recession is likely in Germany.", "likely", 0.7),
        ("The central bank is almost certain to cut rates.", "almost certain", 0.95),
        ("Agreements are theoretically possible on two issues.", "theoretically possible", 0.15),
        ("It is also possible that the summit is postponed.", "it is also possible", 0.35),
        ("The coalition may well collapse.", "may well", 0.55),
        ("The unions have promised to strike.", "have promised", 0.9),
        ("Western embassies are currently planning to leave Kyiv.", "currently planning", 0.9),
        ("A settlement with the rebels is a remote prospect.", "remote", 0.05),
        ("Tariffs will likely be raised in the autumn.", "likely", 0.7),
        ("A hung parliament is the likeliest outcome.", "likeliest", 0.7),
    ],
)
def test_a_verbal_term_is_read_from_the_scale(sentence, estimate, probability):
    candidate = only(sentence)
    assert (candidate.estimate, candidate.probability) == (estimate, probability)
    assert candidate.quote == sentence


@pytest.mark.parametrize(
    ("sentence", "estimate", "probability", "vague"),
    [
        ("The talks could resume in Vienna.", "could", 0.3, True),
        ("A recession is likely in Germany.", "likely", 0.7, False),
        ("Prices may rise in the spring.", "may", 0.4, True),
    ],
)
def test_a_vague_term_is_marked_as_the_scale_says(sentence, estimate, probability, vague):
    candidate = only(sentence)
    assert (candidate.estimate, candidate.probability, candidate.vague) == (
        estimate,
        probability,
        vague,
    )


@pytest.mark.parametrize(
    ("sentence", "estimate", "probability"),
    [
        ("A ceasefire is not impossible.", "not impossible", 0.15),
        ("A deal isn't likely before the vote.", "isn't likely", 0.2),
        ("A deal is not likely before the vote.", "not likely", 0.2),
        ("A recession is not unlikely in Germany.", "not unlikely", 0.55),
        ("Victory is not certain for the incumbent.", "not certain", 0.5),
        ("The talks may not resume.", "may not", 0.6),
        ("Moscow won't back down.", "won't", 0.1),
        ("Moscow will not back down.", "will not", 0.1),
        ("Moscow will never back down.", "will never", 0.03),
    ],
)
def test_a_negation_turns_the_term_and_the_question_asks_the_event(sentence, estimate, probability):
    candidate = only(sentence)
    assert (candidate.estimate, candidate.probability) == (estimate, probability)
    assert candidate.probability > 0  # "not impossible" is not zero


@pytest.mark.parametrize(
    ("sentence", "question_start"),
    [
        ("This is unlikely to happen at the summit.", "Will this happen at the summit"),
        ("Moscow won't back down.", "Will Moscow back down"),
        ("NATO could announce a moratorium on new members.", "Will NATO announce a moratorium"),
        (
            "The chances of the United States accepting the demands are non-existent.",
            "Will the United States accept the demands",
        ),
        (
            "It's also possible that an agreement could be reached on bases.",
            "Will an agreement be reached on bases",
        ),
    ],
)
def test_the_question_asks_whether_the_event_happens(sentence, question_start):
    assert only(sentence).question.startswith(question_start)


@pytest.mark.parametrize(
    ("sentence", "estimate", "probability"),
    [
        ("There is a 30 % chance that the bank cuts rates.", "30 %", 0.3),
        ("There is a 30% chance that the bank cuts rates.", "30%", 0.3),
        ("Analysts see a 70 per cent probability of a rate cut.", "70 per cent", 0.7),
        ("The odds of a rate cut are one in five.", "one in five", 0.2),
        ("Traders give it odds of one in five.", "one in five", 0.2),
        ("The odds are 3-to-1 that the bill passes.", "3-to-1", 0.75),
        ("The challenger is 9-to-1 against in the betting.", "9-to-1 against", 0.1),
        ("The bill has an even chance of passing.", "even chance", 0.5),
        ("There is a 20 to 30 % chance of a strike.", "20 to 30 %", 0.25),
        ("Our odds of a strike at the ports next month are one in four.", "one in four", 0.25),
        ("We put the chance of a coalition deal by May at about 40 %.", "40 %", 0.4),
        ("I would rate that at 4-to-1 in favour.", "4-to-1 in favour", 0.8),
        ("The chance of a snap poll is slim, perhaps 5 %.", "5 %", 0.05),
    ],
)
def test_numbers_and_odds_are_probabilities(sentence, estimate, probability):
    candidate = only(sentence)
    assert (candidate.estimate, candidate.probability) == (estimate, pytest.approx(probability))


@pytest.mark.parametrize(
    "sentence",
    [
        "Inflation rose by 3 % in March.",
        "One in five voters backed the plan.",
        "The home side won 3-to-1 on Sunday.",
    ],
)
def test_a_number_without_a_word_of_probability_is_no_forecast(sentence):
    assert extract(sentence) == []


# --- what is not a forecast -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The minister said last week that the talks had failed.",  # a past report
        "Russia was unlikely to win that war.",  # a past judgement
        "U.S. intelligence suspected the drills could be cover for an invasion.",
        "Not so long ago, Moscow would have viewed this as a win.",  # a counterfactual
        "Will Russia invade Ukraine this year?",  # a question
        "What happens if the talks fail and Moscow could strike?",
        "The policy is a mistake and the minister should resign.",  # an opinion
        "It’s possible that this is Putin’s attempt to repair an old mistake.",
        "It’s unlikely that even the Kremlin was expecting its demands to be accepted.",
        "They lack the political will and public support.",  # "will", a noun
        "In May, the talks ended without a deal.",  # "May", the month
        "NATO deployed missiles that could reach Moscow.",  # a capability
        "The question of whether we might see NATO in Ukraine is trickier.",
        "Deterrence must work under any conceivable conditions.",  # an attributive adjective
        "Politics is the art of the possible.",
        "Ryabkov's answer was “never ever.”",  # someone's words in quotation marks
        "Last spring I gave the merger a 60 % chance of approval.",  # a number given before
    ],
)
def test_reports_questions_and_opinions_are_not_picked(sentence):
    assert extract(sentence) == []


def test_of_several_clauses_the_quote_is_the_one_that_predicts():
    text = "The economy is weak after the floods, and a recession is likely next year."
    candidate = only(text)
    assert candidate.quote == "a recession is likely next year."
    assert text[candidate.start : candidate.end] == candidate.quote
    assert candidate.closes == date(2025, 12, 31)


# --- close dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "closes"),
    [
        ("this year", date(2024, 12, 31)),
        ("next year", date(2025, 12, 31)),
        ("by summer", date(2024, 6, 1)),
        ("this summer", date(2024, 8, 31)),
        ("at the summit in Madrid this year", date(2024, 12, 31)),
        ("in the coming months", date(2024, 9, 1)),
        ("in the coming weeks", date(2024, 4, 12)),
        ("before 2026", date(2025, 12, 31)),
        ("by 2026", date(2026, 12, 31)),
        ("by the end of June", date(2024, 6, 30)),
        ("by the end of February", date(2025, 2, 28)),
        ("by mid-June", date(2024, 6, 15)),
        ("over the next twelve months", date(2025, 3, 1)),
        ("within two years", date(2026, 3, 1)),
        ("in the next decade", date(2034, 3, 1)),
        ("by 15 April", date(2024, 4, 15)),
        ("by March 2025", date(2025, 3, 31)),
        ("soon", date(2024, 9, 1)),
    ],
)
def test_the_close_date_comes_from_the_time_words_read_from_the_articles_date(words, closes):
    candidate = only(f"The government will call an election {words}.")
    assert candidate.closes == closes
    assert words.split()[-1] in candidate.closes_reason


def test_without_time_words_the_forecast_closes_at_the_stated_default_horizon():
    candidate = only("The government will call an election.")
    assert candidate.closes == date(2025, 3, 1)
    assert "default horizon of 12 months" in candidate.closes_reason


def test_without_a_date_the_source_is_read_from_today():
    candidate = ScaleExtractor(SCALE, today=date(2030, 5, 5)).extract(
        "The government will call an election this year.", SourceMeta()
    )[0]
    assert candidate.closes == date(2030, 12, 31)


# --- conditions, rules, tags ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "condition", "question_part"),
    [
        (
            "If the talks fail, Moscow will take military measures.",
            "If the talks fail",
            "Will Moscow take military measures if the talks fail",
        ),
        (
            "Should sanctions be lifted, trade will recover quickly.",
            "Should sanctions be lifted",
            "Will trade recover quickly should sanctions be lifted",
        ),
        (
            "If that happens, prices will rise.",
            "If that happens",
            "Will prices rise if that happens",
        ),
        (
            "Officials have said that if the talks fail, Moscow will take military measures.",
            "if the talks fail",
            "Will Moscow take military measures if the talks fail",
        ),
        (
            "Neither Ukraine nor Georgia will join NATO as long as Russia can prevent it.",
            "as long as Russia can prevent it",
            "Will neither Ukraine nor Georgia join NATO",
        ),
    ],
)
def test_a_conditional_prediction_is_marked_with_its_condition(sentence, condition, question_part):
    candidate = only(sentence)
    assert candidate.condition == condition
    assert candidate.question.startswith(question_part)
    assert "conditional" in candidate.reason


def test_someone_elses_forecast_is_picked_with_less_confidence():
    own = only("If the talks fail, Moscow will take military measures.")
    reported = only(
        "Officials have said that if the talks fail, Moscow will take military measures."
    )
    assert reported.confidence < own.confidence
    assert "Officials have said" in reported.reason


def test_the_draft_rules_come_from_the_claims_words():
    candidate = only("NATO could announce a long-term moratorium on new members this year.")
    assert candidate.yes_when == {
        "all": ["NATO"],
        "any": [
            "announced a long-term moratorium on new members",
            "announces a long-term moratorium on new members",
            "long-term moratorium on new members",
        ],
    }
    assert (
        candidate.no_when is not None
        and "rejected a long-term moratorium" in candidate.no_when["any"]
    )
    assert candidate.default_at_close == "no"
    assert {"nato", "enlargement"} <= set(candidate.tags)


def test_a_claim_that_something_will_not_happen_is_yes_at_close_and_no_on_the_event():
    candidate = only("Neither Ukraine nor Georgia will be accepted into NATO.")
    assert candidate.default_at_close == "yes"
    assert candidate.yes_when is None
    assert candidate.no_when == {"all": ["NATO"], "any": ["accepted into NATO"]}


def test_the_sources_own_tags_are_added():
    candidate = ScaleExtractor(SCALE).extract(
        "The central bank will cut interest rates.", SourceMeta(published=DAY, tags=("Opinion",))
    )[0]
    assert candidate.tags == ["central-banks", "opinion"]


# --- the draft file --------------------------------------------------------------------------


def test_untrusted_text_cannot_break_the_draft_file(tmp_path):
    text = (
        "Title: x\n\nThe bill will pass: yes_when: [x] # not a comment\u2028- id: injected.\n"
        "\n*alias & anchor! will surely fail %YAML 'quoted' \"double\" {flow}: [list] this year."
    )
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "t.txt").write_text(text, encoding="utf-8")
    meta = SourceMeta(title="a: b # c", author="- x\n- y", published=DAY)
    draft = Draft(meta, text, ScaleExtractor(SCALE).extract(text, meta), "scale")
    assert len(draft.candidates) == 2
    path = tmp_path / "t.yaml"
    path.write_text(draft_yaml(draft, "sources/t.txt"), encoding="utf-8")
    loaded, problems = load_forecast_file(path, SCALE)
    assert problems == []
    assert loaded is not None
    assert loaded.source.title == "a: b # c" and loaded.source.author == "- x\n- y"
    assert [f.spec.quote for f in loaded.forecasts] == [c.quote for c in draft.candidates]


# --- the command ------------------------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None, ok: bool = True):
    result = CliRunner().invoke(app, [str(a) for a in args], env=env or {}, catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_the_seed_draft_written_with_out_passes_the_file_validation(tmp_path):
    out = tmp_path / "tmp" / "x.yaml"
    result = run(
        "extract", SEED_TEXT, "--published", "2022-01-21", "--author", "Dmitri Trenin", "--out", out
    )
    assert f"Wrote {out}" in result.output
    saved_text = tmp_path / "tmp" / "sources" / "x.txt"
    assert saved_text.read_text(encoding="utf-8") == SEED_TEXT.read_text(encoding="utf-8")
    loaded, problems = load_forecast_file(out, SCALE)
    assert problems == []
    assert loaded is not None and len(loaded.forecasts) >= 18
    assert loaded.source.author == "Dmitri Trenin" and loaded.source.title == "trenin-2022-01-21"
    document = out.read_text(encoding="utf-8")
    assert "# confidence " in document and "# closes " in document and "# conditional: " in document


def test_without_out_the_draft_is_printed_and_points_at_the_text_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "op-ed.txt").write_text(
        "Since the war began, prices have doubled. The central bank is likely to raise rates "
        "by the end of June, and a recession is almost certain next year.",
        encoding="utf-8",
    )
    result = run("extract", "op-ed.txt", "--published", "2024-03-01")
    (tmp_path / "draft.yaml").write_text(result.stdout, encoding="utf-8")
    loaded, problems = load_forecast_file(tmp_path / "draft.yaml", SCALE)
    assert problems == []
    assert loaded is not None and loaded.source.text == "op-ed.txt"
    assert [(f.spec.estimate, str(f.spec.closes)) for f in loaded.forecasts] == [
        ("likely", "2024-06-30"),
        ("almost certain", "2025-12-31"),
    ]


# --- bad input: one clear line, nothing written --------------------------------------------


def refused(tmp_path: Path, source: str | Path, *options: str, env=None) -> str:
    out = tmp_path / "out" / "draft.yaml"
    result = run("extract", source, *options, "--out", out, env=env, ok=False)
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_an_empty_text_is_refused(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n ", encoding="utf-8")
    assert refused(tmp_path, empty) == f"Error: {empty}: the text is empty; give the article's text"


def test_a_text_over_the_limit_is_refused(tmp_path):
    big = tmp_path / "paste.txt"
    big.write_text("The bank will cut rates. " * (10 * 1024 * 1024 // 25), encoding="utf-8")
    line = refused(tmp_path, big)
    assert "over the" in line and "one article" in line
    with pytest.raises(ExtractionError) as caught:
        check_text("x" * (MAX_TEXT_CHARS + 1), "the pasted text")
    assert caught.value.kind == "too_large"
    assert str(caught.value).startswith("the pasted text: the text is 1,000,001 characters")


def test_a_text_in_another_language_is_refused(tmp_path):
    french = tmp_path / "tribune.txt"
    french.write_text(FRENCH, encoding="utf-8")
    line = refused(tmp_path, french)
    assert "does not look like English" in line and "reads English only" in line


def test_a_binary_file_is_refused(tmp_path):
    pdf = tmp_path / "op-ed.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00<<>>")
    assert "a binary file (a PDF, an image?), not text" in refused(tmp_path, pdf)


def test_a_missing_file_is_refused(tmp_path):
    assert "cannot read it (No such file or directory)" in refused(tmp_path, tmp_path / "no.txt")


def test_a_draft_is_never_written_over_another_file(tmp_path):
    out = tmp_path / "x.yaml"
    out.write_text("mine", encoding="utf-8")
    result = run("extract", SEED_TEXT, "--out", out, ok=False)
    assert result.exit_code == 1 and "the file exists" in result.stderr
    assert out.read_text(encoding="utf-8") == "mine"


def test_a_text_without_predictions_writes_nothing(tmp_path):
    calm = tmp_path / "calm.txt"
    calm.write_text("The committee met on Tuesday. It discussed the budget at length.", "utf-8")
    assert "no sentence makes a prediction" in refused(tmp_path, calm)


# --- a web page ---------------------------------------------------------------------------

CONTEXT = [
    (
        "The budget committee met again on Tuesday, and the talks between the coalition partners "
        "ended late in the evening without an agreement on the spending plans for the coming year."
    ),
    (
        "The opposition has asked for a debate on the deficit, which has grown for three years in "
        "a row, and the unions have called a rally in front of the parliament on Saturday."
    ),
]
PREDICTIONS = [
    "The finance minister is likely to resign before the budget vote this summer.",
    "There is a 30 % chance that the coalition collapses in the coming months.",
    "If the vote fails, the president will call an early election.",
]


@pytest.fixture
def site():
    with FeedServer() as server:
        body = [CONTEXT[0], *PREDICTIONS, CONTEXT[1]]
        server.add("/opinion/budget", page_route(article_page("The budget fight", body)))
        server.add("/report.pdf", Static(b"%PDF-1.7 not html", content_type="application/pdf"))
        server.add("/chart.png", Static(b"\x89PNG\r\n\x1a\n\x00\x00", content_type="image/png"))
        server.add("/index", page_route(no_article()))
        yield server


def page_settings(tmp_path: Path, *, private: bool = True) -> Settings:
    return Settings(data_dir=tmp_path, allow_private_feeds=private, page_min_chars=200)


def test_a_url_is_fetched_through_the_guarded_client_with_the_pages_metadata(site, tmp_path):
    url = site.url("/opinion/budget")
    draft = service.extract_source(page_settings(tmp_path), url, meta=SourceMeta(author="Ana Lyst"))
    assert draft.meta.title == "The budget fight"
    assert draft.meta.author == "Ana Lyst"  # the option wins over the page
    assert draft.meta.published == date(2022, 6, 29)  # the page's own date
    assert draft.meta.url == url
    assert [c.quote for c in draft.candidates] == PREDICTIONS
    assert [c.estimate for c in draft.candidates] == ["likely", "30 %", "will"]
    assert draft.candidates[0].closes == date(2022, 8, 31)


def test_a_url_source_from_the_command_writes_the_pages_text_beside_the_draft(site, tmp_path):
    out = tmp_path / "drafts" / "budget.yaml"
    env = {
        "TRACKER_ALLOW_PRIVATE_FEEDS": "true",
        "TRACKER_PAGE_MIN_CHARS": "200",
        "TRACKER_DATA_DIR": str(tmp_path),
    }
    run("extract", site.url("/opinion/budget"), "--out", out, env=env)
    loaded, problems = load_forecast_file(out, SCALE)
    assert problems == [] and loaded is not None
    assert loaded.source.url == site.url("/opinion/budget")
    assert (tmp_path / "drafts" / "sources" / "budget.txt").read_text("utf-8").count("likely") == 1
    assert len(loaded.forecasts) == 3


@pytest.mark.parametrize(
    ("path", "kind", "words"),
    [
        ("/report.pdf", "not_html", "not an HTML page (application/pdf)"),
        ("/chart.png", "not_html", "not an HTML page (image/png)"),
        ("/index", "no_article", "paste the article's text instead"),
        ("/missing", "fetch", "cannot fetch the page (not_found"),
    ],
)
def test_a_url_that_is_no_article_is_refused(site, tmp_path, path, kind, words):
    with pytest.raises(ExtractionError) as caught:
        service.extract_source(page_settings(tmp_path), site.url(path))
    assert caught.value.kind == kind
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_url_the_ssrf_guard_forbids_is_refused(site, tmp_path):
    with pytest.raises(ExtractionError) as caught:
        service.extract_source(page_settings(tmp_path, private=False), site.url("/opinion/budget"))
    assert caught.value.kind == "fetch" and "blocked" in str(caught.value)
    assert site.hits["/opinion/budget"] == 0


def test_a_url_refusal_from_the_command_is_one_line(site, tmp_path):
    env = {"TRACKER_ALLOW_PRIVATE_FEEDS": "true", "TRACKER_DATA_DIR": str(tmp_path)}
    line = refused(tmp_path, site.url("/report.pdf"), env=env)
    assert "not an HTML page (application/pdf)" in line


def test_ids_are_unique_within_a_draft():
    text = " ".join(itertools.repeat("Prices will rise.", 3)) + " Costs will rise."
    ids = [c.id for c in extract(text)]
    assert len(ids) == len(set(ids))
