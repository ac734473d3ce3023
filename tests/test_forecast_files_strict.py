"""Strict forecast files (issue 14): unknown keys are refused with a suggestion, every problem
of a file is listed with its line, a forecast needs rules or an explicit `resolution: manual`,
`updates:` entries are checked, and `tracker forecasts check` / `new` work without a database."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import ARTICLE_FILE, Cli
from tracker.domain import forecast_files
from tracker.domain.forecast_files import (
    EvidenceRules,
    ForecastSpec,
    ResolutionSpec,
    SourceSpec,
    UpdateSpec,
    check_forecast_text,
    load_forecast_file,
)
from tracker.domain.scale import EstimativeScale

SCALE = EstimativeScale.builtin()
TEXT = (
    "The treaty is likely to be signed this year. A summit is unlikely before June.\n"
    "In March the author wrote again: a signature is now a remote prospect.\n"
)
HEAD = """\
source:
  title: Test op-ed
  author: Jane Pundit
  text: source.txt
forecasts:
"""


def forecast(fid: str, extra: str = "", resolution: str | None = None) -> str:
    """One forecast entry (indented for the list) with rules, plus ``extra`` lines."""
    rules = resolution or "resolution:\n  yes_when: {any: [treaty signed]}\n  min_sources: 2"
    body = (
        f"id: {fid}\n"
        "question: Will the treaty be signed by 2022-12-31?\n"
        "quote: The treaty is likely to be signed this year.\n"
        "estimate: likely\n"
        "opens: 2022-01-10\n"
        "closes: 2022-12-31\n"
        f"{extra}{rules}\n"
    )
    return "  - " + textwrap.indent(body, "    ")[4:]


def write(folder: Path, *entries: str, head: str = HEAD, name: str = "op-ed.yaml") -> Path:
    (folder / "source.txt").write_text(TEXT, encoding="utf-8")
    path = folder / name
    path.write_text(head + "".join(entries), encoding="utf-8")
    return path


def problems(path: Path) -> list:
    loaded, found = load_forecast_file(path, SCALE)
    assert loaded is None and found
    return found


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def key_line(path: Path, key: str) -> int:
    """The 1-based line where ``key`` is first written as a key (``key:``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if re.search(rf"(^|[\s{{,]){key}:", line))


@pytest.fixture
def no_db_cli(tmp_path: Path) -> tuple[Cli, Path]:
    """A CLI whose database does not exist (and must not be created)."""
    database = tmp_path / "never.db"
    return Cli(f"sqlite:///{database}", tmp_path / "data"), database


# --- unknown keys --------------------------------------------------------------------------


def test_the_typo_file_is_refused_with_both_suggestions(tmp_path, no_db_cli):
    typo = "resolution:\n  yes_whn: {any: [treaty signed]}\n  default_at_clsoe: no"
    path = write(tmp_path, forecast("treaty", resolution=typo))
    found = {p.field: p for p in problems(path)}
    assert set(found) == {"resolution.yes_whn", "resolution.default_at_clsoe"}
    assert found["resolution.yes_whn"].message == (
        "unknown field 'yes_whn' (did you mean 'yes_when'?)"
    )
    assert found["resolution.default_at_clsoe"].message == (
        "unknown field 'default_at_clsoe' (did you mean 'default_at_close'?)"
    )
    assert found["resolution.yes_whn"].line == line_of(path, "yes_whn")
    assert found["resolution.default_at_clsoe"].forecast_id == "treaty"

    cli, database = no_db_cli
    result = cli("forecasts", "check", path, ok=False)
    assert result.exit_code == 1
    assert "did you mean 'yes_when'?" in result.output
    assert "did you mean 'default_at_close'?" in result.output
    assert not database.exists()


