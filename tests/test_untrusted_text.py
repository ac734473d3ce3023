"""Text from feeds, OPML and forecast files is printed as text (issue 17, "Feed, OPML and forecast
text is read as terminal markup"): a title ``[/bold]`` crashed `articles list`, `articles search`,
`feeds list` and `review`, ``[link=...]`` became a clickable link, and escape codes (ESC, CSI,
OSC 8 hyperlinks, BEL, backspace, C1 controls) reached the terminal.

Every command here runs over a database whose feed, articles, forecast and proposals carry such
text, in-process (typer's runner, no terminal: rich adds no colour, so any ESC byte in the output
came from the data).  The output must hold no ESC, no C1 control, no BEL or backspace, and show
the brackets as they were written.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from tests.conftest import Cli
from tests.web_fixtures import add_proposals
from tracker import db, ingest
from tracker.cli._layout import guarded, json_text, untrusted, visible
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.search import index_articles

#: an OSC 8 hyperlink, a clear-screen CSI, BEL, backspace, an 8-bit CSI (C1), a bidi override,
#: and rich markup that closes a tag never opened and makes a link
HOSTILE = (
    "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ [/bold] [link=http://evil.example/]"
    "here[/link] \x1b[2J\x07\x08 \x9b31m \u202eevil"
)
#: what must never reach the terminal
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\x08", "\u202e")
WORD = "Breaking"

FORECAST_YAML = """\
source:
  title: "Title \\e[31m red [/bold]"
  author: "Mallory \\e]8;;http://evil.example/\\a[link=http://evil.example/]x[/link]"
  publisher: "Evil Times \\x9b2J"
  published: 2022-01-21
forecasts:
  - id: hostile-terminal
    question: "Will \\e[2J the [/bold] screen stay \\x07 clean?"
    quote: "It is likely \\e[5m [/italic]."
    estimate: likely
    probability: 0.7
    opens: 2022-01-21
    closes: 2030-12-31
    tags: ["[/tag]"]
    notes: "a note \\b\\b with backspaces"
    resolution:
      criteria: "[red]criteria\\e[0m"
      yes_when:
        any: ["screen stays clean"]
