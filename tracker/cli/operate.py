"""``tracker status``, ``tracker run``, ``tracker worker`` and ``tracker beat``: running the
pipeline and seeing where it stands.

The Celery side is reached through :mod:`tracker.service` (an entry point, never an import of
``workers``); `tracker run` supervises a worker, a beat and the web app as processes of their
own, each started as ``python -m tracker <command>``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tracker import service
    from tracker.settings import Settings

from tracker.cli._app import WEB_AND_WORKERS, OutputFormat, app, console, error_console, state
from tracker.cli._layout import Col, Record, print_records, print_table

PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(min=1, max=256, help="poll tasks at a time (default: TRACKER_WORKER_CONCURRENCY)"),
]


class LogFormat(str, Enum):
    text = "text"
    json = "json"


LogFormatOpt = Annotated[
    LogFormat | None,
    typer.Option(
        help="text, or json: one JSON object a line with the feed, task and forecast ids "
        "(default: TRACKER_LOG_FORMAT)"
    ),
]


def with_log_format(ctx: typer.Context, log_format: LogFormat | None) -> Settings:
    """The settings, with ``--log-format`` when given."""
    settings = state(ctx).settings
    if log_format is None:
        return settings
    return settings.model_copy(update={"log_format": log_format.value})


def _short_when(value: datetime | None) -> str:
    """A UTC time that fits a narrow column (the column header says UTC)."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@app.command(rich_help_panel=WEB_AND_WORKERS)
def status(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", help="table, or json for monitoring scripts (its shape: README, Operating)"
        ),
    ] = OutputFormat.table,
) -> None:
    """Feeds due, failing feeds first, proposals waiting, the last run of each periodic task,
    queue depth."""
    from tracker import service
    from tracker.cli.feeds import state_text

    st = state(ctx)
    with service.unit_of_work(st.ready_engine()) as session:
        summary = service.status_summary(session, st.settings)
    if format is OutputFormat.json:
        print(json.dumps(summary.to_json(), indent=2))
        return
    console.print(
        f"Feeds: {summary.feeds} ({summary.due} due now, {len(summary.failing)} failing, "
        f"{len(summary.disabled)} disabled)"
    )
    if summary.failing or summary.disabled:
        records = [
            Record(
                [str(h.feed.id), state_text(h)],
                under=[f"last error: {h.feed.last_error}"] if h.feed.last_error else [],
                urls=[h.feed.url],
                style="red" if h.state == "failing" else "dim",
            )
            for h in summary.failing + summary.disabled
        ]
        print_records(console, BAD_FEED_COLUMNS, records, title="Failing and disabled feeds")
    console.print(
        f"Articles: {summary.articles} stored, {summary.unmatched} not yet processed by the "
        "resolution stage"
    )
    if summary.pages:
        counts = ", ".join(f"{n} {state}" for state, n in sorted(summary.pages.items()))
        console.print(
            f"Article pages (--full-text feeds): {counts}; `tracker worker --pages` fetches them"
        )
    waiting = summary.waiting
    kinds = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(waiting.items()))
    console.print(
        f"Proposals waiting for review: {sum(waiting.values())}"
        + (f" ({kinds}); see `tracker review`" if waiting else "")
    )
    console.print(
        f"Needs an outcome: {summary.needs_outcome}"
        + (
            " (a proposal rejected after the close date); see `tracker review`"
            if summary.needs_outcome
            else ""
        )
    )
    _print_runs(summary)
    queue = summary.queue
    depth = "depth not measurable" if queue.depth is None else f"{queue.depth} message(s) waiting"
    console.print(f"Queue ({queue.broker}, {queue.namespace!r}): {depth}")


def _print_runs(summary: service.StatusSummary) -> None:
    if not summary.runs:
        console.print(
            "Periodic tasks: none has run yet (is `tracker run` or `tracker beat` running?)"
        )
        return
    rows = [
        [run.name, _short_when(run.last_started), run.last_status or "", run.last_detail or ""]
        for run in summary.runs
    ]
    print_table(console, RUN_COLUMNS, rows, title="Periodic tasks")


BAD_FEED_COLUMNS = (Col("id", "number"), Col("state", "key"))
RUN_COLUMNS = (
    Col("periodic task", "key"),
    Col("last run (UTC)", "key"),
    Col("status", "key"),
    Col("detail"),
)


# --- tracker run / worker / beat ----------------------------------------------------------


def _tracker_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracker", *args]


