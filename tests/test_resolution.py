"""The resolution stage: evidence, the policy, the deadline check, review, and scoring the resolver.

Forecasts come from a small forecast file imported as a user would; articles are stored rows of
feeds (the ingestion stage has its own tests; the worker and demo tests go through real polls).
Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from tracker import db, resolution
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import ProposalStateError, TrackerError
from tracker.models import Article, AuditEntry, Evidence, Feed, Forecast, Proposal
from tracker.resolution import EvidenceFact, decide

FORECAST_FILE = """\
source:
  title: Test op-ed
  author: Test Author
forecasts:
  - id: treaty-signed
    question: Will the treaty be signed by 2022-06-30?
    quote: The treaty will be signed.
    estimate: likely
    probability: 0.7
    opens: 2022-01-01
    closes: 2022-06-30
    tags: [treaties]
    resolution:
      yes_when: {all: [treaty], any: [signed the treaty, signs the treaty]}
      no_when: {all: [treaty], any: [talks collapsed]}
      min_sources: 2
      default_at_close: no
  - id: summit-held
    question: Will the summit be held by 2022-03-31?
    quote: The summit may happen.
    estimate: possible
    probability: 0.4
    opens: 2022-01-01
    closes: 2022-03-31
    tags: [diplomacy]
    resolution:
      yes_when: {any: [summit opened]}
      min_sources: 2
      default_at_close: none
"""


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def forecasts(engine, tmp_path: Path):
    path = tmp_path / "test-oped.yaml"
    path.write_text(FORECAST_FILE, encoding="utf-8")
    files = registry.load_files([path], EstimativeScale.builtin())
    with session_scope(engine) as session:
        registry.import_files(session, files, today=date(2022, 1, 10), actor="tester")
    return engine


class Corpus:
    """Stored articles of feeds, as ingestion leaves them (``matched_at`` NULL)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.feeds: dict[str, int] = {}
        self.count = 0

    def feed(self, url: str, site: str | None) -> int:
        if url not in self.feeds:
            with session_scope(self.engine) as session:
                feed = Feed(url=url, site_url=site, interval_s=3600)
                session.add(feed)
                session.flush()
                self.feeds[url] = feed.id
        return self.feeds[url]

    def add(
        self,
        title: str,
        summary: str,
        published: str,
        *,
        url: str | None,
        feed: str = "https://www.alpha.example/rss",
        site: str | None = "https://www.alpha.example/",
    ) -> int:
        self.count += 1
        with session_scope(self.engine) as session:
            article = Article(
                feed_id=self.feed(feed, site),
                identity=f"{self.count:064d}",
                url=url,
                title=title,
                summary=summary,
                published_at=day(published),
                content_hash="0" * 64,
            )
            session.add(article)
            session.flush()
            return article.id


@pytest.fixture
def corpus(forecasts) -> Corpus:
    return Corpus(forecasts)


def match_all(engine, rules=None) -> resolution.MatchReport:
    return resolution.catch_up(engine, rules or resolution.RuleSet())


def pending(engine) -> dict[str, Proposal]:
    with session_scope(engine) as session:
        return {
            p.question_id: p
            for p in session.exec(select(Proposal).where(Proposal.status == "pending"))
        }


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


# --- the policy, pure ---------------------------------------------------------------------------


def fact(side: str, publisher: str, published: str, negated: bool = False) -> EvidenceFact:
    return EvidenceFact(side, publisher, date.fromisoformat(published), negated)


WINDOW = {"opens": date(2022, 1, 1), "closes": date(2022, 6, 30), "min_sources": 2}


def test_decide_needs_min_sources_distinct_publishers_and_dates_the_decision():
    one = [fact("yes", "alpha.example", "2022-02-01"), fact("yes", "alpha.example", "2022-02-03")]
    assert decide(**WINDOW, default_at_close="no", evidence=one, as_of=None) is None
    two = [*one, fact("yes", "beta.example", "2022-02-05")]
    decision = decide(**WINDOW, default_at_close="no", evidence=two, as_of=None)
    assert (decision.kind.value, decision.outcome, decision.evidence_count) == (
        "evidence",
        "yes",
        3,
    )
    assert decision.publishers == ("alpha.example", "beta.example")
    assert decision.decisive_on == date(2022, 2, 5)  # the day the second publisher reported


