"""``tracker feeds ...``, ``tracker poll``, ``tracker articles ...``, ``tracker status``,
``tracker run``, ``tracker worker`` and ``tracker beat``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tracker import db, ingest, resolution
from tracker.cli._app import app, console, error_console, state
from tracker.cli.forecasts import OutputFormat
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.errors import ConfigError
from tracker.models import Article, Feed
from tracker.settings import parse_interval
from tracker.taskruns import all_runs

feeds_app = typer.Typer(no_args_is_help=True, help="Add, list and manage news feeds.")
articles_app = typer.Typer(no_args_is_help=True, help="Read the stored articles.")
app.add_typer(feeds_app, name="feeds")
app.add_typer(articles_app, name="articles")


def _interval(text: str | None) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_interval(text)
    except ValueError as exc:
        raise ConfigError(f"--interval: {exc}") from exc


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes").replace("+00:00", "Z") if value else "-"


def _short_when(value: datetime | None) -> str:
    """A UTC time that fits a narrow column (the column header says UTC)."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _feed_state(feed: Feed) -> str:
    if feed.disabled_at:
        return f"disabled: {feed.disabled_reason or ''}"
    if feed.consecutive_failures:
        return f"FAILING ({feed.error_kind}) x{feed.consecutive_failures} since {_when(feed.error_since)}"
    return "ok" if feed.last_success_at else "new"


def _feed_json(feed: Feed) -> dict:
    data = feed.model_dump(mode="json", exclude={"lease_until"})
    data["state"] = _feed_state(feed)
    return data


# --- tracker feeds ------------------------------------------------------------------------


@feeds_app.command("add")
def feeds_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="the feed's URL (RSS, Atom or JSON Feed)")],
    interval: Annotated[
        Optional[str],
        typer.Option(help="poll interval, e.g. 15m, 1h (default: TRACKER_POLL_INTERVAL)"),
    ] = None,
    title: Annotated[Optional[str], typer.Option(help="a title (default: the feed's own)")] = None,
) -> None:
    """Add a feed; it is polled at the next beat (or by `tracker poll`)."""
    st = state(ctx)
    with session_scope(st.ready_engine()) as session:
        feed = ingest.add_feed(
            session, url, interval=_interval(interval) or st.settings.poll_interval, title=title
        )
        feed_id = feed.id
    console.print(f"Added feed {feed_id}: {url}", markup=False)


@feeds_app.command("list")
def feeds_list(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
) -> None:
    """List feeds, failing ones first (error kind and since when)."""
    with session_scope(state(ctx).ready_engine()) as session:
        feeds = ingest.list_feeds(session)
        counts = ingest.article_counts(session)
    if format is OutputFormat.json:
        print(
            json.dumps(
                [{**_feed_json(f), "articles": counts.get(f.id, 0)} for f in feeds], indent=2
            )
        )
        return
    table = Table(
        "id",
        "state",
        "url",
        "title",
        "every",
        "next check",
        "last ok",
        "articles",
        "last error",
        title=f"{len(feeds)} feed(s)",
    )
    for f in feeds:
        style = "red" if f.consecutive_failures else ("dim" if f.disabled_at else None)
        table.add_row(
            str(f.id),
            _feed_state(f),
            f.url,
            f.title or "",
            _every(f.interval_s),
            "-" if f.disabled_at else _when(f.next_check_at),
            _when(f.last_success_at),
            str(counts.get(f.id, 0)),
            f.last_error or "",
            style=style,
        )
    console.print(table)