def embedded_services(
    concurrency: int, web: tuple[str, int] | None = None, log_format: LogFormat | None = None
) -> dict[str, list[str]]:
    """The processes `tracker run` starts and supervises, by name; ``web`` is (host, port) of
    the web app (`tracker serve` in its own process), None for none; ``log_format`` is passed
    on to each."""
    logged = ["--log-format", log_format.value] if log_format else []
    services = {
        "worker": _tracker_argv("worker", "--concurrency", str(concurrency), *logged),
        "pages": _tracker_argv("worker", "--pages", "--concurrency", str(concurrency), *logged),
        "beat": _tracker_argv("beat", *logged),
    }
    if web is not None:
        host, port = web
        services["web"] = _tracker_argv("serve", "--host", host, "--port", str(port), *logged)
    return services


@app.command(rich_help_panel=WEB_AND_WORKERS)
def run(
    ctx: typer.Context,
    concurrency: ConcurrencyOpt = None,
    host: Annotated[
        str, typer.Option(help="address of the web app (0.0.0.0: every interface)")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port of the web app (0: any free port)")
    ] = 8000,
    no_web: Annotated[
        bool, typer.Option("--no-web", help="run only the worker and the beat")
    ] = False,
    log_format: LogFormatOpt = None,
) -> None:
    """Run everything on this machine: a worker, a worker for article pages, a beat and the web
    app (embedded file broker unless TRACKER_BROKER_URL says otherwise).  Ctrl-C stops them
    cleanly."""
    from tracker import service

    st = state(ctx)
    console.print(st.settings.location_line(), markup=False, soft_wrap=True)
    service.init_database(st.settings)
    services = embedded_services(
        concurrency or st.settings.worker_concurrency,
        None if no_web else (host, port),
        log_format=log_format,
    )
    processes = {name: subprocess.Popen(argv) for name, argv in services.items()}
    service.queue_startup_tasks(st.settings)
    web = (
        ""
        if no_web
        else f"; web app on http://{host}:{port}/"
        if port
        else "; web app on a free port (see its log)"
    )
    started = ", ".join(f"{n} (pid {p.pid})" for n, p in processes.items())
    console.print(
        f"Running {started}; broker {st.settings.resolved_broker_url()}{web}; Ctrl-C to stop.",
        markup=False,
    )
    failed = _supervise(processes)
    _stop_all(processes)
    if failed:
        error_console.print(
            f"Error: the {failed} process exited (status {processes[failed].returncode}); "
            "everything was stopped. See its output above."
        )
        raise typer.Exit(1)
    console.print("Stopped.")


def _supervise(processes: dict[str, subprocess.Popen[bytes]]) -> str | None:
    """Wait until Ctrl-C (or SIGTERM), or until a process exits; returns the name of that one."""
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    failed = None
    while not stopping and failed is None:
        time.sleep(0.3)
        failed = next((name for name, p in processes.items() if p.poll() is not None), None)
    return failed


def _stop_all(processes: dict[str, subprocess.Popen[bytes]], grace: float = 30.0) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # Celery's warm shutdown: finish the tasks in hand
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@app.command(context_settings=PASSTHROUGH, rich_help_panel=WEB_AND_WORKERS)
def worker(
    ctx: typer.Context,
    concurrency: ConcurrencyOpt = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
    pages: Annotated[
        bool,
        typer.Option(
            "--pages",
            help="work the article-page queue (pages of --full-text feeds) instead of polls "
            "and matching",
        ),
    ] = False,
    log_format: LogFormatOpt = None,
) -> None:
    """A Celery worker for the tracker's queue, or with --pages for the article-page queue
    (extra arguments go to `celery worker`)."""
    from tracker import service

    settings = with_log_format(ctx, log_format)
    service.run_worker(
        settings,
        concurrency=concurrency or settings.worker_concurrency,
        loglevel=loglevel,
        extra=list(ctx.args),
        pages=pages,
    )


@app.command(context_settings=PASSTHROUGH, rich_help_panel=WEB_AND_WORKERS)
def beat(
    ctx: typer.Context,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
    log_format: LogFormatOpt = None,
) -> None:
    """The Celery beat that schedules `poll_due_feeds` and `fetch_due_pages` every minute and
    `check_deadlines` daily (RedBeat with its Redis lock in the distributed mode: start several,
    exactly one ticks)."""
    from tracker import service

    settings = with_log_format(ctx, log_format)
    service.run_beat(settings, loglevel=loglevel, extra=list(ctx.args))