@pytest.mark.parametrize(
    "place, key, field, message",
    [
        ("top", "sources: x", "sources", "unknown field 'sources' (did you mean 'source'?)"),
        ("source", "autor: X", "source.autor", "unknown field 'autor' (did you mean 'author'?)"),
        ("forecast", "qoute: x", "qoute", "unknown field 'qoute' (did you mean 'quote'?)"),
        ("forecast", "note: x", "note", "unknown field 'note' (did you mean 'notes'?)"),
        (
            "forecast",
            "yes_when: {any: [treaty signed]}",
            "yes_when",
            "unknown field 'yes_when': it belongs under 'resolution'",
        ),
        (
            "resolution",
            "min_source: 2",
            "resolution.min_source",
            "unknown field 'min_source' (did you mean 'min_sources'?)",
        ),
        (
            "resolution",
            "tags: [x]",
            "resolution.tags",
            "unknown field 'tags' here: it belongs one level up (check the indentation)",
        ),
        (
            "yes_when",
            "non: [x]",
            "resolution.yes_when.non",
            "unknown field 'non' (did you mean 'none'?)",
        ),
        (
            "update",
            "probabilty: 0.1",
            "updates[0].probabilty",
            "unknown field 'probabilty' (did you mean 'probability'?)",
        ),
    ],
)
def test_unknown_keys_are_refused_at_every_level(tmp_path, place, key, field, message):
    entry = forecast("treaty")
    head = HEAD
    if place == "top":
        entry += key + "\n"
    elif place == "source":
        head = HEAD.replace("  text: source.txt\n", f"  text: source.txt\n  {key}\n")
    elif place == "forecast":
        entry = forecast("treaty", extra=key + "\n")
    elif place == "resolution":
        entry = entry.rstrip("\n") + f"\n      {key}\n"
    elif place == "yes_when":
        entry = entry.replace("{any: [treaty signed]}", f"{{any: [treaty signed], {key}}}")
    else:
        entry = forecast("treaty", extra=f"updates:\n  - as_of: 2022-03-01\n    {key}\n")
    path = write(tmp_path, entry, head=head)
    (problem,) = problems(path)
    assert (problem.field, problem.message) == (field, message)
    assert problem.line == key_line(path, key.split(":")[0])


# --- every problem, with its line ----------------------------------------------------------


def three_mistakes(folder: Path) -> Path:
    return write(
        folder,
        forecast("first", extra="probability: 7\n"),
        forecast("second").replace("closes: 2022-12-31", "closes: 2021-12-31"),
        forecast("third", resolution="resolution:\n  yes_whn: {any: [treaty signed]}"),
    )


EXPECTED_THREE = [
    ("first", "probability", "probability: 7"),
    ("second", "closes", "closes: 2021-12-31"),
    ("third", "resolution.yes_whn", "yes_whn"),
]


def test_three_mistakes_in_three_forecasts_are_all_listed_with_their_lines(tmp_path):
    path = three_mistakes(tmp_path)
    found = [(p.forecast_id, p.field, p.line) for p in problems(path)]
    assert found == [(fid, field, line_of(path, text)) for fid, field, text in EXPECTED_THREE]


def test_check_prints_every_problem_one_a_line(tmp_path, no_db_cli):
    path = three_mistakes(tmp_path)
    cli, database = no_db_cli
    result = cli("forecasts", "check", path, ok=False)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 4
    for line, (fid, field, text) in zip(lines, EXPECTED_THREE, strict=False):
        assert line.startswith(f"{path}:{line_of(path, text)}, forecast '{fid}', field '{field}'")
    assert lines[-1] == "Error: 3 problem(s) in 1 file(s)"
    assert not database.exists()


def test_import_prints_every_problem_then_imports_nothing(cli, tmp_path):
    cli("init")
    path = three_mistakes(tmp_path)
    result = cli("forecasts", "import", path, ok=False)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert [line.split(",")[0] for line in lines[:3]] == [
        f"{path}:{line_of(path, text)}" for _, _, text in EXPECTED_THREE
    ]
    assert lines[3] == "Error: 3 problem(s); nothing was imported"
    assert json.loads(cli("forecasts", "list", "--format", "json").output) == []


