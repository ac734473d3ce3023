"""Web app latency under load: the scorecard, the forecast list, the review queue, a forecast's page
and the author, question and compare pages, on a realistic database.

    .venv/bin/python benchmarks/bench_web.py [--database-url URL] [--requests 400] [--concurrency 4]
                                             [--only LABEL]

Builds a database (SQLite in a temporary folder unless ``--database-url`` names e.g. an empty
PostgreSQL database) with 10,000 forecasts by 100 authors (one source each), 30 tags, outcomes
for most of those past their close date, their audit entries, and 500,000 evidence rows: 5,000 of
them on one open forecast, whose page is measured, and 300 proposals waiting for review.  15 % of
the forecasts are made on an earlier forecast's question (so ~1,300 questions have several
forecasters), and a market or crowd baseline with weekly points prices ~30 % of those shared
questions and every shared question of the busy author (:data:`BUSY_AUTHOR`, ~100 forecasts,
~25 rivals), whose page is measured.  Then it serves the app as a user does (`tracker serve` on
127.0.0.1, a free port, in a subprocess) and loads each page with an httpx async load generator
on loopback: ``--concurrency`` clients in a loop, ``--requests`` per page after a warm-up.  It
prints p50 / p95 latency and requests/s per page, and the ratio of each page's p50 to that of
``/api/health`` measured in the same run (the peer: the framework's floor).

Goal: p95 under 150 ms for every page on the 2-core dev machine (issue 15: the author page at
10,000 forecasts too)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, Table, insert, inspect, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import db  # noqa: E402
from tracker.models import SQLModel  # noqa: E402
from tracker.scoring import ScorecardFilter, compute_scorecard  # noqa: E402

TERMS = [
    ("almost certainly", 0.95),
    ("very likely", 0.85),
    ("likely", 0.7),
    ("probably", 0.7),
    ("roughly even chance", 0.5),
    ("could", 0.5),
    ("unlikely", 0.3),
    ("very unlikely", 0.1),
    ("almost no chance", 0.05),
    ("non-existent", 0.02),
]
TAGS = [f"topic-{k:02d}" for k in range(30)]
CHUNK = 20_000
NOW = datetime.now(UTC)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _insert(conn, table: Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])


#: share of forecasts made on an earlier forecast's question (several authors on one question)
SHARED = 0.15
#: the author whose page is measured: about 100 forecasts, rivals on shared questions, baselines
BUSY_AUTHOR = "Pundit 000"
#: share of shared questions priced by a baseline (every shared question of the busy author is)
PRICED = 0.3


def _question_row(k: int, defined_in: str, p: float, rng: random.Random) -> dict:
    """Question ``q-NNNNN``: its window and, past its close date, mostly an outcome drawn with
    probability ``p`` (4 % annulled)."""
    today = date.today()
    opens = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 900))
    closes = opens + timedelta(days=rng.randrange(30, 700))
    if k == 0:  # the hot question: open, a pending proposal and thousands of evidence rows
        opens, closes = date(2022, 1, 1), today + timedelta(days=365)
    status, outcome, resolved_at = "open", None, None
    if closes < today and rng.random() < 0.85:
        resolved_at = datetime.combine(closes, datetime.min.time(), UTC)
        if rng.random() < 0.04:
            status = "annulled"
        else:
            status, outcome = "resolved", ("yes" if rng.random() < p else "no")
            resolved_at += timedelta(days=rng.randrange(0, 20))
    elif closes < today:
        status = "closed"
    return {
        "id": f"q-{k:05d}",
        "text": f"Will event {k} happen?",
        "criteria": "bench",
        "opens": opens,
        "closes": closes,
        "status": status,
        "outcome": outcome,
        "resolved_at": resolved_at,
        "min_sources": 2,
        "defined_in": defined_in,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _forecast_row(i: int, question: dict, source: dict, rng: random.Random) -> dict:
    """Forecast ``bench-NNNNN`` on ``question``: its own term and statement day (the question's
    first day when it defines the question, else a day in its window up to today), and the copy
    of its question's columns that the importer keeps on every forecast."""
    term, p = rng.choice(TERMS)
    opens = question["opens"]
    if i != question["_first"]:
        last = min(question["closes"], date.today())
        opens += timedelta(days=rng.randrange(0, max(1, (last - opens).days)))
    copied = ("closes", "status", "outcome", "resolved_at", "criteria", "min_sources")
    return {
        "id": f"bench-{i:05d}",
        "source_id": source["id"],
        "question_id": question["id"],
        "question": question["text"],
        "quote": f"It is {term} that event {question['id']} happens.",
        "estimate": term,
        "probability": p,
        "probability_from_scale": True,
        "vague": term == "could",
        "opens": opens,
        **{c: question[c] for c in copied},
        "created_at": NOW,
        "updated_at": NOW,
    }