def test_decide_conflict_is_disputed_and_ignores_negated_and_out_of_window_facts():
    base = [fact("yes", "alpha.example", "2022-02-01"), fact("yes", "beta.example", "2022-02-02")]
    ignored = [
        fact("no", "gamma.example", "2022-03-01", negated=True),  # negated: never counts
        fact("no", "gamma.example", "2022-07-01"),  # after closes
        fact("no", "delta.example", "2021-12-31"),
    ]  # before opens
    assert (
        decide(**WINDOW, default_at_close="no", evidence=base + ignored, as_of=None).outcome
        == "yes"
    )
    conflict = [*base, fact("no", "gamma.example", "2022-03-01")]
    decision = decide(**WINDOW, default_at_close="no", evidence=conflict, as_of=None)
    assert (decision.kind.value, decision.outcome) == ("disputed", None)
    assert "gamma.example" in decision.reason


def test_decide_deadline_rules():
    kw = dict(WINDOW, evidence=[])
    assert (
        decide(**kw, default_at_close="no", as_of=date(2022, 6, 30)) is None
    )  # the close day itself is not past
    decision = decide(**kw, default_at_close="no", as_of=date(2022, 7, 1))
    assert (decision.kind.value, decision.outcome, decision.decisive_on) == (
        "default_at_close",
        "no",
        date(2022, 6, 30),
    )
    assert (
        decide(**kw, default_at_close="none", as_of=date(2022, 7, 1)).kind.value
        == "not_yet_resolvable"
    )
    # weak evidence (one publisher) against the default: an analyst decides rather than forcing "no"
    weak = dict(WINDOW, evidence=[fact("yes", "alpha.example", "2022-05-01")])
    assert (
        decide(**weak, default_at_close="no", as_of=date(2022, 7, 1)).kind.value
        == "not_yet_resolvable"
    )
    assert decide(**weak, default_at_close="yes", as_of=date(2022, 7, 1)).outcome == "yes"
    assert decide(**weak, default_at_close="no", as_of=None) is None  # the matching path waits


# --- matching and the policy, in the database
# -------------------------------------------------------


def test_syndicated_story_counts_once_then_a_second_publisher_makes_a_proposal(corpus):
    story = "Treaty signed. The two governments signed the treaty in Geneva on Monday."
    # one publisher, two feeds (www. and europe.), the same story: one publisher
    corpus.add("Geneva", story, "2022-02-01", url="https://www.alpha.example/a1")
    corpus.add(
        "Geneva (Europe)",
        story,
        "2022-02-01",
        url="https://europe.alpha.example/a1",
        feed="https://europe.alpha.example/rss",
        site="https://europe.alpha.example/",
    )
    report = match_all(corpus.engine)
    assert (report.articles, report.evidence, report.negated) == (2, 2, 0)
    assert pending(corpus.engine) == {}
    # an article without its own URL: the publisher is its feed's site, never the feed URL
    corpus.add(
        "Beta on Geneva",
        story,
        "2022-02-03",
        url=None,
        feed="https://feeds.beta.example/world.xml",
        site="https://www.beta.example/world",
    )
    match_all(corpus.engine)
    proposal = pending(corpus.engine)["treaty-signed"]
    assert (proposal.kind, proposal.outcome, proposal.evidence_count) == ("evidence", "yes", 3)
    assert proposal.publishers == ["alpha.example", "beta.example"]
    assert proposal.decisive_on == date(2022, 2, 3)