def _every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@feeds_app.command("remove")
def feeds_remove(ctx: typer.Context, feed_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Remove a feed (its articles are kept)."""
    with session_scope(state(ctx).ready_engine()) as session:
        kept = ingest.remove_feed(session, feed_id)
    console.print(f"Removed feed {feed_id}; its {kept} article(s) are kept.")


@feeds_app.command("disable")
def feeds_disable(
    ctx: typer.Context,
    feed_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[
        str, typer.Option(help="why (shown in `tracker feeds list`)")
    ] = "disabled by the operator",
) -> None:
    """Stop polling a feed (until `tracker feeds enable`)."""
    with session_scope(state(ctx).ready_engine()) as session:
        ingest.disable_feed(session, feed_id, reason)
    console.print(f"Feed {feed_id} disabled.")


@feeds_app.command("enable")
def feeds_enable(ctx: typer.Context, feed_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Resume polling a feed (also one disabled by HTTP 410 Gone); it is due at once."""
    with session_scope(state(ctx).ready_engine()) as session:
        ingest.enable_feed(session, feed_id)
    console.print(f"Feed {feed_id} enabled; it is due now.")


@feeds_app.command("import-opml")
def feeds_import_opml(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="an OPML file (e.g. exported from another reader)")],
    interval: Annotated[Optional[str], typer.Option(help="poll interval of the new feeds")] = None,
) -> None:
    """Add every feed of an OPML file, all or nothing; feeds already present are left alone."""
    st = state(ctx)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from exc
    with session_scope(st.ready_engine()) as session:
        added, present = ingest.import_opml(
            session, data, str(path), interval=_interval(interval) or st.settings.poll_interval
        )
        count = len(added)
    console.print(
        f"Imported {count} new feed(s) from {path}; {len(present)} already present.", markup=False
    )


@feeds_app.command("export-opml")
def feeds_export_opml(
    ctx: typer.Context,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="write to this file (default: stdout)")
    ] = None,
) -> None:
    """Write every feed as OPML 2.0."""
    with session_scope(state(ctx).ready_engine()) as session:
        document = ingest.export_opml(session)
    if output:
        output.write_text(document, encoding="utf-8")
        console.print(f"Wrote {output}", markup=False)
    else:
        sys.stdout.write(document)


# --- tracker poll -------------------------------------------------------------------------


