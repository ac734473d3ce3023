"""Forecast import limits (issue 17, "Forecast import has no size limits", and the Low items on
impossible dates and deep nesting): a 699-byte YAML alias bomb ran for 240 s and 5.5 GB, a
``source.text`` of ``/dev/zero`` used 5.3 GB, a 50 MB file took 478 s, ``source.text`` could
read any local file, and impossible dates and deep nesting gave tracebacks.

Each hostile file must now be refused at once with one line naming the file (and the field where
there is one), and an import holding it must write nothing.  Every test runs under an alarm
(:func:`bounded`): a regression fails here instead of hanging the suite or eating the memory.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import func, select

from tests.test_forecast_files import GOOD, write
from tracker import service
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.forecast_files import MAX_DEPTH, FileLimits
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastImportError
from tracker.models import Forecast
from tracker.settings import Settings

SCALE = EstimativeScale.builtin()

#: the 699-byte file of the report: nine levels of nine aliases, 9**9 strings once expanded
BOMB = "source: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{key}: &{key} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, key in zip("abcdefgh", "bcdefghi", strict=True)
)


@contextmanager
def bounded(seconds: float = 10) -> Iterator[None]:
    """Fails the test (instead of hanging it) if the block runs longer than ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def problems(*paths: Path, limits: FileLimits | None = None) -> list[str]:
    """Every problem ``tracker forecasts check`` (and so an import) reports, as printed."""
    with bounded():
        try:
            registry.load_files(list(paths), SCALE, limits)
        except ForecastImportError as exc:
            return [str(p) for p in exc.problems]
    return []


def test_the_alias_bomb_is_refused_at_once(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB.encode()) < 800
    found = problems(path, limits=FileLimits())
    assert len(found) == 1
    assert str(path) in found[0] and "aliases expand to more than 100,000 values" in found[0]


def test_a_few_aliases_are_still_fine(tmp_path):
    body = GOOD.replace("tags: [treaties]", "tags: &tags [treaties]").replace(
        "tags: [nato, enlargement]", "tags: *tags"
    )
    assert problems(write(tmp_path, body)) == []


def test_an_alias_loop_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("source: &s {title: *s}\n", encoding="utf-8")
    (found,) = problems(path)
    assert "loop.yaml:1" in found and "an alias refers to the node that holds it" in found


@pytest.mark.parametrize("open_, close", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_one_line_not_a_traceback(tmp_path, open_, close):
    path = tmp_path / "deep.yaml"
    path.write_text("source: " + open_ * 100_000 + close * 100_000 + "\n", encoding="utf-8")
    (found,) = problems(path)
    assert "deep.yaml:1" in found and f"nested more than {MAX_DEPTH} levels deep" in found


def test_a_file_over_the_size_limit_is_not_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * 20_000, encoding="utf-8")  # 200 kB
    (found,) = problems(path, limits=FileLimits(file_bytes=100_000))
    assert str(path) in found and "200,000 bytes, over the limit of 100,000" in found
    assert "forecast_file_max_bytes" in found


def test_the_size_limit_comes_from_the_settings(tmp_path):
    path = write(tmp_path, GOOD + "# a comment\n" * 100)
    settings = Settings(data_dir=tmp_path, forecast_file_max_bytes=1024)
    with bounded():
        found = service.check_forecasts([path], SCALE, settings)
    expected = f"the file is {path.stat().st_size:,} bytes, over the limit of 1,024"
    assert [p.message for p in found.problems] == [
        expected + "; split it, or raise forecast_file_max_bytes"
    ]
    assert service.check_forecasts([path], SCALE, Settings(data_dir=tmp_path)).problems == []