def test_conflicting_evidence_makes_the_forecast_disputed(corpus):
    corpus.add(
        "Treaty", "Ministers signed the treaty.", "2022-02-01", url="https://www.alpha.example/1"
    )
    corpus.add(
        "Treaty",
        "Both sides signed the treaty.",
        "2022-02-02",
        url="https://www.beta.example/1",
        site="https://www.beta.example/",
    )
    match_all(corpus.engine)
    assert pending(corpus.engine)["treaty-signed"].outcome == "yes"
    corpus.add(
        "Treaty",
        "Treaty talks collapsed in Vienna.",
        "2022-03-01",
        url="https://www.gamma.example/1",
        site="https://www.gamma.example/",
    )
    report = match_all(corpus.engine)
    disputed = pending(corpus.engine)["treaty-signed"]
    assert (disputed.kind, disputed.outcome) == ("disputed", None)
    assert [p.kind for p in report.proposals] == ["disputed"]
    with session_scope(corpus.engine) as session:
        old = session.exec(select(Proposal).where(Proposal.kind == "evidence")).one()
        assert old.status == "superseded" and "disputed" in old.decision_note
        assert [i.proposal.id for i in resolution.review_queue(session)] == [disputed.id]


def test_evidence_after_closes_or_before_opens_is_not_recorded(corpus):
    corpus.add(
        "Treaty",
        "They signed the treaty at last.",
        "2022-07-01",
        url="https://www.alpha.example/late",
    )
    corpus.add(
        "Treaty",
        "They signed the treaty at last.",
        "2021-12-31",
        url="https://www.beta.example/early",
        site="https://www.beta.example/",
    )
    corpus.add(
        "Treaty",
        "They signed the treaty at last.",
        "2022-06-30",
        url="https://www.gamma.example/last-day",
        site="https://www.gamma.example/",
    )
    report = match_all(corpus.engine)
    assert report.articles == 3 and report.evidence == 1  # only the article of the close day itself
    assert pending(corpus.engine) == {}


def test_negated_evidence_is_kept_for_reviewers_but_never_counts(corpus):
    for n, site in enumerate(("alpha", "beta", "gamma")):
        corpus.add(
            "Treaty",
            "The ministers did not sign the treaty; they refused to sign the treaty.",
            f"2022-02-0{n + 1}",
            url=f"https://www.{site}.example/n",
            site=f"https://www.{site}.example/",
        )
    report = match_all(corpus.engine)
    assert (report.evidence, report.negated) == (
        0,
        0,
    )  # phrase "signed the treaty"/"signs the treaty": no hit
    corpus.add(
        "Treaty",
        "Negotiators have not signed the treaty yet.",
        "2022-03-01",
        url="https://www.alpha.example/neg1",
    )
    corpus.add(
        "Treaty",
        "Delta denies it signed the treaty.",
        "2022-03-02",
        url="https://www.delta.example/neg2",
        site="https://www.delta.example/",
    )
    report = match_all(corpus.engine)
    assert (report.evidence, report.negated) == (2, 2)
    assert pending(corpus.engine) == {}
    with session_scope(corpus.engine) as session:
        rows = resolution.evidence_for(session, "treaty-signed")
    assert [(e.negated, e.counts, e.publisher) for e in rows] == [
        (True, False, "alpha.example"),
        (True, False, "delta.example"),
    ]
    assert rows[0].sentence == "Negotiators have not signed the treaty yet."


def test_default_at_close_and_none_left_to_the_analyst(corpus):
    with session_scope(corpus.engine) as session:
        assert (
            resolution.check_deadlines(session, date(2022, 3, 31)) == []
        )  # nothing is past its close yet
        made = resolution.check_deadlines(session, date(2022, 4, 1))
    assert [(p.question_id, p.kind, p.outcome) for p in made] == [
        ("summit-held", "not_yet_resolvable", None)
    ]
    with session_scope(corpus.engine) as session:
        made = resolution.check_deadlines(session, date(2022, 7, 1))
        queue = resolution.review_queue(session)
    assert [(p.question_id, p.kind, p.outcome, p.decisive_on) for p in made] == [
        ("treaty-signed", "default_at_close", "no", date(2022, 6, 30))
    ]
    assert [(i.forecast.id, i.needs_outcome) for i in queue] == [
        ("summit-held", True),
        ("treaty-signed", False),
    ]
    # the none-default one needs the analyst's outcome
    with (
        session_scope(corpus.engine) as session,
        pytest.raises(TrackerError, match=r"^outcome: .* proposes no outcome; give yes, no"),
    ):
        resolution.confirm(session, queue[0].proposal.id, actor="ana")