def test_a_field_error_does_not_hide_the_quote_check(tmp_path):
    entry = forecast("treaty", extra="probability: 7\n").replace(
        "quote: The treaty is likely", "quote: The treaty is certain"
    )
    found = {(p.field, p.forecast_id) for p in problems(write(tmp_path, entry))}
    assert found == {("probability", "treaty"), ("quote", "treaty")}


def test_a_bad_source_does_not_hide_the_quote_check(tmp_path):
    head = HEAD.replace("  author: Jane Pundit\n", "")
    entry = forecast("treaty").replace("quote: The treaty is likely", "quote: Not in the text")
    found = {p.field for p in problems(write(tmp_path, entry, head=head))}
    assert found == {"source.author", "quote"}


def test_shape_messages_are_one_line_and_say_what_is_expected(tmp_path):
    entry = forecast("treaty", extra="tags: nato\n").replace("opens: 2022-01-10", "opens: soon")
    found = {p.field: p.message for p in problems(write(tmp_path, entry))}
    assert found == {
        "opens": "expected a date written YYYY-MM-DD (got 'soon')",
        "tags": "expected a list, e.g. [first, second] (got 'nato')",
    }


# --- manual forecasts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "resolution",
    [None, "resolution:\n  criteria: YES if signed.\n  min_sources: 3", "resolution:"],
    ids=["no resolution", "criteria only", "empty"],
)
def test_a_forecast_nothing_can_resolve_is_refused(tmp_path, resolution):
    entry = forecast("treaty", resolution=resolution or "tags: [x]")
    path = write(tmp_path, entry)
    (problem,) = problems(path)
    assert problem.field == "resolution" and problem.forecast_id == "treaty"
    assert "add `yes_when`/`no_when`" in problem.message
    assert "or write `resolution: manual`" in problem.message


def test_default_at_close_alone_is_a_way_to_resolve(tmp_path):
    entry = forecast("treaty", resolution="resolution: {default_at_close: no}")
    loaded, found = load_forecast_file(write(tmp_path, entry), SCALE)
    assert found == [] and loaded is not None
    assert loaded.forecasts[0].spec.resolution.default_at_close == "no"


def test_manual_is_accepted_as_the_word_or_in_the_mapping(tmp_path):
    path = write(
        tmp_path,
        forecast("word", resolution="resolution: manual"),
        forecast("mapping", resolution="resolution: {manual: true, criteria: YES if signed.}"),
    )
    loaded, found = load_forecast_file(path, SCALE)
    assert found == [] and loaded is not None
    specs = {p.spec.id: p.spec.resolution for p in loaded.forecasts}
    assert specs["word"].manual and specs["word"].yes_when is None
    assert specs["mapping"].manual and specs["mapping"].criteria == "YES if signed."


@pytest.mark.parametrize(
    "resolution, message",
    [
        (
            "resolution: {manual: true, default_at_close: no}",
            "a manual forecast has no yes_when, no_when or default_at_close",
        ),
        ("resolution: by hand", "write `manual`, or a mapping"),
    ],
)
def test_manual_with_rules_or_another_word_is_refused(tmp_path, resolution, message):
    (problem,) = problems(write(tmp_path, forecast("treaty", resolution=resolution)))
    assert problem.field == "resolution" and message in problem.message


def test_manual_forecasts_are_listed_as_such(cli, tmp_path):
    cli("init")
    path = write(
        tmp_path, forecast("by-hand", resolution="resolution: manual"), forecast("by-rules")
    )
    cli("forecasts", "import", path)
    rows = json.loads(cli("forecasts", "list", "--format", "json").output)
    assert {row["id"]: row["manual"] for row in rows} == {"by-hand": True, "by-rules": False}
    table = cli("forecasts", "list", "--wide").output  # the proposal column
    by_hand = next(line for line in table.splitlines() if "by-hand" in line)
    assert "manual" in by_hand
    assert "manual" not in next(line for line in table.splitlines() if "by-rules" in line)


