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
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, MetaData, Table, insert, inspect, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import large_profile  # noqa: E402
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


def _insert(conn, name: str, rows: list[dict]) -> None:
    """``rows`` into table ``name`` as the database has it: the model's columns (with their
    defaults) that it has.  The large profile loads at :data:`LOAD_REVISION`, before columns
    that later migrations add (``baseline.points_version``): the model's own table would insert
    their defaults too."""
    present = {column["name"] for column in inspect(conn).get_columns(name)}
    model = SQLModel.metadata.tables[name]
    table = Table(name, MetaData(), *(c._copy() for c in model.columns if c.name in present))
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])


#: share of forecasts made on an earlier forecast's question (several authors on one question)
SHARED = 0.15
#: the author whose page is measured: about 100 forecasts, rivals on shared questions, baselines
BUSY_AUTHOR = "Pundit 000"
#: share of shared questions priced by a baseline (every shared question of the busy author is)
PRICED = 0.3


def _event_text(k: int, _rng: random.Random) -> str:
    return f"Will event {k} happen?"


#: a question's text (the large profile writes questions about its topics)
QUESTION_TEXT = _event_text


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
        "text": QUESTION_TEXT(k, rng),
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
        _insert(conn, "source", sources)
        _insert(conn, "question", questions)
        _insert(conn, "forecast", rows)
        _insert(conn, "forecast_tag", tags)
        _insert(conn, "probability_update", updates)
        _insert(conn, "resolution", resolutions)
        _insert(conn, "audit_log", audit)
        _insert(conn, "baseline", baselines)
        _insert(conn, "baseline_point", points)
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
    settle(engine)
    return counts


#: the forecast with many evidence rows (its page is measured), and how many it gets
HOT_FORECAST, HOT_QUESTION, HOT_EVIDENCE = "bench-00000", "q-00000", 5_000
ARTICLES = 50_000
PENDING = 300  # proposals waiting for review
#: articles already loaded (ids 1 .. ARTICLES) by the large profile: evidence only points at them
ARTICLES_LOADED = False


def use_large(profile: large_profile.Profile) -> None:
    """The large profile's sizes for what the default profile keeps in constants."""
    global HOT_EVIDENCE, ARTICLES, PENDING, ARTICLES_LOADED, QUESTION_TEXT
    HOT_EVIDENCE, ARTICLES, PENDING = profile.hot_evidence, profile.articles, profile.pending
    ARTICLES_LOADED, QUESTION_TEXT = True, large_profile.question_text


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
    articles = (
        []
        if ARTICLES_LOADED
        else [
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
    )
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
               COALESCE(a.publisher, 'publisher' || (s.n % 5) || '.example'), a.published_at,
               a.published_at
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
        _insert(conn, "article", articles)
    start = time.perf_counter()
    dropped = large_profile.without_indexes(engine, "evidence") if ARTICLES_LOADED else None
    with dropped or nullcontext(), engine.begin() as conn:
        conn.execute(
            text(statement),
            {"count": count, "hot": HOT_EVIDENCE, "others": others, "articles": ARTICLES},
        )
    print(f"evidence: {count:,} rows in {time.perf_counter() - start:.1f} s")
    with engine.begin() as conn:
        _insert(conn, "proposal", _proposals(conn, rng))
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


#: an analyst's bearer token (the large profile makes one): sent to the pages only analysts read
AUTH: dict[str, str] = {}
SIGNED_IN = ("/audit", "/api/audit")


def sign_in(url: str) -> None:
    """An analyst account and an API token for the pages behind sign-in (the audit log)."""
    from sqlmodel import Session

    from tracker import service

    engine = db.make_engine(url)
    name = f"bench-{os.getpid()}"
    with Session(engine) as session:
        service.add_user(session, name, "bench-password-long-enough-1", actor="bench")
        _row, secret = service.create_token(session, name, actor="bench")
        session.commit()
    engine.dispose()
    AUTH["Authorization"] = f"Bearer {secret}"


class MissingPageError(Exception):
    """The page is not served (404/405 on its first request): not built yet."""


async def load(base: str, path: str | list[str], requests: int, concurrency: int) -> dict:
    """``requests`` GETs by ``concurrency`` clients in a loop, rotating over ``path`` when it is
    a list (several queries per search, so one cached plan or result is not all that is
    measured); latencies in ms."""
    paths = [path] if isinstance(path, str) else path
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = AUTH if any(p.startswith(SIGNED_IN) for p in paths) else {}
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=httpx.Timeout(120.0), headers=headers
    ) as client:

        async def one_client() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                path = paths[remaining % len(paths)]
                start = time.perf_counter()
                response = await client.get(path)
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:  # counted and shown: a page that fails misses
                    failures[f"HTTP {response.status_code} on {path}"] += 1

        for n in range(max(min(10, requests), len(paths))):  # warm-up: connections, caches
            response = await client.get(paths[n % len(paths)])
            if response.status_code in (404, 405, 422) and n == 0:
                raise MissingPageError(f"{paths[0]}: HTTP {response.status_code}")
        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "rps": len(latencies) / elapsed,
        "n": len(latencies),
        "failures": failures,
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