def test_a_device_or_a_pipe_named_as_a_forecast_file_is_refused(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # nobody writes to it: reading it would block forever
    (found,) = problems(fifo)
    assert "pipe.yaml" in found and "not a regular file" in found
    (found,) = problems(Path("/dev/zero"))
    assert "not a regular file" in found


def _with_text(tmp_path: Path, text: str) -> Path:
    return write(tmp_path, GOOD.replace("text: source.txt", f"text: {text!r}"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/dev/zero", "is outside the folder of the forecast file"),
        ("/etc/passwd", "is outside the folder of the forecast file"),
        ("../outside.txt", "is outside the folder of the forecast file"),
        ("sub/../../outside.txt", "is outside the folder of the forecast file"),
        ("link-out.txt", "is outside the folder of the forecast file"),
        ("zero-link.txt", "is outside the folder of the forecast file"),
        ("folder", "is not a regular file"),
        ("pipe.txt", "is not a regular file"),
    ],
)
def test_source_text_is_only_a_regular_file_beside_the_forecast_file(tmp_path, text, reason):
    folder = tmp_path / "forecasts"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text("The secret.", encoding="utf-8")
    (folder / "link-out.txt").symlink_to(tmp_path / "outside.txt")
    (folder / "zero-link.txt").symlink_to("/dev/zero")
    (folder / "folder").mkdir()
    os.mkfifo(folder / "pipe.txt")
    found = problems(_with_text(folder, text))
    assert found, "the source text was read"
    first = found[0]
    assert "op-ed.yaml:" in first and "source.text" in first
    assert f"the source text {text!r} {reason}" in first
    # the quotes are not checked against a text that was not read: one problem only
    assert len(found) == 1, found


def test_a_source_text_in_a_subfolder_or_through_a_link_inside_is_read(tmp_path):
    sub = tmp_path / "sources"
    sub.mkdir()
    write(tmp_path, GOOD)
    (tmp_path / "source.txt").rename(sub / "text.txt")
    (tmp_path / "inside-link.txt").symlink_to(sub / "text.txt")
    for name in ("sources/text.txt", "inside-link.txt"):
        path = tmp_path / "op-ed.yaml"
        path.write_text(GOOD.replace("text: source.txt", f"text: {name}"), encoding="utf-8")
        assert problems(path) == []


def test_a_source_text_over_its_limit_is_refused(tmp_path):
    path = write(tmp_path, GOOD)
    with (tmp_path / "source.txt").open("a", encoding="utf-8") as handle:
        handle.write("x" * 5000)
    (found,) = problems(path, limits=FileLimits(text_bytes=2048))
    assert "the source text 'source.txt' is" in found and "over the limit of 2,048" in found
    assert "source_text_max_bytes" in found


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("opens", "2022-02-30", "opens"),
        ("closes", "2022-13-01", "closes"),
        ("opens", "2022-01-21 25:00:00", "opens"),
    ],
)
def test_an_impossible_unquoted_date_names_its_field(tmp_path, field, value, shown):
    body = GOOD.replace(f"    {field}: 2022-", f"    {field}: {value} #", 1)
    found = problems(write(tmp_path, body))
    assert len(found) == 1, found
    assert "op-ed.yaml:" in found[0] and "treaty-signed" in found[0] and shown in found[0]
    assert "\n" not in found[0]


def test_an_impossible_date_in_the_source_names_its_field(tmp_path):
    (found,) = problems(
        write(tmp_path, GOOD.replace("published: 2022-01-21", "published: 2022-02-30"))
    )
    assert "op-ed.yaml:" in found and "source.published" in found


def test_an_import_with_a_hostile_file_writes_nothing(engine, tmp_path):
    good = write(tmp_path, GOOD)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    with bounded(), pytest.raises(ForecastImportError), session_scope(engine) as session:
        service.import_forecasts(session, [good, bomb], SCALE, actor="t")
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Forecast)).one() == 0


def test_the_cli_prints_one_line_per_problem(cli, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    cli("init")
    with bounded():
        result = cli("forecasts", "import", path, ok=False)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "bomb.yaml" in lines[0]
