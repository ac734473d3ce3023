"""The scoring core against reference implementations (test-only oracles) and hand-computed
cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from model_diagnostics.scoring import SquaredError, decompose
from scipy.stats import binomtest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sk_log_loss

from tracker.scoring import (
    LOG_CLIP,
    BinSums,
    Pooled,
    bin_index,
    bootstrap,
    core_scores,
    corp,
    murphy,
    time_weighted_brier,
    wilson,
)

DECILES = np.round(np.arange(11) / 10, 2)


def _data(seed: int, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "continuous":
        p = rng.beta(0.8, 0.8, n)
    elif kind == "words":  # forecasts read from words: exactly on decile edges, many ties
        p = rng.choice(np.array([0.02, 0.03, 0.1, 0.15, 0.2, 0.3, 0.35, 0.5, 0.7, 0.9, 0.98]), n)
    else:  # extremes included: 0 and 1 as Kent reads "impossible" and "certain"
        p = rng.choice(DECILES, n)
    truth = np.clip(p + rng.normal(0, 0.15, n), 0, 1)
    return p, (rng.random(n) < truth).astype(np.float64)


CASES = [
    (seed, n, kind)
    for seed, n in ((1, 25), (2, 400), (3, 5000))
    for kind in ("continuous", "words", "edges")
]


@pytest.mark.parametrize(("seed", "n", "kind"), CASES)
def test_brier_log_and_calibration_curve_match_scikit_learn(seed, n, kind):
    p, y = _data(seed, n, kind)
    core = core_scores(p, y, np.zeros(n, np.int64), ["all"])
    assert core.summary.brier == pytest.approx(brier_score_loss(y, p), abs=1e-15)
    assert core.summary.brier_tetlock == pytest.approx(2 * brier_score_loss(y, p), abs=1e-15)
    clipped = np.clip(p, LOG_CLIP, 1 - LOG_CLIP)
    assert core.summary.log_loss == pytest.approx(sk_log_loss(y, clipped, labels=[0, 1]), rel=1e-13)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    filled = [row for row in core.calibration if row.count]
    np.testing.assert_allclose([r.observed for r in filled], prob_true, rtol=0, atol=1e-15)
    np.testing.assert_allclose([r.mean_forecast for r in filled], prob_pred, rtol=0, atol=1e-15)
    assert sum(r.count for r in core.calibration) == n


def test_log_loss_without_clipping_matches_scikit_learn_and_metaculus_formula():
    p, y = _data(7, 300, "continuous")
    p = np.clip(p, 0.01, 0.99)  # inside the clip: the policy changes nothing
    core = core_scores(p, y, np.zeros(len(p), np.int64), ["all"])
    assert core.summary.log_clipped == 0
    assert core.summary.log_loss == pytest.approx(sk_log_loss(y, p), rel=1e-13)
    p_out = np.where(y == 1, p, 1 - p)
    assert core.summary.metaculus_baseline == pytest.approx(
        np.mean(100 * (np.log2(p_out) + 1)), rel=1e-12
    )


def test_clipping_policy_keeps_certain_words_finite():
    # Kent reads "impossible" as 0: a miss must cost log(1/0.001), not infinity.
    core = core_scores(np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.zeros(2, np.int64), ["k"])
    assert core.summary.log_clipped == 2
    assert core.summary.log_loss == pytest.approx(
        -(math.log(0.001) + math.log(0.999)) / 2, rel=1e-14
    )
    assert math.isfinite(core.summary.metaculus_baseline)


@pytest.mark.parametrize(("seed", "n", "kind"), CASES)
def test_generalised_murphy_identity_holds_to_1e12(seed, n, kind):
    p, y = _data(seed, n, kind)
    for n_bins in (1, 5, 10, 17):
        d = murphy(p, y, n_bins)
        assert abs(d.residual()) < 1e-12
        assert d.generalized_resolution == pytest.approx(
            d.resolution - d.within_bin_variance + 2 * d.within_bin_covariance, abs=1e-15
        )


def test_murphy_by_hand():
    # bin (0.2,0.3]: 0.25 (no), 0.3 (yes); bin (0.6,0.7]: 0.7 (yes), 0.7 (no)
    p, y = np.array([0.25, 0.3, 0.7, 0.7]), np.array([0.0, 1.0, 1.0, 0.0])
    d = murphy(p, y, 10)
    assert d.brier == pytest.approx((0.0625 + 0.49 + 0.09 + 0.49) / 4)
    # f_k = 0.275, 0.7; o_k = 0.5, 0.5; o = 0.5
    assert d.reliability == pytest.approx((2 * 0.225**2 + 2 * 0.2**2) / 4)
    assert d.resolution == pytest.approx(0.0)
    assert d.uncertainty == pytest.approx(0.25)
    assert d.within_bin_variance == pytest.approx(2 * 0.025**2 / 4)
    assert d.within_bin_covariance == pytest.approx((-0.025 * -0.5 + 0.025 * 0.5) / 4)
    assert abs(d.residual()) < 1e-15


def test_bin_edge_rule_puts_words_in_the_bin_they_close():
    p = np.array([0.0, 0.1, 0.1000001, 0.3, 0.1 * 3, 0.7, 0.1 * 7, 0.9, 1.0])
    assert bin_index(p, 10).tolist() == [0, 0, 1, 2, 2, 6, 6, 8, 9]


def test_wilson_matches_scipy():
    for k, n in [(0, 1), (1, 1), (0, 7), (3, 10), (7, 7), (12, 40), (999, 1000), (1, 3)]:
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = wilson(np.array([k]), np.array([n]))
        assert low[0] == pytest.approx(ci.low, abs=1e-14) and high[0] == pytest.approx(
            ci.high, abs=1e-14
        )
    low, high = wilson(np.array([0]), np.array([0]))
    assert math.isnan(low[0]) and math.isnan(high[0])


@pytest.mark.parametrize(("seed", "n", "kind"), CASES)
def test_corp_matches_model_diagnostics(seed, n, kind):
    p, y = _data(seed, n, kind)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    ours = corp(p, y, resamples=0)
    ref = decompose(y, p, scoring_function=SquaredError()).row(0, named=True)
    assert ours.brier == pytest.approx(ref["score"], abs=1e-14)
    assert ours.miscalibration == pytest.approx(ref["miscalibration"], abs=1e-14)
    assert ours.discrimination == pytest.approx(ref["discrimination"], abs=1e-14)
    assert ours.uncertainty == pytest.approx(ref["uncertainty"], abs=1e-14)
    assert abs(ours.residual()) < 1e-12


def test_corp_pools_ties_by_hand():
    # Ties at 0.5 pooled: (0.5: y=1,0,0) -> 1/3; then 0.6: y=0 violates -> pooled with them: 1/4;
    # 0.9: y=1.  Recalibrated: 0.25, 0.25, 0.25, 0.25, 1.
    p = np.array([0.5, 0.5, 0.5, 0.6, 0.9])
    y = np.array([1.0, 0.0, 0.0, 0.0, 1.0])
    pooled = Pooled.of(p, y)
    np.testing.assert_allclose(pooled.recalibrate(), [0.25, 0.25, 1.0])
    result = corp(p, y, resamples=0)
    bs = np.mean((p - y) ** 2)
    bs_cal = np.mean((np.array([0.25, 0.25, 0.25, 0.25, 1.0]) - y) ** 2)
    assert result.brier == pytest.approx(bs)
    assert result.miscalibration == pytest.approx(bs - bs_cal)
    assert result.discrimination == pytest.approx(0.4 * 0.6 - bs_cal)


def test_consistency_band_covers_calibrated_forecasts_and_flags_a_miscalibrated_one():
    rng = np.random.default_rng(5)
    p = rng.choice(np.array([0.1, 0.3, 0.5, 0.7, 0.9]), 2000)
    calibrated = (rng.random(2000) < p).astype(float)
    good = corp(p, calibrated, resamples=300, seed=1)
    assert np.all(good.band_low <= good.band_high)
    inside = (good.recalibrated >= good.band_low - 1e-12) & (
        good.recalibrated <= good.band_high + 1e-12
    )
    assert inside.mean() >= 0.6 and good.miscalibration_p_value > 0.01
    overconfident = (rng.random(2000) < 0.5 + (p - 0.5) * 0.3).astype(float)
    bad = corp(p, overconfident, resamples=300, seed=1)
    assert bad.miscalibration_p_value < 0.01
    assert (bad.recalibrated > bad.band_high)[0] or (bad.recalibrated < bad.band_low)[0]


def test_bootstrap_interval_contains_the_score_and_both_methods_agree():
    p, y = _data(11, 4000, "words")
    brier = np.mean((p - y) ** 2)
    pooled = bootstrap(p, y, resamples=2000)
    assert pooled.method == "pooled"
    assert pooled.brier.low < brier < pooled.brier.high
    p2 = p + np.random.default_rng(0).normal(0, 1e-6, len(p))  # break ties: index resampling
    indices = bootstrap(p2, y, resamples=2000)
    assert indices.method == "indices"
    se = np.std((p - y) ** 2) / math.sqrt(len(p))
    for interval in (pooled.brier, indices.brier):  # both ~ +-1.96 standard errors
        assert interval.high - interval.low == pytest.approx(2 * 1.96 * se, rel=0.12)
    assert (
        bootstrap(p, y, resamples=500).brier == bootstrap(p, y, resamples=500).brier
    )  # reproducible


def test_time_weighted_brier_by_hand():
    # forecast 0: open days 0..9 (10 days), outcome yes; 0.2 for days 0-3, 0.8 for days 4-9
    # forecast 1: open days 0..4, outcome no; two updates on day 2: the later (0.4) wins,
    # an update on day 7 (after it stopped being open) is ignored
    tw = time_weighted_brier(
        2,
        np.array([1.0, 0.0]),
        opens=np.array([0, 0]),
        last_day=np.array([9, 4]),
        update_forecast=np.array([0, 0, 1, 1, 1, 1]),
        update_day=np.array([0, 4, 0, 2, 2, 7]),
        update_p=np.array([0.2, 0.8, 0.1, 0.9, 0.4, 0.99]),
    )
    assert tw[0] == pytest.approx((4 * 0.64 + 6 * 0.04) / 10)
    assert tw[1] == pytest.approx((2 * 0.01 + 3 * 0.16) / 5)


def test_skill_scores_and_group_breakdown_by_hand():
    p = np.array([0.9, 0.9, 0.2, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    core = core_scores(p, y, np.array([0, 0, 1, 1]), ["ann", "bob"])
    bs = (0.01 + 0.81 + 0.04 + 0.25) / 4
    assert core.summary.skill_vs_half == pytest.approx(1 - bs / 0.25)
    assert core.summary.skill_vs_base_rate == pytest.approx(1 - bs / 0.25)  # base rate 0.5
    rows = {r.name: r for r in core.groups}
    assert rows["ann"].brier == pytest.approx(0.41) and rows["bob"].brier == pytest.approx(0.145)
    assert rows["ann"].count == 2 and rows["ann"].observed == 0.5
    sums = BinSums.of(p, y, 10)
    assert sums.count.tolist() == [0, 1, 0, 0, 1, 0, 0, 0, 2, 0]