def _plan(forecasts: int, sources: list[dict], rng: random.Random) -> tuple[list[dict], list[dict]]:
    """(questions, forecasts): each forecast defines its own question, or with probability
    :data:`SHARED` is made on an earlier forecast's question by another author."""
    questions: list[dict] = []
    rows: list[dict] = []
    for i in range(forecasts):
        source = rng.choice(sources)
        if questions and rng.random() < SHARED:
            question = rng.choice(questions)
        else:
            _, p = rng.choice(TERMS)
            question = _question_row(len(questions), source["key"], p, rng)
            question["_first"] = i
            questions.append(question)
        rows.append(_forecast_row(i, question, source, rng))
    for question in questions:
        del question["_first"]
    return questions, rows


def _baselines(
    questions: list[dict], rows: list[dict], sources: list[dict], rng: random.Random
) -> tuple[list[dict], list[dict]]:
    """(baselines, their points): a market (Manifold) or a crowd (Metaculus) on some shared
    questions and on every shared question of :data:`BUSY_AUTHOR`, a weekly price each from the
    question's first day to its close (or today), drifting towards the outcome."""
    busy = next(s["id"] for s in sources if s["author"] == BUSY_AUTHOR)
    by_question: dict[str, list[dict]] = {}
    for row in rows:
        by_question.setdefault(row["question_id"], []).append(row)
    baselines, points = [], []
    for question in questions:
        on_it = by_question.get(question["id"], [])
        busy_on_it = any(r["source_id"] == busy for r in on_it)
        if len(on_it) < 2 or not (busy_on_it or rng.random() < PRICED):
            continue
        name, kind = ("Manifold", "market") if len(baselines) % 3 else ("Metaculus", "crowd")
        baseline_id = len(baselines) + 1
        baselines.append(
            {"id": baseline_id, "name": name, "kind": kind, "question_id": question["id"],
             "created_at": NOW}
        )  # fmt: skip
        target = {"yes": 0.9, "no": 0.1}.get(question["outcome"] or "", 0.5)
        price, day = 0.5, question["opens"]
        while day <= min(question["closes"], date.today()):
            points.append(
                {"baseline_id": baseline_id, "day": day, "probability": round(price, 3),
                 "recorded_at": NOW}
            )  # fmt: skip
            price = min(0.99, max(0.01, price + 0.1 * (target - price) + rng.gauss(0, 0.03)))
            day += timedelta(days=7)
    return baselines, points


