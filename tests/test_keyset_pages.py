"""Keyset pages (issue 18): every long list read by cursor, on SQLite and PostgreSQL.

Walking a list by ``next_cursor`` returns every row once, in the list's documented order (ties on
the sort key broken by the id); walking back by ``prev_cursor`` gives the same pages; rows
inserted between two reads neither repeat nor hide a row that was there; a cursor that is not
one the list made is one line naming ``cursor``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tests.web_fixtures import FORECAST_ID, add_proposals, csrf_token_of, sign_in
from tracker import ingest, service
from tracker._seek import Key, read_page
from tracker.db import make_engine
from tracker.domain.registry import ForecastFilter, ForecastSort
from tracker.errors import InvalidInputError
from tracker.models import (
    Article,
    AuditEntry,
    Evidence,
    Feed,
    Forecast,
    Proposal,
    Question,
    Source,
    Status,
)
from tracker.paging import KeysetPage, encode_cursor
from tracker.resolution import UNRESOLVED, review_count, review_queue

TODAY = date(2026, 6, 1)
AUTHORS = ("alpha", "beta", "gamma")
#: (stored status, closes offset from TODAY): open, open past its date (closed today), resolved
STATUSES = (("open", 30), ("open", -5), ("resolved", -40), ("annulled", -10), ("closed", -2))


def add_forecasts(session: Session, numbers: range) -> None:
    """Forecasts f0000... with many ties: three authors, four close dates, five probabilities,
    every status (an open one past its close date is closed today)."""
    sources = {s.author: s for s in session.exec(select(Source))}
    for author in AUTHORS:
        if author not in sources:
            sources[author] = Source(key=f"src-{author}", title=author, author=author)
            session.add(sources[author])
    session.flush()
    for n in numbers:
        status, offset = STATUSES[n % len(STATUSES)]
        closes = TODAY + timedelta(days=offset + (n % 4))
        opens = closes - timedelta(days=60 + n % 3)
        fid = f"f{n:04d}"
        resolved_at = (
            datetime.combine(closes, time(12), tzinfo=UTC) if status == "resolved" else None
        )
        session.add(
            Question(
                id=fid,
                text=f"question {n}",
                opens=opens,
                closes=closes,
                status=status,
                outcome="yes" if status == "resolved" else None,
                resolved_at=resolved_at,
                defined_in=f"src-{AUTHORS[n % 3]}",
            )
        )
        session.flush()  # the question before its forecast (no ORM relationship orders them)
        session.add(
            Forecast(
                id=fid,
                source_id=sources[AUTHORS[n % 3]].id,
                question_id=fid,
                question=f"question {n}",
                quote="q",
                estimate="likely",
                probability=(0.1, 0.25, 0.5, 0.75, 0.9)[n % 5],
                opens=opens,
                closes=closes,
                status=status,
                outcome="yes" if status == "resolved" else None,
                resolved_at=resolved_at,
            )
        )
    session.commit()


def walk(
    read: Callable[[str | None], KeysetPage[Any]], ident: Callable[[Any], Any]
) -> Iterator[list[Any]]:
    """The pages of a list, first to last, by next_cursor."""
    cursor = None
    while True:
        page = read(cursor)
        yield [ident(item) for item in page.items]
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def walk_both_ways(
    read: Callable[[str | None], KeysetPage[Any]], ident: Callable[[Any], Any]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """(the pages forward by next_cursor, the pages read back from the last by prev_cursor,
    in forward order)."""
    forward, cursor = [], None
    while True:
        page = read(cursor)
        forward.append([ident(item) for item in page.items])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    backward = [forward[-1]]
    while page.prev_cursor is not None:
        page = read(page.prev_cursor)
        backward.append([ident(item) for item in page.items])
    return forward, backward[::-1]


# --- forecasts -------------------------------------------------------------------------------


def expected_forecasts(session: Session, sort: ForecastSort) -> list[str]:
    """Every forecast's id in the documented order of ``sort``, computed in Python."""
    rows = [(f, s) for f, s in session.exec(select(Forecast, Source).join(Source))]

    def status(f: Forecast) -> str:
        return "closed" if f.status == "open" and f.closes < TODAY else f.status

    def neg(d: date) -> int:
        return -d.toordinal()

    keys: dict[ForecastSort, Callable[[tuple[Forecast, Source]], tuple[Any, ...]]] = {
        ForecastSort.CLOSES: lambda r: (r[0].closes, r[0].id),
        ForecastSort.OPENS: lambda r: (r[0].opens, r[0].id),
        ForecastSort.PROBABILITY: lambda r: (r[0].probability, r[0].id),
        ForecastSort.ID: lambda r: (r[0].id,),
        ForecastSort.AUTHOR: lambda r: (r[1].author, r[0].closes, r[0].id),
        ForecastSort.STATUS: lambda r: (status(r[0]), r[0].closes, r[0].id),
    }
    descending: dict[ForecastSort, Callable[[tuple[Forecast, Source]], tuple[Any, ...]]] = {
        ForecastSort.CLOSES_DESC: lambda r: (neg(r[0].closes), r[0].id),
        ForecastSort.OPENS_DESC: lambda r: (neg(r[0].opens), r[0].id),
        ForecastSort.PROBABILITY_DESC: lambda r: (-r[0].probability, r[0].id),
    }
    key = {**keys, **descending}[sort]
    return [f.id for f, _ in sorted(rows, key=key)]


