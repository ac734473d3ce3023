"""A draft forecast file from a :class:`Draft`: the format of ``forecasts/*.yaml``, one forecast per
candidate, with the extractor's confidence and reasons in comments above each.

Every value is written by PyYAML's ``safe_dump`` (quoted and escaped as needed), so text from an
article cannot break the file or smuggle in a key; comments are single lines with every line
break and control character of the text made a space.  Only keys the forecast file knows are
written; the reasons, the condition and the vague mark are comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import yaml

from tracker.clock import today
from tracker.extract._contract import Candidate, Draft

#: how many independent sources must report the evidence (the forecast files' default)
MIN_SOURCES = 2
UNTITLED = "Untitled source"
UNKNOWN_AUTHOR = "Unknown author"


def scalar(value: Any) -> str:
    """One YAML value on one line, quoted as YAML needs (``'no'``, ``'a: b'``), lists in flow
    style."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1_000_000_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def comment(text: str) -> str:
    """``text`` as one comment line: line breaks and control characters become spaces."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return "# " + " ".join(cleaned.split())


def _source_lines(draft: Draft, text_path: str | None) -> Iterator[str]:
    meta = draft.meta
    if not meta.title or not meta.author:
        yield comment("fill in the title and the author: the source did not give them")
    yield "source:"
    fields = {
        "title": meta.title or UNTITLED,
        "author": meta.author or UNKNOWN_AUTHOR,
        "publisher": meta.publisher,
        "url": meta.url,
        "published": meta.published,
        "text": text_path,
    }
    yield from (f"  {key}: {scalar(value)}" for key, value in fields.items() if value is not None)


def _rules_lines(name: str, rules: dict[str, list[str]] | None) -> Iterator[str]:
    if rules:
        yield f"      {name}:"
        yield from (
            f"        {role}: {scalar(phrases)}" for role, phrases in rules.items() if phrases
        )


def _comments(candidate: Candidate) -> Iterator[str]:
    yield comment(f"confidence {candidate.confidence:.2f}: {candidate.reason}")
    yield comment(f"closes {candidate.closes}: {candidate.closes_reason}")
    if candidate.condition:
        yield comment(f"conditional: {candidate.condition}")
    if candidate.vague:
        yield comment(f"'{candidate.estimate}' is a vague term on the scale")


def _forecast_lines(candidate: Candidate, opens: date) -> Iterator[str]:
    yield from (f"  {line}" for line in _comments(candidate))
    fields = {
        "question": candidate.question,
        "quote": candidate.quote,
        "estimate": candidate.estimate,
        "probability": round(candidate.probability, 4),
        "opens": opens,
        "closes": max(candidate.closes, opens),
        "tags": candidate.tags,
    }
    yield f"  - id: {scalar(candidate.id)}"
    yield from (f"    {key}: {scalar(value)}" for key, value in fields.items() if value != [])
    yield "    resolution:"
    yield from _rules_lines("yes_when", candidate.yes_when)
    yield from _rules_lines("no_when", candidate.no_when)
    yield f"      min_sources: {MIN_SOURCES}"
    yield f"      default_at_close: {scalar(candidate.default_at_close)}"


def draft_yaml(draft: Draft, text_path: str | None = None) -> str:
    """The draft forecast file; ``text_path`` is ``source.text`` (the source text's path,
    relative to where the file will be), so the quotes are checked against it."""
    opens = draft.opens or draft.meta.published or today()
    where = draft.meta.url or text_path or "the given text"
    lines = [
        comment(
            f"Draft made by `tracker extract` ({draft.extractor or 'an'} extractor) from {where}: "
            f"{len(draft.candidates)} candidate(s)."
        ),
        comment(
            "Every field is a draft: check each question, close date and rule, and delete what "
            "is not a forecast; `tracker forecasts check FILE` validates it."
        ),
        *_source_lines(draft, text_path),
        "",
    ]
    if not draft.candidates:
        lines += [comment("no sentence of the text makes a prediction the extractor knows"), ""]
    lines.append("forecasts:" if draft.candidates else "forecasts: []")
    for candidate in draft.candidates:
        lines += ["", *_forecast_lines(candidate, opens)]
    return "\n".join(lines) + "\n"
