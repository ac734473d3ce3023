"""Every bad input of a forecast file gets a one-line error naming file, line, id and field;
an import with any problem writes nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlmodel import func, select

from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastImportError
from tracker.models import Forecast, ProbabilityUpdate

SOURCE_TEXT = """The chances of the treaty being signed are non-existent.
NATO could announce a long-
term moratorium on new members.
"""

GOOD = """\
source:
  title: A test op-ed
  author: Jane Pundit
  publisher: Test Times
  url: https://example.org/op-ed
  published: 2022-01-21
  text: source.txt
forecasts:
  - id: treaty-signed
    question: Will the treaty be signed by 2022-12-31?
    quote: "The chances of the treaty being signed are non-existent."
    estimate: non-existent
    probability: 0.02
    opens: 2022-01-21
    closes: 2022-12-31
    tags: [treaties]
    resolution:
      criteria: YES if the treaty is signed.
      yes_when: {any: [treaty signed, signs the treaty]}
      no_when: {any: [talks collapse]}
      default_at_close: no
  - id: nato-moratorium
    question: Will NATO announce a moratorium on new members by 2023-12-31?
    quote: "NATO could announce a long-term moratorium on new members."
    estimate: could
    opens: 2022-01-21
    closes: 2023-12-31
    tags: [nato, enlargement]
    resolution:
      yes_when: {all: [NATO], any: [moratorium on new members]}
      min_sources: 3
