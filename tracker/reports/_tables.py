"""The report's tables, built once from a scorecard; each format only renders them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker.scoring import (
    GROUP_COLUMNS,
    LOG_CLIP,
    MIN_JUDGED,
    TETLOCK_LABEL,
    Comparison,
    GroupRow,
    HeadToHead,
    Interval,
    Scorecard,
    metaculus_baseline_from_loss,
)

if TYPE_CHECKING:
    from tracker.resolution import GroupStats, ResolverStats


@dataclass(frozen=True)
class Column:
    label: str
    digits: int | None = None  # floats are shown with this many decimals; None: as text


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


def fmt(value: Any, digits: int | None, missing: str = "—") -> str:
    if value is None:
        return missing
    if isinstance(value, float):
        return f"{value:.{digits if digits is not None else 4}f}"
    return str(value)


def _interval(i: Interval | None, scale: float = 1.0) -> list[float | None]:
    return [None, None] if i is None else [i.low * scale, i.high * scale]


def _bounds(i: Interval | None) -> list[float | None]:
    """[low, high] of a comparison's interval; blanks for none (or NaN: no resamples)."""
    return [None, None] if i is None or math.isnan(i.low) else [i.low, i.high]


def summary_table(card: Scorecard) -> Table:
    s, c = card.summary, card.counts
    metaculus_ci: list[float | None] = [None, None]
    if card.log_loss_interval is not None and s.count:
        metaculus_ci = [
            metaculus_baseline_from_loss(card.log_loss_interval.high),
            metaculus_baseline_from_loss(card.log_loss_interval.low),
        ]
    rows = [
        ["Forecasts scored", s.count, None, None, "resolved yes/no, close date passed"],
        [
            "Resolved early (not yet scored)",
            c.get("resolved_early", 0),
            None,
            None,
            "enter the scores after their close date, so early YES resolutions do not bias them",
        ],
        ["Annulled (excluded)", c.get("annulled_excluded", 0), None, None, ""],
        [
            f"Corrected after resolution {CORRECTED_MARK}",
            c.get("corrected_after_resolution", 0),
            None,
            None,
            CORRECTED_LEGEND,
        ],
        ["Unresolved", c.get("unresolved", 0), None, None, "open, or closed awaiting an outcome"],
        ["Base rate (share YES)", s.base_rate, None, None, ""],
        ["Mean forecast", s.mean_forecast, None, None, ""],
        [
            "Brier (0–1)",
            s.brier,
            *_interval(card.brier_interval),
            "lower is better; 0.25 = always 50%",
        ],
        [
            TETLOCK_LABEL,
            s.brier_tetlock,
            *_interval(card.brier_interval, 2.0),
            "twice the 0–1 score; 0.5 = always 50%",
        ],
        [
            "Log loss (nats)",
            s.log_loss,
            *_interval(card.log_loss_interval),
            (
                f"lower is better; probabilities clipped to [{LOG_CLIP}, {1 - LOG_CLIP}] "
                f"({s.log_clipped} clipped)"
            ),
        ],
        [
            "Baseline score (Metaculus formula)",
            s.metaculus_baseline,
            *metaculus_ci,
            "100·(log2 p_outcome + 1); higher is better",
        ],
        ["Brier skill vs 50%", s.skill_vs_half, None, None, "1 − BS/0.25"],
        ["Brier skill vs base rate", s.skill_vs_base_rate, None, None, "1 − BS/(ō(1−ō))"],
        [
            "Time-weighted Brier",
            card.time_weighted_brier,
            None,
            None,
            (
                "each open day scored with the standing probability; "
                f"{card.forecasts_with_updates} forecast(s) changed"
            ),
        ],
        [
            "Sharpness: standard deviation",
            card.sharpness.get("standard_deviation"),
            None,
            None,
            "spread of the forecasts",
        ],
        [
            "Sharpness: mean |p − 0.5|",
            card.sharpness.get("mean_distance_from_half"),
            None,
            None,
            "",
        ],
    ]
    return Table(
        "summary",
        "Scores",
        [
            Column("measure"),
            Column("value", 4),
            Column("95% interval low", 4),
            Column("95% interval high", 4),
            Column("note"),
        ],
        rows,
        note=f"Bootstrap: {card.bootstrap_resamples} resamples, percentile intervals.",
    )


