"""THE demo test: `tracker demo` on a fresh data dir resolves every forecast of the source article
to its real outcome, through the real Celery tasks on the embedded file broker, and no resolution
rests on a distractor (negated, out-of-window, or single-publisher evidence)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from tests.conftest import FORECASTS, ROOT
from tracker import db, resolution
from tracker.db import session_scope
from tracker.demo import DEMO_MARK, prepare_data_dir
from tracker.errors import ConfigError
from tracker.matching import published_day
from tracker.models import Article, Evidence, Forecast, Proposal, Resolution, TaskRun

#: the demo's practice question (forecasts/replay/practice/), left disputed for the review queue
PRACTICE_ID = "demo-canada-trainers-leave-ukraine"

REPLAY = FORECASTS / "replay"

# forecast id: (real outcome, how the engine reaches it, the day it is decided) — and why.
EXPECTED = {
    "us-implements-russian-demands": (
        "no",
        "evidence",
        "2022-01-26",
    ),  # US/NATO written replies rejected Russia's core demands
    "nonexpansion-nondeployment-agreement": (
        "no",
        "evidence",
        "2022-02-24",
    ),  # the invasion ended the security talks
    "senate-ratifies-russia-agreement": (
        "no",
        "default_at_close",
        "2024-12-31",
    ),  # no treaty with Russia ratified 2022-2024
    "ukraine-georgia-stay-outside-nato": (
        "yes",
        "default_at_close",
        "2024-12-31",
    ),  # neither joined NATO by end 2024
    "bucharest-retraction-madrid": (
        "no",
        "evidence",
        "2022-06-29",
    ),  # Madrid reaffirmed the open door, retracted nothing
    "nato-moratorium": (
        "no",
        "evidence",
        "2022-06-29",
    ),  # Finland and Sweden invited in Madrid instead of a moratorium
    "no-us-missiles-in-ukraine-agreement": (
        "no",
        "evidence",
        "2022-02-24",
    ),  # talks on missiles ended with the invasion
    "no-nato-bases-in-ukraine-agreement": (
        "no",
        "evidence",
        "2022-02-24",
    ),  # no US/NATO-Russia deal on bases
    "western-advisers-leave-ukraine": (
        "yes",
        "evidence",
        "2022-02-13",
    ),  # US, UK, Canada trainers withdrawn 12-13 Feb 2022
    "end-ukraine-western-military-cooperation": (
        "no",
        "evidence",
        "2022-04-26",
    ),  # Ramstein contact group, Lend-Lease
    "nato-withdraws-eastern-infrastructure": (
        "no",
        "evidence",
        "2022-02-02",
    ),  # NATO reinforced its eastern flank instead
    "intermediate-range-missile-agreement": (
        "no",
        "evidence",
        "2023-02-21",
    ),  # no INF deal; New START suspended
    "new-inf-agreement-missile-defense": (
        "no",
        "evidence",
        "2023-02-21",
    ),  # no new INF agreement signed
    "eastern-flank-confidence-building": (
        "no",
        "evidence",
        "2022-02-24",
    ),  # confidence-building offers went nowhere
    "russia-military-measures": (
        "yes",
        "evidence",
        "2022-02-24",
    ),  # the full-scale invasion of 24 February 2022
    "new-weapons-to-sensitive-regions": (
        "yes",
        "evidence",
        "2022-08-18",
    ),  # Kinzhal MiG-31s to Kaliningrad
    "closer-military-cooperation-belarus": (
        "yes",
        "evidence",
        "2022-02-28",
    ),  # non-nuclear status dropped, joint forces
    "closer-cooperation-china": (
        "yes",
        "evidence",
        "2022-02-04",
    ),  # the "no limits" joint statement of 4 Feb 2022
    "us-nato-written-counterproposals": (
        "yes",
        "evidence",
        "2022-01-26",
    ),  # written responses delivered 26 Jan 2022
    "congress-new-russia-sanctions": (
        "yes",
        "evidence",
        "2022-04-08",
    ),  # trade-relations and oil-ban acts, 8 Apr 2022
}


def test_the_list_above_is_the_corpus_authors_expected_yaml():
    expected = yaml.safe_load((FORECASTS / "replay" / "expected.yaml").read_text(encoding="utf-8"))
    from_file = {
        e["id"]: (
            str(e["outcome"]),
            e["how"]
            .replace("-", "_")
            .replace("evidence_yes", "evidence")
            .replace("evidence_no", "evidence"),
            str(e["decided_by"]),
        )
        for e in expected["forecasts"]
    }
    assert from_file == EXPECTED


def test_demo_resolves_the_source_article_as_history_went(tmp_path: Path):
    data, out = tmp_path / "data", tmp_path / "report"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["COLUMNS"] = "200"
    run = subprocess.run(
        [
            *[sys.executable, "-m", "tracker", "demo", "--data-dir", str(data), "--out", str(out)],
            *["--feeds-port", str(free_port())],  # 8765, the default, may be taken
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Demo finished in" in run.stdout and "polling feeds" in run.stderr  # progress was shown

    engine = db.make_engine(f"sqlite:///{data / 'tracker.db'}")
    with session_scope(engine) as session:
        forecasts = {f.id: f for f in session.exec(select(Forecast))}
        assert set(forecasts) == {*EXPECTED, PRACTICE_ID}
        runs = {r.name: r for r in session.exec(select(TaskRun))}
        for fid, (outcome, kind, decided) in EXPECTED.items():
            forecast = forecasts[fid]
            assert (forecast.status, forecast.outcome) == ("resolved", outcome), fid
            proposal = session.exec(
                select(Proposal).where(Proposal.question_id == fid, Proposal.status == "confirmed")
            ).one()
            assert (proposal.kind, proposal.outcome, proposal.decisive_on) == (
                kind,
                outcome,
                date.fromisoformat(decided),
            ), fid
            _check_no_distractor_decided(session, forecast, proposal)
        # left for the analyst: the practice question only, disputed (evidence on both sides)
        pending = session.exec(select(Proposal).where(Proposal.status == "pending")).all()
        assert [(p.question_id, p.kind, p.outcome) for p in pending] == [
            (PRACTICE_ID, "disputed", None)
        ]
        assert forecasts[PRACTICE_ID].status == "closed"
        # the feed of teasers: every article page fetched, and one forecast's second publisher
        # is a sentence found only on a page
        pages = session.exec(select(Article).where(Article.page_state.is_not(None))).all()
        assert len(pages) == 5 and {(a.page_state, a.body_source) for a in pages} == {
            ("fetched", "page")
        }
        from_pages = session.exec(
            select(Evidence.question_id, Evidence.publisher)
            .join(Article, Evidence.article_id == Article.id)
            .where(Article.body_source == "page", Evidence.field == "body")
        ).all()
        assert from_pages == [("bucharest-retraction-madrid", "127.0.0.1")]
    for name in (
        "poll_due_feeds",
        "match_articles",
        "check_deadlines",
    ):  # the real Celery tasks did the work
        assert runs[name].last_status == "ok", name

    report = json.loads((out / "calibration.json").read_text())
    assert report["scores"]["count"] == 20
    assert (
        report["resolver"]["precision"] == 1.0
        and report["resolver"]["fates"]["auto_confirmed"] == 20
    )
    assert 'id="resolver_matrix"' in (out / "calibration.html").read_text()


def test_the_demo_keeps_its_data_and_replaces_only_its_own(tmp_path: Path):
    """A folder with someone's database is refused, with what to do; the demo's own folder (its
    mark) and ``replace`` are cleared of the previous run's files, other files are left."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "tracker.db").write_bytes(b"their data")
    with pytest.raises(ConfigError) as refused:
        prepare_data_dir(theirs)
    assert str(theirs) in str(refused.value) and "--data-dir" in str(refused.value)
    assert "--replace" in str(refused.value)
    assert (theirs / "tracker.db").read_bytes() == b"their data"

    prepare_data_dir(theirs, replace=True)
    assert not (theirs / "tracker.db").exists() and (theirs / DEMO_MARK).exists()

    (theirs / "tracker.db").write_bytes(b"a previous demo")
    (theirs / "broker").mkdir()
    (theirs / "notes.txt").write_text("mine")
    prepare_data_dir(theirs)  # the demo's own folder: a re-run replaces the previous one
    assert not (theirs / "tracker.db").exists() and not (theirs / "broker").exists()
    assert (theirs / "notes.txt").read_text() == "mine"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_no_distractor_decided(session, forecast: Forecast, proposal: Proposal) -> None:
    rows = session.exec(
        select(Evidence, Article)
        .join(Article, Evidence.article_id == Article.id)
        .where(Evidence.question_id == forecast.id)
    ).all()
    counting = {
        side: [(e, a) for e, a in rows if e.side == side and not e.negated]
        for side in ("yes", "no")
    }
    other = "no" if proposal.outcome == "yes" else "yes"
    assert counting[other] == [], f"{forecast.id}: counting evidence for {other}"
    for _evidence, article in rows:  # every row, counting or not, lies inside the window
        assert forecast.opens <= published_day(article.published_at) <= forecast.closes, forecast.id
    resolved = session.exec(
        select(Resolution).where(Resolution.question_id == forecast.id, Resolution.active)
    ).one()
    if proposal.kind == "default_at_close":
        assert counting[proposal.outcome] == [] and proposal.publishers == [], forecast.id
        return
    deciding = counting[proposal.outcome]
    publishers = sorted({resolution.publisher_of(a.url, None) for _, a in deciding})
    assert publishers == proposal.publishers and len(publishers) >= forecast.min_sources, (
        forecast.id
    )
    assert all(not e.negated for e, _ in deciding)
    assert sorted(resolved.evidence_links) == sorted(a.url for _, a in deciding), forecast.id


