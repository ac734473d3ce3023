"""Scoring: proper scores, decompositions and calibration of resolved forecasts.

    card = compute_scorecard(session, ScorecardFilter(author="Trenin"), scale)
    card.summary.brier, card.murphy, card.corp, card.calibration, card.to_json()

Scores are derived at query time from the active resolution and the probability history;
nothing is stored.  Modules: ``_metrics`` (Brier, log, skill, bootstrap), ``_murphy``
(binning, generalised Murphy decomposition), ``_corp`` (PAV/CORP and its consistency band),
``_calibration`` (tables, Wilson intervals), ``_timeweighted``, ``_data`` (loading from the
database), ``_scorecard`` (putting it together).
"""

import typing

from tracker import _lazy

if typing.TYPE_CHECKING:
    from tracker.scoring._calibration import (
        GROUP_COLUMNS,
        MIN_JUDGED,
        TETLOCK_LABEL,
        BinPoint,
        CalibrationRow,
        GroupRow,
        ScoreColumn,
        calibration_table,
        group_table,
        mean_intervals,
        wilson,
    )
    from tracker.scoring._compare import AuthorComparison, Comparison, compare
    from tracker.scoring._corp import CorpResult, Pooled, corp
    from tracker.scoring._data import (
        ProgressCallback,
        ScorecardFilter,
        ScoringData,
        load_scored,
    )
    from tracker.scoring._each import (
        CalibrationBin,
        OwnScore,
        calibration_bin,
        costliest,
        own_scores,
    )
    from tracker.scoring._headtohead import HeadToHead, head_to_head, paired_bootstrap
    from tracker.scoring._metrics import (
        LOG_CLIP,
        BootstrapResult,
        Interval,
        bootstrap,
        brier,
        log_loss,
        metaculus_baseline_from_loss,
        probability_of_outcome,
        skill,
    )
    from tracker.scoring._murphy import BinSums, MurphyDecomposition, bin_index, murphy
    from tracker.scoring._murphy_diagram import (
        DEFAULT_THRESHOLDS,
        dominance,
        dominates,
        exact_thresholds,
        murphy_diagram,
    )
    from tracker.scoring._peer import (
        PeerScores,
        Periods,
        peer_detail,
        peer_scores,
        question_index,
        statement_periods,
    )
    from tracker.scoring._relative import forecast_brier, forecast_log_loss, relative_brier
    from tracker.scoring._scorecard import (
        RECORDED,
        SCHEMA_VERSION,
        CoreScores,
        Scorecard,
        SensitivityRow,
        Summary,
        compute_scorecard,
        core_scores,
        reread,
        score_data,
    )
    from tracker.scoring._standing import StandingScore, standing_brier, standing_score
    from tracker.scoring._timeweighted import time_weighted_brier

__getattr__ = _lazy.exports(__name__, __file__)

__all__ = [
    "GROUP_COLUMNS",
    "LOG_CLIP",
    "RECORDED",
    "SCHEMA_VERSION",
    "TETLOCK_LABEL",
    "BinPoint",
    "BinSums",
    "BootstrapResult",
    "CalibrationBin",
    "CalibrationRow",
    "CoreScores",
    "CorpResult",
    "GroupRow",
    "Interval",
    "MurphyDecomposition",
    "OwnScore",
    "Pooled",
    "ProgressCallback",
    "ScoreColumn",
    "Scorecard",
    "ScorecardFilter",
    "ScoringData",
    "SensitivityRow",
    "StandingScore",
    "Summary",
    "bin_index",
    "bootstrap",
    "brier",
    "calibration_bin",
    "calibration_table",
    "compute_scorecard",
    "core_scores",
    "corp",
    "costliest",
    "group_table",
    "load_scored",
    "log_loss",
    "metaculus_baseline_from_loss",
    "murphy",
    "own_scores",
    "probability_of_outcome",
    "reread",
    "score_data",
    "skill",
    "standing_brier",
    "standing_score",
    "time_weighted_brier",
    "wilson",
]
__all__ += [
    "DEFAULT_THRESHOLDS",
    "MIN_JUDGED",
    "AuthorComparison",
    "Comparison",
    "HeadToHead",
    "PeerScores",
    "Periods",
    "compare",
    "dominance",
    "dominates",
    "exact_thresholds",
    "forecast_brier",
    "forecast_log_loss",
    "head_to_head",
    "mean_intervals",
    "murphy_diagram",
    "paired_bootstrap",
    "peer_detail",
    "peer_scores",
    "question_index",
    "relative_brier",
    "statement_periods",
]