@pytest.fixture
def forecasts(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        add_forecasts(session, range(0, 200, 2))  # even numbers: odd ones are inserted later
        yield session


@pytest.mark.parametrize("sort", list(ForecastSort), ids=lambda s: s.name)
def test_forecast_pages_walk_every_row_once_in_order_and_back(forecasts, sort):
    session = forecasts
    where = ForecastFilter(today=TODAY)

    def read(cursor: str | None) -> KeysetPage[Any]:
        return service.search_forecasts(session, where, sort=sort, cursor=cursor, per_page=7)

    forward, backward = walk_both_ways(read, lambda row: row.id)
    assert [i for page in forward for i in page] == expected_forecasts(session, sort)
    assert backward == forward
    assert all(len(page) == 7 for page in forward[:-1])
    assert read(None).total == 100


@pytest.mark.parametrize(
    "sort", [ForecastSort.CLOSES, ForecastSort.PROBABILITY_DESC, ForecastSort.STATUS]
)
def test_forecast_pages_are_stable_under_inserts(forecasts, sort):
    session = forecasts
    where = ForecastFilter(today=TODAY)
    before = expected_forecasts(session, sort)
    first = service.search_forecasts(session, where, sort=sort, per_page=10)
    add_forecasts(session, range(1, 200, 2))  # sort before, between and after the cursor
    seen = [row.id for row in first.items]
    cursor = first.next_cursor
    while cursor:
        page = service.search_forecasts(session, where, sort=sort, cursor=cursor, per_page=10)
        seen += [row.id for row in page.items]
        cursor = page.next_cursor
    old = [i for i in seen if i in set(before)]
    assert old == before  # none repeated, none skipped, the order kept
    after = expected_forecasts(session, sort)
    last_seen = after.index(first.items[-1].id)
    assert seen[10:] == after[last_seen + 1 :]  # new rows after the cursor shown


def test_forecast_filters_apply_to_every_page(forecasts):
    session = forecasts
    where = ForecastFilter(today=TODAY, status=Status.CLOSED, author="beta")
    pages = list(
        walk(
            lambda c: service.search_forecasts(
                session, where, sort=ForecastSort.AUTHOR, cursor=c, per_page=3
            ),
            lambda row: (row.author, row.status),
        )
    )
    rows = [r for page in pages for r in page]
    assert rows and set(rows) == {("beta", "closed")}


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        encode_cursor((">", "2026-01-01", "f0001")),  # a date where a probability belongs
        encode_cursor((">", 0.5)),  # too short
        encode_cursor(("?", 0.5, "f0001")),  # no direction
        encode_cursor((">", None, "f0001")),  # NULL in a column that has none
        "A" * 5000,
    ],
)
def test_a_bad_forecast_cursor_names_the_cursor(forecasts, cursor):
    with pytest.raises(InvalidInputError) as caught:
        service.search_forecasts(
            forecasts, ForecastFilter(today=TODAY), sort=ForecastSort.PROBABILITY, cursor=cursor
        )
    assert caught.value.field == "cursor" and "\n" not in str(caught.value)


