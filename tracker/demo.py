"""`tracker demo`: the whole pipeline on the replay corpus, with the real parts.

    feeds (forecasts/replay/*.xml served on 127.0.0.1, ephemeral port)
      → a Celery worker subprocess on the embedded file broker polls them (`poll_due_feeds`)
      → each poll hands its new articles to `match_articles` (evidence, proposals)
      → `check_deadlines` (default at close for forecasts past their close date)
      → proposals auto-confirmed → scorecard (and the calibration report with ``out``)

Everything happens in a data dir of its own (a temporary one unless the caller gives one),
with its own :class:`~tracker.settings.Settings`: the file broker in that dir, its own
SQLite database, and ``allow_private_feeds`` on — for this demo only, since the corpus is
served from loopback.  The worker subprocess gets the same settings through its environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import func
from sqlmodel import col, select

from tracker import db, ingest, resolution
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import ConfigError, ReportError, TrackerError
from tracker.models import (
    Article,
    Evidence,
    Feed,
    Forecast,
    Proposal,
    ProposalStatus,
    TaskRun,
    utcnow,
)
from tracker.scoring import Scorecard, ScorecardFilter, compute_scorecard
from tracker.settings import Settings

DEMO_NAMESPACE = "tracker-demo"
DEMO_ACTOR = "demo (auto-confirm)"
#: How long the demo waits for the worker before giving up (the whole demo should take seconds).
WAIT_S = 100.0

#: stage, done, total (None: unknown yet)
ProgressCallback = Callable[[str, int, int | None], None]


def default_forecasts_dir() -> Path:
    """``forecasts/`` of the checkout this package runs from."""
    return Path(__file__).resolve().parent.parent / "forecasts"


# --- serving the corpus ----------------------------------------------------------------------


class _CorpusHandler(BaseHTTPRequestHandler):
    server: CorpusServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        name = unquote(urlsplit(self.path).path).lstrip("/")
        body = self.server.files.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class CorpusServer(ThreadingHTTPServer):
    """Serves the ``*.xml`` files of one folder (read once, nothing else) on 127.0.0.1."""

    daemon_threads = True

    def __init__(self, folder: Path) -> None:
        self.files = {path.name: path.read_bytes() for path in sorted(folder.glob("*.xml"))}
        if not self.files:
            raise ConfigError(
                f"{folder}: no *.xml feed files to serve; is this the replay corpus folder?"
            )
        super().__init__(("127.0.0.1", 0), _CorpusHandler)
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def url(self, name: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/{name}"

    def __enter__(self) -> CorpusServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


# --- the run -----------------------------------------------------------------------------


@dataclass
class DemoRow:
    """One forecast at the end of the demo."""

    forecast_id: str
    probability: float
    status: str
    outcome: str | None
    proposal_kind: str | None
    decisive_on: date | None
    publishers: list[str]


@dataclass
class DemoResult:
    data_dir: Path
    feeds: int
    articles: int
    evidence: int
    rows: list[DemoRow]
    left_for_review: int
    scorecard: Scorecard
    reports: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def demo_settings(data_dir: Path) -> Settings:
    """The demo's own settings: everything in ``data_dir``, loopback feeds allowed (the corpus
    is served from 127.0.0.1).  Explicit values, so the user's TRACKER_* variables do not leak in."""
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'tracker.db'}",
        broker_url=None,
        namespace=DEMO_NAMESPACE,
        allow_private_feeds=True,
        worker_concurrency=2,
        scale_file=None,
    )


def _worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATA_DIR=str(settings.data_dir),
        TRACKER_DATABASE_URL=settings.resolved_database_url(),
        TRACKER_NAMESPACE=settings.namespace,
        TRACKER_ALLOW_PRIVATE_FEEDS="1",
        TRACKER_WORKER_CONCURRENCY=str(settings.worker_concurrency),
    )
    return env


class _Worker:
    """`tracker worker` in a subprocess, as `tracker run` starts it; its log in the data dir."""

    def __init__(self, settings: Settings) -> None:
        self.log_path = Path(settings.data_dir) / "worker.log"
        self._log = self.log_path.open("wb")
        argv = [
            sys.executable,
            "-m",
            "tracker",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(settings.worker_concurrency),
        ]
        self.process = subprocess.Popen(
            argv, env=_worker_env(settings), stdout=self._log, stderr=subprocess.STDOUT
        )

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise TrackerError(
                f"the demo's worker exited (status {self.process.returncode}); its log: "
                f"{self.log_path}: {self.tail()}"
            )

    def tail(self, lines: int = 5) -> str:
        text = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(empty)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: finish the tasks in hand
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _count(session, query) -> int:  # noqa: ANN001
    return int(session.exec(query).one())


