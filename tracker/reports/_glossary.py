"""What each abbreviation and technical term of the report's tables means, in one place for
every format (HTML, Markdown, PDF)."""

from __future__ import annotations

#: (term, explanation), in the order the tables use them
GLOSSARY: list[tuple[str, str]] = [
    (
        "Brier score (BS)",
        (
            "the mean squared gap between the probability and what happened (1 for yes, 0 for no); "
            "0 is perfect, 0.25 is what always saying 50 % scores. The Tetlock scale doubles it "
            "(0–2)."
        ),
    ),
    (
        "Base rate",
        (
            "the share of the questions that came true; always forecasting it scores "
            "base rate × (1 − base rate)."
        ),
    ),
    (
        "Skill score",
        (
            "1 − BS / BS of a reference forecaster (always 50 %, or always the base rate): above 0"
            " is "
            "better than the reference, 0 the same, below 0 worse."
        ),
    ),
    (
        "Log loss",
        (
            "the mean of −ln(probability given to what happened), in nats; lower is better, and a "
            "confident miss costs much more than under the Brier score."
        ),
    ),
    (
        "Baseline score (Metaculus formula)",
        (
            "100·(log2 of the probability given to what happened + 1), the formula Metaculus uses "
            "for "
            "its baseline score; computed here from these forecasts alone, no Metaculus crowd or "
            "data "
            "is involved. 0 is always 50 %, higher is better."
        ),
    ),
    (
        "Wilson interval",
        (
            "the 95 % range in which a bin's true frequency plausibly lies, given how few "
            "forecasts "
            "it holds."
        ),
    ),
    (
        "REL (reliability)",
        (
            "how far each probability bin's forecasts are from how often they came true; 0 is "
            "perfectly calibrated, lower is better."
        ),
    ),
    (
        "RES (resolution)",
        (
            "how much the bins' observed frequencies differ from the base rate: telling likely "
            "from unlikely questions; higher is better."
        ),
    ),
    (
        "UNC (uncertainty)",
        "base rate × (1 − base rate): how hard the questions were to call, whoever forecasts.",
    ),
    (
        "WBV, WBC",
        (
            "within-bin variance and covariance of the forecasts: what binning hides, used to "
            "correct RES."
        ),
    ),
    ("GRES (generalised resolution)", "RES − WBV + 2·WBC, so that BS = REL − GRES + UNC exactly."),
    (
        "PAV (pool adjacent violators)",
        "the isotonic recalibration: the best non-decreasing map from forecasts to outcomes.",
    ),
    (
        "CORP",
        (
            "consistent, optimally binned, reproducible reliability diagram and decomposition, "
            "built on PAV (Dimitriadis, Gneiting & Jordan 2021)."
        ),
    ),
    (
        "MCB (miscalibration)",
        "the part of the Brier score that recalibration (PAV) would remove; lower is better.",
    ),
    (
        "DSC (discrimination)",
        "how much better than the base rate the recalibrated forecasts are; higher is better.",
    ),
    (
        "Peer score",
        (
            "a forecaster's score against the mean of the others on the same questions; above 0 "
            "is better than their peers."
        ),
    ),
    (
        "Relative score, head to head",
        "two forecasters compared on the questions both answered, with a bootstrap interval.",
    ),
    (
        "Murphy diagram",
        (
            "the mean elementary score at every decision threshold; a curve nowhere above the "
            "other is better under every proper scoring rule."
        ),
    ),
    (
        "Time-weighted Brier",
        "each day a question was open scored with the probability standing that day.",
    ),
    ("Sharpness", "how far the forecasts stray from 50 %: bolder forecasts say more."),
    (
        "Bootstrap interval",
        "the 95 % range of the score over resamples of the forecasts (percentile method).",
    ),
]
