"""``tracker feeds ...``, ``tracker poll`` and ``tracker articles ...``."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

if TYPE_CHECKING:
    from tracker.ingest import PollResult
    from tracker.models import Article
    from tracker.search import ArticleHit
    from tracker.service import FeedHealth

from tracker.cli._app import (
    NEWS,
    OutputFormat,
    app,
    console,
    current_user,
    error_console,
    parse_day,
    state,
)
from tracker.cli._hits import SearchCommand, hit_page_json, print_hit_page, snippet_text
from tracker.cli._layout import Col, Record, WideOption, json_text, print_records, untrusted
from tracker.cli._layout import when as short_when
from tracker.errors import ConfigError

feeds_app = typer.Typer(no_args_is_help=True, help="Add, list and manage news feeds.")
articles_app = typer.Typer(no_args_is_help=True, help="Read the stored articles.")
app.add_typer(feeds_app, name="feeds", rich_help_panel=NEWS)
app.add_typer(articles_app, name="articles", rich_help_panel=NEWS)

IntervalOpt = Annotated[
    str | None,
    typer.Option(help="poll interval, 1m to 30d, e.g. 15m, 1h (default: TRACKER_POLL_INTERVAL)"),
]


def when(value: datetime | None) -> str:
    """A UTC time to the minute, ``-`` for none."""
    return value.isoformat(timespec="minutes").replace("+00:00", "Z") if value else "-"


def state_text(health: FeedHealth) -> str:
    """The feed's state with what an operator wants to know next to it."""
    feed = health.feed
    if health.state == "disabled":
        return f"disabled: {feed.disabled_reason or ''}"
    if health.state == "failing":
        return (
            f"FAILING ({feed.error_kind}) x{feed.consecutive_failures} "
            f"since {when(feed.error_since)}"
        )
    return health.state


def _feed_json(health: FeedHealth) -> dict[str, Any]:
    data = health.feed.model_dump(mode="json", exclude={"lease_until"})
    return {
        **data,
        "state": health.state,
        "articles": health.articles,
        "suggest_full_text": health.suggest_full_text,
    }


def _full_text(health: FeedHealth) -> str:
    """The full-text column: on, off, or a suggestion for a feed of teasers."""
    if health.feed.fetch_articles:
        return "on"
    return "off (teasers: try on)" if health.suggest_full_text else "off"


# --- tracker feeds ------------------------------------------------------------------------


@feeds_app.command("add")
def feeds_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="the feed's URL (RSS, Atom or JSON Feed)")],
    interval: IntervalOpt = None,
    title: Annotated[str | None, typer.Option(help="a title (default: the feed's own)")] = None,
    full_text: Annotated[
        bool,
        typer.Option(
            "--full-text",
            help="fetch each new article's page for its full text (for feeds of teasers; "
            "needs a `tracker worker --pages`)",
        ),
    ] = False,
    publisher: Annotated[
        str | None,
        typer.Option(
            help="the publisher this feed is (a domain: bbc.co.uk), when it is served from "
            "another domain; default: its articles count for the server they come from",
        ),
    ] = None,
) -> None:
    """Add a feed; it is polled at the next beat (or by `tracker poll`)."""
    from tracker import service

    st = state(ctx)
    with service.unit_of_work(st.ready_engine()) as session:
        added = service.add_feed(
            session,
            url,
            interval=interval,
            title=title,
            full_text=full_text,
            publisher=publisher,
            default_interval=st.settings.poll_interval,
            actor=current_user(),
        )
        feed_id = added.feed.id
    pages = "; each new article's page will be fetched for its full text" if full_text else ""
    console.print(f"Added feed {feed_id}: {url.strip()}{pages}", markup=False)


class Switch(str, Enum):
    on = "on"
    off = "off"


