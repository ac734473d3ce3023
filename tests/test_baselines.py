"""Baselines: markets and crowds as forecasters on our questions.

Files are imported whole or refused whole with every problem listed; a Manifold market is read
from a real HTTP server on 127.0.0.1 that serves the API's shapes (``tests/marketserver.py``)
and fails the way a live API does; its trades become daily prices (worked out by hand below);
a failed pull is recorded with its kind, backs off, and loses no stored point.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from tests.marketserver import FakeMarket, MarketServer, ms, utc
from tracker import baselines, service
from tracker.baselines import ManifoldClient, baseline_at, daily_prices, market_slug
from tracker.baselines._store import claim, write_points
from tracker.db import session_scope
from tracker.errors import (
    BaselineFileError,
    BaselinePullError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from tracker.ingest import AddressGuard, Fetcher, FetchLimits
from tracker.models import AuditEntry, Baseline, BaselinePoint, Question, TaskRun
from tracker.settings import Settings

ACTOR = "ana"
INTERVAL = timedelta(hours=6)


def add_questions(engine, *questions: tuple[str, date, date]) -> None:
    with session_scope(engine) as session:
        for question_id, opens, closes in questions:
            session.add(
                Question(
                    id=question_id,
                    text=f"Will {question_id.replace('-', ' ')} happen?",
                    opens=opens,
                    closes=closes,
                    defined_in="questions/test.yaml",
                )
            )


@pytest.fixture
def questions(engine):
    add_questions(
        engine,
        ("nato-moratorium", date(2022, 1, 1), date(2022, 6, 30)),
        ("ceasefire-2022", date(2022, 2, 1), date(2022, 12, 31)),
    )
    return engine


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored_points(engine) -> list[tuple[str, str, date, float]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(
                Baseline.name, Baseline.question_id, BaselinePoint.day, BaselinePoint.probability
            )
            .join(BaselinePoint, BaselinePoint.baseline_id == Baseline.id)
            .order_by(Baseline.name, Baseline.question_id, BaselinePoint.day)
        )
        return [tuple(row) for row in rows]


# --- files ----------------------------------------------------------------------------------

GOOD_CSV = """question,date,probability,source,url
nato-moratorium,2022-01-10,0.12,Metaculus community,https://www.metaculus.com/questions/1/
nato-moratorium,2022-01-20,0.08,Metaculus community,
nato-moratorium,2022-01-15,0.2,Good Judgment Open,
ceasefire-2022,2022-02-01,0.35,Metaculus community,
"""


def test_a_csv_file_is_imported_and_read_back_as_daily_series(questions, tmp_path):
    path = write(tmp_path, "crowds.csv", GOOD_CSV)
    with session_scope(questions) as session:
        done = service.import_baseline_file(session, path, actor=ACTOR)
    assert (done.created, done.written.added, done.written.changed) == (3, 4, 0)
    assert stored_points(questions) == [
        ("Good Judgment Open", "nato-moratorium", date(2022, 1, 15), 0.2),
        ("Metaculus community", "ceasefire-2022", date(2022, 2, 1), 0.35),
        ("Metaculus community", "nato-moratorium", date(2022, 1, 10), 0.12),
        ("Metaculus community", "nato-moratorium", date(2022, 1, 20), 0.08),
    ]
    with session_scope(questions) as session:
        series = service.baseline_points(session, ["nato-moratorium", "no-such-question"])
        listed = service.list_baselines(session, "nato-moratorium")
        audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "baseline")).one()
    assert list(series) == ["nato-moratorium"]
    by_name = {s.name: s for s in series["nato-moratorium"]}
    metaculus = by_name["Metaculus community"]
    assert metaculus.kind == "file"
    assert metaculus.points == [(date(2022, 1, 10), 0.12), (date(2022, 1, 20), 0.08)]
    # the standing value: the last point on or before the day
    assert baseline_at(metaculus, date(2022, 1, 9)) is None
    assert baseline_at(metaculus, date(2022, 1, 10)) == 0.12
    assert baseline_at(metaculus, date(2022, 1, 19)) == 0.12
    assert metaculus.at(date(2022, 3, 1)) == 0.08
    assert [
        (i.baseline.name, i.points, i.first_day, i.last_day, i.latest, i.state) for i in listed
    ] == [
        ("Good Judgment Open", 1, date(2022, 1, 15), date(2022, 1, 15), 0.2, "file"),
        ("Metaculus community", 2, date(2022, 1, 10), date(2022, 1, 20), 0.08, "file"),
    ]
    assert listed[1].baseline.url == "https://www.metaculus.com/questions/1/"
    assert audit.actor == ACTOR and audit.detail["added"] == 4


def test_importing_again_replaces_the_days_it_holds_and_keeps_the_others(questions, tmp_path):
    with session_scope(questions) as session:
        service.import_baseline_file(session, write(tmp_path, "a.csv", GOOD_CSV), actor=ACTOR)
    again = write(
        tmp_path,
        "b.json",
        json.dumps(
            [
                {
                    "question": "nato-moratorium",
                    "date": "2022-01-20",
                    "probability": 0.1,
                    "source": "Metaculus community",
                    "kind": "crowd",
                },
                {
                    "question": "nato-moratorium",
                    "date": "2022-01-10",
                    "probability": 0.12,
                    "source": "Metaculus community",
                },
                {
                    "question": "nato-moratorium",
                    "date": "2022-02-01",
                    "probability": 0.05,
                    "source": "Metaculus community",
                },
            ]
        ),
    )
    with session_scope(questions) as session:
        done = service.import_baseline_file(session, again, actor=ACTOR)
    assert (done.created, done.written.added, done.written.changed, done.written.unchanged) == (
        0, 1, 1, 1,
    )  # fmt: skip
    assert [p for p in stored_points(questions) if p[0] == "Metaculus community"] == [
        ("Metaculus community", "ceasefire-2022", date(2022, 2, 1), 0.35),
        ("Metaculus community", "nato-moratorium", date(2022, 1, 10), 0.12),
        ("Metaculus community", "nato-moratorium", date(2022, 1, 20), 0.1),
        ("Metaculus community", "nato-moratorium", date(2022, 2, 1), 0.05),
    ]
    with session_scope(questions) as session:
        kinds = {(b.name, b.question_id): b.kind for b in session.exec(select(Baseline))}
    assert kinds[("Metaculus community", "nato-moratorium")] == "crowd"  # the file said so now
    assert kinds[("Metaculus community", "ceasefire-2022")] == "file"


BAD_CSV = """question,date,probability,source
nato-moratorium,2022-01-10,1.2,Metaculus community
nato-moratorium,2022-01-11,abc,Metaculus community
nato-moratorum,2022-01-12,0.3,Metaculus community
nato-moratorium,2021-12-31,0.3,Metaculus community
nato-moratorium,2022-01-13,0.3,Metaculus community
nato-moratorium,2022-01-13,0.31,Metaculus community
nato-moratorium,2022-13-01,0.3,Metaculus community
nato-moratorium,2022-01-14,0.3,=HYPERLINK("http://evil.example")
nato-moratorium,2022-01-15,45,Metaculus community
nato-moratorium,2022-01-16,0.3,<script>alert(1)</script>
ceasefire-2022,2022-02-02,0.4,Metaculus community
"""


def test_a_bad_csv_file_is_refused_whole_with_every_problem(questions, tmp_path):
    path = write(tmp_path, "bad.csv", BAD_CSV)
    with session_scope(questions) as session, pytest.raises(BaselineFileError) as caught:
        service.import_baseline_file(session, path, actor=ACTOR)
    problems = [(p.line, p.field) for p in caught.value.problems]
    assert problems == [
        (2, "probability"),
        (3, "probability"),
        (4, "question"),
        (5, "date"),
        (7, "date"),
        (8, "date"),
        (9, "source"),
        (10, "probability"),
        (11, "source"),
    ]
    messages = [str(p) for p in caught.value.problems]
    assert messages[0] == (
        f"{path}:2, field 'probability': 1.2 is outside 0 to 1 (write 0.012 for 1.2 %)"
    )
    assert "is not a number" in messages[1]
    assert "no question 'nato-moratorum' (did you mean 'nato-moratorium'?)" in messages[2]
    assert (
        "2021-12-31 is outside question 'nato-moratorium''s window (2022-01-01 to 2022-06-30)"
        in (messages[3])
    )
    second = "a second row for 'Metaculus community' on 'nato-moratorium' on 2022-01-13"
    assert f"{second} (the first is line 6)" in messages[4]
    assert "'2022-13-01' is not a date; write it as YYYY-MM-DD" in messages[5]
    assert "starts like a spreadsheet formula" in messages[6]
    assert "write 0.45 for 45 %" in messages[7]
    assert "markup" in messages[8]
    assert str(caught.value).endswith("(and 8 more problem(s)); nothing was imported")
    assert stored_points(questions) == []  # the good last row was not imported either
    with session_scope(questions) as session:
        assert list(session.exec(select(Baseline))) == []


def test_a_bad_json_file_is_refused_whole_with_every_problem(questions, tmp_path):
    rows = [
        {"question": "nato-moratorium", "date": "2022-01-10", "probabilty": 0.2, "source": "M"},
        "not an object",
        {"question": "nato-moratorium", "date": "2022-01-10", "probability": True, "source": "M"},
        {"question": "nato-moratorium", "date": 20220110, "probability": -0.1, "source": 7},
        {"question": "nato-moratorium", "date": "2022-01-11", "probability": 0.5},
        {"question": "nato-moratorium", "date": "2022-01-12", "probability": 0.5, "source": "M",
         "kind": "oracle", "url": "javascript:alert(1)"},
    ]  # fmt: skip
    path = write(tmp_path, "bad.json", json.dumps(rows))
    with pytest.raises(BaselineFileError) as caught:
        baselines.read_baseline_file(
            path, {"nato-moratorium": (date(2022, 1, 1), date(2022, 6, 30))}
        )
    found = [(p.item, p.field) for p in caught.value.problems]
    assert found == [
        (1, "probabilty"),
        (1, "probability"),
        (2, None),
        (3, "probability"),
        (4, "source"),
        (4, "date"),
        (4, "probability"),
        (5, "source"),
        (6, "url"),
        (6, "kind"),
    ]
    first = str(caught.value.problems[0])
    assert first.startswith(f"{path}, item 1, field 'probabilty': unknown column 'probabilty'")
    assert "(did you mean 'probability'?)" in first


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.txt", b"question,date\n", "'.txt' is not a baseline file; use .csv or .json"),
        ("a.csv", "question,date,probability,source\n".encode("utf-16"), "not UTF-8"),
        ("a.json", b'{"question": "x"}', "a JSON list of objects"),
        ("a.json", b'[{"question": "a", "question": "b"}]', "appears twice"),
        ("a.json", b"[" * 100_000, "not valid JSON"),
        ("a.csv", b"question,date,probability,source\n", "holds no rows"),
        ("a.csv", b"question,date,probability\nx,2022-01-01,0.5\n", "'source' is missing"),
        ("a.csv", b"question,date,probability,source,source\n", "'source' appears twice"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BaselineFileError, match=expected):
        baselines.read_baseline_file(path, {"x": (date(2022, 1, 1), date(2022, 12, 31))})


def test_files_over_the_limits_are_refused_before_their_rows_are_read(tmp_path):
    catalogue = {"q": (date(2000, 1, 1), date(2400, 1, 1))}
    big = tmp_path / "big.csv"
    big.write_bytes(b"question,date,probability,source\n" + b"#" * baselines.MAX_FILE_BYTES)
    with pytest.raises(BaselineFileError, match="larger than 5,242,880 bytes"):
        baselines.read_baseline_file(big, catalogue)
    start = date(2000, 1, 1)
    lines = [f"q,{start + timedelta(days=i)},0.5,S" for i in range(baselines.MAX_ROWS + 1)]
    many = write(tmp_path, "many.csv", "question,date,probability,source\n" + "\n".join(lines))
    with pytest.raises(BaselineFileError, match="more than 100,000 rows"):
        baselines.read_baseline_file(many, catalogue)


# --- Manifold's API -------------------------------------------------------------------------

MARKET = FakeMarket(
    id="mkt1",
    slug="will-nato-agree-to-a-moratorium",
    created=utc(2021, 12, 30, 8),
    probability=0.7,
    trades=[
        (utc(2021, 12, 31, 10), 0.5, 0.4),
        (utc(2022, 1, 2, 9), 0.4, 0.6),
        (utc(2022, 1, 2, 20), 0.6, 0.55),
        (utc(2022, 1, 5, 23, 59), 0.55, 0.7),
    ],
)


@pytest.fixture
def api():
    with MarketServer() as server:
        yield server


def client_for(server: MarketServer, *, page_size: int = 1000, private: bool = True):
    limits = FetchLimits(connect_timeout=1, read_timeout=0.5, total_timeout=2)
    fetcher = Fetcher(limits, AddressGuard(allow_private=private), accept="application/json")
    return ManifoldClient(fetcher, server.base_url, page_size=page_size)


def fresh(market: FakeMarket, **changes) -> FakeMarket:
    fields = {**market.__dict__, "trades": list(market.trades), **changes}
    return FakeMarket(**fields)


def test_market_slugs_from_slugs_and_urls():
    assert market_slug(" will-x-happen ") == "will-x-happen"
    assert market_slug("https://manifold.markets/analyst/will-x-happen?r=abc#c1") == "will-x-happen"
    assert market_slug("manifold.markets/analyst/will-x-happen/") == "will-x-happen"
    for bad in ("", "https://manifold.markets/", "x y", "../../etc/passwd", "evil.example/a/b"):
        with pytest.raises(InvalidInputError, match=r"market: .* is not a Manifold market"):
            market_slug(bad)


def test_the_client_reads_a_market_and_every_page_of_its_trades(api):
    api.add(fresh(MARKET))
    with client_for(api, page_size=3) as client:
        market = client.market(MARKET.slug)
        trades = client.trades("mkt1")
        later = client.trades("mkt1", after=utc(2022, 1, 2))
    assert (market.id, market.probability, market.created, market.resolved) == (
        "mkt1", 0.7, utc(2021, 12, 30, 8), False,
    )  # fmt: skip
    assert market.url == f"https://manifold.markets/analyst/{MARKET.slug}"
    assert [(t.at, t.prob_before, t.prob_after) for t in trades] == MARKET.trades
    assert [t.at for t in later] == [t[0] for t in MARKET.trades[1:]]
    pages = [q for q in api.bet_queries if "afterTime" not in q]
    assert [q.get("before") for q in pages] == [None, "mkt1-bet-0001"]  # 3 + 1 bets
    assert api.bet_queries[-1]["afterTime"] == str(ms(utc(2022, 1, 2)))


@pytest.mark.parametrize(
    ("where", "mode", "kind", "words"),
    [
        ("slug", "slow", "timeout", "no answer in time"),
        ("slug", "html", "html", "a web page (text/html"),
        ("slug", "shape", "shape", "'probability' is a str, not int or float"),
        ("slug", "500", "http", "HTTP 500"),
        ("slug", "404", "not_found", "HTTP 404"),
        ("bets", "shape", "shape", "'createdTime' is a str"),
        ("bets", "html", "html", "instead of JSON"),
    ],
)
def test_every_failure_of_the_api_has_a_kind(api, where, mode, kind, words):
    api.add(fresh(MARKET))
    api.failing["mkt1" if where == "bets" else MARKET.slug] = mode
    with client_for(api) as client, pytest.raises(BaselinePullError) as caught:
        client.trades(client.market(MARKET.slug).id) if where == "bets" else client.market(
            MARKET.slug
        )
    assert caught.value.kind == kind
    assert words in caught.value.message


def test_a_multiple_choice_market_and_a_private_address_are_refused(api):
    api.add(fresh(MARKET, id="mc", slug="who-wins", outcome_type="MULTIPLE_CHOICE"))
    with client_for(api) as client, pytest.raises(BaselinePullError) as caught:
        client.market("who-wins")
    assert caught.value.kind == "unsupported" and "only yes/no" in caught.value.message
    with client_for(api, private=False) as client, pytest.raises(BaselinePullError) as caught:
        client.market("who-wins")
    assert caught.value.kind == "refused" and "loopback" in caught.value.message
    assert api.http.hits["/v0/slug/who-wins"] == 1  # the guard refused before connecting


def test_daily_prices_are_the_last_trade_of_each_day_carried_forward():
    trades = [baselines.Trade(at, before, after) for at, before, after in MARKET.trades]
    assert daily_prices(trades, date(2022, 1, 1), date(2022, 1, 6), opening=0.5) == [
        (date(2022, 1, 1), 0.4),  # the trade of 31 Dec sets the start
        (date(2022, 1, 2), 0.55),  # the later of the two trades that day
        (date(2022, 1, 3), 0.55),
        (date(2022, 1, 4), 0.55),
        (date(2022, 1, 5), 0.7),  # 23:59 UTC is still the 5th
        (date(2022, 1, 6), 0.7),
    ]
    assert daily_prices([], date(2022, 1, 1), date(2022, 1, 2), opening=0.3) == [
        (date(2022, 1, 1), 0.3),
        (date(2022, 1, 2), 0.3),
    ]
    assert daily_prices(trades, date(2022, 1, 3), date(2022, 1, 2), opening=0.5) == []


# --- pulls ----------------------------------------------------------------------------------


def settings_for(server: MarketServer, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        manifold_api_url=server.base_url,
        allow_private_feeds=True,
        baseline_pull_interval_s=int(INTERVAL.total_seconds()),
    )


def add_market(engine, question="nato-moratorium", market=MARKET.slug, **kw) -> int:
    with session_scope(engine) as session:
        info = service.add_market_baseline(
            session, question, market, actor=ACTOR, now=utc(2022, 1, 1), **kw
        )
        return info.baseline.id


def pull(engine, server, tmp_path, baseline_id, now, *, force=False):
    with client_for(server) as client:
        return service.pull_baseline(
            engine, settings_for(server, tmp_path), baseline_id, client, force=force, now=now
        )


def points_of(engine, baseline_id) -> list[tuple[date, float]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(BaselinePoint.day, BaselinePoint.probability)
            .where(BaselinePoint.baseline_id == baseline_id)
            .order_by(BaselinePoint.day)
        )
        return [tuple(row) for row in rows]


def baseline_row(engine, baseline_id) -> Baseline:
    with session_scope(engine) as session:
        return session.get(Baseline, baseline_id)


def test_a_pull_stores_the_daily_prices_then_only_what_is_new(questions, api, tmp_path):
    market = api.add(fresh(MARKET))
    baseline_id = add_market(questions, market=f"https://manifold.markets/analyst/{MARKET.slug}")
    now = utc(2022, 1, 7, 12)
    result = pull(questions, api, tmp_path, baseline_id, now)
    assert (result.outcome, result.added, result.changed) == ("ok", 7, 0)
    assert points_of(questions, baseline_id) == [
        (date(2022, 1, 1), 0.4),
        (date(2022, 1, 2), 0.55),
        (date(2022, 1, 3), 0.55),
        (date(2022, 1, 4), 0.55),
        (date(2022, 1, 5), 0.7),
        (date(2022, 1, 6), 0.7),
        (date(2022, 1, 7), 0.7),  # today, so far
    ]
    stored = baseline_row(questions, baseline_id)
    assert (stored.market_id, stored.next_pull_at, stored.last_success_at) == (
        "mkt1", now + INTERVAL, now,
    )  # fmt: skip
    # a day later: today's trades change the 7th and add the 8th; earlier days are not asked for
    market.trades += [(utc(2022, 1, 7, 18), 0.7, 0.75), (utc(2022, 1, 8, 1), 0.75, 0.8)]
    result = pull(questions, api, tmp_path, baseline_id, utc(2022, 1, 8, 12))
    assert (result.outcome, result.added, result.changed) == ("ok", 1, 1)
    assert points_of(questions, baseline_id)[-3:] == [
        (date(2022, 1, 6), 0.7),
        (date(2022, 1, 7), 0.75),
        (date(2022, 1, 8), 0.8),
    ]
    assert api.bet_queries[-1]["afterTime"] == str(ms(utc(2022, 1, 7)))


def test_a_failing_market_is_recorded_backs_off_and_loses_nothing(questions, api, tmp_path):
    api.add(fresh(MARKET))
    baseline_id = add_market(questions)
    start = utc(2022, 1, 7, 12)
    pull(questions, api, tmp_path, baseline_id, start)
    before = points_of(questions, baseline_id)
    expected = []
    moment = start + INTERVAL
    for failures, mode, kind in [(1, "html", "html"), (2, "shape", "shape"),
                                 (3, "slow", "timeout"), (4, "500", "http")]:  # fmt: skip
        api.failing[MARKET.slug] = mode
        result = pull(questions, api, tmp_path, baseline_id, moment)
        assert (result.outcome, result.error_kind) == ("failed", kind)
        stored = baseline_row(questions, baseline_id)
        wait = min(INTERVAL * 2 ** (failures - 1), timedelta(days=1))  # 6 h, 12 h, 24 h, 24 h
        assert (stored.consecutive_failures, stored.error_kind, stored.error_since) == (
            failures, kind, start + INTERVAL,
        )  # fmt: skip
        assert stored.next_pull_at == moment + wait
        expected.append(wait)
        assert points_of(questions, baseline_id) == before  # nothing lost
        moment = stored.next_pull_at
    assert expected == [INTERVAL, 2 * INTERVAL, timedelta(days=1), timedelta(days=1)]
    with session_scope(questions) as session:
        (info,) = service.list_baselines(session)
    assert info.state == "failing" and info.baseline.last_error.startswith("HTTP 500")
    del api.failing[MARKET.slug]
    result = pull(questions, api, tmp_path, baseline_id, moment)
    assert result.outcome == "ok"
    stored = baseline_row(questions, baseline_id)
    assert (stored.consecutive_failures, stored.error_kind, stored.error_since) == (0, None, None)


def test_a_baseline_not_due_is_skipped_and_taken_once(questions, api, tmp_path):
    api.add(fresh(MARKET))
    baseline_id = add_market(questions)
    now = utc(2022, 1, 7, 12)
    assert pull(questions, api, tmp_path, baseline_id, now).outcome == "ok"
    assert (
        pull(questions, api, tmp_path, baseline_id, now + timedelta(hours=1)).outcome == "skipped"
    )
    assert pull(questions, api, tmp_path, baseline_id, now, force=True).outcome == "ok"
    with session_scope(questions) as session:
        assert service.baselines_to_pull(session, now=now + INTERVAL * 2) == [baseline_id]
        # a second worker's claim of the same due baseline finds it taken
        assert claim(session, baseline_id, now + INTERVAL * 2, force=False)
        assert not claim(session, baseline_id, now + INTERVAL * 2, force=False)


def test_pulls_stop_once_every_day_of_the_window_is_stored(questions, api, tmp_path):
    """The market resolved on 4 Jan: its days end there, before the question closes."""
    api.add(fresh(MARKET, resolved_at=utc(2022, 1, 4, 15), resolution="NO", closes=utc(2022, 3, 1)))
    baseline_id = add_market(questions)
    result = pull(questions, api, tmp_path, baseline_id, utc(2022, 1, 20))
    assert result.added == 4
    assert points_of(questions, baseline_id)[-1] == (date(2022, 1, 4), 0.55)
    with session_scope(questions) as session:
        (info,) = service.list_baselines(session)
        assert service.baselines_to_pull(session, now=utc(2023, 1, 1)) == []
    assert info.state == "done" and info.baseline.next_pull_at is None


def test_markets_are_added_once_per_name_and_question(questions):
    baseline_id = add_market(questions, interval="12h")
    assert baseline_row(questions, baseline_id).interval_s == 12 * 3600
    with pytest.raises(ConflictError, match="baseline 'Manifold on nato-moratorium' already"):
        add_market(questions)
    assert add_market(questions, name="Manifold (2nd market)") != baseline_id
    with pytest.raises(NotFoundError, match="did you mean 'nato-moratorium'"):
        add_market(questions, question="nato-moratorum")
    with pytest.raises(InvalidInputError, match="interval: "):
        add_market(questions, name="Other", interval="1s")


def test_a_file_may_not_write_into_a_pulled_baseline(questions, tmp_path):
    add_market(questions)
    path = write(tmp_path, "m.csv", "question,date,probability,source\n"
                 "nato-moratorium,2022-01-03,0.5,Manifold\n")  # fmt: skip
    with session_scope(questions) as session, pytest.raises(BaselineFileError) as caught:
        service.import_baseline_file(session, path, actor=ACTOR)
    assert "is pulled from manifold" in str(caught.value)
    assert caught.value.problems[0].line == 2


def test_the_beat_tick_queues_the_due_baselines_and_records_its_run(questions):
    baseline_id = add_market(questions)
    queued: list[int] = []
    assert service.queue_due_baselines(questions, queued.append, now=utc(2022, 1, 2)) == 1
    assert queued == [baseline_id]
    with session_scope(questions) as session:
        run = session.get(TaskRun, service.PULL_DUE_BASELINES)
    assert run.last_status == "ok" and run.last_detail == "1 baseline(s) due, pull tasks queued"


def test_pulling_the_due_baselines_in_process_leaves_files_and_others_alone(
    questions, api, tmp_path
):
    api.add(fresh(MARKET))
    due = add_market(questions)
    later = add_market(questions, name="Later", interval="1d")
    with session_scope(questions) as session:
        service.import_baseline_file(session, write(tmp_path, "c.csv", GOOD_CSV), actor=ACTOR)
    now = utc(2022, 1, 3)
    pull(questions, api, tmp_path, later, now)  # pulled already: due again tomorrow
    seen = []
    with client_for(api) as client:
        results = service.pull_due_baselines(
            questions, settings_for(api, tmp_path), now=now, client=client, progress=seen.append
        )
    assert [(r.baseline_id, r.outcome, r.added) for r in results] == [(due, "ok", 3)]
    assert seen == results


# --- the command line -----------------------------------------------------------------------


def test_the_commands(cli, questions, api, tmp_path):
    api.add(fresh(MARKET))
    cli.env |= {
        "TRACKER_MANIFOLD_API_URL": api.base_url,
        "TRACKER_ALLOW_PRIVATE_FEEDS": "1",
        "COLUMNS": "250",  # the list's table on one line a row
    }
    out = cli("baselines", "import", write(tmp_path, "c.csv", GOOD_CSV)).output
    assert "3 baseline(s) (3 new); 4 day(s) added, 0 changed" in out
    refused = cli("baselines", "import", write(tmp_path, "bad.csv", BAD_CSV), ok=False)
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 10 and lines[0].endswith(
        "field 'probability': 1.2 is outside 0 to 1 (write 0.012 for 1.2 %)"
    )
    assert lines[-1].startswith("Error: ") and lines[-1].endswith("nothing was imported")
    out = cli("baselines", "add", "nato-moratorium", f"https://manifold.markets/a/{MARKET.slug}")
    assert f"(Manifold market {MARKET.slug})" in out.output
    out = cli("baselines", "pull").output
    assert "1 baseline(s): 181 day(s) added, 0 changed; 1 ok" in out
    listed = cli("baselines", "list", "--question", "nato-moratorium", "--format", "json")
    manifold = next(item for item in json.loads(listed.output) if item["name"] == "Manifold")
    # the question closed on 30 June 2022: every day of its window is stored, no more pulls
    assert (manifold["state"], manifold["points"], manifold["latest"]) == ("done", 181, 0.7)
    assert (manifold["first_day"], manifold["last_day"]) == ("2022-01-01", "2022-06-30")
    api.failing[MARKET.slug] = "html"
    out = cli("baselines", "pull", str(manifold["id"]))
    assert "1 failed" in out.output and "html: a web page" in out.stderr
    table = cli("baselines", "list").output
    assert "FAILING (html) x1" in table
    missing = cli("baselines", "add", "nope", MARKET.slug, ok=False)
    assert missing.stderr.startswith("Error: no question 'nope'")


def test_the_comparison_fingerprint_is_the_same_on_every_read_and_moves_with_a_point(questions):
    """The author pages' cache is keyed on it.  It once totalled every point: PostgreSQL sums a
    big table in parallel workers in no fixed order, so a float total differed in its last bits
    between reads and every author page missed the cache.  Here the planner is told to go
    parallel on every scan; then points are written as a pull writes them, one of them by a
    worker whose clock is behind (its ``recorded_at`` older than the newest): each write moves
    the fingerprint."""
    engine = questions
    spread = random.Random(7)
    start = date(2022, 1, 1)
    with session_scope(engine) as session:
        baseline = Baseline(name="Crowd", kind="crowd", question_id="nato-moratorium")
        session.add(baseline)
        session.flush()
        session.execute(
            insert(BaselinePoint),
            [
                {
                    "baseline_id": baseline.id,
                    "day": start + timedelta(days=k),
                    "probability": spread.random(),
                    "recorded_at": datetime(2022, 7, 1, tzinfo=UTC),
                }
                for k in range(20_000)
            ],
        )
        point_id = baseline.id
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE baseline_point"))

    def read() -> tuple[object, ...]:
        with session_scope(engine, write=False) as session:
            if engine.dialect.name == "postgresql":
                for setting in (
                    "parallel_setup_cost = 0",
                    "parallel_tuple_cost = 0",
                    "min_parallel_table_scan_size = 0",
                    "max_parallel_workers_per_gather = 4",
                    "parallel_leader_participation = off",
                ):
                    session.execute(text(f"SET LOCAL {setting}"))
            return service.comparison_fingerprint(session)

    def write(value: float, clock: datetime) -> None:
        with session_scope(engine) as session:
            write_points(session, point_id, [(start, value)], clock)

    first = read()
    assert all(read() == first for _ in range(5))
    write(0.123, datetime(2022, 7, 2, tzinfo=UTC))
    second = read()
    assert second != first
    write(0.456, datetime(2022, 6, 1, tzinfo=UTC))  # a clock behind the newest write
    third = read()
    assert third != second
    write(0.456, datetime(2022, 7, 3, tzinfo=UTC))  # the value it has: nothing written
    assert read() == third
