"""The large profile of ``bench_web.py`` (issue 18): a million articles with bodies over about
2,000 feeds, written fast.

Text comes from one corpus made once per run: several thousand words (real ones and made-up
ones) drawn with a Zipf-like distribution into sentences and paragraphs.  An article's body is
a slice of that corpus at a random offset, its length drawn log-normally (median about 4,000
characters, 500 to 20,000), with sentences about the topics analysts search for spliced in at
each topic's document frequency (:data:`TOPICS`: ``nato`` in about one article in ten,
``kaliningrad`` in one in five thousand).  Slicing keeps generation far cheaper than writing,
so two forked processes make the rows while the parent writes them: ``executemany`` in big
transactions on SQLite (``synchronous=OFF`` during the load), ``COPY`` on PostgreSQL.
Secondary indexes are dropped for the load and made again from the definitions the migrations
left (the same indexes, built once instead of row by row)."""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import Engine, text


def _split(words: str) -> list[str]:
    return words.split()


#: (word or phrase searched, share of articles it appears in, sentences that carry it)
TOPICS: list[tuple[str, float, list[str]]] = [
    ("nato", 0.10, ["NATO allies met in Brussels", "the NATO summit", "NATO enlargement"]),
    ("sanctions", 0.08, ["new sanctions on exports", "sanctions relief", "the sanctions regime"]),
    ("ukraine", 0.06, ["Ukraine said", "aid to Ukraine", "Ukraine and its partners"]),
    ("missile", 0.04, ["a missile test", "missile defence", "the missile deployment"]),
    ("treaty", 0.03, ["the treaty text", "a new treaty", "the INF treaty"]),
    ("tariff", 0.02, ["a tariff increase", "tariff talks"]),
    ("ceasefire", 0.01, ["the ceasefire held", "a ceasefire proposal"]),
    ("enlargement", 0.005, ["NATO enlargement", "EU enlargement"]),
    ("referendum", 0.003, ["a referendum on independence", "the referendum result"]),
    ("moratorium", 0.002, ["a test moratorium", "the moratorium on drilling"]),
    ("inf", 0.001, ["the INF treaty", "INF missiles"]),
    ("annexation", 0.0005, ["the annexation vote"]),
    ("kaliningrad", 0.0002, ["troops in Kaliningrad"]),
]

REAL_WORDS = _split("""
the of and to a in that is was he for it with as his on be at by i this had not
are but from or have an they which one you were her all she there would their we him been has
when who will more no if out so said what up its about into than them can only other new some
could time these two may then do first any my now such like our over man me even most made after
also did many before must through back years where much your way well down should because each
just those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year off
come since against go came right used take three government minister officials talks security
defence agreement election parliament president ministry forces border economy market prices
energy gas oil budget court police report spokesman statement week month spring summer autumn
winter capital region province city village army navy troops alliance summit council commission
policy reform vote votes coalition opposition party leader leaders negotiations deal trade exports
imports growth inflation bank central rates debt crisis protest protests strike workers union
migration refugees health hospital vaccine school students research scientists climate weather
storm flood drought harvest farmers industry factory company companies investors shares analysts
expected announced reported warned agreed rejected signed approved denied confirmed suggested""")

SYLLABLES = _split(
    "ka ri to ne sa mo lu vi da pe zo ra ti ko me ba nu si lo fa ge hu ja we xo ye cu "
    "dri bla stro kre plu tha shen quo vor zan mir tel gos"
)

FIRST_NAMES = _split(
    "Anna Boris Clara David Elena Farid Greta Hugo Irina Jonas Katja Lars Maya Nils"
)
LAST_NAMES = _split("Adler Berg Costa Dahl Eriksen Fischer Gruber Horvat Ivanov Jansen Kovac Lund")


@dataclass
class Profile:
    """What the large profile builds, at ``scale`` (1.0: issue 18's numbers)."""

    forecasts: int
    authors: int
    articles: int
    feeds: int
    evidence: int
    hot_evidence: int
    pending: int

    @classmethod
    def large(cls, scale: float) -> Profile:
        def n(full: int, least: int) -> int:
            return max(least, int(full * scale))

        return cls(
            forecasts=n(100_000, 1_000),
            authors=n(1_000, 50),
            articles=n(1_000_000, 10_000),
            feeds=n(2_000, 100),
            evidence=n(5_000_000, 50_000),
            hot_evidence=n(20_000, 2_000),
            pending=n(1_000, 100),
        )


# --- the corpus ------------------------------------------------------------------------------


