"""Article-page benchmark (goal d): fetching, guarding, extracting and storing pages vs
trafilatura alone on the same pages.

    .venv/bin/python benchmarks/bench_pages.py [--pages 1000] [--rounds 3]

A loopback site of PAGES generated news pages (tests/pagesite.py: invented text of 8 to 14
paragraphs of 90 words inside a news site's menus, related links, footer and structured data;
about 25 KiB of HTML each, the median is printed; real news pages are often larger)
runs in its own process, so the server does not compete with the measured process.  Measured in
one run, per core (one thread, CPU time of this process):

1. ours: :func:`tracker.ingest.fetch_article_page` for every page of a ``--full-text`` feed's
   articles: claim, robots.txt (read once for the host), the guarded HTTP client (SSRF guard,
   size cap after decompression, per-host limit), trafilatura, and the body stored in SQLite
   (``matched_at`` reset) -> pages per CPU second;
2. trafilatura alone: ``bare_extraction`` with the same options on the same bytes, already in
   memory -> pages per CPU second, and the ratio of the two costs.

The rounds alternate (ours, then trafilatura) so that load from other work on a shared machine
falls on both; the medians are compared.  Goal (issue 13, d): ours costs at most 1.5x
trafilatura alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def page_body(i: int) -> bytes:
    from tests.pagesite import article_page, paragraphs

    count = 8 + i % 7
    return article_page(
        f"Story {i}: ministers meet again",
        paragraphs(count, seed=i, words=90),
        published=f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+00:00",
        related=40,
        furniture=6,
    )


def serve(pages: int, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    from tests.feedserver import FeedServer, Static
    from tests.pagesite import HTML

    with FeedServer() as server:
        server.add("/robots.txt", Static(b"User-agent: *\nAllow: /\n", content_type="text/plain"))
        for i in range(pages):
            server.add(f"/p/{i}", Static(page_body(i), content_type=HTML, etag=False))
        ready.put(server.url("/"))
        stop.wait()


def prepare(db_path: Path, base: str, pages: int) -> tuple[object, list[int]]:
    """A migrated SQLite database with one --full-text feed and its articles, pages due."""
    from sqlalchemy import insert

    from tracker import db
    from tracker.clock import utcnow
    from tracker.db import session_scope
    from tracker.models import Article, Feed, table_of

    engine = db.make_engine(f"sqlite:///{db_path}")
    db.upgrade(engine)
    now = utcnow()
    with session_scope(engine) as session:
        feed = Feed(url=base + "feed.xml", interval_s=3600, fetch_articles=True)
        session.add(feed)
        session.flush()
        rows = [
            {
                "feed_id": feed.id,
                "identity": f"id-{i}",
                "story": f"story-{i}",
                "url": f"{base}p/{i}",
                "original_url": f"{base}p/{i}",
                "title": f"Story {i}",
                "summary": "A teaser.",
                "body": "",
                "categories": [],
                "published_at": now,
                "fetched_at": now,
                "content_hash": f"h{i}",
                "page_state": "pending",
                "page_next_try_at": now,
                "page_attempts": 0,
                "text_truncated": False,
                "published_estimated": False,
            }
            for i in range(pages)
        ]
        session.execute(insert(table_of(Article)), rows)
    with session_scope(engine) as session:
        from sqlmodel import col, select

        ids = list(session.exec(select(col(Article.id)).order_by(col(Article.id))))
    return engine, [i for i in ids if i is not None]


def run_ours(base: str, pages: int, workdir: Path, round_no: int) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, pages fetched) for every page, one thread."""
    from tracker import ingest
    from tracker.settings import Settings

    engine, ids = prepare(workdir / f"ours-{round_no}.db", base, pages)
    settings = Settings(data_dir=workdir, allow_private_feeds=True)
    policy = ingest.page_policy(settings)
    fetched = 0
    with ingest.make_page_fetcher(settings) as fetcher:
        cpu, wall = time.process_time(), time.perf_counter()
        for article_id in ids:
            outcome = ingest.fetch_article_page(engine, fetcher, article_id, policy)  # type: ignore[arg-type]
            fetched += outcome.state == "fetched"
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    engine.dispose()  # type: ignore[attr-defined]
    return cpu, wall, fetched


def run_trafilatura(bodies: list[bytes]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of trafilatura alone on the same pages, in memory."""
    import trafilatura

    from tracker.ingest._pages import EXTRACT_OPTIONS

    cpu, wall = time.process_time(), time.perf_counter()
    for i, body in enumerate(bodies):
        trafilatura.bare_extraction(body, url=f"http://127.0.0.1/p/{i}", **EXTRACT_OPTIONS)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    bodies = [page_body(i) for i in range(args.pages)]
    size = statistics.median(len(b) for b in bodies)
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(args.pages, ready, stop), daemon=True)
    server.start()
    base = ready.get(timeout=60)
    run_trafilatura(bodies[:20])  # warm: trafilatura imports parts of itself on first use
    ours_cpu, theirs_cpu, ours_wall, theirs_wall = [], [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(args.rounds):
                cpu, wall, fetched = run_ours(base, args.pages, Path(tmp), round_no)
                assert fetched == args.pages, f"only {fetched} of {args.pages} pages fetched"
                ours_cpu.append(cpu)
                ours_wall.append(wall)
                cpu, wall = run_trafilatura(bodies)
                theirs_cpu.append(cpu)
                theirs_wall.append(wall)
                print(
                    f"round {round_no + 1}: ours {cpu_rate(args.pages, ours_cpu[-1]):6.0f} "
                    f"pages/CPU-s, trafilatura alone {cpu_rate(args.pages, theirs_cpu[-1]):6.0f}",
                    flush=True,
                )
    finally:
        stop.set()
        server.join(5)
    ours, theirs = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    print(f"{args.pages} pages, median {size / 1024:.0f} KiB of HTML each, {args.rounds} rounds")
    print(
        f"ours (fetch + guard + robots + extract + store): {cpu_rate(args.pages, ours):6.0f} "
        f"pages per CPU second ({statistics.median(ours_wall):.1f} s wall)"
    )
    print(
        f"trafilatura alone on the same pages:             {cpu_rate(args.pages, theirs):6.0f} "
        f"pages per CPU second ({statistics.median(theirs_wall):.1f} s wall)"
    )
    ratio = ours / theirs
    print(
        f"cost ratio ours / trafilatura alone: {ratio:.2f}x (goal <= 1.5x): "
        + ("met" if ratio <= 1.5 else "NOT met")
    )


def cpu_rate(pages: int, seconds: float) -> float:
    return pages / seconds if seconds else float("inf")


if __name__ == "__main__":
    main()
