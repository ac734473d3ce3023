"""The replay corpus's feed of teasers through the real Celery tasks on the real Redis: a worker
on the tracker's queue and the pages queue polls the feeds served on 127.0.0.1, the poll queues a
``fetch_article_page`` per new article of the ``--full-text`` feed, each page's text goes to
``match_articles``, and bucharest-retraction-madrid is resolved, by evidence, only because its
deciding sentence was on a page.

Other engineers share this Redis (db 15): the test uses its own namespace and deletes its keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.conftest import ARTICLE_FILE, FORECASTS
from tests.services import redis_namespace, redis_url, wait_for
from tracker import db, service
from tracker.db import session_scope
from tracker.demo import CorpusServer, corpus_publisher
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.models import Article, Evidence, Proposal, TaskRun
from tracker.settings import Settings

pytestmark = pytest.mark.redis
FORECAST = "bucharest-retraction-madrid"


@pytest.fixture
def namespace():
    yield from redis_namespace("test-pages")


def test_teasers_resolve_a_forecast_through_their_pages_on_real_workers(tmp_path, namespace):
    from celery.contrib.testing.worker import start_worker

    from workers.app import make_celery

    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        broker_url=redis_url(),
        namespace=namespace,
        allow_private_feeds=True,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    with session_scope(engine) as session:
        files = registry.load_files([ARTICLE_FILE], EstimativeScale.builtin())
        registry.import_files(session, files, today=date(2022, 1, 21), actor="tester")
    app = make_celery(settings)
    with CorpusServer(FORECASTS / "replay") as server:
        with service.unit_of_work(engine) as session:
            for name, full_text in (
                ("northwire-world-2022.xml", False),
                ("kestrelpost-teasers-2022.xml", True),
            ):
                service.add_feed(  # all on 127.0.0.1: each feed's publisher is vouched for
                    session,
                    server.url(name),
                    full_text=full_text,
                    publisher=corpus_publisher(name),
                    default_interval=timedelta(days=1),
                    actor="tester",
                )

        def pages_in_and_matched() -> bool:
            with service.unit_of_work(engine) as session:
                now = service.pipeline_progress(session)
            return (
                now.feeds_polled == 2
                and now.pages.get("fetched", 0) == 5
                and now.matched == now.articles
            )

        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
            queues=[namespace, settings.pages_queue()],
        ):
            app.send_task("tracker.poll_due_feeds", queue=namespace)
            wait_for(pages_in_and_matched, 60, "the pages to be fetched and matched")
            app.send_task("tracker.fetch_due_pages", queue=settings.pages_queue())  # none due
            wait_for(
                lambda: _run(engine, "fetch_due_pages") is not None, 20, "fetch_due_pages to run"
            )
    with session_scope(engine) as session:
        pages = session.exec(select(Article).where(Article.page_state.is_not(None))).all()
        evidence = session.exec(select(Evidence).where(Evidence.question_id == FORECAST)).all()
        proposal = session.exec(select(Proposal).where(Proposal.question_id == FORECAST)).one()
    assert len(pages) == 5 and all(a.body_source == "page" for a in pages)
    assert all(len(a.body) > 4 * len(a.summary or a.title) for a in pages)
    assert sorted((e.publisher, e.field) for e in evidence) == [
        ("127.0.0.1", "body"),  # the page's sentence: the teaser said nothing of it
        ("northwire.example", "summary"),
    ]
    assert (proposal.kind, proposal.outcome, proposal.decisive_on) == (
        "evidence",
        "no",
        date(2022, 6, 29),
    )
    assert proposal.publishers == ["127.0.0.1", "northwire.example"]
    assert _run(engine, "fetch_due_pages").last_status == "ok"
    assert "fetch-due-pages" in app.conf.beat_schedule
    assert app.conf.beat_schedule["fetch-due-pages"]["options"]["queue"] == settings.pages_queue()


def _run(engine, name: str) -> TaskRun | None:
    with session_scope(engine) as session:
        run = session.get(TaskRun, name)
        if run is not None:
            session.expunge(run)
        return run
