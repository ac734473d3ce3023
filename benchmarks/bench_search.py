"""Full-text search on a large synthetic database (issue 18): index build time and query times.

    .venv/bin/python -m benchmarks.bench_search --database-url sqlite:////tmp/s200k.db \
        --build 200000
    .venv/bin/python -m benchmarks.bench_search \
        --database-url postgresql+psycopg://postgres@127.0.0.1/s200k --build 200000
    .venv/bin/python -m benchmarks.bench_search --database-url ... --repeat 30  # queries only

``--build N`` migrates an empty database, writes N articles with bodies (``large_profile``: median
about 4,000 characters, topic words at known document frequencies: ``nato`` in one article in
ten, ``kaliningrad`` in one in five thousand), then times :func:`tracker.search.rebuild_index`.
Each query is then read as a user reads it (``service.search_articles``, 20 hits, the first
page and the page after it), ``--repeat`` times after one warm-up; p50 and p95 are printed, and
the ``LIKE`` scan the index replaces once beside them, as the peer.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from sqlalchemy import Engine, or_, select
from sqlmodel import col

from tracker import db, service
from tracker.models import Article
from tracker.search import ArticleQuery

QUERIES: list[tuple[str, ArticleQuery]] = [
    ("common word", ArticleQuery("nato")),
    ("two common words", ArticleQuery("nato sanctions")),
    ("rare word", ArticleQuery("kaliningrad")),
    ("common phrase", ArticleQuery('"nato summit"')),
    ("prefix", ArticleQuery("sanct*")),
    ("exclusion", ArticleQuery("treaty -nato")),
    ("OR", ArticleQuery("ceasefire OR referendum")),
    ("word + feed", ArticleQuery("nato", feed_id=7)),
    ("word + dates", ArticleQuery("sanctions", since=date(2025, 6, 1), until=date(2025, 6, 30))),
    ("no text (newest)", ArticleQuery()),
]


def build(engine: Engine, articles: int) -> None:
    from benchmarks.large_profile import Profile, load_articles

    db.upgrade(engine)
    profile = Profile.large(articles / 1_000_000)
    load_articles(engine, profile, seed=18)
    start = time.perf_counter()
    counts = service.reindex_search(engine)
    took = time.perf_counter() - start
    print(
        f"rebuild_index: {counts['articles']:,} articles in {took:.1f} s "
        f"({counts['articles'] / took:,.0f} articles/s)"
    )


def _read(engine: Engine, query: ArticleQuery) -> tuple[float, float, int]:
    with db.session_scope(engine, write=False) as session:
        start = time.perf_counter()
        first = service.search_articles(session, query, per_page=20)
        middle = time.perf_counter()
        if first.next_cursor:
            service.search_articles(session, query, cursor=first.next_cursor, per_page=20)
        end = time.perf_counter()
    return (middle - start) * 1000, (end - middle) * 1000, len(first.items)


def _like(engine: Engine, word: str) -> float:
    """The scan the index replaces (title, summary or body contains the word), 21 newest."""
    pattern = f"%{word}%"
    statement = (
        select(col(Article.id))
        .where(
            or_(
                col(Article.title).ilike(pattern),
                col(Article.summary).ilike(pattern),
                col(Article.body).ilike(pattern),
            )
        )
        .order_by(col(Article.published_at).desc(), col(Article.id).desc())
        .limit(21)
    )
    with db.session_scope(engine, write=False) as session:
        start = time.perf_counter()
        session.execute(statement).all()
        return (time.perf_counter() - start) * 1000


def run(engine: Engine, repeat: int) -> None:
    print(f"{'query':<20} {'p50 ms':>8} {'p95 ms':>8} {'page 2 p95':>11} {'hits':>5}")
    for name, query in QUERIES:
        _read(engine, query)  # warm
        firsts, seconds, hits = [], [], 0
        for _ in range(repeat):
            a, b, hits = _read(engine, query)
            firsts.append(a)
            seconds.append(b)
        q = statistics.quantiles(firsts, n=20)
        q2 = statistics.quantiles(seconds, n=20)
        print(f"{name:<20} {statistics.median(firsts):8.1f} {q[18]:8.1f} {q2[18]:11.1f} {hits:5}")
    for word in ("nato", "kaliningrad"):
        print(f"LIKE peer '{word}': {_like(engine, word):.0f} ms (one run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--build", type=int, default=0, help="articles to write first")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    engine = db.make_engine(args.database_url)
    if args.build:
        build(engine, args.build)
    run(engine, args.repeat)


if __name__ == "__main__":
    main()
