"""Input checks that must not depend on the database (issue 17, Low): lengths and NUL bytes
(SQLite stored a 5,000-character id that the web could not open, PostgreSQL answered with a bare
database error), ``%`` and ``_`` taken as wildcards by the author filter and the article search,
and no caps on an OPML file's feeds and titles.

Each test with a database runs on SQLite and PostgreSQL: the same refusal on both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from tests.test_forecast_files import GOOD, write
from tracker import service
from tracker.db import session_scope
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastImportError, InvalidInputError, OpmlError
from tracker.models import Article, Feed, Forecast, Source
from tracker.scoring import ScorecardFilter
from tracker.scoring._data import count_unscored

SCALE = EstimativeScale.builtin()


def _import(engine, path: Path) -> list[str]:
    """The problems of importing ``path`` (none when it was imported)."""
    try:
        with session_scope(engine) as session:
            service.import_forecasts(session, [path], SCALE, actor="t")
    except ForecastImportError as exc:
        return [str(p) for p in exc.problems]
    return []


def _forecasts(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(Forecast)).one()


# --- lengths and NUL in forecast files ------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "field", "says"),
    [
        ("id: treaty-signed", "id: " + "a" * 5000, "'id'", "at most 100 characters"),
        ("id: treaty-signed", 'id: "treaty-signed\\n"', "'id'", "is not a slug"),
        (
            "question: Will the treaty be signed by 2022-12-31?",
            "question: Will " + "very " * 300 + "long?",
            "'question'",
            "at most 1000 characters",
        ),
        ("author: Jane Pundit", "author: " + "J" * 201, "'source.author'", "at most 200"),
        ("tags: [treaties]", "tags: [" + "t" * 51 + "]", "'tags'", "longer than 50"),
        ("author: Jane Pundit", 'author: "Jane\\0 Pundit"', "'source.author'", "NUL"),
        ("tags: [treaties]", 'tags: ["trea\\0ties"]', "'tags[0]'", "NUL"),
        (
            "criteria: YES if the treaty is signed.",
            'criteria: "YES if\\0 signed."',
            "'resolution.criteria'",
            "NUL",
        ),
    ],
    ids=["long-id", "id-newline", "long-question", "long-author", "long-tag", "nul-author",
         "nul-tag", "nul-criteria"],
)  # fmt: skip
def test_lengths_and_nul_are_refused_the_same_on_both_engines(
    engine, tmp_path, before, after, field, says
):
    assert before in GOOD
    found = _import(engine, write(tmp_path, GOOD.replace(before, after, 1)))
    assert len(found) == 1, found
    assert "op-ed.yaml:" in found[0] and f"field {field}" in found[0] and says in found[0]
    assert len(found[0]) < 400  # one readable line, not the 5,000-character value
    assert _forecasts(engine) == 0


def test_a_file_within_the_limits_imports(engine, tmp_path):
    body = GOOD.replace("id: treaty-signed", "id: " + "a" * 100)
    assert _import(engine, write(tmp_path, body)) == []
    assert _forecasts(engine) == 2


# --- LIKE wildcards -------------------------------------------------------------------------


def _article(session, n: int, title: str) -> None:
    at = datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=n)
    session.add(
        Article(identity=f"{n:064d}", title=title, summary="", published_at=at,
                content_hash=f"{n:064d}")
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("50%", ["Poll: 50% back the treaty"]),
        ("5_0", ["Parliament votes 5_0 on the bill"]),
        ("%", ["Poll: 50% back the treaty"]),
        ("_", ["Parliament votes 5_0 on the bill"]),
        ("500", ["500 troops leave"]),
    ],
)
def test_article_search_takes_percent_and_underscore_literally(engine, text, found):
    with session_scope(engine) as session:
        for n, title in enumerate(
            ["500 troops leave", "Poll: 50% back the treaty", "Parliament votes 5_0 on the bill",
             "Final score 5x0"]
        ):  # fmt: skip
            _article(session, n, title)
    with session_scope(engine) as session:
        titles = [a.title for a in service.list_articles(session, text=text)]
    assert titles == found


def test_the_author_filter_takes_percent_and_underscore_literally(engine, tmp_path):
    assert _import(engine, write(tmp_path, GOOD)) == []
    with session_scope(engine) as session:
        assert count_unscored(session, ScorecardFilter(author="Jane Pundit")) == (0, 2)
        assert count_unscored(session, ScorecardFilter(author="%")) == (0, 0)
        assert count_unscored(session, ScorecardFilter(author="Jane_Pundit")) == (0, 0)
        assert count_unscored(session, ScorecardFilter(author="ane pun")) == (0, 2)
        assert session.exec(select(func.count()).select_from(Source)).one() == 1


# --- OPML caps ------------------------------------------------------------------------------


def _opml(n: int, title: str = "Feed") -> bytes:
    outlines = "".join(
        f'<outline type="rss" text="{title}" xmlUrl="https://news{i}.example.org/rss.xml"/>'
        for i in range(n)
    )
    return f'<opml version="2.0"><head/><body>{outlines}</body></opml>'.encode()


def _import_opml(engine, data: bytes, **limits: int) -> int:
    with session_scope(engine) as session:
        return len(
            service.import_opml(
                session, data, "feeds.opml", default_interval=timedelta(hours=1), actor="t",
                **limits,
            ).added
        )  # fmt: skip


def _feeds(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(Feed)).one()


def test_an_opml_file_with_too_many_feeds_imports_nothing(engine):
    with pytest.raises(OpmlError) as refused:
        _import_opml(engine, _opml(6), max_feeds=5)
    assert str(refused.value) == (
        "feeds.opml: more than 5 feeds; split the file, or raise opml_max_feeds; "
        "nothing was imported"
    )
    assert _feeds(engine) == 0
    assert _import_opml(engine, _opml(5), max_feeds=5) == 5


def test_an_opml_title_over_the_limit_imports_nothing(engine):
    with pytest.raises(
        OpmlError, match=r"over the limit of 500 \(opml_max_title_chars\)"
    ) as refused:
        _import_opml(engine, _opml(3, title="T" * 501))
    assert "nothing was imported" in str(refused.value) and "\n" not in str(refused.value)
    assert _feeds(engine) == 0
    assert _import_opml(engine, _opml(3, title="T" * 500)) == 3


def test_the_cli_reads_the_opml_caps_from_the_settings(cli, tmp_path):
    cli("init")
    path = tmp_path / "feeds.opml"
    path.write_bytes(_opml(3))
    cli.env["TRACKER_OPML_MAX_FEEDS"] = "2"
    result = cli("feeds", "import-opml", path, ok=False)
    assert result.exit_code == 1 and "more than 2 feeds" in result.output
    cli.env["TRACKER_OPML_MAX_FEEDS"] = "3"
    assert "Imported 3 new feed(s)" in cli("feeds", "import-opml", path).output


# --- what a person types: notes, names, feed titles ------------------------------------------


@pytest.fixture
def imported(engine, tmp_path):
    assert _import(engine, write(tmp_path, GOOD)) == []
    return engine


def _status(engine, forecast_id: str = "treaty-signed") -> str:
    with session_scope(engine) as session:
        return session.get(Forecast, forecast_id).status


@pytest.mark.parametrize(
    ("note", "actor", "field", "says"),
    [
        ("x" * 10_001, "ana", "note", "is 10,001 characters long; at most 10,000 are kept"),
        ("a\x00note", "ana", "note", "contains a NUL character"),
        ("fine", "a" * 101, "by", "is 101 characters long; at most 100 are kept"),
        ("fine", "an\x00a", "by", "contains a NUL character"),
    ],
)
def test_a_resolution_note_or_name_the_database_would_refuse_is_refused_first(
    imported, note, actor, field, says
):
    before = _status(imported)
    with pytest.raises(InvalidInputError) as refused, session_scope(imported) as session:
        service.resolve_forecast(session, "treaty-signed", "yes", actor=actor, note=note)
    assert refused.value.field == field and says in str(refused.value)
    assert _status(imported) == before != "resolved"


def test_a_statement_note_or_url_the_database_would_refuse_is_refused_first(imported):
    refusals = [
        ("url", {"url": "https://x.example/" + "p" * 2000}),
        ("note", {"note": "n\x00"}),
        ("quote", {"quote": "q" * 10_001}),
    ]
    for field, extra in refusals:
        with pytest.raises(InvalidInputError) as refused, session_scope(imported) as session:
            service.update_forecast(
                session, "treaty-signed", as_of=date(2022, 3, 1), probability=0.1,
                scale=SCALE, actor="ana", today=date(2022, 4, 1), **extra,
            )  # fmt: skip
        assert refused.value.field == field


@pytest.mark.parametrize("title", ["T" * 501, "a\x00title"])
def test_a_feed_title_the_database_would_refuse_is_refused_first(engine, title):
    with pytest.raises(InvalidInputError) as refused, session_scope(engine) as session:
        service.add_feed(
            session, "https://news.example.org/rss.xml", title=title,
            default_interval=timedelta(hours=1), actor="ana",
        )  # fmt: skip
    assert refused.value.field == "title"
    assert _feeds(engine) == 0


def test_a_feed_url_longer_than_its_column_is_refused_first(engine):
    url = "https://news.example.org/" + "p" * 2000
    with pytest.raises(InvalidInputError) as refused, session_scope(engine) as session:
        service.add_feed(session, url, default_interval=timedelta(hours=1), actor="ana")
    assert refused.value.field == "url" and "at most 2,000" in str(refused.value)
    data = f'<opml version="2.0"><body><outline xmlUrl="{url}"/></body></opml>'.encode()
    with pytest.raises(OpmlError, match="a feed URL of 2,025 characters"):
        _import_opml(engine, data)
    assert _feeds(engine) == 0
