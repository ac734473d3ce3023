"""The report's summary in plain words: who, how many, the headline score and what it means,
the costliest misses, and the calibration verdict.

:func:`plain_summary` is a pure function of a scorecard; every format renders the same
sentences (JSON under ``summary``), so a colleague reads the same verdict wherever they look.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tracker.scoring import Scorecard

#: always saying 50 % scores this Brier score, whatever happens
HALF_BRIER = 0.25
#: below this many scored forecasts there is no verdict on calibration
MIN_FOR_VERDICT = 10
#: a probability bin speaks in the verdict only with at least this many forecasts
MIN_PER_BIN = 3
#: the costliest misses named in the summary
MISSES_SHOWN = 3


@dataclass(frozen=True)
class BinVerdict:
    """Adjacent probability bins whose forecasts missed the same way."""

    low: float
    high: float
    count: int
    observed: float
    kind: str  # "overconfident" or "underconfident"

    def sentence(self) -> str:
        return (
            f"forecasts at {_pct(self.low)}–{_pct(self.high)} % came true "
            f"{_pct(self.observed)} % of the time ({self.count} forecasts): {self.kind}"
        )


@dataclass(frozen=True)
class PlainSummary:
    who: str
    count: int
    headline: str
    meaning: str
    misses: list[str] = field(default_factory=list)
    verdict: str = ""
    bins: list[BinVerdict] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """The summary as paragraphs, in reading order."""
        parts = [self.who, self.headline, self.meaning]
        if self.misses:
            parts.append("Most costly misses: " + "; ".join(self.misses) + ".")
        elif self.count:
            parts.append("No forecast was on the wrong side of 50 %: there is no costly miss.")
        parts.append(self.verdict)
        return [p for p in parts if p]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = self.sentences()
        return data


def _pct(p: float) -> str:
    return f"{100 * p:.0f}"


def _who(card: Scorecard) -> str:
    f = card.filters
    authors = authors_of(card)
    if len(authors) == 1:
        who = f"Forecasts by {authors[0]}"
    elif authors:
        shown = ", ".join(authors[:5]) + (
            f" and {len(authors) - 5} more" if len(authors) > 5 else ""
        )
        who = f"Forecasts by {len(authors)} forecasters ({shown})"
    else:
        who = "Forecasts by all forecasters"
    scope = [f"source {f.source}" if f.source else "", f"tag {f.tag}" if f.tag else ""]
    if f.resolved_between:
        scope.append(
            f"resolved {f.resolved_between[0].isoformat()} to {f.resolved_between[1].isoformat()}"
        )
    scope_text = "; ".join(s for s in scope if s)
    scored = card.summary.count
    return (
        f"{who}{f' ({scope_text})' if scope_text else ''}: {scored} forecast"
        f"{'' if scored == 1 else 's'} scored as of {f.day().isoformat()}."
    )


def _headline(card: Scorecard) -> str:
    s = card.summary
    if not s.count or s.brier is None:
        return "No forecast has both an outcome and a passed close date yet, so there is no score."
    text = f"Brier score {s.brier:.3f} (0 is perfect, lower is better"
    if card.brier_interval is not None:
        i = card.brier_interval
        text += f"; 95 % interval {i.low:.3f}–{i.high:.3f}"
    return text + ")."


def _comparison(score: float, reference: float, who: str) -> str:
    if abs(score - reference) < 1e-9:
        return f"the same as {who} ({reference:.3f})"
    word = "better than" if score < reference else "worse than"
    return f"{word} {who} ({reference:.3f})"


def _meaning(card: Scorecard) -> str:
    s = card.summary
    if not s.count or s.brier is None:
        return ""
    text = "That is " + _comparison(s.brier, HALF_BRIER, "always saying 50 %")
    if s.base_rate is not None:
        base = s.base_rate * (1 - s.base_rate)
        text += (
            f", and {_comparison(s.brier, base, 'always forecasting the observed frequency')}"
            f" — {_pct(s.base_rate)} % of these questions came true"
        )
    i = card.brier_interval
    if i is not None and i.low <= HALF_BRIER <= i.high:
        text += "; the interval includes 0.25, so the edge over a coin toss may be luck"
    return text + "."


def _misses(card: Scorecard) -> list[str]:
    """The costliest forecasts that went the wrong way (a forecast above 50 % that resolved
    NO, or below 50 % that resolved YES)."""
    wrong = [w for w in card.worst if w.brier > HALF_BRIER]
    return [
        f"{w.author} gave {_pct(w.probability)} % to {w.id}, which resolved {w.outcome.upper()}"
        for w in wrong[:MISSES_SHOWN]
    ]


def _bin_kind(mean: float, observed: float, low: float, high: float) -> str | None:
    """Over- or underconfident when the bin's Wilson interval excludes its mean forecast."""
    if low <= mean <= high:
        return None
    too_extreme = (observed < mean) if mean > 0.5 else (observed > mean)
    return "overconfident" if too_extreme else "underconfident"


