"""The short soak (issue 17): a real worker and beat on Redis poll loopback feeds for 2 minutes
while the feed server hangs, resets, fails, trickles, redirects and garbles at random; then
nothing is lost, nothing stored twice, no lease is left, memory holds and polls come on time.

The 10-minute soak with 500 feeds is ``benchmarks/soak.py`` (figures in the README).  This one
uses fewer feeds to fit a 2-core machine; it is bounded by the soak's catch-up limit (the
faulty phase, then at most ``catch_up_minutes`` for feeds in backoff to be polled again).
"""

from __future__ import annotations

import pytest

from benchmarks.soak import SoakOptions, SoakReport, run_soak
from tests.services import redis_url

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> SoakReport:
    options = SoakOptions(
        minutes=2.0,
        feeds=120,
        hosts=12,
        concurrency=2,
        min_interval_s=60,
        max_interval_s=90,
        fault_rate=0.12,
        catch_up_minutes=6.0,
        redis_url=redis_url(),
        say=lambda line: None,
    )
    return run_soak(options, tmp_path_factory.mktemp("soak"))


def check(report: SoakReport, name: str) -> str:
    [found] = [c for c in report.checks if c.name == name]
    assert found.ok, f"{found.name}: {found.value} (limit {found.limit})\n{report.table()}"
    return found.value


def test_every_published_entry_is_stored_once(report: SoakReport) -> None:
    check(report, "catch-up after the faults stopped")
    check(report, "articles stored / expected")


def test_faults_were_injected_and_broke_no_task(report: SoakReport) -> None:
    [served] = [c.value for c in report.checks if c.name == "requests by answer"]
    assert "ok" in served and any(kind in served for kind in ("hang", "reset", "error"))
    check(report, "task errors in the worker's log")


def test_no_lease_left_and_memory_holds(report: SoakReport) -> None:
    check(report, "leases left")
    check(report, "worker memory start -> end")


def test_polls_come_on_time(report: SoakReport) -> None:
    check(report, "poll lateness p95")