"""


def _articles(title: str) -> list[tuple[str, str, str, str, str]]:
    sentence = f"{HOSTILE} Witnesses said the screen stays clean today."
    return [
        ("https://www.evil-a.example/", "https://www.evil-a.example/1\x1b[2J", title, sentence,
         "2022-02-10"),
        ("https://www.evil-b.example/", "https://www.evil-b.example/2", title, sentence,
         "2022-02-11"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    tmp = tmp_path_factory.mktemp("untrusted")
    url = f"sqlite:///{tmp / 'tracker.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    path = tmp / "hostile.yaml"
    path.write_text(FORECAST_YAML, encoding="utf-8")
    files = registry.load_files([path], EstimativeScale.builtin())
    with session_scope(engine) as session:
        registry.import_files(session, files, today=date(2022, 2, 1), actor="importer")
        feed = ingest.add_feed(
            session, "http://127.0.0.2/feed.xml", interval=timedelta(hours=1), title=HOSTILE
        )
        feed.last_error, feed.error_kind, feed.consecutive_failures = HOSTILE, "parse", 1
    add_proposals(engine, _articles(f"{WORD} {HOSTILE}"))
    with session_scope(engine) as session:  # stored as a test stores them: index them too
        index_articles(session, ingest.all_article_ids(session))
    engine.dispose()
    yield Cli(url, tmp / "data")
    db._cached_engine.cache_clear()


COMMANDS = [
    ["articles", "list"],
    ["articles", "list", "--wide"],
    ["articles", "search", WORD],
    ["articles", "search", WORD, "--wide"],
    ["forecasts", "search", "screen"],
    ["feeds", "list"],
    ["feeds", "list", "--wide"],
    ["review"],
    ["forecasts", "list"],
    ["forecasts", "show", "hostile-terminal"],
    ["questions", "list"],
    ["authors", "list"],
    ["status"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_commands_print_hostile_text_as_text(hostile: Cli, args: list[str]) -> None:
    result = hostile.runner.invoke(hostile.app, args, env={**hostile.env, "COLUMNS": "100"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    for char in FORBIDDEN:
        assert char not in result.output, f"{char!r} reached the terminal:\n{result.output}"


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["articles", "list", "--wide"], "[/bold] [link=http://evil.example/]here[/link]"),
        (
            ["articles", "search", WORD, "--wide"],
            "[/bold] [link=http://evil.example/]here[/link]",
        ),
        (["forecasts", "search", "screen", "--wide"], "the [/bold] screen"),
        (["feeds", "list", "--wide"], "[/bold] [link=http://evil.example/]here[/link]"),
        (["review"], "[/bold] [link=http://evil.example/]here[/link]"),
        (["forecasts", "show", "hostile-terminal"], "the [/bold] screen"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_markup_is_shown_as_written_and_escape_codes_as_symbols(
    hostile: Cli, args: list[str], shown: str
) -> None:
    output = hostile(*args).output
    assert shown in " ".join(output.split())
    assert "␛]8;;http://evil.example/" in output or "␛[2J" in output


@pytest.mark.parametrize(
    "args",
    [
        ["articles", "list", "--format", "json"],
        ["feeds", "list", "--format", "json"],
        ["review", "--format", "json"],
        ["forecasts", "list", "--format", "json"],
    ],
    ids=" ".join,
)
def test_json_output_escapes_control_characters_and_keeps_the_value(
    hostile: Cli, args: list[str]
) -> None:
    output = hostile(*args).output
    assert not any(char in output for char in FORBIDDEN)
    assert any("\x1b" in text for text in _strings(json.loads(output)))  # the value is kept


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [text for item in value for text in _strings(item)] if isinstance(value, list) else []


def test_an_error_message_holding_escape_codes_prints_them_as_symbols(hostile: Cli) -> None:
    result = hostile.runner.invoke(
        hostile.app, ["feeds", "add", "http://evil.example/\x1b[2J\x9b"], env=hostile.env
    )
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x9b" not in result.output


def test_untrusted_replaces_every_control_character_one_for_one() -> None:
    text = (
        "".join(chr(c) for c in range(0x20)) + "\x7f" + "".join(chr(c) for c in range(0x80, 0xA0))
    )
    shown = visible(text)
    assert len(shown) == len(text)
    assert shown.isprintable() is False  # the newline and the tab stay
    assert [c for c in shown if not c.isprintable()] == ["\t", "\n"]
    assert visible("\x1b[31m") == "␛[31m" and visible("\x07") == "␇" and visible("\x7f") == "␡"
    styled = Text("a\x1bb", style="bold")
    assert untrusted(styled).plain == "a␛b" and untrusted(styled).style == "bold"
    assert untrusted("[/bold]").plain == "[/bold]"
    assert json.loads(json_text(["\x9b\u202e"])) == ["\x9b\u202e"]
    assert "\x9b" not in json_text(["\x9b"])


def test_a_guarded_console_shows_what_a_command_forgot_to_clean(tmp_path: Path) -> None:
    console = guarded(Console(file=(tmp_path / "out").open("w"), width=80))
    console.print("plain \x1b[2J string", markup=False)
    console.print(Text("a Text \x9b31m"))
    console.file.close()
    out = (tmp_path / "out").read_text()
    assert "\x1b" not in out and "\x9b" not in out and "␛[2J" in out


def test_an_opml_export_of_a_hostile_title_is_xml_that_imports_again(hostile: Cli) -> None:
    from defusedxml import ElementTree

    from tracker.ingest._opml import read_opml

    output = hostile("feeds", "export-opml").output
    assert not any(char in output for char in FORBIDDEN[:4])
    ElementTree.fromstring(output.encode())  # well-formed (the raw ESC made it unreadable)
    (feed,) = [f for f in read_opml(output.encode(), "export") if f.url.startswith("http://127")]
    assert "[/bold] [link=http://evil.example/]here[/link]" in (feed.title or "")


def test_a_scorecard_as_csv_on_the_terminal_carries_no_escape_code(hostile: Cli) -> None:
    hostile("resolve-manually", "hostile-terminal", "--outcome", "yes", "--note", "test")
    args = ["scorecard", "--format", "csv", "--by", "author", "--as-of", "2031-01-01"]
    output = hostile(*args, "--resamples", "50").output
    assert "Mallory" in output and "\x1b" not in output and "␛]8;;http://evil.example/" in output