def _audit(questions: list[dict], rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(resolutions, audit entries): one creation entry per forecast; a resolution and its
    entry per settled question."""
    audit = [
        {"at": NOW, "actor": "bench", "action": "create", "entity": "forecast",
         "entity_id": row["id"], "to_status": "open"}
        for row in rows
    ]  # fmt: skip
    resolutions = []
    for q in questions:
        if q["status"] not in ("resolved", "annulled"):
            continue
        resolutions.append(
            {"question_id": q["id"], "outcome": q["outcome"] or "annulled",
             "resolved_at": q["resolved_at"], "resolved_by": "bench", "active": True}
        )  # fmt: skip
        audit.append(
            {"at": NOW, "actor": "bench", "action": "resolve", "entity": "question",
             "entity_id": q["id"], "from_status": "open", "to_status": q["status"]}
        )  # fmt: skip
    return resolutions, audit


def build(
    engine: Engine, forecasts: int, authors: int, evidence: int, seed: int = 7
) -> dict[str, int]:
    """Fills an empty, migrated database; returns what it inserted."""
    rng = random.Random(seed)
    sources = [
        {
            "id": a + 1,
            "key": f"pundit-{a:03d}",
            "title": f"Op-eds of pundit {a}",
            "author": f"Pundit {a:03d}",
            "publisher": "Bench Times",
            "url": f"https://bench.example.org/{a}",
            "published": date(2022, 1, 1),
            "created_at": NOW,
        }
        for a in range(authors)
    ]
    questions, rows = _plan(forecasts, sources, rng)
    tags = [
        {"forecast_id": row["id"], "tag": t}
        for row in rows
        for t in rng.sample(TAGS, rng.randrange(1, 4))
    ]
    updates = [
        {"forecast_id": row["id"], "as_of": row["opens"], "probability": row["probability"],
         "estimate": row["estimate"], "recorded_at": NOW, "kind": "initial"}
        for row in rows
    ]  # fmt: skip
    resolutions, audit = _audit(questions, rows)
    baselines, points = _baselines(questions, rows, sources, rng)
    with engine.begin() as conn:
        _insert(conn, _table("source"), sources)
        _insert(conn, _table("question"), questions)
        _insert(conn, _table("forecast"), rows)
        _insert(conn, _table("forecast_tag"), tags)
        _insert(conn, _table("probability_update"), updates)
        _insert(conn, _table("resolution"), resolutions)
        _insert(conn, _table("audit_log"), audit)
        _insert(conn, _table("baseline"), baselines)
        _insert(conn, _table("baseline_point"), points)
    counts = {
        "sources": len(sources),
        "questions": len(questions),
        "forecasts": len(rows),
        "shared_questions": sum(
            1 for n in Counter(r["question_id"] for r in rows).values() if n > 1
        ),
        "tags": len(tags),
        "resolutions": len(resolutions),
        "baselines": len(baselines),
        "baseline_points": len(points),
    }
    counts["evidence"] = build_evidence(engine, [q["id"] for q in questions], evidence, rng)
    # planner statistics, as autovacuum (PostgreSQL) would gather after a bulk load: without them
    # PostgreSQL plans for empty tables and one scorecard query took 5 s instead of 50 ms
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return counts


#: the forecast with many evidence rows (its page is measured), and how many it gets
HOT_FORECAST, HOT_QUESTION, HOT_EVIDENCE = "bench-00000", "q-00000", 5_000
ARTICLES = 50_000
PENDING = 300  # proposals waiting for review


def build_evidence(engine: Engine, question_ids: list[str], count: int, rng: random.Random) -> int:
    """``count`` evidence rows over :data:`ARTICLES` articles and :data:`PENDING` pending proposals,
    if the schema has the ``evidence`` table.  The evidence is made by one ``INSERT ... SELECT``
    over a generated series (a recursive CTE on SQLite, ``generate_series`` on PostgreSQL): row
    ``n`` gets a question and an article by arithmetic that keeps (question, article, side)
    unique; the first :data:`HOT_EVIDENCE` rows all go to :data:`HOT_QUESTION` (the question of
    :data:`HOT_FORECAST`)."""
    if not inspect(engine).has_table("evidence"):
        print(
            "note: this schema has no `evidence` table yet (the resolution stage adds it): "
            "the database is built without evidence rows"
        )
        return 0
    articles = [
        {
            "id": a + 1,
            "identity": f"{a:064x}",
            "url": f"https://news{a % 7}.example.org/{a}",
            "title": f"Story {a}",
            "summary": "",
            "published_at": NOW - timedelta(minutes=37 * a),
            "published_estimated": False,
            "fetched_at": NOW,
            "content_hash": f"{a:064x}",
            "matched_at": NOW,
        }
        for a in range(ARTICLES)
    ]
    others = len(question_ids) - 1
    dialect = engine.dialect.name
    series = (
        "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :count - 1) "
        if dialect == "sqlite"
        else "WITH seq AS (SELECT generate_series(0, :count - 1) AS n) "
    )
    phrases = '\'["agreement", "signed"]\'' + ("::json" if dialect == "postgresql" else "")
    # row n: the hot question's article n (n < HOT), else question 1 + m % others and article
    # (k * 997 + r) % ARTICLES with m = n - HOT, r = m % others, k = m / others: distinct per
    # question
    statement = f"""{series}
        INSERT INTO evidence (question_id, article_id, side, matched_phrases, sentence, negated,
                              publisher, published_at, created_at)
        SELECT q.id, a.id, CASE WHEN s.n % 3 = 0 THEN 'no' ELSE 'yes' END, {phrases},
               'Officials said the agreement was signed on day ' || s.n || '.', s.n % 7 = 0,
               'publisher' || (s.n % 5) || '.example', a.published_at, a.published_at
        FROM (SELECT n,
                     CASE WHEN n < :hot THEN 0 ELSE 1 + (n - :hot) % :others END AS q_index,
                     CASE WHEN n < :hot THEN n + 1
                          ELSE 1 + (((n - :hot) / :others) * 997 + (n - :hot) % :others)
                                   % :articles
                     END AS a_id
              FROM seq) AS s
        JOIN question AS q ON q.id = 'q-' || substr('0000' || s.q_index, -5)
        JOIN article AS a ON a.id = s.a_id"""
    if dialect == "postgresql":
        statement = statement.replace(
            "substr('0000' || s.q_index, -5)", "lpad(s.q_index::text, 5, '0')"
        )
    with engine.begin() as conn:
        _insert(conn, _table("article"), articles)
        start = time.perf_counter()
        conn.execute(
            text(statement),
            {"count": count, "hot": HOT_EVIDENCE, "others": others, "articles": ARTICLES},
        )
        print(f"evidence: {count:,} rows in {time.perf_counter() - start:.1f} s")
        _insert(conn, _table("proposal"), _proposals(conn, rng))
    return count


def _proposals(conn, rng: random.Random) -> list[dict]:
    """:data:`PENDING` pending proposals on unresolved forecasts (the hot one first), oldest
    first."""
    unresolved = [
        row[0]
        for row in conn.execute(
            text("SELECT id FROM question WHERE status IN ('open', 'closed') ORDER BY id")
        )
    ]
    chosen = ([HOT_QUESTION] if HOT_QUESTION in unresolved else []) + rng.sample(
        [q for q in unresolved if q != HOT_QUESTION], min(PENDING, len(unresolved)) - 1
    )
    kinds = [
        ("evidence", "yes"),
        ("evidence", "no"),
        ("disputed", None),
        ("default_at_close", "no"),
        ("not_yet_resolvable", None),
    ]
    rows = []
    for n, question_id in enumerate(chosen):
        kind, outcome = kinds[n % len(kinds)]
        rows.append(
            {
                "question_id": question_id,
                "kind": kind,
                "outcome": outcome,
                "evidence_count": 3,
                "publishers": ["publisher1.example", "publisher2.example"],
                "reason": "bench",
                "created_at": NOW - timedelta(minutes=PENDING - n),
                "status": "pending",
                "auto_confirmed": False,
            }
        )
    return rows


# --- serving and loading ---------------------------------------------------------------------


def serve(database_url: str, data_dir: Path, workers: int) -> tuple[subprocess.Popen, str, Path]:
    """`tracker serve --workers N` on 127.0.0.1, a port the OS picks; returns the process, its URL,
    its log."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_DATA_DIR": str(data_dir),
    }
    log = data_dir / "serve.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(
            r"Uvicorn running on (http://127\.0\.0\.1:\d+)", log.read_text(errors="replace")
        )
        if found:
            _wait_until_up(found.group(1))
            return process, found.group(1), log
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the web app did not start:\n{log.read_text(errors='replace')[-2000:]}")


