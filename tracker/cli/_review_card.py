"""How `tracker review` prints a card at 80 columns (and `review --interactive`, one at a time):
the proposal's line, then the question, the resolution criteria, the author's quote and
probability, then the evidence, each article's URL whole on a line of its own.  A question that
needs an outcome (a proposal rejected after its close date) gets the same card with what to run.

Imports only rich and the CLI's light layout helpers: safe at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from tracker.cli._layout import Col, Record, print_fields, print_records, untrusted

if TYPE_CHECKING:
    from tracker.models import Forecast
    from tracker.resolution import EvidenceView, ReviewItem
    from tracker.service import NeedsOutcome

EVIDENCE_COLUMNS = (
    Col("side", "key"),
    Col("published", "number"),
    Col("publisher", "key"),
    Col("field", "text", drop=1),
)
#: the single-key answers of `tracker review --interactive`
KEYS = {
    "c": "confirm as proposed",
    "y": "yes",
    "n": "no",
    "r": "reject",
    "s": "skip",
    "q": "quit",
}


def keys_prompt() -> str:
    """``c confirm as proposed, y yes, ...``: one line at 80 columns."""
    return ", ".join(f"{key} {label}" for key, label in KEYS.items())


def _forecast_fields(console: Console, forecast: Forecast, criteria: str | None) -> None:
    probability = f"{forecast.probability:.0%} (“{forecast.estimate}”)"
    window = f"{forecast.opens:%Y-%m-%d} – {forecast.closes:%Y-%m-%d}"
    print_fields(
        console,
        [
            ("Question", forecast.question),
            ("Criteria", criteria or "none written: see `tracker forecasts show`"),
            ("Quote", f"“{forecast.quote}”"),
            ("Probability", probability),
            ("Window", window),
        ],
        indent=2,
    )


def _evidence(console: Console, title: str, rows: Sequence[EvidenceView]) -> None:
    records = [
        Record(
            [e.side, f"{e.published_at:%Y-%m-%d}", e.publisher, e.field or ""],
            under=[f"“{e.sentence}”", *_not_verified(e)],
            urls=[e.url] if e.url else [],
        )
        for e in rows
    ]
    console.print()
    print_records(console, EVIDENCE_COLUMNS, records, title=title, indent=2, shorten=False)


def _not_verified(e: EvidenceView) -> list[str]:
    """A line under an item whose link names another publisher than the one it counts for."""
    if e.link_publisher is None:
        return []
    return [f"(link on {e.link_publisher}, not verified: counts for {e.publisher})"]


def print_card(console: Console, item: ReviewItem) -> None:
    """A proposal waiting for review (see the module docstring)."""
    p, f = item.proposal, item.forecast
    proposed = p.outcome.upper() if p.outcome else "no outcome proposed"
    head = Text.assemble(
        ("\nProposal ", "bold"),
        (str(p.id), "bold"),
        untrusted(f"  {f.id}  "),
        (proposed, "bold"),
        f"  ({p.kind.replace('_', ' ')}, made {p.created_at:%Y-%m-%d})",
    )
    console.print(head, highlight=False)
    _forecast_fields(console, f, f.criteria)
    console.print(Padding(untrusted(p.reason, "dim"), (0, 0, 0, 2)), highlight=False)
    counting = [e for e in item.evidence if e.counts]
    negated = [e for e in item.evidence if e.negated]
    if counting:
        _evidence(console, f"Evidence ({len(counting)})", counting)
    else:
        console.print(Text("  No counting evidence.", style="dim"))
    if negated:
        _evidence(console, "Negated (does not count)", negated)
    hint = " --outcome yes|no" if item.needs_outcome else ""
    console.print(
        Text(f"  tracker confirm {p.id}{hint}  or  tracker reject {p.id} --note ...", style="dim")
    )


def print_needs_outcome(console: Console, card: NeedsOutcome) -> None:
    """A question that needs an outcome: why (the rejected proposal) and how to resolve it."""
    f, r = card.forecast, card.rejected
    head = Text.assemble(
        ("\nNeeds an outcome  ", "bold"), (f.id, "bold"), f"  (closed {f.closes:%Y-%m-%d})"
    )
    console.print(head, highlight=False)
    _forecast_fields(console, f, card.criteria)
    note = f": “{r.decision_note}”" if r.decision_note else ""
    console.print(
        untrusted(
            f"  proposal {r.id} ({r.kind.replace('_', ' ')}) rejected by {r.decided_by}{note}"
        ),
        highlight=False,
    )
    if card.evidence:
        _evidence(console, f"Evidence ({len(card.evidence)})", card.evidence)
    console.print(
        Text(
            f"  tracker resolve-manually {f.id} --outcome yes|no|annulled --note ...",
            style="dim",
        )
    )