def murphy_table(card: Scorecard) -> Table:
    d = card.murphy
    rows = [
        ["Brier score (BS)", d.brier],
        ["Reliability (REL)", d.reliability],
        ["Resolution (RES)", d.resolution],
        ["Within-bin variance (WBV)", d.within_bin_variance],
        ["Within-bin covariance (WBC)", d.within_bin_covariance],
        ["Generalised resolution GRES = RES − WBV + 2·WBC", d.generalized_resolution],
        ["Uncertainty (UNC)", d.uncertainty],
        ["BS − (REL − GRES + UNC)", d.residual()],
    ]
    return Table(
        "murphy",
        f"Murphy decomposition ({d.n_bins} bins, Stephenson et al. 2008)",
        [Column("term"), Column("value", 6)],
        rows,
        note="Bins are closed on the right: (0.2, 0.3] holds 0.3; the first bin also holds 0.",
    )


def corp_table(card: Scorecard) -> Table:
    c = card.corp
    rows: list[list[Any]] = [
        ["Brier score", c.brier],
        ["Miscalibration (MCB)", c.miscalibration],
        ["Discrimination (DSC)", c.discrimination],
        ["Uncertainty (UNC)", c.uncertainty],
        ["p-value of MCB under calibration", c.miscalibration_p_value],
    ]
    return Table(
        "corp",
        "CORP decomposition (Dimitriadis, Gneiting & Jordan 2021)",
        [Column("term"), Column("value", 6)],
        rows,
        note="BS = MCB − DSC + UNC, from the isotonic (PAV) recalibration with tied forecasts "
        "pooled.",
    )


def calibration_table(card: Scorecard) -> Table:
    rows = [
        [r.label, r.count, r.mean_forecast, r.observed, r.wilson_low, r.wilson_high]
        for r in card.calibration
    ]
    return Table(
        "calibration",
        "Calibration by probability bin",
        [
            Column("bin"),
            Column("count"),
            Column("mean forecast", 3),
            Column("observed frequency", 3),
            Column("Wilson 95% low", 3),
            Column("Wilson 95% high", 3),
        ],
        rows,
    )


_GROUP_COLUMNS = [Column(c.label, c.digits) for c in GROUP_COLUMNS]


def _group_rows(rows: list[GroupRow]) -> list[list[Any]]:
    return [[r.name, *(getattr(r, c.key) for c in GROUP_COLUMNS)] for r in rows]


def terms_table(card: Scorecard) -> Table:
    return Table(
        "terms",
        "Calibration by verbal term",
        [Column("term"), *_GROUP_COLUMNS],
        _group_rows(card.terms),
    )


def breakdown_table(card: Scorecard, by: str) -> Table:
    return Table(
        f"by_{by}",
        f"Breakdown by {by}",
        [Column(by), *_GROUP_COLUMNS],
        _group_rows(card.breakdowns.get(by, [])),
        note="A forecast with several tags counts under each." if by == "tag" else "",
    )


def sensitivity_table(card: Scorecard) -> Table:
    rows = [
        [
            r.scale,
            r.re_read,
            r.mean_forecast,
            r.brier,
            r.brier_tetlock,
            r.log_loss,
            r.metaculus_baseline,
            r.skill_vs_base_rate,
            r.reliability,
        ]
        for r in card.sensitivity
    ]
    return Table(
        "sensitivity",
        "Sensitivity to the reading of words",
        [
            Column("scale"),
            Column("forecasts re-read"),
            Column("mean forecast", 3),
            Column("Brier (0–1)", 4),
            Column(TETLOCK_LABEL, 4),
            Column("log loss", 4),
            Column("baseline score (Metaculus formula)", 2),
            Column("skill vs base rate", 3),
            Column("reliability (REL)", 4),
        ],
        rows,
        note="Each scale re-reads the forecasts whose verbal term it has; the others keep their "
        "own "
        "probability (the count of re-read forecasts is shown).",
    )