# --- updates -------------------------------------------------------------------------------

UPDATES = """\
updates:
  - as_of: 2022-06-01
    probability: 0.35
    note: after the summit
  - as_of: 2022-03-15
    estimate: remote
    quote: "a signature is now a remote
      prospect"
  - as_of: 2022-09-01
    estimate: unlikely
    quote: Signing has become unlikely, she wrote in a later column.
    url: https://example.org/later
"""


def test_updates_are_parsed_sorted_with_their_probabilities(tmp_path):
    loaded, found = load_forecast_file(write(tmp_path, forecast("treaty", UPDATES)), SCALE)
    assert found == [] and loaded is not None
    updates = loaded.forecasts[0].updates
    assert [u.as_of for u in updates] == [date(2022, 3, 15), date(2022, 6, 1), date(2022, 9, 1)]
    remote, summit, later = updates
    assert (remote.estimate, remote.probability) == ("remote", SCALE.find("remote").probability)
    assert remote.quote == "a signature is now a remote prospect"
    assert (summit.estimate, summit.probability, summit.note) == ("35%", 0.35, "after the summit")
    assert later.url == "https://example.org/later" and later.probability == pytest.approx(
        SCALE.find("unlikely").probability
    )


@pytest.mark.parametrize(
    "entry, field, message",
    [
        ("{as_of: 2022-03-01}", "updates[0]", "give `probability:` or an `estimate:`"),
        (
            "{as_of: 2022-03-01, estimate: flibbertigibbet}",
            "updates[0].estimate",
            "unknown estimative term 'flibbertigibbet' and no probability",
        ),
        (
            "{as_of: 2022-01-09, probability: 0.5}",
            "updates[0].as_of",
            "as_of 2022-01-09 is not after the forecast opens (2022-01-10)",
        ),
        (
            "{as_of: 2022-01-10, probability: 0.5}",
            "updates[0].as_of",
            "that day holds the forecast's own statement",
        ),
        (
            "{as_of: 2023-01-01, probability: 0.5}",
            "updates[0].as_of",
            "as_of 2023-01-01 is after the forecast closes (2022-12-31)",
        ),
        (
            "{as_of: 2022-03-01, probability: 0.5, quote: Nothing of the sort.}",
            "updates[0].quote",
            "the quote is not in the source text",
        ),
        ("{as_of: 2022-03-01, probability: yes}", "updates[0].probability", "not a yes/no"),
    ],
)
def test_a_bad_update_is_refused(tmp_path, entry, field, message):
    path = write(tmp_path, forecast("treaty", f"updates:\n  - {entry}\n"))
    (problem,) = problems(path)
    assert problem.field == field and message in problem.message
    assert problem.forecast_id == "treaty" and problem.line == line_of(path, "- {as_of")


def test_two_updates_of_the_same_day_are_refused(tmp_path):
    updates = (
        "updates:\n  - {as_of: 2022-03-01, probability: 0.5}\n"
        "  - {as_of: 2022-03-01, probability: 0.4}\n"
    )
    path = write(tmp_path, forecast("treaty", updates))
    (problem,) = problems(path)
    first = line_of(path, "probability: 0.5}")
    assert problem.line == first + 1 and f"(line {first})" in problem.message


# --- check_forecast_text, free-form fields ---------------------------------------------------


def test_text_is_checked_against_the_given_source_text():
    body = HEAD + forecast("treaty")
    loaded, found = check_forecast_text(body, TEXT, SCALE, "drafts/op-ed.yaml")
    assert found == [] and loaded is not None and loaded.key == "op-ed"
    loaded, found = check_forecast_text(body, "Another text.", SCALE, "drafts/op-ed.yaml")
    assert loaded is None
    assert [(p.path, p.field) for p in found] == [("drafts/op-ed.yaml", "quote")]


