"""The scorecard: every score of a set of resolved forecasts, computed at query time.

:func:`compute_scorecard` is the one entry point (CLI, reports and the web app use it);
:func:`core_scores` is its vectorised heart on plain arrays (the benchmark times it).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlmodel import Session

from tracker.clock import utcnow
from tracker.domain.scale import EstimativeScale, normalize_term
from tracker.scoring import _data
from tracker.scoring._calibration import CalibrationRow, GroupRow, calibration_table, group_table
from tracker.scoring._corp import CorpResult, Pooled, corp
from tracker.scoring._data import ProgressCallback, ScorecardFilter, ScoringData
from tracker.scoring._metrics import (
    LOG_CLIP,
    Interval,
    bootstrap,
    clipped_count,
    clipped_log,
    metaculus_baseline_from_loss,
    probability_of_outcome,
    skill,
)
from tracker.scoring._murphy import BinSums, MurphyDecomposition, murphy
from tracker.scoring._timeweighted import time_weighted_brier

SCHEMA_VERSION = 1
#: The consistency band redraws at most this many (resamples x distinct forecast values).
BAND_BUDGET = 20_000_000
RECORDED = "as recorded"


def _f(value: float | np.floating[Any] | None) -> float | None:
    """A JSON-safe float: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


@dataclass(frozen=True)
class Summary:
    count: int
    base_rate: float | None
    mean_forecast: float | None
    brier: float | None
    brier_tetlock: float | None
    log_loss: float | None
    log_clipped: int
    metaculus_baseline: float | None
    skill_vs_half: float | None
    skill_vs_base_rate: float | None


@dataclass(frozen=True)
class CoreScores:
    """What :func:`core_scores` computes from arrays."""

    summary: Summary
    murphy: MurphyDecomposition
    calibration: list[CalibrationRow]
    groups: list[GroupRow]
    brier_each: np.ndarray
    log_each: np.ndarray  # ln of the (clipped) probability given to the outcome
    sums: BinSums


def core_scores(
    p: np.ndarray, y: np.ndarray, group_codes: np.ndarray, group_names: list[str], n_bins: int = 10
) -> CoreScores:
    """Brier, log and skill scores, the generalised Murphy decomposition, the binned
    calibration table with Wilson intervals and a per-group (e.g. per-author) breakdown."""
    n = len(p)
    brier_each = np.square(p - y)
    log_each = clipped_log(probability_of_outcome(p, y))
    sums = BinSums.of(p, y, n_bins)
    decomposition = murphy(p, y, n_bins, sums)
    if n:
        base_rate = float(sums.sum_y.sum() / n)
        brier = float(brier_each.mean())
        loss = float(-log_each.mean())
        summary = Summary(
            count=n,
            base_rate=base_rate,
            mean_forecast=float(sums.sum_p.sum() / n),
            brier=brier,
            brier_tetlock=2.0 * brier,
            log_loss=loss,
            log_clipped=clipped_count(p),
            metaculus_baseline=metaculus_baseline_from_loss(loss),
            skill_vs_half=skill(brier, 0.25),
            skill_vs_base_rate=skill(brier, base_rate * (1.0 - base_rate)),
        )
    else:
        summary = Summary(0, None, None, None, None, None, 0, None, None, None)
    groups = group_table(group_codes, group_names, p, y, brier_each, log_each)
    return CoreScores(
        summary, decomposition, calibration_table(sums, n_bins), groups, brier_each, log_each, sums
    )


