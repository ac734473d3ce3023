"""The source article's forecast file: complete, verbatim, and free of outcomes."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ARTICLE_FILE, FORECASTS
from tracker.domain import registry
from tracker.domain.forecast_files import normalise_whitespace
from tracker.domain.scale import EstimativeScale

ARTICLE_TEXT = (FORECASTS / "sources" / "trenin-2022-01-21.txt").read_text(encoding="utf-8")


def test_the_file_validates():
    (loaded,) = registry.load_files([ARTICLE_FILE], EstimativeScale.builtin())
    assert 12 <= len(loaded.forecasts) <= 20
    assert loaded.source.published.isoformat() == "2022-01-21"


def test_every_quote_is_verbatim_from_the_article():
    text = normalise_whitespace(ARTICLE_TEXT)
    joined = normalise_whitespace(re.sub(r"-[ \t]*\n\s*", "-", ARTICLE_TEXT))
    data = yaml.safe_load(ARTICLE_FILE.read_text(encoding="utf-8"))
    for forecast in data["forecasts"]:
        quote = normalise_whitespace(forecast["quote"])
        assert quote in text or quote in joined, forecast["id"]


def test_each_forecast_is_scoreable():
    data = yaml.safe_load(ARTICLE_FILE.read_text(encoding="utf-8"))
    for forecast in data["forecasts"]:
        assert "?" in forecast["question"], forecast["id"]
        assert forecast["closes"] > forecast["opens"], forecast["id"]
        rules = forecast["resolution"]
        assert rules.get("yes_when") or rules.get("no_when"), forecast["id"]


def test_no_outcomes_are_written_into_the_file():
    data = yaml.safe_load(ARTICLE_FILE.read_text(encoding="utf-8"))
    for forecast in data["forecasts"]:
        assert "outcome" not in forecast and "outcome" not in forecast["resolution"], forecast["id"]