def test_notes_are_a_declared_free_form_field(tmp_path):
    path = write(tmp_path, forecast("treaty", "notes: The article adds a caveat.\n"))
    loaded, found = load_forecast_file(path, SCALE)
    assert found == [] and loaded is not None
    assert loaded.forecasts[0].spec.free_form() == {"notes": "The article adds a caveat."}


def test_every_file_in_forecasts_is_accepted(no_db_cli):
    cli, _ = no_db_cli
    result = cli("forecasts", "check", ARTICLE_FILE.parent)
    assert result.output.strip() == "ok: 20 forecast(s) in 1 file(s)"


# --- the template --------------------------------------------------------------------------

FILLED = {
    "title": "A test op-ed",
    "author": "Jane Pundit",
    "publisher": "Test Times",
    "url": "https://example.org/op-ed",
    "published": "2022-01-10",
    "text": "source.txt",
    "id": "treaty-signed",
    "question": "Will the treaty be signed by 2022-12-31?",
    "quote": "The treaty is likely to be signed this year.",
    "estimate": "likely",
    "probability": "0.7",
    "opens": "2022-01-10",
    "closes": "2022-12-31",
    "tags": "treaties",
    "notes": "A note.",
    "criteria": "YES if the treaty is signed.",
    "all": "treaty",
    "any": "signed",
    "none": "unsigned",
    "as_of": "2022-03-15",
    "note": "a later column",
}
PLACEHOLDER = re.compile(r"<<[^<>]*>>")


def fill(template: str, *, uncomment_updates: bool = False) -> str:
    """The template with each placeholder replaced by FILLED's value for its line's key."""
    lines = []
    for line in template.splitlines():
        if uncomment_updates and re.match(r"\s*#\s+(updates:|  - as_of:|    \w+:)", line):
            line = line.replace("# ", "", 1)
        key = re.match(r"[\s#-]*(\w+):", line)
        if key and not line.lstrip().startswith("#"):
            value = FILLED.get(key.group(1), "")
            if key.group(1) == "estimate" and line.startswith("      "):
                value = "remote"  # the update's estimate
            if key.group(1) == "quote" and line.startswith("      "):
                value = "a signature is now a remote prospect"
            if key.group(1) == "url" and line.startswith("      "):
                continue  # the update quotes the source text, so it gives no url of its own
            if key.group(1) == "probability" and line.startswith("      "):
                continue
            line = PLACEHOLDER.sub(value, line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_the_template_is_accepted_once_filled(tmp_path, no_db_cli):
    cli, database = no_db_cli
    template = cli("forecasts", "new").output
    assert PLACEHOLDER.search(template)
    for name, text in [
        ("filled.yaml", fill(template)),
        ("with-updates.yaml", fill(template, uncomment_updates=True)),
    ]:
        (tmp_path / "source.txt").write_text(TEXT, encoding="utf-8")
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert cli("forecasts", "check", path).output.strip() == "ok: 1 forecast(s) in 1 file(s)"
    loaded, _ = load_forecast_file(tmp_path / "with-updates.yaml", SCALE)
    assert loaded is not None and [u.estimate for u in loaded.forecasts[0].updates] == ["remote"]
    assert not database.exists()


def test_the_raw_template_is_refused_naming_each_placeholder(tmp_path, no_db_cli):
    cli, _ = no_db_cli
    path = tmp_path / "new.yaml"
    path.write_text(cli("forecasts", "new").output, encoding="utf-8")
    result = cli("forecasts", "check", path, ok=False)
    assert result.exit_code == 1 and "fill in the placeholder <<YYYY-MM-DD>>" in result.output


@pytest.mark.parametrize(
    "model", [SourceSpec, ForecastSpec, ResolutionSpec, EvidenceRules, UpdateSpec]
)
def test_the_template_documents_every_field(model):
    commented = [line for line in forecast_files.forecast_template().splitlines() if "#" in line]
    for name in model.model_fields:
        assert any(re.search(rf"\b{name}:", line) for line in commented), name
