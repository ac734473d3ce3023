"""Matching full-length articles (issue 13, goal c), against normalising the same texts.

    .venv/bin/python benchmarks/bench_fulltext_matching.py   # 10,000 forecasts x 5,000 articles

The forecasts and vocabulary are those of ``bench_matching.py`` (same generator, seeded).  Each
article has a title (8 words), a teaser (the body's first 40 words and an ellipsis, as feeds cut
them) and a body whose length is drawn log-normally with a median of about 4,000 characters
(about 520 words, from a few hundred to over 15,000 characters), with sentences, commas and
typographic quotes, apostrophes and dashes (``typeset``);
30% carry a phrase of a random forecast somewhere in the body, dated inside its window (5% of
those behind a negation cue).

It times, on the same articles, batch by batch and side by side (see ``time_side_by_side``):
  A. the matcher with all N forecasts (title, teaser and body);
  B. the matcher with the first 100 forecasts;
  E. only normalising the same texts: NFKC and case folding of title, teaser and body, the
     least any matcher must do to read them.
Each is run ``--repeat`` times and its fastest total kept.
Goals: A <= 4 x E; A <= 1.5 x B.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_matching import (  # the forecasts' generator: one definition for both benchmarks
    CUES,
    END,
    START,
    _moment,
    compile_timed,
    keep_fastest,
    make_forecasts,
    make_vocabulary,
    time_side_by_side,
)

from tracker.matching import ArticleText
from tracker.resolution import BATCH

MEDIAN_BODY_WORDS = 520  # about 4,000 characters with this vocabulary


def typeset(rng: random.Random, words: list[str]) -> None:
    """Typographic punctuation, as news is printed (and as NFKC and the matcher's quote and
    dash folding meet it): a possessive with a curly apostrophe every 40 words or so, a quoted
    pair of words every 60, a dash every 80."""
    for position in range(rng.randint(3, 40), len(words), 40):
        words[position] += "’s"
    for position in range(rng.randint(3, 60), len(words) - 1, 60):
        words[position] = "“" + words[position]
        words[position + 1] += "”"
    for position in range(rng.randint(3, 80), len(words), 80):
        words[position] += " —"


def make_full_articles(rng, count, vocabulary, cumulative, forecasts) -> list[ArticleText]:
    articles = []
    for index in range(count):
        length = max(60, int(rng.lognormvariate(math.log(MEDIAN_BODY_WORDS), 0.6)))
        words = rng.choices(vocabulary, cum_weights=cumulative, k=length + 8)
        published = _moment(rng, START, END)
        if rng.random() < 0.3:
            forecast = rng.choice(forecasts)
            planted = rng.choice(forecast.yes_when["any"] + forecast.yes_when["all"])
            if rng.random() < 0.05 / 0.3:
                planted = rng.choice(CUES) + " " + planted
            words[rng.randint(10, len(words) - 1)] = planted
            published = _moment(rng, forecast.opens, forecast.closes)
        body_words = words[8:]
        typeset(rng, body_words)
        for position in range(14, len(body_words), rng.randint(12, 20)):
            body_words[position] += "."
        for position in range(5, len(body_words), 23):
            body_words[position] += ","
        body = ". ".join(s.strip().capitalize() for s in " ".join(body_words).split(". "))
        teaser = " ".join(body.split()[:40]) + "…"
        title = " ".join(words[:8]).capitalize()
        articles.append(ArticleText(index, title, teaser, published, body))
    return articles


def time_normalising(articles, batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(articles), batch):
        for article in articles[start : start + batch]:
            for text in (article.title, article.summary, article.body):
                unicodedata.normalize("NFKC", text or "").casefold()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forecasts", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--vocabulary", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vocabulary, cumulative = make_vocabulary(rng, args.vocabulary)
    forecasts = make_forecasts(rng, args.forecasts, vocabulary, cumulative, "zipf")
    articles = make_full_articles(rng, args.articles, vocabulary, cumulative, forecasts)
    sizes = sorted(len(a.body or "") for a in articles)
    print(
        f"{len(forecasts):,} forecasts, {len(articles):,} articles; body characters: median "
        f"{sizes[len(sizes) // 2]:,}, 10th-90th percentile {sizes[len(sizes) // 10]:,}-"
        f"{sizes[len(sizes) * 9 // 10]:,} (seed {args.seed})",
        flush=True,
    )
    big_compiled, _ = compile_timed(forecasts)
    small_compiled, _ = compile_timed(forecasts[: args.small])
    best: dict[str, tuple[float, int]] = {}
    normalising = math.inf
    for _ in range(args.repeat):
        keep_fastest(
            best, time_side_by_side({"A": big_compiled, "B": small_compiled}, articles, args.batch)
        )
        normalising = min(normalising, time_normalising(articles, args.batch))
    (big, big_hits), (small, small_hits) = best["A"], best["B"]
    print(f"A. matcher, {len(forecasts):,} forecasts: {big:.2f}s, {big_hits:,} evidence hits")
    print(f"B. matcher, {args.small:,} forecasts: {small:.2f}s, {small_hits:,} evidence hits")
    print(f"E. NFKC + casefold of the same texts: {normalising:.2f}s")
    to_normalising, scale = big / normalising, big / small
    print(
        f"ratio A/E (matching at {len(forecasts):,} forecasts / normalising): "
        f"{to_normalising:.2f}x (goal <= 4x: {'met' if to_normalising <= 4 else 'MISSED'})"
    )
    print(
        f"ratio A/B (time at {len(forecasts):,} / at {args.small:,} forecasts): {scale:.2f}x "
        f"(goal <= 1.5x: {'met' if scale <= 1.5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
