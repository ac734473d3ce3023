"""`tracker demo`: the whole pipeline on the replay corpus, with the real parts.

    feeds (forecasts/replay/*.xml served on 127.0.0.1, ephemeral port)
      → a Celery worker subprocess on the embedded file broker polls them (`poll_due_feeds`)
      → a feed of teasers (``*-teasers-*.xml``, added with ``--full-text``) has each article's
        page (forecasts/replay/pages/*.html) fetched by a pages worker (`fetch_article_page`)
      → each poll, and each page with new text, hands its articles to `match_articles`
        (evidence, proposals)
      → `check_deadlines` (default at close for forecasts past their close date)
      → proposals auto-confirmed → scorecard (and the calibration report with ``out``)

Everything happens in one data dir, which is KEPT afterwards so that `tracker serve` opens the
result (the resolved forecasts, their evidence, a review queue with the practice question of
``forecasts/replay/practice/`` left disputed).  The demo has its own
:class:`~tracker.settings.Settings`: the file broker in that dir, its own SQLite database, and
``allow_private_feeds`` on — for the demo's processes only, since the corpus is served from
loopback.  The worker subprocess gets the same settings through its environment.

The data dir is the demo's when it holds :data:`DEMO_MARK` (written by a previous run, which a new
run replaces); a database without the mark is someone's data: refused unless ``replace``.
"""

from __future__ import annotations

import json
import os
import shutil
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

from sqlmodel import Session

from tracker import service
from tracker.clock import today as utc_today
from tracker.clock import utcnow
from tracker.domain.scale import EstimativeScale
from tracker.errors import ConfigError, TrackerError
from tracker.scoring import Scorecard, ScorecardFilter
from tracker.service import ForecastOutcome
from tracker.settings import Settings

DEMO_NAMESPACE = "tracker-demo"
DEMO_ACTOR = "demo (auto-confirm)"
#: How long the demo waits for the worker before giving up (the whole demo should take seconds).
WAIT_S = 100.0
#: the port the corpus is served on, by the demo and by `tracker demo --serve-feeds`, so that the
#: feeds the demo leaves in its database are the ones `--serve-feeds` serves afterwards
FEEDS_PORT = 8765
#: a file in the data dir that says the demo made it (and may replace it)
DEMO_MARK = "tracker-demo.json"
#: what a demo's data dir holds besides the mark: the SQLite database and its journals, the file
#: broker's folder, the workers' logs
DEMO_FILES = (
    "tracker.db",
    "tracker.db-wal",
    "tracker.db-shm",
    "tracker.db-journal",
    "broker",
    "worker.log",
    "pages-worker.log",
)

#: stage, done, total (None: unknown yet)
ProgressCallback = Callable[[str, int, int | None], None]


def default_forecasts_dir() -> Path:
    """``forecasts/`` of the checkout this package runs from."""
    return Path(__file__).resolve().parent.parent / "forecasts"


def practice_dir(forecasts_dir: Path) -> Path:
    """The demo's practice question (not part of the source article), left for the review queue."""
    return forecasts_dir / "replay" / "practice"


# --- serving the corpus ----------------------------------------------------------------------


#: a feed file whose name holds this gives only teasers: the demo adds it with --full-text
TEASER_FEED_MARK = "-teasers"


def corpus_publisher(name: str) -> str:
    """The publisher of one of the corpus's feed files, named ``<publisher>-....xml``: every
    feed is served from 127.0.0.1, where articles would all count for one publisher, so the demo
    vouches for each feed's publisher as an operator would (``feeds add --publisher``)."""
    return name.partition("-")[0].removesuffix(".xml") + ".example"