def test_the_location_line_shows_where_the_data_lives_without_the_password():
    """What init, serve, run and demo print first."""
    from tracker.settings import Settings

    local = Settings(data_dir=Path("/srv/tracker"), database_url=None)
    assert local.location_line() == (
        "Data dir: /srv/tracker; database: sqlite:////srv/tracker/tracker.db"
    )
    remote = Settings(database_url="postgresql+psycopg://ana:s3cr@t@db.internal:5432/tracker")
    assert remote.shown_database_url() == "postgresql+psycopg://ana:***@db.internal:5432/tracker"
    assert "s3cr" not in remote.location_line()


def test_the_cli_default_feeds_port_is_the_demos():
    from tracker.cli import demo as demo_cli
    from tracker.demo import FEEDS_PORT

    assert demo_cli.FEEDS_PORT == FEEDS_PORT


def test_serve_feeds_serves_the_corpus_and_prints_lines_to_paste():
    """`tracker demo --serve-feeds`: every printed `feeds add` line names a feed that answers on
    127.0.0.1, the teasers' with --full-text, each with the setting loopback feeds need; Ctrl-C
    stops it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "tracker", "demo", "--serve-feeds", "--feeds-port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        adds: list[list[str]] = []
        while len(adds) < len(list(REPLAY.glob("*.xml"))):
            line = server.stdout.readline()
            assert line, "the server stopped before printing every feed"
            if "feeds add" in line:
                adds.append(line.split())
        assert all(
            a[:4] == ["TRACKER_ALLOW_PRIVATE_FEEDS=1", "tracker", "feeds", "add"] for a in adds
        )
        urls = {a[4]: "--full-text" in a for a in adds}
        assert {url.rsplit("/", 1)[1] for url in urls} == {p.name for p in REPLAY.glob("*.xml")}
        assert [url for url, full in urls.items() if full] == [
            url for url in urls if "-teasers" in url
        ]
        for url in urls:
            assert url.startswith("http://127.0.0.1:")
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.read().lstrip().startswith(b"<?xml")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(30) == 0
    assert "Stopped." in server.stdout.read()


def test_init_says_where_the_data_lives(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DATA_DIR=str(tmp_path), COLUMNS="80")
    run = subprocess.run(
        [sys.executable, "-m", "tracker", "init"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    first = run.stdout.splitlines()[0]
    assert first == f"Data dir: {tmp_path}; database: sqlite:///{tmp_path / 'tracker.db'}"
    assert (tmp_path / "tracker.db").exists()


def test_the_demo_command_refuses_someones_database_in_one_line(tmp_path: Path):
    """What a user sees when the data dir holds another tracker's database: one line naming the
    folder and what to do, exit 1, and their database untouched."""
    (tmp_path / "tracker.db").write_bytes(b"their data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(COLUMNS="80")
    run = subprocess.run(
        [sys.executable, "-m", "tracker", "demo", "--data-dir", str(tmp_path), "--feeds-port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    [error] = run.stderr.strip().splitlines()
    assert error.startswith(f"Error: data dir: {tmp_path} already holds a tracker database")
    assert "--data-dir NEW" in error and "--replace" in error
    assert (tmp_path / "tracker.db").read_bytes() == b"their data"