# --- a forecast's evidence -------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_evidence(session: Session, numbers: range, question_id: str = "f0000") -> None:
    """Evidence rows on one question, counting and negated, many published at the same moment
    (ties on the sort key, broken by the row's id)."""
    for n in numbers:
        article = Article(
            identity=f"{n:064d}", title=f"story {n}", content_hash=f"{n:064d}", url=None
        )
        session.add(article)
        session.flush()
        session.add(
            Evidence(
                question_id=question_id,
                article_id=article.id,
                side="yes",
                sentence=f"sentence {n}",
                negated=n % 3 == 0,
                publisher=f"wire-{n % 4}.example",
                published_at=T0 + timedelta(hours=(n * 7) % 11),
            )
        )
    session.commit()


def expected_evidence(session: Session, negated: bool) -> list[int]:
    rows = session.exec(
        select(Evidence).where(Evidence.question_id == "f0000", Evidence.negated == negated)
    ).all()
    return [e.id for e in sorted(rows, key=lambda e: (e.published_at, e.id))]


@pytest.fixture
def evidence(forecasts: Session) -> Session:
    add_evidence(forecasts, range(90))
    return forecasts


@pytest.mark.parametrize("negated", [False, True], ids=["counting", "negated"])
def test_evidence_pages_walk_every_row_once_in_order_and_back(evidence, negated):
    def read(cursor: str | None) -> KeysetPage[Any]:
        return service.evidence_page(evidence, "f0000", negated=negated, cursor=cursor, per_page=4)

    forward, backward = walk_both_ways(read, lambda view: view.id)
    assert [i for page in forward for i in page] == expected_evidence(evidence, negated)
    assert backward == forward and len(forward) > 3


def test_evidence_pages_are_stable_under_inserts(evidence):
    before = expected_evidence(evidence, False)
    first = service.evidence_page(evidence, "f0000", per_page=10)
    add_evidence(evidence, range(90, 150))  # published before, at and after the cursor's time
    seen = [v.id for v in first.items]
    cursor = first.next_cursor
    while cursor:
        page = service.evidence_page(evidence, "f0000", cursor=cursor, per_page=10)
        seen += [v.id for v in page.items]
        cursor = page.next_cursor
    assert [i for i in seen if i in set(before)] == before
    assert len(seen) == len(set(seen))


def test_a_bad_evidence_cursor_names_the_cursor(evidence):
    made = service.evidence_page(evidence, "f0000", per_page=2).next_cursor
    assert made
    for cursor in ("%%%", encode_cursor((">", "yesterday", 3)), made[:-3]):
        with pytest.raises(InvalidInputError) as caught:
            service.evidence_page(evidence, "f0000", cursor=cursor)
        assert caught.value.field == "cursor"


# --- the review queue ------------------------------------------------------------------------


@pytest.fixture
def proposals(seeded: Any) -> dict[str, Proposal]:
    return add_proposals(seeded.engine)


def test_review_queue_pages_walk_every_card_once_and_back(seeded, proposals):
    with Session(seeded.engine) as session:
        oldest_first = [
            p.id for p in sorted(proposals.values(), key=lambda p: (p.created_at, p.id))
        ]

        def read(cursor: str | None) -> KeysetPage[Any]:
            return service.review_page(session, cursor=cursor, per_page=4)

        forward, backward = walk_both_ways(read, lambda entry: entry.item.proposal.id)
        assert [i for page in forward for i in page] == oldest_first and len(forward) == 2
        assert backward == forward
        with pytest.raises(InvalidInputError, match=r"^cursor: "):
            service.review_page(session, cursor=encode_cursor((">", 3, 4)))


def test_the_queue_count_is_the_queues_length(forecasts):
    """A pending proposal of a resolved or annulled question, or of a question no forecast
    stands on (it has no lead forecast), is neither in the queue nor in its count."""
    session = forecasts
    session.add(Question(id="alone", text="no forecast", opens=TODAY, closes=TODAY, defined_in="q"))
    session.flush()
    numbers = range(0, 20, 2)  # the fixture's forecasts: every status twice
    for question_id in [f"f{n:04d}" for n in numbers] + ["alone"]:
        session.add(Proposal(question_id=question_id, kind="disputed", status="pending"))
    session.add(Proposal(question_id="f0020", kind="disputed", status="rejected"))
    session.commit()
    queue = [item.forecast.id for item in review_queue(session)]
    assert sorted(queue) == [f"f{n:04d}" for n in numbers if STATUSES[n % 5][0] in UNRESOLVED]
    assert review_count(session) == len(queue) == 6