# --- the large profile: searches, cursors, the LIKE peer, the cached database -----------------

#: (label, queries rotated, LIKE patterns of the peer) per article search
SEARCHES = [
    ("common word", ["nato", "sanctions", "ukraine"], ["nato", "sanctions", "ukraine"]),
    ("rare word", ["moratorium", "annexation", "kaliningrad"],
     ["moratorium", "annexation", "kaliningrad"]),
    ("phrase", ['"INF treaty"', '"NATO enlargement"', '"test moratorium"'],
     ["INF treaty", "NATO enlargement", "test moratorium"]),
    ("prefix", ["sanction*", "missil*", "enlarg*"], ["sanction", "missil", "enlarg"]),
]  # fmt: skip
#: the date range of the filtered search
SINCE, UNTIL = (NOW - timedelta(days=400)).date(), (NOW - timedelta(days=200)).date()


def big_feeds(engine: Engine) -> list[int]:
    """The three feeds with most articles (the filtered search's feeds)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT feed_id FROM article GROUP BY feed_id ORDER BY count(*) DESC LIMIT 3")
            ).scalars()
        )


def article_ids(engine: Engine, count: int = 20) -> list[int]:
    """Articles spread over the table (the article page rotates over them)."""
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM article")).scalar_one()
    return [1 + k * (top // count) for k in range(count)]


def follow(base: str, api_path: str, hops: int) -> str | None:
    """The cursor of page ``hops + 1`` of an API list, following ``next_cursor``."""
    cursor = None
    with httpx.Client(base_url=base, timeout=120, headers=AUTH) as client:
        for _ in range(hops):
            joiner = "&" if "?" in api_path else "?"
            path = api_path + (f"{joiner}cursor={quote(cursor, safe='')}" if cursor else "")
            response = client.get(path)
            if response.status_code != 200:
                return None
            cursor = response.json().get("next_cursor")
            if not cursor:
                return None
    return cursor


def with_cursor(path: str, cursor: str | None, name: str = "cursor") -> str | None:
    if cursor is None:
        return None
    return f"{path}{'&' if '?' in path else '?'}{name}={quote(cursor, safe='')}"


def large_pages(base: str, engine: Engine, chosen: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Every page and API call of issue 18's list, with several queries per search."""
    feeds = big_feeds(engine)
    ids = article_ids(engine)
    q = quote
    found: list[tuple[str, list[str] | str | None]] = [
        ("health (peer)", "/api/health"),
        ("scorecard", "/scorecard"),
        ("scorecard JSON", "/api/scorecard"),
        ("forecasts list", "/forecasts"),
        ("forecasts JSON", "/api/forecasts"),
        ("forecasts, cursor 50", with_cursor("/forecasts", follow(base, "/api/forecasts", 50))),
        ("forecasts JSON, cursor 50",
         with_cursor("/api/forecasts", follow(base, "/api/forecasts", 50))),
        ("forecasts, search+filter",
         [f"/forecasts?q={w}&status=resolved&sort=-probability"
          for w in ("nato", "sanctions", "treaty")]),
        ("forecasts search JSON",
         [f"/api/forecasts?q={w}" for w in ("nato", "missile", "ukraine")]),
        ("forecast search (ranked) JSON",
         [f"/api/search/forecasts?q={w}&status=open" for w in ("nato", "missile", "ukraine")]),
        ("articles (no q)", "/articles"),
        ("articles JSON (no q)", "/api/articles"),
    ]  # fmt: skip
    for label, queries, _ in SEARCHES:
        found.append((f"articles, {label}", [f"/articles?q={q(w)}" for w in queries]))
        found.append((f"articles JSON, {label}", [f"/api/articles?q={q(w)}" for w in queries]))
    dated = [
        f"q=treaty&since={SINCE}&until={UNTIL}&feed={f}" for f in feeds
    ]  # the peer: feed and dates
    found += [
        ("articles, dates+feed", [f"/articles?{d}" for d in dated]),
        ("articles JSON, dates+feed", [f"/api/articles?{d}" for d in dated]),
        ("articles, search cursor 10",
         with_cursor("/articles?q=nato", follow(base, "/api/articles?q=nato", 10))),
        ("articles JSON, search cursor 10",
         with_cursor("/api/articles?q=nato", follow(base, "/api/articles?q=nato", 10))),
        ("article page", [f"/articles/{i}" for i in ids]),
        ("article JSON", [f"/api/articles/{i}" for i in ids]),
        (f"forecast, {HOT_EVIDENCE:,} evidence", f"/forecasts/{HOT_FORECAST}"),
        ("forecast JSON", f"/api/forecasts/{HOT_FORECAST}"),
        ("forecast, evidence cursor 80",
         with_cursor(f"/forecasts/{HOT_FORECAST}",
                     follow(base, f"/api/forecasts/{HOT_FORECAST}/evidence", 80),
                     "evidence_cursor")),
        ("evidence JSON, cursor 80",
         with_cursor(f"/api/forecasts/{HOT_FORECAST}/evidence",
                     follow(base, f"/api/forecasts/{HOT_FORECAST}/evidence", 80))),
        ("review queue", "/review"),
        ("review queue JSON", "/api/review"),
        ("review queue, cursor 10", with_cursor("/review", follow(base, "/api/review", 10))),
        ("review JSON, cursor 10", with_cursor("/api/review", follow(base, "/api/review", 10))),
        ("audit log", "/audit"),
        ("audit JSON", "/api/audit"),
        ("audit log, cursor 50", with_cursor("/audit", follow(base, "/api/audit", 50))),
        ("audit JSON, cursor 50", with_cursor("/api/audit", follow(base, "/api/audit", 50))),
        ("feeds", "/feeds"),
        ("feeds JSON", "/api/feeds"),
        ("feeds, cursor 10", with_cursor("/feeds", follow(base, "/api/feeds", 10))),
        ("author page (busy)", f"/authors/{q(chosen['author'], safe='')}"),
        ("question, shared", f"/questions/{chosen['question']}"),
    ]  # fmt: skip
    pages: list[tuple[str, list[str]]] = []
    for label, paths in found:
        if paths is None:
            print(f"{label:<34} (no cursor: the API list has no next_cursor here yet)")
            continue
        pages.append((label, [paths] if isinstance(paths, str) else paths))
    return pages


