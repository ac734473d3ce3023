"""``GET /metrics``: the operator's figures in Prometheus' text format.

A custom collector reads :func:`tracker.service.operator_metrics` at scrape time (the database
and the broker), so every server process answers the same and nothing is lost when one
restarts; see docs/dev.md, "The operator's view".

Access: with ``TRACKER_METRICS_PUBLIC`` false (the default) a scraper sends
``Authorization: Bearer <TRACKER_METRICS_TOKEN>``, which Prometheus does natively
(``authorization: {credentials_file: ...}``).  Not "loopback only": behind a reverse proxy on
the same machine every request comes from loopback.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from tracker import service
from tracker.settings import Settings

router = APIRouter()


class TrackerCollector(Collector):
    """Reads every figure when Prometheus scrapes (one unit of work)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        with service.unit_of_work(self.engine) as session:
            figures = service.operator_metrics(session, self.settings)
        yield from pipeline_families(figures)
        yield from task_families(figures)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _by(name: str, doc: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def pipeline_families(m: service.OperatorMetrics) -> Iterator[Metric]:
    yield _by("tracker_feeds", "Feeds by state (ok, new, failing, disabled).", "state", m.feeds)
    yield _gauge("tracker_feeds_due", "Feeds due for a poll now.", m.feeds_due)
    yield _gauge(
        "tracker_polls_last_minute", "Feed polls that ended in the last 60 s.", m.polls_last_minute
    )
    yield _gauge("tracker_articles_stored", "Articles stored.", m.articles)
    yield _gauge(
        "tracker_articles_last_minute", "Articles stored in the last 60 s.", m.articles_last_minute
    )
    yield _gauge(
        "tracker_articles_unmatched", "Articles the resolution stage has not read.", m.unmatched
    )
    yield _by("tracker_article_pages", "Article pages by state.", "state", m.pages)
    yield _by(
        "tracker_proposals_waiting",
        "Proposals waiting for an analyst's review, by kind.",
        "kind",
        m.proposals_waiting,
    )
    yield _gauge(
        "tracker_questions_needing_outcome",
        "Questions past their close date whose proposal was rejected.",
        m.needs_outcome,
    )
    queues = GaugeMetricFamily(
        "tracker_queue_messages", "Messages waiting in a Celery queue.", labels=["queue"]
    )
    for queue, depth in sorted(m.queues.items()):
        if depth is not None:  # the broker could not say: no sample rather than a false 0
            queues.add_metric([queue], depth)
    yield queues


def task_families(m: service.OperatorMetrics) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "tracker_task_runs", "Celery task runs by result.", labels=["task", "result"]
    )
    latency = HistogramMetricFamily(
        "tracker_task_duration_seconds", "Run time of Celery tasks.", labels=["task"]
    )
    finished = GaugeMetricFamily(
        "tracker_task_last_finished_timestamp_seconds",
        "When a run of the task last ended (Unix time).",
        labels=["task"],
    )
    for task in m.tasks:
        for result, n in (
            ("success", task.successes),
            ("failure", task.failures),
            ("retry", task.retries),
        ):
            runs.add_metric([task.name, result], n)
        buckets = [(repr(bound), n) for bound, n in task.buckets] + [("+Inf", task.runs)]
        latency.add_metric([task.name], buckets, task.seconds_sum)
        if task.last_finished:
            finished.add_metric([task.name], task.last_finished.timestamp())
    yield from (runs, latency, finished)
    started = GaugeMetricFamily(
        "tracker_periodic_task_last_started_timestamp_seconds",
        "When the periodic task last started (Unix time).",
        labels=["task"],
    )
    failed = GaugeMetricFamily(
        "tracker_periodic_task_failed", "1 when the task's last run failed.", labels=["task"]
    )
    for run in m.periodic:
        if run.last_started:
            started.add_metric([run.name], run.last_started.timestamp())
        failed.add_metric([run.name], float(run.last_status == "failed"))
    yield from (started, failed)


def _refusal(settings: Settings, authorization: str | None) -> Response | None:
    """None when the request may read the figures, else the answer that says why not."""
    if settings.metrics_public:
        return None
    if settings.metrics_token is None:
        return PlainTextResponse(
            "metrics are off: set TRACKER_METRICS_TOKEN (and give it to the scraper as a bearer "
            "token) or TRACKER_METRICS_PUBLIC=true\n",
            status_code=403,
        )
    scheme, _, given = (authorization or "").partition(" ")
    expected = settings.metrics_token.get_secret_value()
    if scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        return None
    return PlainTextResponse(
        "send TRACKER_METRICS_TOKEN as 'Authorization: Bearer ...'\n",
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus' text format (a sync route: the collector reads the database and Redis)."""
    settings: Settings = request.app.state.settings
    refused = _refusal(settings, request.headers.get("authorization"))
    if refused is not None:
        return refused
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrackerCollector(request.app.state.engine, settings))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