@dataclass(frozen=True)
class SensitivityRow:
    """The scores when the verbal estimates are read under one scale."""

    scale: str
    re_read: int  # forecasts whose term this scale has (the others keep their own probability)
    mean_forecast: float | None
    brier: float | None
    brier_tetlock: float | None
    log_loss: float | None
    metaculus_baseline: float | None
    skill_vs_base_rate: float | None
    reliability: float | None

    def to_json(self) -> dict[str, Any]:
        return {k: _f(v) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def reread(
    data: ScoringData, scale: EstimativeScale, scale_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities under ``scale_name``, and which forecasts were re-read.

    A forecast is re-read when the scale has a number for its verbal term (looked up as
    forgivingly as on import); one whose term the scale lacks, or gives no number (Kent's
    "possible"), keeps its own probability.
    """
    values = np.full(len(data.terms), np.nan)
    for code, term in enumerate(data.terms):
        entry = scale.find(term, scale_name)
        if entry is not None and entry.probability is not None:
            values[code] = entry.probability
    per_forecast = values[data.term_codes] if len(data.terms) else np.empty(0)
    found = ~np.isnan(per_forecast)
    return np.where(found, per_forecast, data.p), found


def sensitivity(data: ScoringData, scale: EstimativeScale, n_bins: int) -> list[SensitivityRow]:
    rows = [_sensitivity_row(RECORDED, data.p, data.y, 0, n_bins)]
    for name in scale.scale_names:
        p, found = reread(data, scale, name)
        rows.append(_sensitivity_row(name, p, data.y, int(found.sum()), n_bins))
    return rows


def _sensitivity_row(
    name: str, p: np.ndarray, y: np.ndarray, re_read: int, n_bins: int
) -> SensitivityRow:
    core = core_scores(p, y, np.zeros(len(p), np.int64), [""], n_bins)
    s = core.summary
    return SensitivityRow(
        name,
        re_read,
        s.mean_forecast,
        s.brier,
        s.brier_tetlock,
        s.log_loss,
        s.metaculus_baseline,
        s.skill_vs_base_rate,
        _f(core.murphy.reliability),
    )


@dataclass(frozen=True)
class ForecastScore:
    id: str
    author: str
    estimate: str
    probability: float
    outcome: str
    brier: float
    time_weighted_brier: float | None
    #: a value of it was corrected once its outcome was known (a data-entry fix)
    corrected_after_resolution: bool = False
    #: -ln of the (clipped) probability given to the outcome, in nats
    log_loss: float | None = None


@dataclass
class Scorecard:
    """Everything the scorecard and the calibration reports show.  :meth:`to_json` is the
    documented, stable shape (``schema_version``; see docs/scorecard-json.md)."""

    generated_at: datetime
    filters: ScorecardFilter
    scale_used: str | None
    summary: Summary
    brier_interval: Interval | None
    log_loss_interval: Interval | None
    bootstrap_resamples: int
    time_weighted_brier: float | None
    forecasts_with_updates: int
    murphy: MurphyDecomposition
    corp: CorpResult
    calibration: list[CalibrationRow]
    terms: list[GroupRow]
    breakdowns: dict[str, list[GroupRow]]
    sensitivity: list[SensitivityRow]
    sharpness: dict[str, Any]
    counts: dict[str, Any]
    worst: list[ForecastScore] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        s = self.summary

        def interval(i: Interval | None, k: float = 1.0) -> list[float] | None:
            return None if i is None or math.isnan(i.low) else [i.low * k, i.high * k]

        metaculus_ci = None
        if self.log_loss_interval is not None and not math.isnan(self.log_loss_interval.low):
            metaculus_ci = [
                metaculus_baseline_from_loss(self.log_loss_interval.high),
                metaculus_baseline_from_loss(self.log_loss_interval.low),
            ]
        data: dict[str, Any] = _clean(
            {
                "schema_version": SCHEMA_VERSION,
                "generated_at": self.generated_at.isoformat(timespec="seconds"),
                "filters": self.filters.to_json(),
                "scale": self.scale_used or RECORDED,
                "counts": self.counts,
                "scores": {
                    "count": s.count,
                    "base_rate": s.base_rate,
                    "mean_forecast": s.mean_forecast,
                    "brier": {"value": s.brier, "interval": interval(self.brier_interval)},
                    "brier_tetlock": {
                        "value": s.brier_tetlock,
                        "interval": interval(self.brier_interval, 2.0),
                        "label": "Brier (0–2, Tetlock)",
                    },
                    "log_loss": {
                        "value": s.log_loss,
                        "interval": interval(self.log_loss_interval),
                        "clip": LOG_CLIP,
                        "clipped": s.log_clipped,
                        "unit": "nats",
                    },
                    "metaculus_baseline": {"value": s.metaculus_baseline, "interval": metaculus_ci},
                    "skill_vs_half": s.skill_vs_half,
                    "skill_vs_base_rate": s.skill_vs_base_rate,
                    "time_weighted_brier": {
                        "value": self.time_weighted_brier,
                        "forecasts_with_updates": self.forecasts_with_updates,
                    },
                    "bootstrap": {
                        "resamples": self.bootstrap_resamples,
                        "level": 0.95,
                        "method": "percentile",
                    },
                },
                "murphy": self.murphy.to_json(),
                "corp": self.corp.to_json(),
                "calibration": [row.to_json() for row in self.calibration],
                "terms": [row.to_json() for row in self.terms],
                "breakdowns": {
                    k: [row.to_json() for row in rows] for k, rows in self.breakdowns.items()
                },
                "sensitivity": [row.to_json() for row in self.sensitivity],
                "sharpness": self.sharpness,
                "worst": [dict(f.__dict__) for f in self.worst],
            }
        )
        return data


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return _f(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def compute_scorecard(
    session: Session,
    filters: ScorecardFilter,
    scale: EstimativeScale | None = None,
    progress: ProgressCallback | None = None,
) -> Scorecard:
    """The scorecard of the resolved forecasts matching ``filters``, as of ``filters.as_of``.

    ``scale`` is the estimative table used for re-reading verbal terms (the scale-sensitivity
    table, and ``filters.scale``); the built-in one when None.
    """
    scale = scale or EstimativeScale.builtin()
    as_of = filters.day()
    loaded = _data.load(session, filters, progress)
    data, early = _data.split_scored(loaded, as_of)
    annulled, unresolved = _data.count_unscored(session, filters)
    return score_data(
        data,
        filters,
        scale,
        progress=progress,
        counts={
            "scored": len(data),
            "annulled_excluded": annulled,
            "unresolved": unresolved,
            "needs_outcome": _data.count_needs_outcome(session, filters),
            "resolved_early": len(early),
            "resolved_early_ids": early[:50],
        },
    )


def score_data(
    data: ScoringData,
    filters: ScorecardFilter,
    scale: EstimativeScale,
    progress: ProgressCallback | None = None,
    counts: dict[str, Any] | None = None,
) -> Scorecard:
    """The scorecard of forecasts already in arrays (all of them are scored)."""
    if filters.scale:
        data = dataclasses.replace(data, p=reread(data, scale, filters.scale)[0])
    core = core_scores(data.p, data.y, data.author_codes, data.authors, filters.n_bins)
    if progress:
        progress("bootstrap interval", 0, 1)
    boot = None
    if len(data) and filters.resamples:
        boot = bootstrap(data.p, data.y, resamples=filters.resamples, seed=filters.seed)
    pooled = Pooled.of(data.p, data.y)
    band_resamples = min(filters.resamples, max(50, BAND_BUDGET // max(1, len(pooled.value))))
    if progress:
        progress("CORP consistency band", 0, 1)
    corp_result = corp(data.p, data.y, resamples=band_resamples, seed=filters.seed, pooled=pooled)
    tw = _time_weighted(data)
    term_codes, term_names = _terms(data)
    tags = group_table(
        data.tag_codes,
        data.tags,
        data.p[data.tag_forecast],
        data.y[data.tag_forecast],
        core.brier_each[data.tag_forecast],
        core.log_each[data.tag_forecast],
    )
    if progress:
        progress("scale sensitivity", 0, 1)
    card = Scorecard(
        generated_at=utcnow(),
        filters=filters,
        scale_used=filters.scale,
        summary=core.summary,
        brier_interval=boot.brier if boot else None,
        log_loss_interval=boot.log_loss if boot else None,
        bootstrap_resamples=filters.resamples,
        time_weighted_brier=_f(np.nanmean(tw)) if len(data) else None,
        forecasts_with_updates=len(np.unique(data.update_forecast)),
        murphy=core.murphy,
        corp=corp_result,
        calibration=core.calibration,
        terms=group_table(term_codes, term_names, data.p, data.y, core.brier_each, core.log_each),
        breakdowns={
            "author": core.groups,
            "source": group_table(
                data.source_codes, data.sources, data.p, data.y, core.brier_each, core.log_each
            ),
            "tag": tags,
        },
        sensitivity=sensitivity(data, scale, filters.n_bins) if not filters.scale else [],
        sharpness=_sharpness(data.p, core.sums),
        counts={**(counts or {"scored": len(data)}), **_corrected_counts(data)},
        worst=_worst(data, core.brier_each, core.log_each, tw),
    )
    if progress:
        progress("done", 1, 1)
    return card


def _corrected_counts(data: ScoringData) -> dict[str, Any]:
    """The scored forecasts whose value was corrected once their outcome was known: their
    scores moved after the fact, which a reader of the scorecard should know."""
    flagged = [i for i, f in zip(data.ids, data.corrected_after_resolution(), strict=True) if f]
    return {
        "corrected_after_resolution": len(flagged),
        "corrected_after_resolution_ids": flagged[:50],
    }


def _time_weighted(data: ScoringData) -> np.ndarray:
    """Per-forecast time-weighted Brier; forecasts whose probability never changed score
    their one probability every day, i.e. their plain Brier score."""
    last_day = np.minimum(data.closes, data.resolved)
    tw = time_weighted_brier(
        len(data),
        data.y,
        data.opens,
        last_day,
        data.update_forecast,
        data.update_day,
        data.update_p,
    )
    return np.where(np.isnan(tw), np.square(data.p - data.y), tw)


def _terms(data: ScoringData) -> tuple[np.ndarray, list[str]]:
    """Verbal terms pooled by their normalised form ("Likely" and "likely" are one row)."""
    codes: dict[str, int] = {}
    names: list[str] = []
    remap = np.empty(len(data.terms), dtype=np.int64)
    for i, term in enumerate(data.terms):
        key = normalize_term(term)
        if key not in codes:
            codes[key] = len(names)
            names.append(term)
        remap[i] = codes[key]
    return (remap[data.term_codes] if len(data.terms) else np.empty(0, np.int64)), names


def _sharpness(p: np.ndarray, sums: BinSums) -> dict[str, Any]:
    """How far forecasts stray from the fence: spread, and the histogram of the bins."""
    return {
        "histogram": [int(c) for c in sums.count],
        "standard_deviation": _f(np.std(p)) if len(p) else None,
        "mean_distance_from_half": _f(np.mean(np.abs(p - 0.5))) if len(p) else None,
        "share_extreme": _f(np.mean((p <= 0.1) | (p >= 0.9))) if len(p) else None,
    }


def _worst(
    data: ScoringData,
    brier_each: np.ndarray,
    log_each: np.ndarray,
    tw: np.ndarray,
    limit: int = 10,
) -> list[ForecastScore]:
    """The forecasts that cost the most (highest Brier), for the analyst to look at first."""
    order = np.argsort(-brier_each, kind="stable")[:limit]
    corrected = data.corrected_after_resolution()
    return [
        ForecastScore(
            id=data.ids[i],
            author=data.authors[data.author_codes[i]],
            estimate=data.terms[data.term_codes[i]],
            probability=float(data.p[i]),
            outcome="yes" if data.y[i] else "no",
            brier=float(brier_each[i]),
            time_weighted_brier=_f(tw[i]),
            corrected_after_resolution=bool(corrected[i]),
            log_loss=float(-log_each[i]),
        )
        for i in order
    ]