def like_peer(engine: Engine, patterns: list[str], feed: int | None = None) -> float:
    """The scan a search replaces, in-process: ``title/summary/body ILIKE %word%``, newest 20;
    one run per pattern (they take seconds), median in ms."""
    dialect = engine.dialect.name
    like = "ILIKE" if dialect == "postgresql" else "LIKE"  # SQLite's LIKE ignores ASCII case
    where = " OR ".join(f"{c} {like} :p" for c in ("title", "summary", "body"))
    filters = ""
    if feed is not None:
        filters = " AND feed_id = :feed AND published_at >= :since AND published_at < :until"
    sql = text(
        f"SELECT id FROM article WHERE ({where}){filters} "
        "ORDER BY published_at DESC, id DESC LIMIT 20"
    )
    took = []
    since = datetime.combine(SINCE, datetime.min.time())
    until = datetime.combine(UNTIL, datetime.min.time())
    if dialect == "postgresql":
        since, until = since.replace(tzinfo=UTC), until.replace(tzinfo=UTC)
    with engine.connect() as conn:
        for pattern in patterns:
            start = time.perf_counter()
            conn.execute(
                sql, {"p": f"%{pattern}%", "feed": feed, "since": since, "until": until}
            ).all()
            took.append((time.perf_counter() - start) * 1000)
    return statistics.median(took)


