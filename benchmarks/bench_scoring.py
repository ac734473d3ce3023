"""Scoring benchmark: the core scorecard against scikit-learn, CORP and the bootstrap
against model-diagnostics / scipy, all on the same 1,000,000 synthetic resolved forecasts.

    .venv/bin/python benchmarks/bench_scoring.py [--n 1000000] [--repeat 3]

(a) core scorecard = Brier, log score, skill scores, generalised Murphy decomposition,
    10-bin calibration table with Wilson intervals, per-author breakdown
    (tracker.scoring.core_scores);
(b) scikit-learn computing only brier_score_loss + calibration_curve.
Prints both times (best of --repeat) and the ratio a/b; the goal is <= 2.0.
Then: the CORP decomposition (ours vs model_diagnostics.scoring.decompose, which also
isotonic-regresses with ties pooled) and the bootstrap interval of the Brier score with
1,000 resamples (ours vs scipy.stats.bootstrap, which model-diagnostics uses for its
uncertainty bands; percentile method, vectorised in batches).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def synthetic(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """n resolved forecasts from 100 authors with 50 tags; forecasts a little overconfident."""
    rng = np.random.default_rng(seed)
    p = rng.beta(0.7, 0.7, n)
    truth = 0.5 + (p - 0.5) * 0.8
    return {
        "p": p,
        "y": (rng.random(n) < truth).astype(np.float64),
        "author": rng.integers(0, 100, n),
        "tag": rng.integers(0, 50, n),
    }


def best_of(repeat: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()

    from model_diagnostics.scoring import SquaredError, decompose
    from scipy.stats import bootstrap as scipy_bootstrap
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    from tracker.scoring import bootstrap, core_scores, corp

    d = synthetic(args.n)
    p, y, author = d["p"], d["y"], d["author"]
    authors = [f"author-{i}" for i in range(100)]
    print(f"{args.n:,} synthetic resolved forecasts, 100 authors, 50 tags; best of {args.repeat}")

    t_ours, core = best_of(args.repeat, lambda: core_scores(p, y, author, authors, 10))
    t_sk, (bs_sk, curve) = best_of(
        args.repeat, lambda: (brier_score_loss(y, p), calibration_curve(y, p, n_bins=10))
    )
    assert abs(core.summary.brier - bs_sk) < 1e-12
    assert np.allclose(
        [r.observed for r in core.calibration if r.count], curve[0], rtol=0, atol=1e-12
    )
    print(f"(a) core scorecard (tracker):                {t_ours * 1000:9.1f} ms")
    print(f"(b) brier_score_loss + calibration_curve:    {t_sk * 1000:9.1f} ms")
    print(f"ratio a/b = {t_ours / t_sk:.2f}   (goal <= 2.0)")

    t_corp, ours = best_of(args.repeat, lambda: corp(p, y, resamples=0))
    t_md, ref = best_of(args.repeat, lambda: decompose(y, p, scoring_function=SquaredError()))
    ref = ref.row(0, named=True)
    assert abs(ours.miscalibration - ref["miscalibration"]) < 1e-12
    assert abs(ours.discrimination - ref["discrimination"]) < 1e-12
    print(f"CORP decomposition (tracker):                {t_corp * 1000:9.1f} ms")
    print(
        f"CORP decomposition (model-diagnostics):      {t_md * 1000:9.1f} ms   ratio "
        f"{t_corp / t_md:.2f}"
    )

    t_boot, interval = best_of(1, lambda: bootstrap(p, y, resamples=args.resamples))
    brier_each = np.square(p - y)
    t_sp, sp = best_of(
        1,
        lambda: scipy_bootstrap(
            (brier_each,),
            np.mean,
            n_resamples=args.resamples,
            method="percentile",
            vectorized=True,
            batch=20,
            random_state=np.random.default_rng(0),
        ),
    )
    print(
        f"bootstrap, {args.resamples} resamples (tracker, Brier + log):  {t_boot:7.2f} s   "
        f"[{interval.brier.low:.5f}, {interval.brier.high:.5f}]"
    )
    print(
        f"bootstrap, {args.resamples} resamples (scipy.stats, Brier):    {t_sp:7.2f} s   "
        f"[{sp.confidence_interval.low:.5f}, {sp.confidence_interval.high:.5f}]   ratio "
        f"{t_boot / t_sp:.2f}"
    )


if __name__ == "__main__":
    main()