class _CorpusHandler(BaseHTTPRequestHandler):
    server: CorpusServer

    def do_GET(self) -> None:
        name = unquote(urlsplit(self.path).path).lstrip("/")
        body = self.server.files.get(name)
        if body is None:
            self.send_error(404)
            return
        kind = "text/html" if name.endswith(".html") else "application/xml"
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class CorpusServer(ThreadingHTTPServer):
    """Serves the ``*.xml`` files of one folder and the article pages in its ``pages/``
    (``*.html``), read once, nothing else, on 127.0.0.1."""

    daemon_threads = True

    def __init__(self, folder: Path, port: int = 0) -> None:
        self.feeds = {path.name: path.read_bytes() for path in sorted(folder.glob("*.xml"))}
        pages = sorted((folder / "pages").glob("*.html"))
        self.files = {**self.feeds, **{f"pages/{path.name}": path.read_bytes() for path in pages}}
        if not self.feeds:
            raise ConfigError(
                f"{folder}: no *.xml feed files to serve; is this the replay corpus folder?"
            )
        try:
            super().__init__(("127.0.0.1", port), _CorpusHandler)
        except OSError as exc:
            raise ConfigError(
                f"feeds port: cannot serve the replay corpus on 127.0.0.1:{port} ({exc.strerror}); "
                "pass --feeds-port with a free port"
            ) from exc
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def url(self, name: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/{name}"  # host is the str "127.0.0.1" here

    def feed_urls(self) -> list[tuple[str, bool, str]]:
        """Each feed's URL, whether it is a feed of teasers (to add with --full-text), and its
        publisher (to add with --publisher)."""
        return [
            (self.url(name), TEASER_FEED_MARK in name, corpus_publisher(name))
            for name in self.feeds
        ]

    def __enter__(self) -> CorpusServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


# --- the run -----------------------------------------------------------------------------


#: one forecast at the end of the demo
DemoRow = ForecastOutcome


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
    is served from 127.0.0.1).  Explicit values, so the user's TRACKER_* variables do not leak
    in."""
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
    """`tracker worker` (``pages``: `tracker worker --pages`) in a subprocess, as `tracker run`
    starts it; its log in the data dir."""

    def __init__(self, settings: Settings, *, pages: bool = False) -> None:
        self.log_path = Path(settings.data_dir) / ("pages-worker.log" if pages else "worker.log")
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
            *(["--pages"] if pages else []),
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


def _setup(
    settings: Settings,
    forecasts_dir: Path,
    server: CorpusServer,
    today: date,
    scale: EstimativeScale,
) -> int:
    engine = service.init_database(settings)
    practice = practice_dir(forecasts_dir)
    sources = [forecasts_dir, *([practice] if practice.is_dir() else [])]
    with service.unit_of_work(engine) as session:
        service.import_forecasts(session, sources, scale, actor=DEMO_ACTOR, today=today)
        for name in server.feeds:
            service.add_feed(
                session,
                server.url(name),
                interval="1d",
                title=name,
                full_text=TEASER_FEED_MARK in name,
                publisher=corpus_publisher(name),
                default_interval=timedelta(days=1),
                actor=DEMO_ACTOR,
            )
    return len(server.feeds)


def _ingest_and_match(
    settings: Settings, worker: _Worker, feeds: int, progress: ProgressCallback
) -> None:
    engine = service.database(settings)
    service.queue_task(settings, service.POLL_DUE_FEEDS)

    def polled() -> bool:
        with service.unit_of_work(engine) as session:
            now = service.pipeline_progress(session)
        if now.failing:
            feed = now.failing[0]
            raise TrackerError(f"feed {feed.url} failed ({feed.error_kind}): {feed.last_error}")
        done = now.feeds_polled
        progress("polling feeds", done, feeds)
        wanted = sum(now.pages.values())
        pending = now.pages.get("pending", 0)
        if wanted:
            progress("fetching article pages", wanted - pending, wanted)
        progress("matching articles", now.matched, now.articles if done == feeds else None)
        return done == feeds and now.articles > 0 and not pending and now.matched == now.articles

    _wait(polled, worker, "the worker to poll the feeds and match their articles")


def _deadline_check(
    settings: Settings, worker: _Worker, as_of: date, progress: ProgressCallback
) -> None:
    engine = service.database(settings)
    sent = utcnow()
    progress("deadline check", 0, 1)
    service.queue_task(settings, service.CHECK_DEADLINES, as_of.isoformat())

    def finished() -> bool:
        with service.unit_of_work(engine) as session:
            run = service.task_run(session, service.CHECK_DEADLINES)
        if run is None or run.last_finished is None or run.last_finished < sent:
            return False
        if run.last_status != "ok":
            raise TrackerError(f"the deadline check failed: {run.last_detail}")
        return True

    _wait(finished, worker, "the deadline check")
    progress("deadline check", 1, 1)


def prepare_data_dir(data_dir: Path, *, replace: bool = False) -> None:
    """Make ``data_dir`` ready for a demo run: new or empty, or a previous demo's (its files are
    removed), or anything else with ``replace``; a folder holding other tracker data is refused,
    never mixed with the demo's or deleted unasked."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ours = (data_dir / DEMO_MARK).exists()
    if (data_dir / "tracker.db").exists() and not (ours or replace):
        raise ConfigError(
            f"data dir: {data_dir} already holds a tracker database that the demo did not make; "
            "run the demo in another folder (--data-dir NEW) or replace that database (--replace)"
        )
    for name in DEMO_FILES:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    (data_dir / DEMO_MARK).write_text(
        json.dumps({"made_by": "tracker demo", "started": utcnow().isoformat()}) + "\n",
        encoding="utf-8",
    )