@feeds_app.command("full-text")
def feeds_full_text(
    ctx: typer.Context,
    feed_id: Annotated[int, typer.Argument(metavar="ID")],
    switch: Annotated[Switch, typer.Argument(metavar="on|off", help="on or off")],
) -> None:
    """Fetch (on) or stop fetching (off) each new article's page for its full text."""
    from tracker import service

    wanted = switch is Switch.on
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        service.set_full_text(session, feed_id, wanted, actor=current_user())
    if wanted:
        console.print(f"Feed {feed_id}: each new article's page will be fetched for its full text.")
    else:
        console.print(f"Feed {feed_id}: article pages are no longer fetched.")


@feeds_app.command("list")
def feeds_list(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """List feeds, failing ones first (error kind and since when)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        feeds = service.list_feeds(session)
    if format is OutputFormat.json:
        print(json_text([_feed_json(health) for health in feeds]))
        return
    records = [_feed_record(health) for health in feeds]
    print_records(
        console,
        FEED_COLUMNS,
        records,
        title=f"{len(feeds)} feed(s)",
        caption="times in UTC; under each feed: its title, its URL and its last error",
        wide=wide,
    )
    teasers = [str(h.feed.id) for h in feeds if h.suggest_full_text]
    if teasers:
        console.print(
            f"Feed(s) {', '.join(teasers)} give only teasers: `tracker feeds full-text ID on` "
            "fetches each new article's page for its full text.",
            style="dim",
        )


FEED_COLUMNS = (
    Col("id", "number"),
    Col("state", "key"),
    Col("every", "number"),
    Col("next check", "key"),
    Col("last ok", "key", drop=2),
    Col("articles", "number"),
    Col("full text", "key", drop=1),
)


def _feed_record(health: FeedHealth) -> Record:
    """A feed's row, and under it its title, its URL whole, and what is wrong with it."""
    from tracker.settings import format_interval

    f = health.feed
    under = [f.title] if f.title else []
    if health.state in ("failing", "disabled"):
        under.append(state_text(health) + (f": {f.last_error}" if f.last_error else ""))
    elif f.last_error:
        under.append(f"last error: {f.last_error}")
    return Record(
        [
            str(f.id),
            health.state,
            format_interval(timedelta(seconds=f.interval_s)),
            "-" if f.disabled_at else short_when(f.next_check_at),
            short_when(f.last_success_at),
            str(health.articles),
            _full_text(health),
        ],
        under=under,
        urls=[f.url],
        style={"failing": "red", "disabled": "dim"}.get(health.state),
    )


@feeds_app.command("remove")
def feeds_remove(ctx: typer.Context, feed_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Remove a feed (its articles are kept)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        kept = service.remove_feed(session, feed_id, actor=current_user())
    console.print(f"Removed feed {feed_id}; its {kept} article(s) are kept.")


@feeds_app.command("disable")
def feeds_disable(
    ctx: typer.Context,
    feed_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[
        str | None,
        typer.Option(help="why (shown in `tracker feeds list`; default: disabled by you)"),
    ] = None,
) -> None:
    """Stop polling a feed (until `tracker feeds enable`)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        service.disable_feed(session, feed_id, reason=reason, actor=current_user())
    console.print(f"Feed {feed_id} disabled.")


@feeds_app.command("enable")
def feeds_enable(ctx: typer.Context, feed_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Resume polling a feed (also one disabled by HTTP 410 Gone); it is due at once."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        service.enable_feed(session, feed_id, actor=current_user())
    console.print(f"Feed {feed_id} enabled; it is due now.")


#: the largest OPML file `feeds import-opml` reads (1,000 feeds take about 200 kB)
OPML_MAX_BYTES = 16 << 20


@feeds_app.command("import-opml")
def feeds_import_opml(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="an OPML file (e.g. exported from another reader)")],
    interval: IntervalOpt = None,
) -> None:
    """Add every feed of an OPML file, all or nothing; feeds already present are left alone."""
    from tracker import service

    st = state(ctx)
    try:
        with path.open("rb") as handle:  # at most a byte over the limit: /dev/zero ends here
            data = handle.read(OPML_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from exc
    if len(data) > OPML_MAX_BYTES:
        raise ConfigError(f"{path}: larger than {OPML_MAX_BYTES:,} bytes; split the file")
    with service.unit_of_work(st.ready_engine()) as session:
        imported = service.import_opml(
            session,
            data,
            str(path),
            interval=interval,
            default_interval=st.settings.poll_interval,
            actor=current_user(),
            max_feeds=st.settings.opml_max_feeds,
            max_title_chars=st.settings.opml_max_title_chars,
        )
        count = len(imported.added)
    console.print(
        f"Imported {count} new feed(s) from {path}; "
        f"{len(imported.already_present)} already present.",
        markup=False,
    )


@feeds_app.command("export-opml")
def feeds_export_opml(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="write to this file (default: stdout)"),
    ] = None,
) -> None:
    """Write every feed as OPML 2.0."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        document = service.export_opml(session)
    if output:
        output.write_text(document, encoding="utf-8")
        console.print(f"Wrote {output}", markup=False)
    else:
        sys.stdout.write(document)


# --- tracker poll -------------------------------------------------------------------------


@app.command(rich_help_panel=NEWS)
def poll(
    ctx: typer.Context,
    feed: Annotated[
        list[int] | None,
        typer.Option("--feed", help="poll this feed now, due or not; repeatable"),
    ] = None,
    all_feeds: Annotated[
        bool, typer.Option("--all", help="poll every enabled feed now, due or not")
    ] = False,
) -> None:
    """Poll the due feeds now, in this process (no worker needed), with a progress bar."""
    from tracker import service

    st = state(ctx)
    engine = st.ready_engine()
    with service.unit_of_work(engine) as session:
        feed_ids = service.feeds_to_poll(session, feed_ids=feed or (), all_feeds=all_feeds)
    if not feed_ids:
        console.print("No feed is due; `tracker feeds list` shows the next checks (or use --all).")
        return
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

        def advance(result: PollResult) -> None:
            nonlocal new
            new += len(result.new_article_ids)
            progress.update(task, advance=1, new=new)

        run = service.poll_feeds(
            st.settings, engine, feed_ids, force=bool(feed or all_feeds), progress=advance
        )
    _print_poll_summary(run.results)
    if run.matched is not None:
        console.print(
            f"Matched {run.matched.articles} new article(s): {run.matched.evidence} new "
            "evidence row(s); `tracker review` shows the proposals."
        )


def _print_poll_summary(results: list[PollResult]) -> None:
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
        elif r.message and r.outcome.value == "new":
            console.print(f"  feed {r.feed_id}: {r.message}", markup=False, highlight=False)


# --- tracker articles ---------------------------------------------------------------------


def _text_size(article: Article) -> str:
    """How much text the matcher has: the full text's length and where it came from, else
    "teaser"; "cut" when a field was cut at its limit."""
    if not article.body:
        size = "teaser"
    else:
        size = f"{len(article.body):,} ch ({article.body_source or 'feed'})"
    return size + (", cut" if article.text_truncated else "")


ARTICLE_COLUMNS = (
    Col("id", "number"),
    Col("published (UTC)", "key"),
    Col("feed", "number"),
    Col("text", "key", drop=1),
    Col("author", drop=2),
    Col("categories", drop=3),
)


def _article_record(a: Article) -> Record:
    """An article's row, its title under it and its URL whole."""
    published = short_when(a.published_at) + ("*" if a.published_estimated else "")
    return Record(
        [
            str(a.id),
            published,
            str(a.feed_id or "-"),
            _text_size(a),
            a.author or "",
            ", ".join(a.categories),
        ],
        under=[untrusted(a.title)],
        urls=[a.url] if a.url else [],
    )


def _print_articles(rows: list[Article], format: OutputFormat, wide: bool) -> None:
    if format is OutputFormat.json:
        print(json_text([a.model_dump(mode="json") for a in rows]))
        return
    estimated = any(a.published_estimated for a in rows)
    print_records(
        console,
        ARTICLE_COLUMNS,
        [_article_record(a) for a in rows],
        title=f"{len(rows)} article(s)",
        caption="* no usable date in the feed: the time it was fetched" if estimated else None,
        wide=wide,
    )


LimitOpt = Annotated[int, typer.Option(min=1, max=10_000, help="at most this many")]


@articles_app.command("list")
def articles_list(
    ctx: typer.Context,
    feed: Annotated[int | None, typer.Option("--feed", help="only this feed's articles")] = None,
    limit: LimitOpt = 50,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """The newest articles."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        rows = service.list_articles(session, feed_id=feed, limit=limit)
    _print_articles(rows, format, wide)


SEARCH_COLUMNS = (
    Col("id", "number"),
    Col("published (UTC)", "key"),
    Col("feed", "number"),
    Col("publisher", drop=1),
)
SinceOpt = Annotated[str | None, typer.Option(help="published on or after this day (YYYY-MM-DD)")]
UntilOpt = Annotated[str | None, typer.Option(help="published on or before this day (YYYY-MM-DD)")]
CursorOpt = Annotated[
    str | None, typer.Option(help="the page after this cursor (printed under a page)")
]
PageOpt = Annotated[int, typer.Option(min=1, max=100, help="hits per page")]


def _hit_record(hit: ArticleHit) -> Record:
    """A hit's row, its title and snippet (hit words bold) under it, and its URL whole."""
    under: list[Text] = [untrusted(hit.title)]
    if hit.snippet:
        under.append(snippet_text(hit.snippet))
    return Record(
        [
            str(hit.article_id),
            short_when(hit.published_at),
            str(hit.feed_id or "-"),
            untrusted(hit.publisher or "-"),
        ],
        under=under,
        urls=[hit.url] if hit.url else [],
    )


def _hit_json(hit: ArticleHit) -> dict[str, Any]:
    return {
        "article_id": hit.article_id,
        "title": hit.title,
        "url": hit.url,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "feed_id": hit.feed_id,
        "feed_title": hit.feed_title,
        "publisher": hit.publisher,
        "tier": hit.tier,
        "snippet": [{"text": text, "hit": hit_word} for text, hit_word in hit.snippet],
    }


@articles_app.command("search", cls=SearchCommand)
def articles_search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help='words, "a phrase", prefix*, -exclude, OR (README, "Search syntax")',
        ),
    ],
    feed: Annotated[
        int | None, typer.Option("--feed", help="only this feed's articles (and those it carried)")
    ] = None,
    publisher: Annotated[
        str | None, typer.Option(help="only articles counting for this publisher (a domain)")
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    cursor: CursorOpt = None,
    limit: PageOpt = 20,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """Articles the full-text search finds in titles, teasers, full texts, authors and
    publishers: every word in the title first, then in title and lead, then anywhere; newest
    first within each.  The hit words are bold in each snippet."""
    from tracker import service
    from tracker.search import ArticleQuery

    wanted = ArticleQuery(
        text=query,
        feed_id=feed,
        publisher=publisher,
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
    )
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        found = service.search_articles(session, wanted, cursor=cursor, per_page=limit)
    if format is OutputFormat.json:
        print(hit_page_json([_hit_json(hit) for hit in found.items], found.next_cursor))
        return
    print_hit_page(
        console,
        noun="article",
        columns=SEARCH_COLUMNS,
        records=[_hit_record(hit) for hit in found.items],
        next_cursor=found.next_cursor,
        command=["tracker", "articles", "search", query],
        options={"--feed": feed, "--publisher": publisher, "--since": since, "--until": until},
        limit=limit,
        wide=wide,
    )