#: marks a forecast corrected after resolution in the report's tables, explained by the legend
CORRECTED_MARK = "✱"
CORRECTED_LEGEND = (
    "scored, but a value was corrected (a data-entry fix) once the outcome was known; "
    "see the forecast's audit log"
)


def worst_table(card: Scorecard) -> Table:
    rows = [
        [
            w.id + (f" {CORRECTED_MARK}" if w.corrected_after_resolution else ""),
            w.author,
            w.estimate,
            w.probability,
            w.outcome,
            w.brier,
            w.time_weighted_brier,
            "yes" if w.corrected_after_resolution else "",
            w.log_loss,
        ]
        for w in card.worst
    ]
    return Table(
        "worst",
        "Costliest forecasts",
        [
            Column("forecast"),
            Column("author"),
            Column("term"),
            Column("probability", 3),
            Column("outcome"),
            Column("Brier", 4),
            Column("time-weighted Brier", 4),
            Column("corrected after resolution"),
            Column("log loss", 4),
        ],
        rows,
        note=f"{CORRECTED_MARK} corrected after resolution: {CORRECTED_LEGEND}."
        if any(w.corrected_after_resolution for w in card.worst)
        else "",
    )


_RESOLVER_GROUP_COLUMNS = [
    Column("decided"),
    Column("scored"),
    Column("correct"),
    Column("wrong"),
    Column("precision", 3),
]


def _resolver_group_rows(groups: list[GroupStats]) -> list[list[Any]]:
    return [[g.name, g.decided, g.scored, g.correct, g.wrong, g.precision] for g in groups]


def resolver_tables(stats: ResolverStats) -> list[Table]:
    """The resolver section: its proposals against the analysts' (current) outcomes."""
    from tracker.resolution import FINAL, PROPOSED

    matrix = Table(
        "resolver_matrix",
        "Resolver: proposed vs final outcome",
        [Column("proposed ↓ / final →"), *(Column(final) for final in FINAL)],
        [[proposed, *(stats.matrix[proposed][final] for final in FINAL)] for proposed in PROPOSED],
        note="Decided proposals (confirmed or rejected) against the forecast's current outcome; "
        "'none' rows are disputed or not-yet-resolvable proposals.",
    )
    summary = Table(
        "resolver_summary",
        "Resolver: fate of its proposals",
        [Column("measure"), Column("value", 3)],
        [
            ["Proposals (all statuses)", sum(stats.by_status.values())],
            *[[f"  {status}", count] for status, count in sorted(stats.by_status.items())],
            ["Confirmed as proposed", stats.confirmed_as_proposed],
            ["Confirmed with a changed outcome", stats.confirmed_changed],
            ["Rejected", stats.rejected],
            ["Auto-confirmed (no analyst review)", stats.auto_confirmed],
            ["Precision of automatic proposals", stats.overall.precision],
            ["Precision, analyst-reviewed proposals only", stats.reviewed.precision],
        ],
        note="Precision: among decided proposals with an outcome whose forecast is now resolved "
        "yes or no, the "
        "share whose final outcome is the proposed one.",
    )
    by = [
        Table(
            f"resolver_by_{name}",
            f"Resolver by {name}",
            [Column(name), *_RESOLVER_GROUP_COLUMNS],
            _resolver_group_rows(groups),
        )
        for name, groups in (
            ("kind", stats.by_kind),
            ("publisher", stats.by_publisher),
            ("tag", stats.by_tag),
        )
    ]
    return [summary, matrix, *by]


#: the most head-to-head pairs a report shows (those sharing the most questions)
REPORT_PAIRS = 10


def _sample(count: int | None, with_peers: int) -> str:
    """The too-few mark of a forecaster's comparison row (docs/scores.md says why 20)."""
    if count is not None and count < MIN_JUDGED:
        return f"too few (n < {MIN_JUDGED})"
    if with_peers < MIN_JUDGED:
        return f"too few with peers (< {MIN_JUDGED})"
    return ""