def _wait(
    condition: Callable[[], bool], worker: _Worker, what: str, timeout: float = WAIT_S
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        worker.check_alive()
        if time.monotonic() > deadline:
            raise TrackerError(
                f"the demo timed out after {timeout:.0f} s waiting for {what}; worker log: "
                f"{worker.log_path}: {worker.tail()}"
            )
        time.sleep(0.2)


def _setup(settings: Settings, forecasts_dir: Path, server: CorpusServer, today: date) -> int:
    engine = db.engine_for(settings)
    if Path(settings.resolved_database_url().split("///", 1)[-1]).exists():
        raise ConfigError(
            f"{settings.data_dir} already holds a tracker database; the demo needs an empty or new "
            "folder (or none: it then uses a temporary one)"
        )
    db.upgrade(engine)
    files = registry.load_files([forecasts_dir], EstimativeScale.builtin())
    with session_scope(engine) as session:
        registry.import_files(session, files, today=today, actor=DEMO_ACTOR)
        for name in server.files:
            ingest.add_feed(session, server.url(name), interval=timedelta(days=1), title=name)
    return len(server.files)


def _ingest_and_match(
    settings: Settings, worker: _Worker, feeds: int, progress: ProgressCallback
) -> None:
    from workers.app import make_celery

    engine = db.engine_for(settings)
    make_celery(settings).send_task("tracker.poll_due_feeds", queue=settings.namespace)

    def polled() -> bool:
        with session_scope(engine) as session:
            done = _count(
                session,
                select(func.count()).select_from(Feed).where(col(Feed.last_polled_at).is_not(None)),
            )
            articles = _count(session, select(func.count()).select_from(Article))
            matched = _count(
                session,
                select(func.count())
                .select_from(Article)
                .where(col(Article.matched_at).is_not(None)),
            )
            failing = list(session.exec(select(Feed).where(Feed.consecutive_failures > 0)))
        if failing:
            raise TrackerError(
                f"feed {failing[0].url} failed ({failing[0].error_kind}): {failing[0].last_error}"
            )
        progress("polling feeds", done, feeds)
        progress("matching articles", matched, articles if done == feeds else None)
        return done == feeds and articles > 0 and matched == articles

    _wait(polled, worker, "the worker to poll the feeds and match their articles")


def _deadline_check(
    settings: Settings, worker: _Worker, as_of: date, progress: ProgressCallback
) -> None:
    from workers.app import make_celery

    engine = db.engine_for(settings)
    sent = utcnow()
    progress("deadline check", 0, 1)
    make_celery(settings).send_task(
        "tracker.check_deadlines", args=(as_of.isoformat(),), queue=settings.namespace
    )

    def finished() -> bool:
        with session_scope(engine) as session:
            run = session.get(TaskRun, "check_deadlines")
        if run is None or run.last_finished is None or run.last_finished < sent:
            return False
        if run.last_status != "ok":
            raise TrackerError(f"the deadline check failed: {run.last_detail}")
        return True

    _wait(finished, worker, "the deadline check")
    progress("deadline check", 1, 1)


def _rows(session) -> list[DemoRow]:  # noqa: ANN001
    rows = []
    for forecast in session.exec(select(Forecast).order_by(Forecast.closes, Forecast.id)):
        proposal = session.exec(
            select(Proposal)
            .where(
                Proposal.forecast_id == forecast.id,
                Proposal.status == ProposalStatus.CONFIRMED.value,
            )
            .order_by(col(Proposal.id).desc())
        ).first()
        rows.append(
            DemoRow(
                forecast.id,
                forecast.probability,
                forecast.status,
                forecast.outcome,
                proposal.kind if proposal else None,
                proposal.decisive_on if proposal else None,
                list(proposal.publishers) if proposal else [],
            )
        )
    return rows


def run_demo(
    data_dir: Path,
    *,
    forecasts_dir: Path | None = None,
    as_of: date | None = None,
    out: Path | None = None,
    progress: ProgressCallback | None = None,
    today: date | None = None,
) -> DemoResult:
    """Run the demo in ``data_dir`` (empty or new); see the module docstring."""
    from tracker.reports import render_report

    progress = progress or (lambda stage, done, total: None)
    forecasts_dir = forecasts_dir or default_forecasts_dir()
    replay = forecasts_dir / "replay"
    if not replay.is_dir():
        raise ConfigError(
            f"{replay}: the replay corpus is missing; run the demo from a checkout of the project "
            "or pass --forecasts pointing to its forecasts/ folder"
        )
    today = today or utcnow().date()
    as_of = as_of or today
    settings = demo_settings(Path(data_dir))
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    started = time.monotonic()
    with CorpusServer(replay) as server:
        progress("importing forecasts, adding feeds", 0, 1)
        feeds = _setup(settings, forecasts_dir, server, today)
        progress("importing forecasts, adding feeds", 1, 1)
        worker = _Worker(settings)
        try:
            _ingest_and_match(settings, worker, feeds, progress)
            seconds["ingest_and_match"] = time.monotonic() - started
            _deadline_check(settings, worker, as_of, progress)
        finally:
            worker.stop()
    engine = db.engine_for(settings)
    progress("confirming proposals, scoring", 0, 1)
    with session_scope(engine) as session:
        confirmed = resolution.auto_confirm(session, actor=DEMO_ACTOR)
    with session_scope(engine) as session:
        card = compute_scorecard(session, ScorecardFilter(as_of=today), EstimativeScale.builtin())
        stats = resolution.resolver_stats(session)
        rows = _rows(session)
        articles = _count(session, select(func.count()).select_from(Article))
        evidence = _count(session, select(func.count()).select_from(Evidence))
    reports = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for fmt in ("html", "json"):
            path = out / f"calibration.{fmt}"
            try:
                path.write_bytes(render_report(card, fmt, resolver=stats))
            except OSError as exc:
                raise ReportError(
                    f"cannot write the report ({exc.strerror or exc}); choose another --out", path
                ) from exc
            reports.append(path)
    progress("confirming proposals, scoring", 1, 1)
    seconds["total"] = time.monotonic() - started
    return DemoResult(
        Path(data_dir),
        feeds,
        articles,
        evidence,
        rows,
        len(confirmed.left_for_review),
        card,
        reports,
        seconds,
    )