def test_confirming_a_page_of_cards_skips_none_of_the_next(client, proposals):
    """An analyst confirms the cards of the first page from the queue's page: the queue then
    starts with the cards that followed, and the second page read after the old cursor is the
    same second page."""
    sign_in(client)
    first = client.get("/api/review", params={"per_page": 2}).json()
    second = client.get(
        "/api/review", params={"per_page": 2, "cursor": first["next_cursor"]}
    ).json()
    token = csrf_token_of(client, "/review")
    for item in first["items"]:
        outcome = {} if item["proposal"]["outcome"] else {"outcome": "yes"}
        done = client.post(
            f"/review/{item['proposal']['id']}/confirm",
            data={"csrf_token": token, "back": "review", **outcome},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    after = client.get("/api/review", params={"per_page": 2}).json()
    ids = [i["proposal"]["id"] for i in second["items"]]
    assert [i["proposal"]["id"] for i in after["items"]] == ids
    again = client.get("/api/review", params={"per_page": 2, "cursor": first["next_cursor"]})
    assert [i["proposal"]["id"] for i in again.json()["items"]] == ids


def test_a_confirm_from_a_later_page_goes_back_to_that_page(client, proposals):
    sign_in(client)
    first = client.get("/api/review", params={"per_page": 2}).json()
    cursor = first["next_cursor"]
    page = client.get("/review", params={"cursor": cursor})
    assert f'name="cursor" value="{cursor}"' in page.text
    card = client.get("/api/review", params={"per_page": 2, "cursor": cursor}).json()["items"][0]
    outcome = {} if card["proposal"]["outcome"] else {"outcome": "no"}
    done = client.post(
        f"/review/{card['proposal']['id']}/confirm",
        data={"csrf_token": csrf_token_of(client, "/review"), "cursor": cursor, **outcome},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/review?done=confirmed&cursor={cursor}"


def test_bad_cursors_in_pages_and_api_are_one_line_400s(client):
    for path in ("/api/forecasts", "/api/review", "/forecasts", "/review"):
        answer = client.get(path, params={"cursor": "!!not-ours"})
        assert answer.status_code == 400, (path, answer.status_code)
        assert "cursor" in answer.text
    body = client.get("/api/review", params={"cursor": "e30"}).json()
    assert body["detail"].startswith("cursor: ") and "\n" not in body["detail"]
    evidence = client.get(f"/api/forecasts/{FORECAST_ID}/evidence", params={"cursor": "x"})
    assert evidence.status_code == 400 and evidence.json()["detail"].startswith("cursor: ")
    old = client.get("/review", params={"page": "7"})
    assert old.status_code == 200 and 'id="page-note"' in old.text


# --- questions -------------------------------------------------------------------------------


def test_question_pages_walk_every_question_once_and_back(forecasts):
    session = forecasts
    everything = session.exec(select(Question)).all()
    expected = [q.id for q in sorted(everything, key=lambda q: (q.closes, q.id))]

    def read(cursor: str | None) -> KeysetPage[Any]:
        return service.list_questions(session, today=TODAY, cursor=cursor, per_page=9)

    forward, backward = walk_both_ways(read, lambda row: row.id)
    assert [i for page in forward for i in page] == expected and backward == forward
    assert read(None).total == 100


def test_questions_cli_pages_by_cursor_and_refuses_a_bad_one(cli):
    cli("init")
    with Session(make_engine(cli.env["TRACKER_DATABASE_URL"])) as session:
        add_forecasts(session, range(12))
    first = json.loads(cli("questions", "list", "--per-page", "5", "--format", "json").output)
    assert first["total"] == 12 and len(first["items"]) == 5 and first["prev_cursor"] is None
    second = json.loads(
        cli(
            "questions",
            "list",
            "--per-page",
            "5",
            "--format",
            "json",
            "--cursor",
            first["next_cursor"],
        ).output
    )
    assert not {q["id"] for q in first["items"]} & {q["id"] for q in second["items"]}
    table = cli("questions", "list", "--per-page", "5").output
    assert f"--cursor {first['next_cursor']}" in table
    bad = cli("questions", "list", "--cursor", "nope!", ok=False)
    assert bad.exit_code != 0 and "cursor:" in bad.output and "Traceback" not in bad.output


def test_the_questions_page_links_next_and_keeps_old_links(client):
    page = client.get("/questions")
    assert page.status_code == 200
    api = client.get("/api/questions", params={"per_page": 2}).json()
    assert api["prev_cursor"] is None and len(api["items"]) == 2 and api["next_cursor"]
    after = client.get("/api/questions", params={"per_page": 2, "cursor": api["next_cursor"]})
    assert after.json()["prev_cursor"] and after.json()["items"] != api["items"]
    assert client.get("/api/questions", params={"cursor": "zz"}).status_code == 400
    old = client.get("/questions", params={"page": 4})
    assert old.status_code == 200 and 'id="page-note"' in old.text


# --- the audit log ---------------------------------------------------------------------------

AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def add_entries(session: Session, numbers: range) -> None:
    """Audit entries, many written at the same moment (ties broken by id: newest first)."""
    for n in numbers:
        session.add(
            AuditEntry(
                at=AT + timedelta(minutes=(n * 5) % 13),
                actor=("ana", "bo", "system")[n % 3],
                action="resolve" if n % 2 else "propose",
                entity="forecast" if n % 4 else "question",
                entity_id=f"f{n % 7:04d}",
                detail={"note": f"<b>note {n}</b>"},
            )
        )
    session.commit()


def newest_first(session: Session, **where: str) -> list[int]:
    rows = [
        e
        for e in session.exec(select(AuditEntry)).all()
        if all(getattr(e, k) == v for k, v in where.items())
    ]
    return [e.id for e in sorted(rows, key=lambda e: (e.at, e.id), reverse=True)]


@pytest.fixture
def entries(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        add_entries(session, range(60))
        yield session


@pytest.mark.parametrize("where", [{}, {"actor": "bo"}, {"entity": "question"}])
def test_audit_pages_walk_every_entry_once_newest_first_and_back(entries, where):
    def read(cursor: str | None) -> KeysetPage[Any]:
        return service.audit_log(entries, cursor=cursor, per_page=7, **where)

    forward, backward = walk_both_ways(read, lambda row: row.id)
    assert [i for page in forward for i in page] == newest_first(entries, **where)
    assert backward == forward


def test_audit_filters_by_id_and_time_and_refuses_bad_input(entries):
    rows = service.audit_log(entries, entity="Forecast", entity_id="f0003", per_page=500).items
    assert rows and {(r.entity, r.entity_id) for r in rows} == {("forecast", "f0003")}
    later = service.audit_log(entries, since=AT + timedelta(minutes=10), per_page=500).items
    assert later and all(r.at >= AT + timedelta(minutes=10) for r in later)
    assert len(service.audit_log(entries, since=AT.date(), per_page=500).items) == 60
    for field, bad in (("entity", {"entity": "no such;kind"}), ("actor", {"actor": "a\x00b"})):
        with pytest.raises(InvalidInputError) as caught:
            service.audit_log(entries, **bad)
        assert caught.value.field == field


def test_audit_pages_are_stable_as_the_log_grows(entries):
    before = newest_first(entries)
    first = service.audit_log(entries, per_page=10)
    add_entries(entries, range(60, 90))  # new entries: some newer, some at the same moments
    seen = [r.id for r in first.items]
    cursor = first.next_cursor
    while cursor:
        page = service.audit_log(entries, cursor=cursor, per_page=10)
        seen += [r.id for r in page.items]
        cursor = page.next_cursor
    assert [i for i in seen if i in set(before)] == before and len(seen) == len(set(seen))


def test_the_audit_page_is_for_signed_in_analysts_and_escapes_notes(client, seeded):
    assert client.get("/api/audit").status_code == 401
    assert client.get("/audit", follow_redirects=False).status_code in (303, 401)
    with Session(seeded.engine) as session:
        add_entries(session, range(3))
    sign_in(client)
    page = client.get("/audit", params={"entity": "question", "entity_id": "f0000"})
    assert page.status_code == 200
    assert "&lt;b&gt;note 0&lt;/b&gt;" in page.text and "<b>note 0</b>" not in page.text
    page = client.get("/audit", params={"entity": "question", "per_page": 2})
    api = client.get("/api/audit", params={"per_page": 2}).json()
    assert len(api["items"]) == 2 and api["next_cursor"] and api["prev_cursor"] is None
    following = re.search(r'rel="next" href="\?([^"]+)"', page.text)
    assert following and "entity=question" in following[1]
    bad = client.get("/api/audit", params={"cursor": "nope"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("cursor: ")
    assert client.get("/api/audit", params={"entity": "bad kind!"}).status_code == 400


def test_tracker_audit_pages_newest_first_in_80_columns(cli):
    cli("init")
    with Session(make_engine(cli.env["TRACKER_DATABASE_URL"])) as session:
        add_entries(session, range(12))
    first = json.loads(cli("audit", "--per-page", "5", "--format", "json").output)
    assert len(first["items"]) == 5 and first["next_cursor"]
    second = json.loads(
        cli("audit", "--per-page", "5", "--format", "json", "--cursor", first["next_cursor"]).output
    )
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, key=lambda i: ids.index(i)) and len(set(ids)) == 10
    table = cli("audit", "--per-page", "5", "--actor", "bo").output
    assert "bo" in table and "ana" not in table.replace("--cursor", "")
    assert all(len(line) <= 80 for line in table.splitlines() if "--cursor" not in line)
    bad = cli("audit", "--cursor", "nope!", ok=False)
    assert bad.exit_code != 0 and "cursor:" in bad.output and "Traceback" not in bad.output


# --- the seek condition itself, on a column with NULLs -----------------------------------------


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_seek_walks_a_nullable_key_nulls_last_both_ways(engine, descending):
    """No list of the tracker sorts on a column that may be NULL yet; the helper must get it
    right when one does: NULLs last in either direction, on both engines, ties by id."""
    keys = (
        Key(col(Article.author), str, descending=descending, nullable=True),
        Key(col(Article.id), int, descending=descending),
    )
    with Session(engine) as session:
        for n in range(23):
            author = None if n % 4 == 0 else ("ann", "bob", "cy")[n % 3]
            session.add(
                Article(
                    identity=f"{n:064d}", title=f"t{n}", content_hash=f"{n:064d}", author=author
                )
            )
        session.commit()
        rows = session.exec(select(Article)).all()
        named = sorted((a for a in rows if a.author), key=lambda a: (a.author, a.id))
        nulls = sorted((a for a in rows if not a.author), key=lambda a: a.id)
        expected = [a.id for a in (named[::-1] if descending else named)]
        expected += [a.id for a in (nulls[::-1] if descending else nulls)]

        def read(cursor: str | None) -> KeysetPage[Any]:
            found, following, earlier = read_page(
                session,
                select(Article),
                keys,
                lambda row: (row[0].author, row[0].id),
                cursor=cursor,
                per_page=4,
            )
            return KeysetPage([r[0] for r in found], following, 4, None, cursor, earlier)

        forward, backward = walk_both_ways(read, lambda a: a.id)
        assert [i for page in forward for i in page] == expected and backward == forward


# --- feeds -------------------------------------------------------------------------------------


def test_feed_pages_walk_every_feed_once_failing_first_and_back(engine):
    """The feeds list's order (failing ones first, most failures first, then disabled, then the
    rest by id) by keyset, with the tally of all feeds on each page."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with Session(engine) as session:
        for n in range(40):
            failures = (0, 0, 3, 1, 0)[n % 5]
            session.add(
                Feed(
                    url=f"https://feeds{n}.example/rss.xml",
                    interval_s=1800,
                    consecutive_failures=failures + (n % 3 if failures else 0),
                    disabled_at=now if n % 7 == 0 else None,
                )
            )
        session.commit()
        feeds = session.exec(select(Feed)).all()

        def rank(feed: Feed) -> tuple[int, int, int]:
            state = 0 if feed.consecutive_failures else 1 if feed.disabled_at else 2
            return state, -feed.consecutive_failures, feed.id or 0

        expected = [feed.id for feed in sorted(feeds, key=rank)]

        def read(cursor: str | None) -> KeysetPage[Any]:
            return service.feeds_page(session, cursor=cursor, per_page=6).page

        forward, backward = walk_both_ways(read, lambda health: health.feed.id)
        assert [i for page in forward for i in page] == expected and len(forward) == 7
        assert backward == forward
        tally = service.feeds_page(session, per_page=6)
        failing = sum(1 for f in feeds if ingest.feed_state(f) == "failing")
        disabled = sum(1 for f in feeds if ingest.feed_state(f) == "disabled")
        assert failing and disabled and any(f.disabled_at and f.consecutive_failures for f in feeds)
        assert (tally.page.total, tally.failing, tally.disabled) == (40, failing, disabled)
        with pytest.raises(InvalidInputError, match=r"^cursor: "):
            service.feeds_page(session, cursor=encode_cursor((">", 3, 4)))