def test_late_evidence_replaces_a_pending_default(corpus):
    with session_scope(corpus.engine) as session:
        resolution.check_deadlines(session, date(2022, 7, 1))
    corpus.add(
        "Treaty", "They signed the treaty in May.", "2022-05-02", url="https://www.alpha.example/m"
    )
    corpus.add(
        "Treaty",
        "Officials signed the treaty.",
        "2022-05-03",
        url="https://www.beta.example/m",
        site="https://www.beta.example/",
    )
    match_all(corpus.engine)  # a back-fill: old news, for a closed forecast
    proposal = pending(corpus.engine)["treaty-signed"]
    assert (proposal.kind, proposal.outcome) == ("evidence", "yes")


def test_matching_and_the_deadline_check_are_idempotent(corpus):
    ids = [
        corpus.add(
            "Treaty",
            "Leaders signed the treaty.",
            f"2022-02-0{n}",
            url=f"https://www.s{n}.example/x",
            site=f"https://www.s{n}.example/",
        )
        for n in (1, 2)
    ]
    rules = resolution.RuleSet()
    assert match_all(corpus.engine, rules).evidence == 2
    with session_scope(corpus.engine) as session:
        again = resolution.match_articles(session, ids, rules)  # already processed: skipped
        forced = resolution.match_articles(
            session, ids, rules, rematch=True
        )  # matched again: nothing new
    assert (again.articles, forced.articles, forced.evidence, forced.proposals) == (0, 2, 0, [])
    assert rules.builds == 1  # the automaton was compiled once: the forecasts did not change
    audit = []
    for _ in range(2):
        with session_scope(corpus.engine) as session:
            resolution.check_deadlines(session, date(2022, 7, 1))
        audit.append(count(corpus.engine, AuditEntry))
    assert audit[1] == audit[0]  # the second run changed nothing
    assert count(corpus.engine, Evidence) == 2
    with session_scope(corpus.engine) as session:
        kinds = sorted((p.question_id, p.kind, p.status) for p in session.exec(select(Proposal)))
    assert kinds == [
        ("summit-held", "not_yet_resolvable", "pending"),
        ("treaty-signed", "evidence", "pending"),
    ]