CACHE = Path.home() / ".cache" / "tracker-bench"
#: the schema the bulk load writes (before the full-text index): the upgrade from it to head
#: then indexes the loaded articles as a deployment's upgrade would (migration 0016)
LOAD_REVISION = "0015"
#: bump when the generated data changes: older caches are then rebuilt
DATA_VERSION = 1


def schema_head(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def pg_fresh(server_url: str, name: str, drop: bool) -> str:
    """The URL of database ``name`` on ``server_url``'s server, dropped and made again when
    ``drop``."""
    server = db.make_engine(server_url)
    url = server.url.set(database=name).render_as_string(hide_password=False)
    if drop:
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return url


def index_search(engine: Engine) -> float | None:
    """Builds the full-text index in bulk (the search core's ``rebuild_index``); seconds, or None
    when this checkout has no search core yet."""
    try:
        from tracker.search import rebuild_index  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        print("note: no tracker.search yet: the full-text index is not built")
        return None
    start = time.perf_counter()
    rebuild_index(engine)
    took = time.perf_counter() - start
    print(f"  full-text index rebuilt in {took:.1f} s")
    return took


def settle(engine: Engine) -> None:
    """What autovacuum does in time to a database in use, done now, after a bulk load:
    planner statistics (without them PostgreSQL plans the freshly filled tables as empty), and
    on PostgreSQL the visibility map too (``VACUUM``): without it no index-only scan, and
    counting a busy question's 20,000 evidence rows read the table (16 ms, not 3)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("VACUUM (ANALYZE)")


def analyze(engine: Engine) -> None:
    """:func:`settle` after the upgrade filled the search index."""
    start = time.perf_counter()
    settle(engine)
    print(
        f"  ANALYZE{'' if engine.dialect.name == 'sqlite' else ' and VACUUM'}: "
        f"{time.perf_counter() - start:.1f} s"
    )


def large_database(args: argparse.Namespace) -> tuple[str, dict]:
    """The large profile's database: the cached one when its record matches (upgraded to this
    checkout's schema head if it is older), else built; returns its URL and record."""
    profile = large_profile.Profile.large(args.scale)
    use_large(profile)
    key = f"large-s{args.scale:g}-v{DATA_VERSION}"
    CACHE.mkdir(parents=True, exist_ok=True)
    if args.pg_fresh:
        record_path = CACHE / f"pg-{args.pg_fresh}.json"
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        reuse = record.get("key") == key and not args.rebuild
        server = args.database_url or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        url = pg_fresh(server, args.pg_fresh, drop=not reuse)
    else:
        path = CACHE / f"sqlite-{key}.db"
        record_path = path.with_suffix(".json")
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        reuse = record.get("key") == key and path.exists() and not args.rebuild
        if not reuse:  # only this key's own files: another run may be using other caches
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    if reuse:
        print(f"cached database {url} ({json.dumps(record['counts'])})")
    else:
        record = {"key": key, "steps": {}}
        db.upgrade(engine, LOAD_REVISION)
        print(f"building the large profile at scale {args.scale:g}: {profile}")
        steps = record["steps"]
        start = time.perf_counter()
        steps.update(large_profile.load_articles(engine, profile, seed=7))
        began = time.perf_counter()
        record["counts"] = build(engine, profile.forecasts, profile.authors, profile.evidence)
        steps["forecasts, evidence, ANALYZE"] = round(time.perf_counter() - began, 1)
        steps["total data"] = round(time.perf_counter() - start, 1)
        record["counts"]["articles"] = profile.articles
        record["head"] = schema_head(engine)
        record_path.write_text(json.dumps(record, indent=1))
    if not args.build_only or args.upgrade:
        head = schema_head(engine)
        start = time.perf_counter()
        db.upgrade(engine)  # from LOAD_REVISION: 0016 indexes the stored articles (rebuild_index)
        if schema_head(engine) != head:
            record["steps"][f"upgrade {head} -> {schema_head(engine)}"] = round(
                time.perf_counter() - start, 1
            )
            print(f"  upgrade {head} -> {schema_head(engine)}: {time.perf_counter() - start:.1f} s")
            analyze(engine)
    if args.reindex:
        took = index_search(engine)
        if took is not None:
            record["steps"]["full-text index rebuilt"] = round(took, 1)
    record["head"] = schema_head(engine)
    record_path.write_text(json.dumps(record, indent=1))
    print(f"build steps (s): {json.dumps(record['steps'])}")
    engine.dispose()
    return url, record


def measure(
    base: str, pages_: list[tuple[str, list[str]]], args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    print(f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'p50/peer':>9}")
    peer = None
    results = {}
    for label, paths in pages_:
        wanted = args.only.split(",") if args.only else []
        if wanted and peer is not None and not any(w in label for w in wanted):
            continue
        try:
            result = asyncio.run(load(base, paths, args.requests, args.concurrency))
        except MissingPageError as missing:
            print(f"{label:<34} not served here yet ({missing})")
            continue
        results[label] = result
        peer = peer or result["p50"]
        goal = (
            ""
            if label.startswith("health")
            else ("  ok" if result["p95"] < 150 else "  OVER 150 ms")
        )
        if result["failures"]:
            goal = "  FAILED " + ", ".join(f"{n}x {what}" for what, n in result["failures"].items())
        print(
            f"{label:<34} {result['p50']:8.1f} {result['p95']:8.1f} {result['rps']:8.0f} "
            f"{result['p50'] / peer:8.1f}x{goal}",
            flush=True,
        )
    return results


def peers(url: str, results: dict[str, dict[str, float]]) -> None:
    """Each article search beside the LIKE scan it replaces (same filters, newest 20)."""
    engine = db.make_engine(url)
    feeds = big_feeds(engine)
    print(f"{'search (LIKE peer, in-process)':<34} {'ours p50':>9} {'LIKE p50':>10} {'ratio':>8}")
    rows = [(f"articles, {label}", patterns, None) for label, _, patterns in SEARCHES]
    rows.append(("articles, dates+feed", ["treaty"] * 3, feeds[0]))
    for label, patterns, feed in rows:
        like = like_peer(engine, patterns, feed)
        ours = results.get(label, {}).get("p50")
        ratio = f"{like / ours:7.{0 if like >= 10 * ours else 2}f}x" if ours else "    n/a"
        print(f"{label:<34} {ours or float('nan'):9.1f} {like:10.0f} {ratio}", flush=True)
    engine.dispose()


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
        "--only",
        help="measure only the pages whose label contains this text, or one of these "
        "comma-separated texts (and the peer)",
    )
    parser.add_argument(
        "--server-workers",
        type=int,
        default=2,
        help="`tracker serve --workers`: server processes (default 2, one per core here)",
    )
    parser.add_argument(
        "--profile",
        choices=("default", "large"),
        default="default",
        help="large: issue 18's 100,000 forecasts, 1,000,000 articles with bodies, 5,000,000 "
        "evidence rows, searches and their LIKE peer; cached under ~/.cache/tracker-bench",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="large profile: fraction of it")
    parser.add_argument(
        "--pg-fresh",
        metavar="NAME",
        help="large profile on PostgreSQL: database NAME on --database-url's server (default "
        "postgres@127.0.0.1:5432), dropped and built unless it holds this profile already",
    )
    parser.add_argument("--rebuild", action="store_true", help="large profile: ignore the cache")
    parser.add_argument(
        "--reindex", action="store_true", help="large profile: rebuild the full-text index"
    )
    parser.add_argument("--no-peer", action="store_true", help="large profile: skip the LIKE peer")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="large profile: build (or find) the cached database at the load revision and stop",
    )
    parser.add_argument(
        "--upgrade", action="store_true", help="with --build-only: upgrade it to head too"
    )
    args = parser.parse_args()
    if args.profile == "large":
        run_large(args)
    else:
        run_default(args)


def run_large(args: argparse.Namespace) -> None:
    url, _record = large_database(args)
    if args.build_only:
        return
    sign_in(url)
    engine = db.make_engine(url)
    chosen = targets(engine)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        process, base, _log = serve(url, Path(tmp), args.server_workers)
        try:
            print(
                f"serving at {base} ({args.server_workers} server process(es)); {args.concurrency} "
                f"concurrent clients, {args.requests} requests per page; load "
                f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
            )
            results = measure(base, large_pages(base, engine, chosen), args)
        finally:
            process.terminate()
            process.wait(30)
    engine.dispose()
    if not args.no_peer:
        peers(url, results)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run_default(args: argparse.Namespace) -> None:
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
            measure(base, [(label, [path]) for label, path in pages(chosen)], args)
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