"""


def write(folder: Path, body: str, name: str = "op-ed.yaml") -> Path:
    (folder / "source.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def problems_of(path: Path) -> list:
    with pytest.raises(ForecastImportError) as caught:
        registry.load_files([path], EstimativeScale.builtin())
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "nothing was imported" in message
    return caught.value.problems


def test_good_file_loads_with_scale_probability_for_missing_one(tmp_path):
    files = registry.load_files([write(tmp_path, GOOD)], EstimativeScale.builtin())
    parsed = {p.spec.id: p for p in files[0].forecasts}
    assert (
        parsed["treaty-signed"].probability == 0.02
        and not parsed["treaty-signed"].probability_from_scale
    )
    moratorium = parsed["nato-moratorium"]
    assert moratorium.probability_from_scale and moratorium.probability == pytest.approx(0.30)
    assert moratorium.vague  # "could" carries little information
    assert moratorium.spec.resolution.min_sources == 3
    assert parsed["treaty-signed"].spec.resolution.default_at_close == "no"  # YAML's bare `no`


def test_quote_may_span_a_hyphenated_line_break(tmp_path):
    # "long-\nterm" in the source text is the word "long-term".
    files = registry.load_files([write(tmp_path, GOOD)], EstimativeScale.builtin())
    assert len(files[0].forecasts) == 2


def test_bad_yaml_names_the_line(tmp_path):
    path = write(tmp_path, GOOD.replace("    estimate: could\n", "    estimate: [could\n"))
    (problem,) = problems_of(path)
    assert "bad YAML" in problem.message and problem.line is not None


@pytest.mark.parametrize("field_name", ["question", "quote", "opens", "closes", "id"])
def test_missing_field(tmp_path, field_name):
    lines = [
        line
        for line in GOOD.splitlines(keepends=True)
        if not line.startswith((f"  - {field_name}:", f"    {field_name}:"))
    ]
    body = "".join(lines)
    if field_name == "id":
        body = body.replace(
            "    question: Will the treaty", "  - question: Will the treaty"
        ).replace("    question: Will NATO", "  - question: Will NATO")
    problems = problems_of(write(tmp_path, body))
    assert {p.field for p in problems} == {field_name}
    assert all(p.message == "missing required field" and p.line for p in problems)
    if field_name != "id":
        assert {p.forecast_id for p in problems} == {"treaty-signed", "nato-moratorium"}


@pytest.mark.parametrize("value", ["1.5", "-0.1", "high", "yes"])
def test_probability_outside_0_1(tmp_path, value):
    (problem,) = problems_of(
        write(tmp_path, GOOD.replace("probability: 0.02", f"probability: {value}"))
    )
    assert problem.field == "probability" and problem.forecast_id == "treaty-signed"
    assert problem.line == 13
    assert "treaty-signed" in str(problem) and ":13" in str(problem)


def test_closes_before_opens(tmp_path):
    (problem,) = problems_of(
        write(tmp_path, GOOD.replace("closes: 2022-12-31", "closes: 2021-12-31"))
    )
    assert (problem.field, problem.forecast_id, problem.line) == ("closes", "treaty-signed", 15)
    assert "before opens" in problem.message


def test_unknown_term_without_probability(tmp_path):
    (problem,) = problems_of(
        write(tmp_path, GOOD.replace("estimate: could", "estimate: flibbertigibbet"))
    )
    assert (problem.field, problem.forecast_id) == ("estimate", "nato-moratorium")
    assert "flibbertigibbet" in problem.message


def test_unknown_term_with_probability_is_accepted(tmp_path):
    body = GOOD.replace("estimate: non-existent", "estimate: flibbertigibbet")
    files = registry.load_files([write(tmp_path, body)], EstimativeScale.builtin())
    assert files[0].forecasts[0].probability == 0.02


def test_duplicate_id_in_one_file(tmp_path):
    (problem,) = problems_of(
        write(tmp_path, GOOD.replace("id: nato-moratorium", "id: treaty-signed"))
    )
    assert (problem.field, problem.forecast_id) == ("id", "treaty-signed")
    assert "first used on line 9" in problem.message


def test_duplicate_id_across_files(tmp_path):
    first = write(tmp_path, GOOD, "a.yaml")
    second = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ForecastImportError) as caught:
        registry.load_files([first, second], EstimativeScale.builtin())
    assert {(p.path, p.forecast_id) for p in caught.value.problems} == {
        (str(second), "treaty-signed"),
        (str(second), "nato-moratorium"),
    }


def test_quote_not_in_source_text(tmp_path):
    body = GOOD.replace("being signed are non-existent.", "being signed are slim.")
    (problem,) = problems_of(write(tmp_path, body))
    assert (problem.field, problem.forecast_id, problem.line) == ("quote", "treaty-signed", 11)


def test_missing_source_text_file(tmp_path):
    path = write(tmp_path, GOOD.replace("text: source.txt", "text: gone.txt"))
    (problem,) = problems_of(path)
    assert problem.field == "source.text" and problem.line == 7


def test_duplicate_yaml_key(tmp_path):
    (problem,) = problems_of(
        write(
            tmp_path,
            GOOD.replace(
                "    probability: 0.02\n", "    probability: 0.02\n    probability: 0.5\n"
            ),
        )
    )
    assert "duplicate key 'probability'" in problem.message and problem.line == 14


@pytest.mark.parametrize(
    "rules, expected",
    [
        ("{any: []}", "at least one phrase"),
        ("{any: ['mora*torium']}", "may only end a phrase"),
        ("{sometimes: [x]}", "unknown field 'sometimes'; the fields here are all, any, none"),
        ("{al: [x], any: [y]}", "unknown field 'al' (did you mean 'all'?)"),
    ],
)
def test_bad_evidence_rules(tmp_path, rules, expected):
    body = GOOD.replace(
        "yes_when: {all: [NATO], any: [moratorium on new members]}", f"yes_when: {rules}"
    )
    (problem,) = problems_of(write(tmp_path, body))
    assert problem.field.startswith("resolution.yes_when") and expected in problem.message


def test_bad_default_at_close(tmp_path):
    (problem,) = problems_of(
        write(tmp_path, GOOD.replace("default_at_close: no", "default_at_close: maybe"))
    )
    assert problem.field == "resolution.default_at_close"


def test_every_problem_is_reported_at_once(tmp_path):
    body = GOOD.replace("probability: 0.02", "probability: 2").replace(
        "closes: 2023-12-31", "closes: 2020-01-01"
    )
    problems = problems_of(write(tmp_path, body))
    assert {(p.forecast_id, p.field) for p in problems} == {
        ("treaty-signed", "probability"),
        ("nato-moratorium", "closes"),
    }


def test_failed_import_writes_nothing(engine, tmp_path):
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    good_dir.mkdir(), bad_dir.mkdir()
    good = write(good_dir, GOOD)
    bad = write(
        bad_dir,
        GOOD.replace("id: treaty-signed", "id: other").replace(
            "probability: 0.02", "probability: 7"
        ),
        "bad.yaml",
    )
    with pytest.raises(ForecastImportError):
        registry.load_files([good, bad], EstimativeScale.builtin())
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Forecast)).one() == 0


def test_id_owned_by_another_source_is_refused_and_nothing_written(engine, tmp_path):
    first = write(tmp_path, GOOD, "first.yaml")
    with session_scope(engine) as session:
        registry.import_files(
            session,
            registry.load_files([first], EstimativeScale.builtin()),
            today=registry.date(2022, 2, 1),
            actor="t",
        )
    second = write(tmp_path, GOOD.replace("probability: 0.02", "probability: 0.5"), "second.yaml")
    with pytest.raises(ForecastImportError) as caught, session_scope(engine) as session:
        registry.import_files(
            session,
            registry.load_files([second], EstimativeScale.builtin()),
            today=registry.date(2022, 2, 1),
            actor="t",
        )
    assert "already belongs to source 'first'" in str(caught.value)
    with session_scope(engine) as session:
        assert session.get(Forecast, "treaty-signed").probability == 0.02
        assert session.exec(select(func.count()).select_from(ProbabilityUpdate)).one() == 2