def _wait_until_up(base: str) -> None:
    """The parent process logs its address before its worker processes accept connections."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


async def load(base: str, path: str, requests: int, concurrency: int) -> dict[str, float]:
    """``requests`` GETs of ``path`` by ``concurrency`` clients in a loop; latencies in ms."""
    latencies: list[float] = []
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=httpx.Timeout(60.0)
    ) as client:

        async def one_client() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                response = await client.get(path)
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise SystemExit(
                        f"GET {path}: HTTP {response.status_code}: {response.text[:300]}"
                    )

        for _ in range(min(10, requests)):  # warm-up: connections, caches
            await client.get(path)
        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "rps": len(latencies) / elapsed,
        "n": len(latencies),
    }


def pages(targets: dict[str, str]) -> list[tuple[str, str]]:
    """What is measured, in order: the peer first."""
    busy, rival = quote(targets["author"], safe=""), quote(targets["rival"], safe="")
    return [
        ("health (peer)", "/api/health"),
        ("scorecard", "/scorecard"),
        (
            "scorecard, filtered",
            "/scorecard?tag=topic-07&resolved_from=2023-01-01&sort_author=-brier",
        ),
        ("forecasts list", "/forecasts"),
        ("forecasts, search+filter", "/forecasts?q=event+12&status=resolved&sort=-probability"),
        ("forecasts, page 100", "/forecasts?page=100"),
        ("scorecard JSON", "/api/scorecard"),
        ("review queue", "/review"),
        ("review queue, page 10", "/review?page=10"),
        ("review queue JSON", "/api/review"),
        (f"forecast, {HOT_EVIDENCE:,} evidence", f"/forecasts/{HOT_FORECAST}"),
        ("forecast, evidence page 80", f"/forecasts/{HOT_FORECAST}?evidence_page=80"),
        ("forecast JSON", f"/api/forecasts/{HOT_FORECAST}"),
        ("authors list", "/authors"),
        ("author page (busy)", f"/authors/{busy}"),
        ("author JSON (busy)", f"/api/authors/{busy}"),
        ("question, shared", f"/questions/{targets['question']}"),
        ("compare JSON, 1000 res.", f"/api/compare?a={busy}&b={rival}"),
    ]


def targets(engine: Engine) -> dict[str, str]:
    """The busy author, their most shared resolved question that a baseline priced, the rival
    with whom they share most resolved questions, and how many rivals and baselines they have."""
    busy = {"busy": BUSY_AUTHOR}
    mine = """SELECT f.question_id FROM forecast f JOIN source s ON s.id = f.source_id
              WHERE s.author = :busy AND f.status = 'resolved'"""
    with engine.connect() as conn:
        question = conn.execute(
            text(f"""SELECT question_id FROM forecast
                     WHERE question_id IN ({mine})
                       AND question_id IN (SELECT question_id FROM baseline)
                     GROUP BY question_id ORDER BY count(*) DESC, question_id LIMIT 1"""),
            busy,
        ).scalar_one()
        rivals = conn.execute(
            text(f"""SELECT s.author, count(*) FROM forecast f JOIN source s ON s.id = f.source_id
                     WHERE f.question_id IN ({mine}) AND s.author <> :busy
                     GROUP BY s.author ORDER BY count(*) DESC, s.author"""),
            busy,
        ).all()
        baselines = conn.execute(
            text(f"SELECT count(*) FROM baseline WHERE question_id IN ({mine})"), busy
        ).scalar_one()
    print(
        f"{BUSY_AUTHOR}: {len(rivals)} rivals on shared resolved questions (most shared with "
        f"{rivals[0][0]}: {rivals[0][1]}), {baselines} baselines on their resolved questions; "
        f"measured question {question}"
    )
    return {"author": BUSY_AUTHOR, "rival": rivals[0][0], "question": question}


def cold_costs(engine: Engine) -> None:
    """What the cache saves: computing the card from scratch, at the page's and the reports'
    resamples."""
    from sqlmodel import Session

    from tracker.web.scorecards import PAGE_RESAMPLES, REPORT_RESAMPLES

    for resamples in (PAGE_RESAMPLES, REPORT_RESAMPLES):
        with Session(engine) as session:
            start = time.perf_counter()
            card = compute_scorecard(
                session, ScorecardFilter(as_of=date.today(), resamples=resamples)
            )
            took = time.perf_counter() - start
        print(
            f"scorecard computed from scratch, {resamples:>4} resamples: {took * 1000:7.0f} ms "
            f"({card.summary.count:,} forecasts scored)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help="an empty database to fill (default: SQLite in a temporary folder)"
    )
    parser.add_argument("--forecasts", type=int, default=10_000)
    parser.add_argument("--authors", type=int, default=100)
    parser.add_argument("--evidence", type=int, default=500_000)
    parser.add_argument(
        "--requests", type=int, default=400, help="requests per page (after a warm-up of 10)"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="clients at once")
    parser.add_argument(
        "--only", help="measure only the pages whose label contains this text (and the peer)"
    )
    parser.add_argument(
        "--server-workers",
        type=int,
        default=2,
        help="`tracker serve --workers`: server processes (default 2, one per core here)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        engine = db.make_engine(url)
        db.upgrade(engine)
        start = time.perf_counter()
        counts = build(engine, args.forecasts, args.authors, args.evidence)
        print(
            f"database ({engine.url.get_backend_name()}): {json.dumps(counts)} in "
            f"{time.perf_counter() - start:.1f} s"
        )
        cold_costs(engine)
        chosen = targets(engine)
        engine.dispose()
        process, base, _log = serve(url, Path(tmp), args.server_workers)
        try:
            print(
                f"serving at {base} ({args.server_workers} server process(es)); {args.concurrency} "
                f"concurrent clients, {args.requests} requests per page"
            )
            print(f"{'page':<26} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'p50/peer':>9}")
            peer = None
            for label, path in pages(chosen):
                if args.only and peer is not None and args.only not in label:
                    continue
                result = asyncio.run(load(base, path, args.requests, args.concurrency))
                peer = peer or result["p50"]
                goal = (
                    ""
                    if label.startswith("health")
                    else ("  ok" if result["p95"] < 150 else "  OVER 150 ms")
                )
                print(
                    f"{label:<26} {result['p50']:8.1f} {result['p95']:8.1f} {result['rps']:8.0f} "
                    f"{result['p50'] / peer:8.1f}x{goal}"
                )
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