def _vocabulary(rng: np.random.Generator, size: int = 6_000) -> list[str]:
    """Real words first (the frequent end), then made-up ones of two to four syllables."""
    words = list(dict.fromkeys(REAL_WORDS))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def make_corpus(seed: int, words: int = 12_000_000) -> str:
    """``words`` words drawn Zipf-like (weight 1 / (rank + 2.7)) into sentences of about 15
    words and paragraphs of about 5 sentences."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)
    weights = 1.0 / (np.arange(len(vocab)) + 2.7)
    draws = rng.choice(len(vocab), size=words, p=weights / weights.sum())
    plain = np.array(vocab, dtype=object)
    capital = np.array([w.capitalize() for w in vocab], dtype=object)
    ending = rng.random(words) < 1 / 15
    starting = np.roll(ending, 1)
    paragraph = ending & (rng.random(words) < 1 / 5)
    tokens = np.where(starting, capital[draws], plain[draws])
    tails = np.where(paragraph, ".\n\n", np.where(ending, ". ", " ")).astype(object)
    return "".join((tokens + tails).tolist())


# --- articles --------------------------------------------------------------------------------

#: the articles' dates: four years up to now, in id order (ids grow with polling) with jitter
SPAN = timedelta(days=4 * 365)
_CORPUS = ""  # set in the parent before the workers fork, shared copy-on-write
_NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Feeds:
    ids: list[int]
    publishers: list[str]
    weights: np.ndarray


def feed_rows(count: int, rng: random.Random) -> tuple[list[dict], Feeds]:
    """``count`` feeds of about ``count / 3`` publishers; their sizes are Zipf-like (a few
    feeds carry many articles, most carry few)."""
    publishers = [f"{_word(rng)}-news{k}.example" for k in range(max(1, count // 3))]
    rows = []
    for k in range(count):
        publisher = publishers[k % len(publishers)]
        rows.append(
            {
                "id": k + 1,
                "url": f"https://{publisher}/feed/{k}.xml",
                "title": f"{publisher} section {k}",
                "site_url": f"https://{publisher}/",
                "interval_s": 900,
                "fetch_articles": False,
                "publisher": publisher,
                "next_check_at": _NOW + timedelta(days=365),
                "consecutive_failures": 0,
                "last_success_at": _NOW,
                "last_polled_at": _NOW,
                "created_at": _NOW - SPAN,
            }
        )
    weights = 1.0 / (np.arange(count) + 5.0)
    feeds = Feeds([r["id"] for r in rows], [r["publisher"] for r in rows], weights / weights.sum())
    return rows, feeds


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3))


ARTICLE_COLUMNS = _split(
    "id feed_id identity story guid url original_url title summary body body_source "
    "text_truncated author categories published_at published_estimated fetched_at content_hash "
    "publisher matched_at page_attempts"
)


def _slice(rng: np.random.Generator, length: int) -> str:
    start = int(rng.integers(0, len(_CORPUS) - length - 100))
    start = _CORPUS.find(" ", start) + 1
    return _CORPUS[start : start + length]


def _words(rng: np.random.Generator, length: int) -> str:
    """About ``length`` characters of whole words, no sentence breaks."""
    return _slice(rng, length).rsplit(" ", 1)[0].replace("\n", " ").replace(".", "")


def _chunk(args: tuple[int, int, int, int, Feeds, bool]) -> list[tuple]:
    """Rows ``first`` .. ``first + count - 1`` (ids from 1), generated from ``seed + first``."""
    first, count, total, seed, feeds, for_copy = args
    rng = np.random.default_rng(seed + first)
    lengths = np.clip(rng.lognormal(math.log(4_000), 0.75, count), 500, 20_000).astype(int)
    has_topic = rng.random((count, len(TOPICS))) < np.array([t[1] for t in TOPICS])
    feed_of = rng.choice(len(feeds.ids), size=count, p=feeds.weights)
    jitter = rng.normal(0, 3 * 3600, count)
    authors = rng.integers(0, len(FIRST_NAMES) * len(LAST_NAMES) * 40, count)
    rows = []
    for k in range(count):
        article_id = first + k
        body = _slice(rng, int(lengths[k]))
        title = _words(rng, int(rng.integers(40, 90))).capitalize()
        for t in np.flatnonzero(has_topic[k]):
            sentences = TOPICS[t][2]
            sentence = f" {sentences[int(rng.integers(len(sentences)))]} {_slice(rng, 60)}"
            cut = body.find(". ", int(rng.integers(0, len(body))))
            cut = len(body) if cut < 0 else cut + 1
            body = f"{body[:cut]}{sentence.rstrip('. ')}.{body[cut:]}"
            if rng.random() < 0.25:
                title = f"{title}: {sentences[0]}"
        summary = body[: int(rng.integers(150, 400))].rsplit(" ", 1)[0] + "…"
        feed = int(feed_of[k])
        publisher = feeds.publishers[feed]
        published = _NOW - SPAN * (1 - article_id / total) + timedelta(seconds=float(jitter[k]))
        published = min(published, _NOW).replace(microsecond=0)
        if not for_copy:
            published = published.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.000000")
        a = int(authors[k])
        author = f"{FIRST_NAMES[a % 14]} {LAST_NAMES[(a // 14) % 12]}{'' if a < 168 else a}"
        digest = f"{article_id:064x}"
        url = f"https://{publisher}/{article_id}"
        rows.append(
            (
                article_id, feeds.ids[feed], digest, digest, url, url, url, title, summary, body,
                "feed", False, author, "[]", published, False, published, digest, publisher,
                published, 0,
            )
        )  # fmt: skip
    return rows


def article_chunks(total: int, seed: int, feeds: Feeds, for_copy: bool) -> Iterator[list[tuple]]:
    """All ``total`` article rows, in chunks, made by two forked processes in order."""
    global _CORPUS
    start = time.perf_counter()
    _CORPUS = make_corpus(seed)
    print(f"  corpus: {len(_CORPUS) / 1e6:.0f} MB of text in {time.perf_counter() - start:.1f} s")
    size = 5_000
    jobs = [
        (first, min(size, total - first + 1), total, seed, feeds, for_copy)
        for first in range(1, total + 1, size)
    ]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        ahead: deque = deque()  # at most four chunks made ahead of the writer: bounded memory
        for job in jobs:
            ahead.append(pool.apply_async(_chunk, (job,)))
            if len(ahead) >= 4:
                yield ahead.popleft().get()
        while ahead:
            yield ahead.popleft().get()


# --- writing ---------------------------------------------------------------------------------


def secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of ``table``'s indexes that no constraint owns."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                 "AND sql IS NOT NULL"),
            {"t": table},
        )  # fmt: skip
    else:
        rows = conn.execute(
            text("""SELECT i.indexname, i.indexdef FROM pg_indexes i
                    WHERE i.tablename = :t AND NOT EXISTS (
                        SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""),
            {"t": table},
        )
    return [(name, sql) for name, sql in rows]