def calibration_bins(card: Scorecard) -> list[BinVerdict]:
    """Runs of adjacent bins (with enough forecasts) that missed the same way, pooled."""
    runs: list[BinVerdict] = []
    for row in card.calibration:
        if (
            row.count < MIN_PER_BIN
            or None in (row.mean_forecast, row.observed, row.wilson_low, row.wilson_high)
            or row.low is None
            or row.high is None
        ):
            continue
        kind = _bin_kind(row.mean_forecast, row.observed, row.wilson_low, row.wilson_high)  # type: ignore[arg-type]
        if kind is None:
            continue
        last = runs[-1] if runs else None
        if last is not None and last.kind == kind and abs(last.high - row.low) < 1e-9:
            count = last.count + row.count
            observed = (last.observed * last.count + row.observed * row.count) / count  # type: ignore[operator]
            runs[-1] = BinVerdict(last.low, row.high, count, observed, kind)
        else:
            runs.append(BinVerdict(row.low, row.high, row.count, row.observed, kind))  # type: ignore[arg-type]
    return runs


def _verdict(card: Scorecard, bins: list[BinVerdict]) -> str:
    n = card.summary.count
    if n < MIN_FOR_VERDICT:
        return (
            f"Calibration: too few forecasts to tell ({n} scored; at least {MIN_FOR_VERDICT} "
            "are needed)."
        )
    if not bins:
        return (
            "Calibration: no clear sign of over- or underconfidence — in every probability "
            f"band with {MIN_PER_BIN} or more forecasts, the share that came true is within "
            "the 95 % interval of the forecasts."
        )
    return "Calibration: " + "; ".join(b.sentence() for b in bins) + "."


def plain_summary(card: Scorecard) -> PlainSummary:
    """The summary in plain words of ``card``'s report."""
    bins = calibration_bins(card) if card.summary.count >= MIN_FOR_VERDICT else []
    return PlainSummary(
        who=_who(card),
        count=card.summary.count,
        headline=_headline(card),
        meaning=_meaning(card),
        misses=_misses(card),
        verdict=_verdict(card, bins),
        bins=bins,
    )


def authors_of(card: Scorecard) -> list[str]:
    """The authors of the scored forecasts (their full names), or the author filtered on when
    none is scored yet."""
    names = [row.name for row in card.breakdowns.get("author", [])]
    if not names and card.filters.author:
        return [card.filters.author]
    return names


def subject(card: Scorecard) -> str:
    """One line naming the author(s) and the filter, for titles and page headers."""
    f = card.filters
    authors = authors_of(card)
    who = ", ".join(authors[:4]) + (f" and {len(authors) - 4} more" if len(authors) > 4 else "")
    scope = [
        f"source {f.source}" if f.source else "",
        f"tag {f.tag}" if f.tag else "",
        (
            f"resolved {f.resolved_between[0].isoformat()} to {f.resolved_between[1].isoformat()}"
            if f.resolved_between
            else ""
        ),
    ]
    line = " · ".join(s for s in [who or "all forecasters", *scope] if s)
    # names come from forecast files: a control character would print as a missing glyph
    return "".join(ch if ch.isprintable() else " " for ch in line)