def test_the_database_allows_one_pending_proposal_per_forecast(forecasts):
    with Session(forecasts) as session:
        session.add(Proposal(question_id="treaty-signed", kind="evidence", outcome="yes"))
        session.add(Proposal(question_id="treaty-signed", kind="disputed", status="rejected"))
        session.commit()
        session.add(Proposal(question_id="treaty-signed", kind="disputed"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_rejected_proposal_is_not_made_again_until_a_new_publisher_reports(corpus):
    for n in (1, 2):
        corpus.add(
            "Treaty",
            "Leaders signed the treaty.",
            f"2022-02-0{n}",
            url=f"https://www.s{n}.example/x",
            site=f"https://www.s{n}.example/",
        )
    match_all(corpus.engine)
    first = pending(corpus.engine)["treaty-signed"].id
    with session_scope(corpus.engine) as session:
        resolution.reject(session, first, actor="ana", note="satire sites")
    with (
        session_scope(corpus.engine) as session,
        pytest.raises(ProposalStateError, match="is rejected"),
    ):
        resolution.reject(session, first, actor="ana", note="again")
    with session_scope(corpus.engine) as session:
        resolution.evaluate(session, ["treaty-signed"])
    assert pending(corpus.engine) == {}
    corpus.add(
        "Treaty",
        "Officials signed the treaty.",
        "2022-02-09",
        url="https://www.s3.example/x",
        site="https://www.s3.example/",
    )
    match_all(corpus.engine)
    assert pending(corpus.engine)["treaty-signed"].publishers == [
        "s1.example",
        "s2.example",
        "s3.example",
    ]


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def cli_corpus(cli, database_url, tmp_path):
    path = tmp_path / "test-oped.yaml"
    path.write_text(FORECAST_FILE, encoding="utf-8")
    cli("init")
    cli("forecasts", "import", path)
    engine = db.make_engine(database_url)
    corpus = Corpus(engine)
    for n in (1, 2):
        corpus.add(
            "Treaty",
            "Leaders signed the treaty in Geneva.",
            f"2022-02-0{n}",
            url=f"https://www.s{n}.example/x",
            site=f"https://www.s{n}.example/",
        )
    corpus.add(
        "Treaty",
        "Officials said they have not signed the treaty.",
        "2022-02-03",
        url="https://www.s3.example/neg",
        site="https://www.s3.example/",
    )
    corpus.add(
        "Summit", "The summit opened in Riga.", "2022-02-04", url="https://www.s1.example/summit"
    )
    yield cli, engine
    engine.dispose()


def audit_actions(engine, forecast_id: str) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.entity_id == forecast_id).order_by(AuditEntry.id)
        )
        return [(a.actor, a.action) for a in rows]


def test_resolve_review_confirm_reopen_from_the_cli(cli_corpus):
    cli, engine = cli_corpus
    out = cli("resolve", "--as-of", "2022-07-01").output
    assert "Matched 4 article(s)" in out and "wait for review" in out
    queue = json.loads(cli("review", "--format", "json").output)
    assert [
        (q["forecast"]["id"], q["proposal"]["kind"], q["proposal"]["outcome"]) for q in queue
    ] == [("treaty-signed", "evidence", "yes"), ("summit-held", "not_yet_resolvable", None)]
    treaty = queue[0]
    assert [e["publisher"] for e in treaty["evidence"]] == ["s1.example", "s2.example"]
    assert treaty["evidence"][0]["sentence"] == "Leaders signed the treaty in Geneva."
    assert [(e["publisher"], e["counts"]) for e in treaty["negated_evidence"]] == [
        ("s3.example", False)
    ]
    table = cli("review").output
    assert "Geneva" in table and "s2.example" in table and "Negated (does not count)" in table
    listed = {f["id"]: f for f in json.loads(cli("forecasts", "list", "--format", "json").output)}
    assert listed["treaty-signed"]["proposal"]["outcome"] == "yes"
    assert (
        listed["treaty-signed"]["proposal"]["evidence_count"] == 2
        and listed["treaty-signed"]["evidence"] == 2
    )
    assert listed["treaty-signed"]["evidence_negated"] == 1
    assert (
        listed["summit-held"]["proposal"]["outcome"] is None
        and listed["summit-held"]["evidence"] == 1
    )

    pid = treaty["proposal"]["id"]
    assert "resolved yes" in cli("confirm", pid, "--by", "ana", "--note", "two wires agree").output
    again = cli("confirm", pid, "--by", "ana", ok=False)
    assert again.exit_code == 1 and "is confirmed" in again.output
    shown = json.loads(cli("forecasts", "show", "treaty-signed", "--format", "json").output)
    assert shown["status"] == "resolved" and shown["outcome"] == "yes"
    assert shown["resolutions"][0]["evidence_links"] == [
        "https://www.s1.example/x",
        "https://www.s2.example/x",
    ]
    listed = {f["id"]: f for f in json.loads(cli("forecasts", "list", "--format", "json").output)}
    assert (
        listed["treaty-signed"]["proposal"] is None and listed["treaty-signed"]["outcome"] == "yes"
    )
    cli("reopen", "treaty-signed", "--note", "the signing was postponed", "--by", "ana")
    assert audit_actions(engine, "treaty-signed")[-4:] == [
        ("resolver", "propose"),
        ("ana", "resolve"),
        ("ana", "confirm-proposal"),
        ("ana", "reopen"),
    ]
    cli(
        "resolve", "--as-of", "2022-07-01"
    )  # the confirmed proposal is not made again after the reopening
    assert "treaty-signed" not in {
        q["forecast"]["id"] for q in json.loads(cli("review", "--format", "json").output)
    }


