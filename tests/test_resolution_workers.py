"""The resolution stage in the workers, with real parts: a Celery worker on the real Redis polls two
feeds on 127.0.0.1, the poll hands its new articles to ``match_articles``, which records evidence
and a proposal; the daily ``check_deadlines`` task proposes the default at close.

Other engineers share this Redis (db 15): the test uses its own namespace and deletes its keys."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, rss
from tests.services import redis_namespace, redis_url, wait_for
from tests.test_resolution import FORECAST_FILE
from tracker import db
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.ingest import add_feed, new_articles
from tracker.models import Article, Evidence, Proposal, TaskRun
from tracker.settings import Settings

pytestmark = pytest.mark.redis


@pytest.fixture
def namespace():
    yield from redis_namespace("test-resolve")


ITEMS = [
    {
        "title": "Treaty signed in Geneva",
        "link": "https://www.alpha.example/geneva",
        "guid": "a1",
        "description": "The two governments signed the treaty on Monday.",
        "pubDate": "Tue, 01 Feb 2022 10:00:00 +0000",
    },
    {
        "title": "Geneva treaty",
        "link": "https://www.beta.example/geneva",
        "guid": "b1",
        "description": "Ministers signed the treaty, ending years of talks.",
        "pubDate": "Wed, 02 Feb 2022 10:00:00 +0000",
    },
    {
        "title": "Summit doubts",
        "link": "https://www.beta.example/summit",
        "guid": "b2",
        "description": "Officials denied the summit opened on time.",
        "pubDate": "Wed, 02 Feb 2022 11:00:00 +0000",
    },
]


def test_a_poll_hands_its_articles_to_match_articles_on_a_real_worker(tmp_path: Path, namespace):
    from celery.contrib.testing.worker import start_worker

    from workers.app import make_celery

    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        broker_url=redis_url(),
        namespace=namespace,
        allow_private_feeds=True,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    path = tmp_path / "test-oped.yaml"
    path.write_text(FORECAST_FILE, encoding="utf-8")
    with session_scope(engine) as session:
        registry.import_files(
            session,
            registry.load_files([path], EstimativeScale.builtin()),
            today=date(2022, 1, 10),
            actor="tester",
        )
    app = make_celery(settings)
    with FeedServer() as server:
        with session_scope(engine) as session:
            # all on 127.0.0.1: each feed's publisher is vouched for (the links name nobody)
            for name, items in (("alpha", ITEMS[:1]), ("beta", ITEMS[1:])):
                add_feed(
                    session,
                    server.add(f"/{name}.xml", Static(rss(items))),
                    interval=timedelta(minutes=15),
                    publisher=f"{name}.example",
                )

        def proposed() -> bool:
            with session_scope(engine) as session:
                unmatched = session.exec(select(Article).where(Article.matched_at.is_(None))).all()
                stored = session.exec(select(Article)).all()
                proposals = session.exec(select(Proposal)).all()
            return len(stored) == 3 and not unmatched and len(proposals) == 1

        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
        ):
            assert app.tracker_hand_off in new_articles.receivers  # connected by the worker's start
            app.send_task("tracker.poll_due_feeds", queue=namespace)
            wait_for(proposed, 30, "the poll's articles to be matched and a proposal made")
            # a duplicate delivery of the hand-off adds nothing (idempotent)
            with session_scope(engine) as session:
                ids = list(session.exec(select(Article.id)))
            app.send_task("tracker.match_articles", args=(ids,), queue=namespace)
            app.send_task("tracker.check_deadlines", args=("2022-07-01",), queue=namespace)

            def checked() -> bool:
                with session_scope(engine) as session:
                    run = session.get(TaskRun, "check_deadlines")
                return run is not None and run.last_status == "ok"

            wait_for(checked, 30, "the deadline check")
        new_articles.send(
            [10**6], engine=engine
        )  # a poll after the worker stopped: nothing is queued
        assert app.tracker_hand_off not in new_articles.receivers
    with session_scope(engine) as session:
        evidence = session.exec(select(Evidence).order_by(Evidence.id)).all()
        proposals = {p.question_id: p for p in session.exec(select(Proposal))}
        runs = {name: session.get(TaskRun, name) for name in ("match_articles", "check_deadlines")}
    assert sorted((e.question_id, e.side, e.publisher, e.negated) for e in evidence) == [
        ("summit-held", "yes", "beta.example", True),
        ("treaty-signed", "yes", "alpha.example", False),
        ("treaty-signed", "yes", "beta.example", False),
    ]
    assert (proposals["treaty-signed"].kind, proposals["treaty-signed"].outcome) == (
        "evidence",
        "yes",
    )
    assert (proposals["summit-held"].kind, proposals["summit-held"].outcome) == (
        "not_yet_resolvable",
        None,
    )
    assert (
        runs["match_articles"].last_status == "ok"
        and "article(s) matched" in runs["match_articles"].last_detail
    )
    assert "as of 2022-07-01: 1 proposal(s) made" in runs["check_deadlines"].last_detail
    assert "check-deadlines" in app.conf.beat_schedule
