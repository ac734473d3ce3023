"""Ingestion benchmark: our pipeline vs the `reader` library on the same loopback feed farm.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python benchmarks/bench_ingest.py [--feeds 200]
    [--entries 200] [--rounds 3]

The farm (FEEDS feeds x ENTRIES entries, RSS 2.0 with ETags; each entry a teaser and a
``content:encoded`` body of about BODY_CHARS characters, stored by both) runs in its own
process so the
server does not compete with the pipeline for the GIL.  Measured in one run, on the same feeds:

1. ours, end to end: poll (httpx, SSRF guard, size caps, per-host limit 2), parse
   (fastfeedparser), dedup and store (SQLite, ON CONFLICT DO NOTHING) -> entries/s;
2. reader (PyPI `reader`): ``update_feeds()`` into its own SQLite -> entries/s, and the ratio
   (``--reader-search``: and ``update_search()``, so both keep a full-text index up to date:
   ours indexes each poll's new articles in its transaction, analyzed by the parse workers);
3. ours again on the unchanged farm: every feed answers 304 -> seconds for all feeds.

Each round measures 1-3 on fresh databases, ours then reader; the rounds alternate so that
load from other work on a shared machine falls on both, and the medians are compared.

Goals (issue 4): ratio >= 10x, re-poll of 200 unchanged feeds < 1 s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


_WORDS = [
    "the",
    "alliance",
    "said",
    "talks",
    "with",
    "moscow",
    "would",
    "resume",
    "after",
    "officials",
    "in",
    "brussels",
    "and",
    "washington",
    "met",
    "on",
    "security",
    "guarantees",
    "missiles",
    "deployment",
    "treaty",
    "ukraine",
    "kremlin",
    "senate",
]


def _body_html(seed: int, chars: int) -> str:
    """A full article body of about ``chars`` characters of text: paragraphs of words, some in
    <a> and <em>, as news feeds' ``content:encoded`` carries them."""
    size, paragraphs, paragraph = 0, [], []
    index = seed
    while size < chars:
        word = _WORDS[index % len(_WORDS)]
        index = (index * 7 + 3) % 1_000_003
        if index % 29 == 0:
            word = f'<a href="https://example.org/{index % 997}">{word}</a>'
        elif index % 31 == 0:
            word = f"<em>{word}</em>"
        paragraph.append(word)
        size += len(_WORDS[0]) + 5
        if len(paragraph) >= 70:
            paragraphs.append("<p>" + " ".join(paragraph) + ".</p>")
            paragraph = []
    paragraphs.append("<p>" + " ".join(paragraph) + ".</p>")
    return "".join(paragraphs)


def _document(number: int, entries: int, body_chars: int) -> bytes:
    from tests.feedserver import news_items

    site = f"https://site{number}.example"
    items = []
    for index, item in enumerate(news_items(f"f{number}", entries, site=site)):
        fields = "".join(f"<{k}>{v}</{k}>" for k, v in item.items())
        if body_chars:
            body = _body_html(number * 100_003 + index, body_chars)
            fields += f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        items.append(f"<item>{fields}</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Feed {number}</title><link>{site}/</link>{''.join(items)}</channel></rss>"
    ).encode()


def _serve(feeds: int, entries: int, body_chars: int, ready, stop) -> None:
    from tests.feedserver import FeedServer, Static

    with FeedServer() as server:
        for i in range(feeds):
            route = Static(_document(i, entries, body_chars))
            route.tag  # noqa: B018 - hashed now, not during the first poll it would slow down
            server.add(f"/feed/{i}.xml", route)
        ready.put(server.url(""))
        stop.wait()


def _machine_busy() -> tuple[float, float] | None:
    """CPU-seconds the whole machine has been busy and has had, from Linux's ``/proc/stat``
    (None elsewhere): around a poll, what it used of the cores, parse workers included."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return None
    hertz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4]) / hertz, sum(ticks) / hertz  # idle, iowait


def bench_ours(
    base: str, feeds: int, workdir: Path, concurrency: int, parse_processes: int | None
) -> tuple[int, float, float, str]:
    from tracker import db
    from tracker.db import session_scope
    from tracker.ingest import AddressGuard, Fetcher, Poller, add_feed

    engine = db.make_engine(f"sqlite:///{workdir / 'ours.db'}")
    db.upgrade(engine)
    with session_scope(engine) as session:
        for i in range(feeds):
            add_feed(session, f"{base}/feed/{i}.xml", interval=timedelta(minutes=30))
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        poller = Poller(
            engine, fetcher, parse_processes=parse_processes
        )  # as `tracker poll` runs it
        busy_before, own_before = _machine_busy(), time.process_time()
        started = time.perf_counter()
        results = poller.poll_due(concurrency=concurrency)
        elapsed = time.perf_counter() - started
        cpu = _cpu_note(busy_before, _machine_busy(), time.process_time() - own_before)
        stored = sum(len(r.new_article_ids) for r in results)
        failed = [r for r in results if r.error_kind]
        assert not failed, failed[:3]
        started = time.perf_counter()
        again = poller.poll_due(
            feed_ids=[r.feed_id for r in results], concurrency=concurrency, force=True
        )
        repoll = time.perf_counter() - started
        assert len(again) == feeds
        assert all(r.outcome.value == "not_modified" for r in again), {r.outcome for r in again}
    engine.dispose()
    return stored, elapsed, repoll, cpu


def _cpu_note(
    before: tuple[float, float] | None, after: tuple[float, float] | None, own: float
) -> str:
    """Where our poll's CPU went: the machine's busy share (a run that is not CPU-bound leaves
    cores idle) and the writer process's own seconds; the rest is the parse workers' and the
    feed farm's (and anything else the machine runs)."""
    if before is None or after is None:
        return f"writer process {own:.2f} CPU-s"
    busy, had = after[0] - before[0], after[1] - before[1]
    return (
        f"machine busy {busy:.2f} of {had:.2f} CPU-s ({busy / had:.0%}), writer process {own:.2f}"
    )