def run_demo(
    data_dir: Path,
    *,
    forecasts_dir: Path | None = None,
    as_of: date | None = None,
    out: Path | None = None,
    progress: ProgressCallback | None = None,
    today: date | None = None,
    replace: bool = False,
    feeds_port: int = FEEDS_PORT,
) -> DemoResult:
    """Run the demo in ``data_dir`` and keep its data there (see :func:`prepare_data_dir` for
    which folders it accepts); the corpus is served on 127.0.0.1:``feeds_port`` (0: any free
    port); see the module docstring."""
    progress = progress or (lambda stage, done, total: None)
    forecasts_dir = forecasts_dir or default_forecasts_dir()
    replay = forecasts_dir / "replay"
    if not replay.is_dir():
        raise ConfigError(
            f"{replay}: the replay corpus is missing; run the demo from a checkout of the project "
            "or pass --forecasts pointing to its forecasts/ folder"
        )
    today = today or utc_today()
    scale = EstimativeScale.builtin()
    settings = demo_settings(Path(data_dir))
    seconds: dict[str, float] = {}
    started = time.monotonic()
    with CorpusServer(replay, feeds_port) as server:
        prepare_data_dir(Path(data_dir), replace=replace)
        progress("importing forecasts, adding feeds", 0, 1)
        feeds = _setup(settings, forecasts_dir, server, today, scale)
        progress("importing forecasts, adding feeds", 1, 1)
        worker = _Worker(settings)
        pages = _Worker(settings, pages=True)
        try:
            _ingest_and_match(settings, worker, feeds, progress)
            pages.check_alive()
            seconds["ingest_and_match"] = time.monotonic() - started
            _deadline_check(settings, worker, as_of or today, progress)
        finally:
            pages.stop()
            worker.stop()
    progress("confirming proposals, scoring", 0, 1)
    result = _conclude(settings, feeds, today, scale, out)
    progress("confirming proposals, scoring", 1, 1)
    seconds["total"] = time.monotonic() - started
    result.seconds = seconds
    return result


def _conclude(
    settings: Settings, feeds: int, today: date, scale: EstimativeScale, out: Path | None
) -> DemoResult:
    """Confirm what the resolver proposed, score it, and write the report if asked to."""
    engine = service.database(settings)
    with service.unit_of_work(engine) as session:
        confirmed = service.confirm_all(session, actor=DEMO_ACTOR)
    with service.unit_of_work(engine) as session:
        card = service.scorecard(session, ScorecardFilter(as_of=today), scale)
        progress_now = service.pipeline_progress(session)
        rows = service.forecast_outcomes(session, today)
        reports = _write_reports(session, card, out) if out is not None else []
    return DemoResult(
        Path(settings.data_dir),
        feeds,
        progress_now.articles,
        progress_now.evidence,
        rows,
        len(confirmed.left_for_review),
        card,
        reports,
    )


def _write_reports(session: Session, card: Scorecard, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [
        service.write_report(session, card, fmt, out / f"calibration.{fmt}").path
        for fmt in ("html", "json")
    ]
