"""What the CLI prints, at 80 and 120 columns, against stored snapshots (issue 16, item 3).

Besides the snapshot, each output is checked for what a user looks at: no line wider than the
terminal (a URL alone on its line excepted: it is printed whole so it can be copied), every id
of the data whole, no ellipsis inside a number.

The data are fixed: the seed article with Ann's, Joanna's and a hostile author's forecasts,
Manifold's prices, every question resolved (tests/test_web_authors.py), plus a later statement
and a correction, two feeds (one disabled), three articles, a user and a token; scores are taken
``--as-of`` a fixed day.  Times that are "now" when the test runs are masked (``####-##-##``,
the same width).

``UPDATE_SNAPSHOTS=1`` rewrites the snapshot files (tests/snapshots/cli/) instead of comparing:
run it after a deliberate layout change and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_web_authors import HOSTILE, MARKET, TRENIN
from tests.test_web_authors import seed_authors as seed
from tracker import db, ingest, service
from tracker.db import session_scope
from tracker.domain.scale import EstimativeScale
from tracker.models import Article
from tracker.search import index_articles

SNAPSHOTS = Path(__file__).parent / "snapshots" / "cli"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
WIDTHS = (80, 120)
AS_OF = "2025-06-01"

#: name of the snapshot -> the command's arguments
COMMANDS: dict[str, list[str]] = {
    "forecasts-list": ["forecasts", "list"],
    "forecasts-list-wide": ["forecasts", "list", "--wide", "--author", "Ann"],
    "forecasts-show": ["forecasts", "show", "us-nato-written-counterproposals"],
    "forecasts-show-updated": ["forecasts", "show", "ann-measures"],
    "scorecard": ["scorecard", "--as-of", AS_OF, "--resamples", "100"],
    "scorecard-by-tag": ["scorecard", "--as-of", AS_OF, "--resamples", "100", "--by", "tag"],
    "scorecard-by-author": [
        "scorecard",
        "--as-of",
        AS_OF,
        "--resamples",
        "100",
        "--by",
        "author",
        "--costliest",
        "3",
    ],
    "scorecard-by-source": ["scorecard", "--as-of", AS_OF, "--resamples", "100", "--by", "source"],
    "feeds-list": ["feeds", "list"],
    "articles-list": ["articles", "list"],
    "articles-search": ["articles", "search", "NATO"],
    "articles-search-page": ["articles", "search", "answers", "--limit", "1"],
    "forecasts-search": ["forecasts", "search", "moratorium"],
    "authors-list": ["authors", "list", "--as-of", AS_OF],
    "authors-show": ["authors", "show", "Ann", "--as-of", AS_OF, "--resamples", "100"],
    "compare": ["compare", "Ann", TRENIN, "--as-of", AS_OF, "--resamples", "100"],
    "compare-market": ["compare", TRENIN, MARKET, "--as-of", AS_OF, "--resamples", "100"],
    "questions-list": ["questions", "list"],
    "questions-show": ["questions", "show", "nato-moratorium"],
    "baselines-list": ["baselines", "list"],
    "users-list": ["users", "list"],
    "tokens-list": ["tokens", "list"],
    "resolver-stats": ["resolver-stats"],
    "scale": ["scale"],
    "status": ["status"],
}

#: a time of the test run (created, resolved, next check ...): masked, keeping its width; the
#: data's own times are all before 2026
NOW = re.compile(r"(?:202[6-9]|20[3-9]\d)-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|\+00:00)?")
#: random text of the run (a token's prefix): masked too
RANDOM: list[str] = []
URL_LINE = re.compile(r"^\s*https?://\S+$")
NUMBER_CUT = re.compile(r"\d…|…\d|[.,]…")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """The CLI on the fixed database (SQLite: the layout does not depend on the database)."""
    tmp = tmp_path_factory.mktemp("layout")
    url = f"sqlite:///{tmp / 'tracker.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    seed(engine, tmp)
    _extra(engine)
    engine.dispose()
    yield Cli(url, tmp / "data")
    db._cached_engine.cache_clear()


def _extra(engine) -> None:
    """A later statement and a correction, feeds, articles, a user and a token."""
    scale = EstimativeScale.builtin()
    with session_scope(engine) as session:
        service.update_forecast(
            session,
            "ann-measures",
            as_of=date(2022, 2, 10),
            probability=0.85,
            estimate=None,
            quote="Moscow will answer with military-technical measures, and soon.",
            url="https://news.example.org/2022/02/10/ann-on-russian-military-technical-measures-after-the-talks-in-geneva",
            note="said on a podcast",
            scale=scale,
            actor="t",
        )
        service.correct_forecast(
            session, "ann-moratorium", probability=0.2, estimate=None, note="typo: 20 %, not 15 %",
            scale=scale, actor="t", statement_on=None,
        )  # fmt: skip
        feed = service.add_feed(
            session, "https://news.example.org/world/europe/rss.xml", interval="1h",
            title="Example News: Europe", default_interval=timedelta(hours=1), actor="t",
        ).feed  # fmt: skip
        gone = service.add_feed(
            session, "https://www.example.com/feeds/a-very-long-feed-address/that-goes-past-eighty-columns.atom",
            interval="6h", title=None, default_interval=timedelta(hours=1), actor="t",
        ).feed  # fmt: skip
        service.disable_feed(session, gone.id, reason="HTTP 410 Gone", actor="t")
        for n, (title, url) in enumerate(ARTICLES):
            session.add(_article(feed.id, n, title, url))
        feed.article_count += len(ARTICLES)  # as the poll that stores them counts them
        session.add(feed)
        session.flush()
        index_articles(session, ingest.all_article_ids(session))  # as polling indexes them
        service.add_user(session, "ana", "a long enough password", actor="t")
        token, _secret = service.create_token(
            session, "nightly-report-script", user="ana", actor="t"
        )
        RANDOM.append(token.prefix)


ARTICLES = [
    (
        "NATO allies deliver written answers to Moscow's draft treaty on security guarantees",
        "https://news.example.org/2022/01/26/nato-allies-deliver-written-answers-to-moscows-draft-treaty",
    ),
    ("Talks end without agreement", "https://news.example.org/a/2"),
    ("Kyiv [bold]markup[/bold] stays as written", None),
]


def _article(feed_id: int | None, n: int, title: str, url: str | None) -> Article:
    at = datetime(2022, 1, 26 + n, 9, 30, tzinfo=UTC)
    return Article(
        feed_id=feed_id,
        identity=f"{n:064d}",
        url=url,
        title=title,
        summary="NATO and the United States handed over their written answers.",
        body="x" * (1200 * n),
        body_source="feed" if n else None,
        author="A. Reporter" if n != 1 else None,
        categories=["Europe", "NATO"] if n == 0 else [],
        published_at=at,
        fetched_at=at,
        content_hash=f"{n:064d}",
    )


def run(cli: Cli, args: list[str], width: int) -> str:
    result = cli.runner.invoke(
        cli.app, args, env={**cli.env, "COLUMNS": str(width)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def normalised(output: str) -> str:
    """The output as stored: run times and random text masked, trailing blanks dropped."""
    for text in RANDOM:
        output = output.replace(text, "#" * len(text))
    lines = [
        NOW.sub(lambda m: re.sub(r"\d", "#", m.group()), line).rstrip()
        for line in output.splitlines()
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def forecast_ids(data: Cli) -> list[str]:
    return [
        row["id"] for row in json.loads(run(data, ["forecasts", "list", "--format", "json"], 200))
    ]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_output_matches_its_snapshot_and_reads_at_the_width(data, forecast_ids, name, width):
    args = COMMANDS[name]
    output = run(data, args, width)
    for line in output.splitlines():
        assert len(line) <= width or URL_LINE.match(line) or "--wide" in args, (
            f"{name}: a line of {len(line)} characters at {width}:\n{line}"
        )
        assert not NUMBER_CUT.search(line), f"{name}: a number cut at {width}:\n{line}"
    if name.startswith("forecasts-list"):
        listed = (
            forecast_ids
            if "--author" not in args
            else [i for i in forecast_ids if i.startswith("ann-")]
        )
        assert all(re.search(rf"(^|\s){re.escape(i)}(\s|$)", output, re.M) for i in listed)
    snapshot = SNAPSHOTS / f"{name}.{width}.txt"
    if UPDATE:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(normalised(output), encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with UPDATE_SNAPSHOTS=1"
    assert normalised(output) == snapshot.read_text(encoding="utf-8")


def test_urls_are_printed_whole_on_their_own_line(data):
    lines = {line.strip() for line in run(data, ["articles", "list"], 80).splitlines()}
    assert {url for _, url in ARTICLES if url} <= lines
    shown = run(data, ["forecasts", "show", "ann-measures"], 80).splitlines()
    assert any(line.strip().startswith("https://news.example.org/2022/02/10/") for line in shown)
    feeds = {line.strip() for line in run(data, ["feeds", "list"], 80).splitlines()}
    assert "https://news.example.org/world/europe/rss.xml" in feeds


def test_forecasts_show_reads_like_the_web_page(data):
    """Rules as lists, audit details as ``key: value``: no Python dict, no JSON."""
    out = normalised(run(data, ["forecasts", "show", "us-nato-written-counterproposals"], 80))
    assert "{" not in out and "'all'" not in out and '"' not in out
    assert "Evidence for YES" in out and "any of: delivers written" in out
    assert re.search(r"^\s+probability: 0\.9$", out, re.M)  # the import's audit detail
    assert re.search(r"^\s+outcome: yes$", out, re.M)


def test_names_print_as_written(data):
    """A terminal runs no markup: a hostile name and an article title with brackets as written."""
    assert HOSTILE in run(data, ["authors", "list", "--as-of", AS_OF], 80)
    assert "Kyiv [bold]markup[/bold] stays as written" in run(data, ["articles", "list"], 120)


@pytest.mark.parametrize("width", [80, 160])
def test_ids_and_scores_are_whole_at_80_and_160_columns(data, forecast_ids, width):
    """The issue's cases: ids cut to ``us-nato…`` (at 160 too), scores cut to ``0.04…``."""
    listed = run(data, ["forecasts", "list"], width)
    assert "…" not in "".join(line.split()[0] for line in listed.splitlines() if line.strip())
    assert all(re.search(rf"^{re.escape(i)}\s", listed, re.M) for i in forecast_ids)
    assert len(listed.splitlines()) <= 2 * len(forecast_ids) + 6  # a line, and the question
    card = run(data, ["scorecard", "--by", "tag", "--as-of", AS_OF, "--resamples", "100"], width)
    assert not NUMBER_CUT.search(card)
    scores = json.loads(
        run(data, ["scorecard", "--by", "tag", "--as-of", AS_OF, "--resamples", "100",
                   "--format", "json"], 200)
    )  # fmt: skip
    assert len(scores["breakdowns"]["tag"]) >= 10
    for row in scores["breakdowns"]["tag"]:
        assert re.search(rf"^{re.escape(row['name'])}\s+{row['count']}\s+", card, re.M)
        assert f"{row['brier']:.4f}" in card