def without_indexes(engine: Engine, table: str):
    """A context: ``table``'s secondary indexes dropped inside it, made again after."""

    class _Context:
        def __enter__(self) -> None:
            with engine.begin() as conn:
                self.indexes = secondary_indexes(conn, table)
                for name, _ in self.indexes:
                    conn.execute(text(f'DROP INDEX "{name}"'))

        def __exit__(self, *exc: object) -> None:
            start = time.perf_counter()
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET maintenance_work_mem = '1GB'"))
                for _, sql in self.indexes:
                    conn.execute(text(sql))
            print(
                f"  {table}: {len(self.indexes)} indexes made again in "
                f"{time.perf_counter() - start:.1f} s"
            )

    return _Context()


def load_articles(engine: Engine, profile: Profile, seed: int) -> dict[str, float]:
    """The feeds and ``profile.articles`` articles; returns seconds per step."""
    from sqlalchemy import insert

    from tracker.models import SQLModel

    rng = random.Random(seed)
    rows, feeds = feed_rows(profile.feeds, rng)
    with engine.begin() as conn:
        conn.execute(insert(SQLModel.metadata.tables["feed"]), rows)
    start = time.perf_counter()
    written = chars = 0
    with without_indexes(engine, "article"):
        raw = engine.raw_connection()
        try:
            if engine.dialect.name == "sqlite":
                written, chars = _write_sqlite(raw, feeds, profile.articles, seed)
            else:
                written, chars = _write_postgresql(raw, feeds, profile.articles, seed)
        finally:
            raw.close()
        took = time.perf_counter() - start
        print(
            f"  articles: {written:,} ({chars / 1e9:.2f} GB of text) written in {took:.1f} s "
            f"({written / took:,.0f}/s)"
        )
    return {"articles and their indexes": round(time.perf_counter() - start, 1)}


def _write_sqlite(raw, feeds: Feeds, total: int, seed: int) -> tuple[int, int]:
    cursor = raw.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA cache_size=-1000000")
    statement = (
        f"INSERT INTO article ({', '.join(ARTICLE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"
    )
    written = chars = 0
    for rows in article_chunks(total, seed, feeds, for_copy=False):
        cursor.executemany(statement, rows)
        written += len(rows)
        chars += sum(len(r[9]) for r in rows)
        if written % 50_000 == 0:
            raw.commit()
        if written % 200_000 == 0:
            print(f"    {written:,} articles", flush=True)
    raw.commit()
    cursor.execute("PRAGMA synchronous=NORMAL")
    return written, chars


def _write_postgresql(raw, feeds: Feeds, total: int, seed: int) -> tuple[int, int]:
    driver = raw.driver_connection
    written = chars = 0
    with driver.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        with cursor.copy(f"COPY article ({', '.join(ARTICLE_COLUMNS)}) FROM STDIN") as copy:
            for rows in article_chunks(total, seed, feeds, for_copy=True):
                for row in rows:
                    copy.write_row(row)
                written += len(rows)
                chars += sum(len(r[9]) for r in rows)
                if written % 200_000 == 0:
                    print(f"    {written:,} articles", flush=True)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('article', 'id'), (SELECT max(id) FROM article))"
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('feed', 'id'), (SELECT max(id) FROM feed))"
        )
    driver.commit()
    return written, chars


def question_text(k: int, rng: random.Random) -> str:
    """A question an analyst would write, about one of the topics in a tenth of them."""
    words = _words(np.random.default_rng(k), rng.randrange(30, 70)).lower()
    if rng.random() < 0.3:
        topic = rng.choice(TOPICS)
        words = f"{rng.choice(topic[2])} {words}"
    return f"Will {words} (event {k})?"
