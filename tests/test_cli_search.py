"""`tracker articles search` and `tracker forecasts search`: the same query syntax as the web, the
next page's command printed ready to run (pasted as printed, it prints the next page), JSON with
the cursor, and a bad query as one line.  Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shlex

from tests.test_web_articles import store


def _pasted(output: str) -> list[str]:
    """The arguments of the printed "Next page:" command, as a shell reads the lines."""
    lines = output.split("Next page:\n", 1)[1]
    words = shlex.split(lines.replace("\\\n", " "))
    assert words[0] == "tracker"
    return words[1:]


def _row_ids(output: str) -> list[int]:
    return [int(i) for i in re.findall(r"^\s*(\d+)\s+\d{4}-\d\d-\d\d \d\d:\d\d", output, re.M)]


def test_articles_search_pages_by_the_printed_command(seeded, cli):
    store(seeded.engine)
    query = "senate OR sanctions OR moratorium OR quiet"
    every = json.loads(cli("articles", "search", query, "--format", "json").output)
    assert len(every["items"]) == 4 and every["next_cursor"] is None
    first = cli("articles", "search", query, "--limit", "3", "--since", "2022-03-01").output
    assert "3 article(s) on this page" in first and "Next page:" in first
    assert all(len(line) <= 80 for line in first.splitlines())
    second = cli(*_pasted(first)).output
    assert "Next page:" not in second
    assert _row_ids(first) + _row_ids(second) == [item["article_id"] for item in every["items"]]


def test_searches_print_hit_words_and_refuse_a_bad_query_in_one_line(seeded, cli):
    ids = store(seeded.engine)
    out = cli("articles", "search", "treaty", "--publisher", "wire-b.example").output
    assert f" {ids['Senate treaty vote']} " in out and "Senate treaty vote" in out
    bad = cli("articles", "search", '"open', ok=False)
    assert bad.exit_code == 1
    assert bad.output.strip().startswith("Error: q: ") and len(bad.output.strip().splitlines()) == 1
    hits = json.loads(cli("forecasts", "search", "senate", "--format", "json").output)
    assert "senate-ratifies-russia-agreement" in [hit["id"] for hit in hits["items"]]
    day = cli("articles", "search", "treaty", "--since", "March 1st", ok=False)
    assert day.output.strip() == "Error: since: 'March 1st' is not a date; write it as YYYY-MM-DD"


def test_a_query_starting_with_an_exclusion_is_the_query_not_an_option(seeded, cli):
    """``-weather report`` (report, but not weather) is typed as the syntax says, before or after
    the options, and its printed next page runs as pasted; an option's value and a mistyped option
    are still read as before."""
    ids = store(seeded.engine)
    query = "-weather report OR senate OR sanctions"
    every = json.loads(cli("articles", "search", query, "--format", "json").output)
    found = [item["article_id"] for item in every["items"]]
    assert sorted(found) == sorted(
        ids[title] for title in ("Senate treaty vote", "Sanctions widen", "A quiet week")
    )
    first = cli("articles", "search", "--limit", "2", query).output
    assert _pasted(first)[:3] == ["articles", "search", query]
    assert _row_ids(first) + _row_ids(cli(*_pasted(first)).output) == found
    hits = json.loads(cli("forecasts", "search", "-moscow senate", "--format", "json").output)
    assert "senate-ratifies-russia-agreement" in [hit["id"] for hit in hits["items"]]
    odd = cli("articles", "search", "report", "--publisher", "-wire-b", "--format", "json")
    assert json.loads(odd.output)["items"] == []  # an option's value stays its value
    typo = cli("articles", "search", query, "--limt", "2", ok=False)
    assert typo.exit_code == 2 and "No such option: --limt" in typo.output