def bench_reader(
    base: str, feeds: int, workdir: Path, workers: int, search: bool
) -> tuple[int, float]:
    """reader's ``update_feeds()``; with ``search``, its full-text index kept up to date too
    (``enable_search()`` first, ``update_search()`` timed after: reader indexes in a step of its
    own, where we index in the poll's transaction)."""
    from reader import make_reader

    reader = make_reader(str(workdir / "reader.sqlite"))
    for i in range(feeds):
        reader.add_feed(f"{base}/feed/{i}.xml")
    if search:
        reader.enable_search()
    started = time.perf_counter()
    reader.update_feeds(workers=workers)
    if search:
        reader.update_search()
    elapsed = time.perf_counter() - started
    stored = reader.get_entry_counts().total
    reader.close()
    return stored, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument(
        "--body-chars",
        type=int,
        default=4000,
        help="characters of text in each entry's content:encoded body (0: a teaser only)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="our poll threads (per-host limit stays 2)"
    )
    parser.add_argument(
        "--parse-processes",
        type=int,
        default=None,
        help="our parse worker processes (default: one per core, as `tracker poll`; 0: none)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of (ours, reader), alternating, each on fresh databases; the machine is "
        "shared, so the median of the rounds is reported with their spread",
    )
    parser.add_argument(
        "--reader-search",
        action="store_true",
        help="the peer keeps its full-text index up to date as ours does (reader's "
        "enable_search + update_search, timed); without it the peer stores entries only",
    )
    args = parser.parse_args()
    ready, stop = multiprocessing.Queue(), multiprocessing.Event()
    farm = multiprocessing.Process(
        target=_serve, args=(args.feeds, args.entries, args.body_chars, ready, stop), daemon=True
    )
    farm.start()
    base = ready.get(timeout=120)
    rounds = []
    print(
        f"feed farm: {args.feeds} feeds x {args.entries} entries on loopback, each with a teaser "
        f"and a body of about {args.body_chars:,} characters; {args.rounds} rounds"
    )
    try:
        for number in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                ours, ours_s, repoll_s, cpu = bench_ours(
                    base, args.feeds, workdir, args.concurrency, args.parse_processes
                )
                theirs, theirs_s = bench_reader(
                    base, args.feeds, workdir, workers=2, search=args.reader_search
                )
            rounds.append((ours / ours_s, theirs / theirs_s, repoll_s))
            print(
                f"round {number}: ours {ours} entries in {ours_s:5.2f} s = {ours / ours_s:6.0f}/s, "
                f"reader {theirs} in {theirs_s:5.2f} s = {theirs / theirs_s:5.0f}/s, "
                f"ratio {ours / ours_s / (theirs / theirs_s):4.1f}x, re-poll {repoll_s:.3f} s\n"
                f"  ours' poll: {cpu}",
                flush=True,
            )
    finally:
        stop.set()
        farm.join(10)
    ours_rate = statistics.median(r[0] for r in rounds)
    theirs_rate = statistics.median(r[1] for r in rounds)
    ratios = [r[0] / r[1] for r in rounds]
    print(f"ours   : median {ours_rate:9.0f} entries/s")
    peer = "reader, search index kept" if args.reader_search else "reader, no search index"
    print(f"reader : median {theirs_rate:9.0f} entries/s ({peer})")
    print(
        f"ratio  : {ours_rate / theirs_rate:.1f}x reader (medians; rounds {min(ratios):.1f}x to "
        f"{max(ratios):.1f}x; "
        "goal >= 10x)"
    )
    print(
        f"re-poll: {args.feeds} unchanged feeds (all 304) in at most "
        f"{max(r[2] for r in rounds):.3f} s "
        "(goal < 1 s)"
    )


if __name__ == "__main__":
    main()