@app.command()
def poll(
    ctx: typer.Context,
    feed: Annotated[
        Optional[list[int]],
        typer.Option("--feed", help="poll this feed now, due or not; repeatable"),
    ] = None,
    all_feeds: Annotated[
        bool, typer.Option("--all", help="poll every enabled feed now, due or not")
    ] = False,
) -> None:
    """Poll the due feeds now, in this process (no worker needed), with a progress bar."""
    st = state(ctx)
    engine = st.ready_engine()
    with session_scope(engine) as session:
        if feed:
            feed_ids = [ingest.get_feed(session, feed_id).id for feed_id in feed]
        elif all_feeds:
            feed_ids = [f.id for f in ingest.list_feeds(session) if not f.disabled_at]
        else:
            feed_ids = ingest.due_feed_ids(session)
    if not feed_ids:
        console.print("No feed is due; `tracker feeds list` shows the next checks (or use --all).")
        return
    with ingest.make_fetcher(st.settings) as fetcher:
        poller = ingest.make_poller(st.settings, engine, fetcher=fetcher)
        with Progress(
            TextColumn("polling"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[new]} new"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("poll", total=len(feed_ids), new=0)
            new = 0

            def advance(result: ingest.PollResult) -> None:
                nonlocal new
                new += len(result.new_article_ids)
                progress.update(task, advance=1, new=new)

            results = poller.poll_due(
                feed_ids=feed_ids,
                force=bool(feed or all_feeds),
                concurrency=st.settings.worker_concurrency,
                progress=advance,
            )
    _print_poll_summary(results)


def _print_poll_summary(results: list[ingest.PollResult]) -> None:
    outcomes = Counter(r.outcome.value for r in results)
    new = sum(len(r.new_article_ids) for r in results)
    console.print(
        f"{len(results)} feed(s): {new} new article(s); "
        + ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
    )
    for r in results:
        if r.error_kind:
            error_console.print(
                f"  feed {r.feed_id} {r.error_kind}: {r.message}", markup=False, highlight=False
            )


# --- tracker articles ---------------------------------------------------------------------


def _print_articles(rows: list[Article], format: OutputFormat) -> None:
    if format is OutputFormat.json:
        print(json.dumps([a.model_dump(mode="json") for a in rows], indent=2, ensure_ascii=False))
        return
    table = Table("id", "published", "feed", "title", "url", title=f"{len(rows)} article(s)")
    for a in rows:
        published = _when(a.published_at) + ("*" if a.published_estimated else "")
        table.add_row(str(a.id), published, str(a.feed_id or "-"), a.title, a.url or "")
    console.print(table)
    if any(a.published_estimated for a in rows):
        console.print("* no usable date in the feed: the time it was fetched", style="dim")


@articles_app.command("list")
def articles_list(
    ctx: typer.Context,
    feed: Annotated[Optional[int], typer.Option("--feed", help="only this feed's articles")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """The newest articles."""
    with session_scope(state(ctx).ready_engine()) as session:
        rows = ingest.list_articles(session, feed_id=feed, limit=limit)
    _print_articles(rows, format)


@articles_app.command("search")
def articles_search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="words to find in titles and summaries")],
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Articles whose title or summary contains TEXT (case-insensitive), newest first."""
    with session_scope(state(ctx).ready_engine()) as session:
        rows = ingest.list_articles(session, text=text, limit=limit)
    _print_articles(rows, format)


# --- tracker status -----------------------------------------------------------------------


@app.command()
def status(ctx: typer.Context) -> None:
    """Feeds due, failing feeds first, proposals waiting, the last run of each periodic task, queue depth."""
    st = state(ctx)
    engine = st.ready_engine()
    now = utcnow()
    with session_scope(engine) as session:
        feeds = ingest.list_feeds(session)
        due = len(ingest.due_feed_ids(session, now))
        articles = len(ingest.unmatched_article_ids(session, limit=10**9))
        total = session.exec(_article_total()).one()
        waiting = resolution.counts_by_kind(session)
    failing = [f for f in feeds if f.consecutive_failures and not f.disabled_at]
    disabled = [f for f in feeds if f.disabled_at]
    console.print(
        f"Feeds: {len(feeds)} ({due} due now, {len(failing)} failing, {len(disabled)} disabled)"
    )
    if failing or disabled:
        table = Table("id", "state", "url", "last error", title="Failing and disabled feeds")
        for f in failing + disabled:
            table.add_row(
                str(f.id),
                _feed_state(f),
                f.url,
                f.last_error or "",
                style="red" if f in failing else "dim",
            )
        console.print(table)
    console.print(f"Articles: {total} stored, {articles} not yet processed by the resolution stage")
    kinds = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(waiting.items()))
    console.print(
        f"Proposals waiting for review: {sum(waiting.values())}"
        + (f" ({kinds}); see `tracker review`" if waiting else "")
    )
    runs = all_runs(engine)
    table = Table("periodic task", "last run (UTC)", "status", "detail", title="Periodic tasks")
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for run in runs:
        table.add_row(
            run.name, _short_when(run.last_started), run.last_status or "", run.last_detail or ""
        )
    console.print(
        table
        if runs
        else "Periodic tasks: none has run yet (is `tracker run` or `tracker beat` running?)"
    )
    depth = _queue_depth(st.settings)
    broker = "redis" if st.settings.broker_is_redis() else "embedded file broker"
    console.print(
        f"Queue ({broker}, {st.settings.namespace!r}): "
        + (f"{depth} message(s) waiting" if depth is not None else "depth not measurable")
    )


def _article_total():  # noqa: ANN202 - a select
    from sqlalchemy import func
    from sqlmodel import select

    return select(func.count()).select_from(Article)


def _queue_depth(settings) -> int | None:  # noqa: ANN001
    from workers.app import make_celery, queue_depth

    return queue_depth(make_celery(settings))


# --- tracker run / worker / beat ----------------------------------------------------------


def _tracker_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracker", *args]


def embedded_services(concurrency: int, web: tuple[str, int] | None = None) -> dict[str, list[str]]:
    """The processes `tracker run` starts and supervises, by name; ``web`` is (host, port) of
    the web app (`tracker serve` in its own process), None for none."""
    services = {
        "worker": _tracker_argv("worker", "--concurrency", str(concurrency)),
        "beat": _tracker_argv("beat"),
    }
    if web is not None:
        host, port = web
        services["web"] = _tracker_argv("serve", "--host", host, "--port", str(port))
    return services


@app.command()
def run(
    ctx: typer.Context,
    concurrency: Annotated[
        Optional[int],
        typer.Option(help="poll tasks at a time (default: TRACKER_WORKER_CONCURRENCY)"),
    ] = None,
    host: Annotated[
        str, typer.Option(help="address of the web app (0.0.0.0: every interface)")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port of the web app (0: any free port)")
    ] = 8000,
    no_web: Annotated[
        bool, typer.Option("--no-web", help="run only the worker and the beat")
    ] = False,
) -> None:
    """Run everything on this machine: a worker, a beat and the web app (embedded file broker unless
    TRACKER_BROKER_URL says otherwise).  Ctrl-C stops them cleanly."""
    st = state(ctx)
    db.upgrade(st.engine)
    services = embedded_services(
        concurrency or st.settings.worker_concurrency, None if no_web else (host, port)
    )
    processes = {name: subprocess.Popen(argv) for name, argv in services.items()}
    _first_poll_now(st.settings)
    web = (
        ""
        if no_web
        else f"; web app on http://{host}:{port}/"
        if port
        else "; web app on a free port (see its log)"
    )
    console.print(
        f"Running {', '.join(f'{n} (pid {p.pid})' for n, p in processes.items())}; "
        f"broker {st.settings.resolved_broker_url()}{web}; Ctrl-C to stop.",
        markup=False,
    )
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
    _stop_all(processes)
    if failed:
        error_console.print(
            f"Error: the {failed} process exited (status {processes[failed].returncode}); "
            "everything was stopped. See its output above."
        )
        raise typer.Exit(1)
    console.print("Stopped.")


def _first_poll_now(settings) -> None:  # noqa: ANN001
    """Queue one `poll_due_feeds` and one `check_deadlines` at start, so nobody waits for the
    first beat (a minute for polls, the next midnight for the deadline check)."""
    from workers.app import make_celery

    celery = make_celery(settings)
    celery.send_task("tracker.poll_due_feeds", queue=settings.namespace)
    celery.send_task("tracker.check_deadlines", queue=settings.namespace)


def _stop_all(processes: dict[str, subprocess.Popen], grace: float = 30.0) -> None:
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


_PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@app.command(context_settings=_PASSTHROUGH)
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        Optional[int],
        typer.Option(help="poll tasks at a time (default: TRACKER_WORKER_CONCURRENCY)"),
    ] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """A Celery worker for the tracker's queue (extra arguments go to `celery worker`)."""
    from workers.app import make_celery

    st = state(ctx)
    db.upgrade(st.engine)
    celery = make_celery(st.settings)
    celery.worker_main(
        [
            "worker",
            "--loglevel",
            loglevel,
            "--queues",
            st.settings.namespace,
            "--concurrency",
            str(concurrency or st.settings.worker_concurrency),
            *ctx.args,
        ]
    )


@app.command(context_settings=_PASSTHROUGH)
def beat(
    ctx: typer.Context,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """The Celery beat that schedules `poll_due_feeds` every minute and `check_deadlines` daily
    (RedBeat with its Redis lock in the distributed mode: start several, exactly one ticks)."""
    from workers.app import make_celery

    st = state(ctx)
    db.upgrade(st.engine)
    make_celery(st.settings).start(["beat", "--loglevel", loglevel, *ctx.args])