def test_reject_and_confirm_with_another_outcome_from_the_cli(cli_corpus):
    cli, engine = cli_corpus
    cli("resolve", "--as-of", "2022-07-01")
    queue = {
        q["forecast"]["id"]: q["proposal"]["id"]
        for q in json.loads(cli("review", "--format", "json").output)
    }
    missing_note = cli("reject", queue["treaty-signed"], ok=False)
    assert missing_note.exit_code != 0
    cli("reject", queue["treaty-signed"], "--note", "a mock-up story", "--by", "bo")
    needs = cli("confirm", queue["summit-held"], "--by", "bo", ok=False)
    assert needs.exit_code == 1 and "outcome: " in needs.output and "give yes, no" in needs.output
    cli(
        "confirm",
        queue["summit-held"],
        "--outcome",
        "no",
        "--by",
        "bo",
        "--note",
        "it was a rehearsal",
    )
    assert audit_actions(engine, "treaty-signed")[-1] == ("bo", "reject-proposal")
    assert ("bo", "confirm-proposal") in audit_actions(engine, "summit-held")
    with session_scope(engine) as session:
        forecast = session.get(Forecast, "treaty-signed")
        assert (
            forecast.status == "closed" and forecast.outcome is None
        )  # rejected: still unresolved
    cli(
        "resolve-manually",
        "treaty-signed",
        "--outcome",
        "no",
        "--note",
        "never signed",
        "--by",
        "bo",
    )

    stats = json.loads(cli("resolver-stats", "--format", "json").output)
    assert stats["confusion_matrix"]["matrix"]["yes"] == {
        "yes": 0,
        "no": 1,
        "annulled": 0,
        "unresolved": 0,
    }
    assert stats["confusion_matrix"]["matrix"]["none"]["no"] == 1
    assert stats["fates"] == {
        "confirmed_as_proposed": 0,
        "confirmed_changed": 1,
        "rejected": 1,
        "auto_confirmed": 0,
    }
    assert stats["precision"] == 0.0 and stats["precision_reviewed"] == 0.0
    assert {g["name"]: (g["decided"], g["wrong"]) for g in stats["by_publisher"]} == {
        "s1.example": (2, 1),
        "s2.example": (1, 1),
    }
    assert {g["name"] for g in stats["by_tag"]} == {"treaties", "diplomacy"}
    table = cli("resolver-stats").output
    assert "Resolver: proposed vs final outcome" in table and "s2.example" in table


def test_auto_confirm_and_the_report_has_a_resolver_section(cli_corpus, tmp_path):
    cli, _engine = cli_corpus
    out = cli("resolve", "--as-of", "2022-07-01", "--auto-confirm", "--by", "batch").output
    assert "Auto-confirmed 1 proposal(s); 1 need an analyst" in out
    assert "Proposals waiting for review: 1 (1 not yet resolvable)" in cli("status").output
    report = tmp_path / "report.json"
    cli("report", "calibration", "--format", "json", "--out", report, "--resamples", "0")
    resolver = json.loads(report.read_text())["resolver"]
    assert resolver["fates"]["auto_confirmed"] == 1 and resolver["precision"] == 1.0
    assert resolver["precision_reviewed"] is None  # no analyst looked at it
    html = tmp_path / "report.html"
    cli("report", "calibration", "--format", "html", "--out", html, "--resamples", "0")
    assert 'id="resolver_matrix"' in html.read_text()
