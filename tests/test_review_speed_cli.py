"""The review queue at speed from the CLI: `tracker confirm` takes several ids (all checked before
any is confirmed), `tracker review --interactive` walks the queue with single-key answers,
`tracker review` reads at 80 columns with every URL whole on its own line, and a proposal
rejected after the close date shows as "needs an outcome" in `review` and `status`.

Proposals come from the real resolution stage (:func:`tests.web_fixtures.add_proposals`); each
test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.web_fixtures import add_proposals
from tracker.db import session_scope
from tracker.models import Forecast, Proposal

HOSTILE = "hostile-forecast"  # evidence, yes
MORATORIUM = "nato-moratorium"  # disputed: no outcome proposed; closed 2023-12-31
DEMANDS = "us-implements-russian-demands"  # evidence, no
BUCHAREST = "bucharest-retraction-madrid"  # default at close, no
COUNTERPROPOSALS = "us-nato-written-counterproposals"  # default at close, no
URL_LINE = re.compile(r"^\s*https?://\S+$")


@pytest.fixture
def queue(cli, seeded) -> dict[str, int]:
    cli("init")
    return {key: p.id for key, p in add_proposals(seeded.engine).items()}


def run(cli, *args: str, width: int = 80, input: str | None = None):
    return cli.runner.invoke(
        cli.app,
        [str(a) for a in args],
        env={**cli.env, "COLUMNS": str(width)},
        input=input,
        catch_exceptions=False,
    )


def state(engine, forecast_id: str) -> tuple[str, str | None]:
    with session_scope(engine) as session:
        forecast = session.get(Forecast, forecast_id)
        return forecast.status, forecast.outcome


def proposal_status(engine, proposal_id: int) -> str:
    with session_scope(engine) as session:
        return session.get(Proposal, proposal_id).status


def test_confirm_takes_several_ids_and_a_bad_one_confirms_nothing(cli, seeded, queue):
    chosen = [queue[DEMANDS], queue[BUCHAREST], queue[COUNTERPROPOSALS]]
    unknown = run(cli, "confirm", *chosen, 99_999, "--by", "ana")
    assert unknown.exit_code == 1 and "99999" in unknown.output
    disputed = run(cli, "confirm", *chosen, queue[MORATORIUM], "--by", "ana")
    assert disputed.exit_code == 1 and "proposes no outcome" in disputed.output
    assert all(proposal_status(seeded.engine, pid) == "pending" for pid in chosen)
    several_outcomes = run(cli, "confirm", *chosen, "--outcome", "yes", "--by", "ana")
    assert several_outcomes.exit_code != 0 and "one id" in several_outcomes.output

    done = run(cli, "confirm", *chosen, "--by", "ana")
    assert done.exit_code == 0, done.output
    lines = done.output.strip().splitlines()
    assert lines == [
        f"Proposal {pid} confirmed: {fid} resolved no."
        for pid, fid in zip(chosen, (DEMANDS, BUCHAREST, COUNTERPROPOSALS), strict=True)
    ]
    assert all(state(seeded.engine, f) == ("resolved", "no") for f in (DEMANDS, BUCHAREST))


def test_interactive_review_confirms_rejects_and_skips_with_single_keys(cli, seeded, queue):
    order = [q["proposal"] for q in json.loads(run(cli, "review", "--format", "json").output)]
    first, second, third, fourth = order[:4]
    assert second["id"] == queue[MORATORIUM] and first["outcome"] is not None
    # "c" on the disputed card is refused (nothing proposed) and asked again; "x" is not a key
    keys = "c" + "cxr" + "the diplomat was misquoted\n" + "s" + "q"
    result = run(cli, "review", "--interactive", "--by", "ana", input=keys)
    assert result.exit_code == 0, result.output
    out = result.output
    assert state(seeded.engine, first["question_id"]) == ("resolved", first["outcome"])
    assert proposal_status(seeded.engine, queue[MORATORIUM]) == "rejected"
    with session_scope(seeded.engine) as session:
        assert session.get(Proposal, queue[MORATORIUM]).decision_note == (
            "the diplomat was misquoted"
        )
    assert proposal_status(seeded.engine, third["id"]) == "pending"  # skipped
    assert proposal_status(seeded.engine, fourth["id"]) == "pending"  # quit before it
    assert f"[5/{len(order)}]" not in out
    assert "proposes no outcome" in out and "press one of" in out
    assert "Confirmed 1, rejected 1, skipped 1" in out
    # each card: the question, the criteria, the quote with its probability, then the evidence
    card = out[out.index(f"Proposal {queue[DEMANDS]}") :]
    labels = [card.index(label) for label in ("Question:", "Criteria:", "Quote:", "Evidence")]
    assert labels == sorted(labels)
    for line in out.splitlines():
        assert len(line) <= 80 or URL_LINE.match(line), line


def test_review_reads_at_80_columns_with_urls_whole(cli, seeded, queue):
    result = run(cli, "review")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for line in lines:
        assert len(line) <= 80 or URL_LINE.match(line), f"{len(line)}: {line}"
    urls = {line.strip() for line in lines if URL_LINE.match(line)}
    assert "https://www.evil-b.example/x" in urls  # a hostile article's link, whole
    assert all(str(pid) in result.output for pid in queue.values())


def test_rejected_after_close_needs_an_outcome_in_review_and_status(cli, seeded, queue):
    assert "Needs an outcome: 0" in run(cli, "status").output
    cli("reject", queue[MORATORIUM], "--note", "misread", "--by", "ana")
    status = run(cli, "status").output
    assert "Needs an outcome: 1" in status
    review = run(cli, "review").output
    assert "1 forecast needs an outcome" in review and f"Needs an outcome  {MORATORIUM}" in review
    assert f"tracker resolve-manually {MORATORIUM}" in review
    cli("resolve-manually", MORATORIUM, "--outcome", "no", "--note", "never announced")
    assert "Needs an outcome: 0" in run(cli, "status").output
    assert MORATORIUM not in run(cli, "review").output