def comparison_authors_table(card: Scorecard, comparison: Comparison) -> Table:
    """Each forecaster's n and mean Brier (their breakdown row), beside their peer score and
    relative Brier over the forecasts that have peers."""
    by_name = {r.name: r for r in card.breakdowns.get("author", [])}
    rows = []
    for a in comparison.authors:
        group = by_name.get(a.author)
        rows.append(
            [
                a.author,
                group.count if group else a.forecasts,
                group.brier if group else None,
                group.brier_low if group else None,
                group.brier_high if group else None,
                a.with_peers,
                a.peer,
                *_bounds(a.peer_interval),
                a.relative_brier,
                *_bounds(a.relative_brier_interval),
                _sample(group.count if group else None, a.with_peers),
            ]
        )
    recorded = " on the probabilities as recorded" if card.scale_used else ""
    return Table(
        "comparison_authors",
        "Comparison: forecasters",
        [
            Column("author"),
            Column("n"),
            Column("Brier (0–1)", 4),
            Column("Brier 95% low", 4),
            Column("Brier 95% high", 4),
            Column("with peers"),
            Column("peer score", 2),
            Column("peer 95% low", 2),
            Column("peer 95% high", 2),
            Column("relative Brier", 4),
            Column("relative Brier 95% low", 4),
            Column("relative Brier 95% high", 4),
            Column("sample size"),
        ],
        rows,
        note=(
            f"Peer score (higher is better) and relative Brier (lower is better; 0 = the median "
            f"forecaster) over each author's forecasts that have peers, another forecast on the "
            f"same question{recorded}; {comparison.shared_questions} of "
            f"{comparison.questions} questions are shared. Intervals: 95% Student-t. "
            f"Too few: under {MIN_JUDGED} forecasts (or forecasts with peers) cannot tell skill "
            "from a coin. Definitions: docs/scores.md."
        ),
    )


def dominance_text(duel: HeadToHead) -> str:
    """Who wins under every proper scoring rule, in words (the Murphy diagram's verdict)."""
    return {
        "a": duel.a,
        "b": duel.b,
        "equal": "equal curves",
        "neither": "neither: the curves cross",
    }.get(duel.dominance, "")


def comparison_pairs_table(comparison: Comparison) -> Table:
    """Head to head between the pairs of forecasters that share the most questions."""
    rows = [
        [
            h.a,
            h.b,
            h.questions,
            h.brier_a,
            h.brier_b,
            h.brier_difference,
            *_bounds(h.brier_interval),
            h.wins,
            h.losses,
            h.ties,
            dominance_text(h),
        ]
        for h in comparison.head_to_head
    ]
    resamples = comparison.head_to_head[0].resamples if comparison.head_to_head else 0
    return Table(
        "comparison_head_to_head",
        "Comparison: head to head",
        [
            Column("a"),
            Column("b"),
            Column("common questions"),
            Column("Brier a", 4),
            Column("Brier b", 4),
            Column("difference a − b", 4),
            Column("95% low", 4),
            Column("95% high", 4),
            Column("wins of a"),
            Column("wins of b"),
            Column("ties"),
            Column("better under every proper score (Murphy)"),
        ],
        rows,
        note=(
            "The pairs that share the most questions (at most "
            f"{REPORT_PAIRS}), on their common questions: each one's time-averaged Brier per "
            "question, the mean difference (negative favours a) with a paired percentile "
            f"bootstrap interval ({resamples} resamples); wins count questions. The last "
            "column names the forecaster whose Murphy diagram is nowhere above the other's."
        ),
    )


def comparison_tables(card: Scorecard, comparison: Comparison) -> list[Table]:
    """The report's comparison section (when it covers more than one forecaster)."""
    return [comparison_authors_table(card, comparison), comparison_pairs_table(comparison)]


def all_tables(
    card: Scorecard,
    resolver: ResolverStats | None = None,
    comparison: Comparison | None = None,
) -> list[Table]:
    tables = [
        summary_table(card),
        calibration_table(card),
        murphy_table(card),
        corp_table(card),
        terms_table(card),
    ]
    tables += [breakdown_table(card, by) for by in ("author", "source", "tag")]
    if comparison is not None:
        tables += comparison_tables(card, comparison)
    if card.sensitivity:
        tables.append(sensitivity_table(card))
    tables.append(worst_table(card))
    if resolver is not None:
        tables += resolver_tables(resolver)
    return tables
