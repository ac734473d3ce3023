"""Market baselines pulled by a real Celery worker on the real Redis, from the loopback API.

Other engineers share this Redis (db 15): the test works in a namespace of its own and deletes
its keys afterwards (``tests.services.redis_namespace``)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.marketserver import FakeMarket, MarketServer, utc
from tests.services import redis_namespace, redis_url, wait_for
from tracker import db, service
from tracker.db import session_scope
from tracker.models import Baseline, Question, TaskRun
from tracker.settings import Settings

pytestmark = pytest.mark.redis


@pytest.fixture
def namespace():
    yield from redis_namespace("test-baselines")


def test_a_real_worker_pulls_the_due_baselines(tmp_path, namespace):
    from celery.contrib.testing.worker import start_worker

    from workers.app import make_celery

    with MarketServer() as api:
        settings = Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'w.db'}",
            broker_url=redis_url(),
            namespace=namespace,
            allow_private_feeds=True,
            manifold_api_url=api.base_url,
        )
        engine = db.engine_for(settings)
        db.upgrade(engine)
        api.add(
            FakeMarket("m1", "will-it-rain", utc(2022, 1, 1), 0.6, [(utc(2022, 1, 3), 0.5, 0.6)])
        )
        api.add(FakeMarket("m2", "will-it-snow", utc(2022, 1, 1), 0.2))
        api.failing["will-it-snow"] = "html"
        with session_scope(engine) as session:
            session.add(
                Question(
                    id="rain",
                    text="Will it rain?",
                    opens=date(2022, 1, 1),
                    closes=date(2022, 1, 10),
                    defined_in="questions/test.yaml",
                )
            )
            session.flush()
            good = service.add_market_baseline(session, "rain", "will-it-rain", actor="t")
            bad = service.add_market_baseline(
                session, "rain", "will-it-snow", name="Snow market", actor="t"
            )
            ids = (good.baseline.id, bad.baseline.id)
        app = make_celery(settings)
        assert app.conf.beat_schedule["pull-due-baselines"]["task"] == "tracker.pull_due_baselines"

        def pulled() -> bool:
            with session_scope(engine) as session:
                rows = [session.get(Baseline, i) for i in ids]
            return rows[0].last_success_at is not None and rows[1].error_kind is not None

        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
        ):
            app.send_task("tracker.pull_due_baselines", queue=namespace)
            wait_for(pulled, 30, "the worker to pull both baselines")
    with session_scope(engine) as session:
        (rain, snow) = service.list_baselines(session, "rain")
        run = session.get(TaskRun, service.PULL_DUE_BASELINES)
    assert (rain.baseline.name, rain.points, rain.latest, rain.state) == (
        "Manifold",
        10,
        0.6,
        "done",
    )
    assert (snow.state, snow.baseline.error_kind, snow.points) == ("failing", "html", 0)
    assert run.last_status == "ok" and run.last_detail == "2 baseline(s) due, pull tasks queued"
