"""Matching benchmark (issue 5 §6): one automaton for every forecast vs. its peers, in one run.

    .venv/bin/python benchmarks/bench_matching.py            # 10,000 forecasts x 100,000 articles

Synthetic, seeded data: a vocabulary of made-up words drawn with a Zipf-like frequency; each
forecast has 3-8 phrases (1-3 words) over a yes and a no rule, half of them with a common
context word under ``all`` ("russia"), some with a ``none`` phrase, and a window of 3-24 months
in 2022-2024; each article has a title and 150 words, with a phrase of a random forecast
planted in 30% of them, dated inside that forecast's window (a negation cue before the phrase in
5%); the other articles are dated at random in 2022-2024.

It times, on the same articles:
  A. the automaton with all N forecasts (default 10,000);
  B. the automaton with the first 100 of them;
  C. a straightforward regex loop: per article, per forecast in its window, the forecast's
     compiled patterns (``all`` each, ``any`` one alternation, ``none`` one alternation).
     The loop is timed on a subset of the articles (``--regex-articles``) and extrapolated
     linearly to all of them; the output says so.  It only decides which (forecast, side)
     pairs an article satisfies (no sentence, no negation), so it is the cheaper of the two
     per match, and it checks that the automaton finds the same pairs.
  D. (with pyahocorasick installed: ``pip install -e '.[bench]'``) the scan alone, the same
     trigger phrases in pyahocorasick and in ahocorasick-rs, at N and at 100 forecasts: why
     the matcher uses the latter.
A and B are timed together, batch by batch: each batch of articles is matched by one and then
the other (the order alternating), so that both meet the shared machine in the same state.
That pass is run ``--repeat`` times and each one's fastest total kept, as is D's (the least
disturbed run is the closest to the code's own cost).
Goals: A <= 1.5 x B; A >= 20 x faster than C.
"""

from __future__ import annotations

import argparse
import random
import re
import string
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.matching import (
    ArticleText,
    ForecastRules,
    compile_rules,
    match_article,
    match_batch,
    normalise,
)
from tracker.matching.matcher import published_day
from tracker.resolution import BATCH

CONTEXT_WORDS = ["russia", "nato", "ukraine", "senate", "belarus", "kremlin", "treaty", "missiles"]
CUES = ["did not", "denied that", "will not", "has yet to"]
START, END = date(2022, 1, 1), date(2024, 12, 31)


def make_vocabulary(rng: random.Random, size: int) -> tuple[list[str], list[float]]:
    words = {
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(size * 2)
    }
    vocabulary = sorted(words)[:size]
    rng.shuffle(vocabulary)
    vocabulary = (
        vocabulary[:20] + CONTEXT_WORDS + vocabulary[20:]
    )  # topic words: common, not the commonest
    weights = [1.0 / (rank + 10) for rank in range(len(vocabulary))]
    total, cumulative = 0.0, []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return vocabulary, cumulative


def make_forecasts(
    rng: random.Random, count: int, vocabulary, cumulative, phrase_words: str
) -> list[ForecastRules]:
    """``phrase_words``: "zipf" draws phrase words as the articles' words are drawn (past the
    100 commonest), "uniform" draws them evenly from the words past the 228 commonest."""
    skip = 100 if phrase_words == "zipf" else len(CONTEXT_WORDS) + 200
    words, weights = vocabulary[skip:], [c - cumulative[skip - 1] for c in cumulative[skip:]]

    def phrase(shortest: int = 2, longest: int = 4) -> str:
        size = rng.randint(shortest, longest)
        chosen = (
            rng.choices(words, cum_weights=weights, k=size)
            if phrase_words == "zipf"
            else rng.choices(words, k=size)
        )
        return " ".join(chosen)

    forecasts = []
    for index in range(count):
        total = rng.randint(3, 8)
        context = [rng.choice(CONTEXT_WORDS)] if rng.random() < 0.5 else []
        none = [phrase(1, 2)] if rng.random() < 0.2 and total - len(context) >= 3 else []
        any_count = total - len(context) - len(none)
        yes_any = [phrase() for _ in range(max(1, any_count // 2 + any_count % 2))]
        no_any = [phrase() for _ in range(any_count - len(yes_any))]
        opens = START + timedelta(days=rng.randint(0, 900))
        closes = min(opens + timedelta(days=rng.randint(90, 730)), END)
        yes = {"all": context, "any": yes_any, "none": none}
        no = {"any": no_any} if no_any else None
        forecasts.append(ForecastRules(f"f{index:05d}", opens, closes, yes, no))
    return forecasts


def _moment(rng: random.Random, first: date, last: date) -> datetime:
    seconds = rng.randint(0, ((last - first).days + 1) * 86400 - 1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC) + timedelta(seconds=seconds)


def make_articles(
    rng: random.Random, count: int, vocabulary, cumulative, forecasts
) -> list[ArticleText]:
    articles = []
    for index in range(count):
        words = rng.choices(vocabulary, cum_weights=cumulative, k=158)
        published = _moment(rng, START, END)
        if rng.random() < 0.3:
            forecast = rng.choice(forecasts)
            planted = rng.choice(forecast.yes_when["any"] + forecast.yes_when["all"])
            if rng.random() < 0.05 / 0.3:
                planted = rng.choice(CUES) + " " + planted
            words[rng.randint(10, 150)] = planted
            published = _moment(rng, forecast.opens, forecast.closes)
        body = words[8:]
        for position in range(14, len(body), rng.randint(12, 20)):
            body[position] += "."
        for position in range(5, len(body), 23):
            body[position] += ","
        title = " ".join(words[:8]).capitalize()
        summary = ". ".join(s.strip().capitalize() for s in " ".join(body).split(". "))
        articles.append(ArticleText(index, title, summary, published))
    return articles


def time_side_by_side(configs: dict, articles, batch: int) -> dict[str, tuple[float, int]]:
    """Each configuration's time and evidence hits on ``articles``, matched in batches (by default
    of the resolution stage's size, as its workers match them), every batch by each
    configuration in turn, the order alternating from batch to batch.

    Why side by side: the machine is shared and its load changes from one second to the next;
    timed one after the other, the two runs would meet different loads, and the one with the
    larger automaton (memory-bound) suffers most from a neighbour's use of the cache.
    Alternating the order gives each the same share of a cache warmed by the other.
    """
    seconds, hits = dict.fromkeys(configs, 0.0), dict.fromkeys(configs, 0)
    names = list(configs)
    for number, start in enumerate(range(0, len(articles), batch)):
        chunk = articles[start : start + batch]
        for name in names if number % 2 == 0 else reversed(names):
            started = time.perf_counter()
            hits[name] += sum(map(len, match_batch(configs[name], chunk)))
            seconds[name] += time.perf_counter() - started
    return {name: (seconds[name], hits[name]) for name in names}


def compile_timed(forecasts):
    started = time.perf_counter()
    compiled = compile_rules(forecasts)
    return compiled, time.perf_counter() - started


def best_of(repeat: int, runs: dict) -> dict:
    """Each run ``repeat`` times, the runs interleaved, keeping each one's fastest time: the
    machine is shared, and the least disturbed run is the closest to the code's own cost."""
    best: dict = {}
    for _ in range(repeat):
        for name, run in runs.items():
            keep_fastest(best, {name: run()})
    return best


def keep_fastest(best: dict, results: dict) -> None:
    """Fold one pass's ``{name: (seconds, hits)}`` into ``best``, keeping each one's least time."""
    for name, (seconds, hits) in results.items():
        best[name] = (min(seconds, best.get(name, (seconds,))[0]), hits)


def compare_pyahocorasick(compiled_big, compiled_small, articles, repeat: int) -> None:
    """Scan only (no evidence), the same trigger phrases in pyahocorasick and ahocorasick-rs."""
    try:
        import ahocorasick
    except ImportError:
        print("D. pyahocorasick not installed (pip install -e '.[bench]'): scan comparison skipped")
        return
    from tracker.matching.text import PreparedText

    texts = [PreparedText.of_article(a.title, a.summary).folded for a in articles]

    def pyahocorasick_scan(compiled):
        automaton = ahocorasick.Automaton()
        for index, key in enumerate(compiled.automaton_keys):
            automaton.add_word(key, index)
        automaton.make_automaton()
        return lambda: (_timed(lambda: [list(automaton.iter(t)) for t in texts]), 0)

    def rs_scan(compiled):
        return lambda: (
            _timed(
                lambda: [
                    compiled.automaton.find_matches_as_indexes(t, overlapping=True) for t in texts
                ]
            ),
            0,
        )

    best = best_of(
        repeat,
        {
            "py-big": pyahocorasick_scan(compiled_big),
            "py-small": pyahocorasick_scan(compiled_small),
            "rs-big": rs_scan(compiled_big),
            "rs-small": rs_scan(compiled_small),
        },
    )
    per = 1e6 / len(texts)
    print(
        f"D. scan only, {len(texts):,} articles, us/article at {len(compiled_big):,} / "
        f"{len(compiled_small):,} "
        f"forecasts: ahocorasick-rs {best['rs-big'][0] * per:.1f} / "
        f"{best['rs-small'][0] * per:.1f} "
        f"({best['rs-big'][0] / best['rs-small'][0]:.2f}x), pyahocorasick "
        f"{best['py-big'][0] * per:.1f} / "
        f"{best['py-small'][0] * per:.1f} ({best['py-big'][0] / best['py-small'][0]:.2f}x)"
    )


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _pattern(phrases: list[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    alternatives = []
    for phrase in map(normalise, phrases):
        if phrase.endswith("*"):
            alternatives.append(re.escape(phrase[:-1]))
        else:
            alternatives.append(re.escape(phrase) + r"(?!\w)")
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")")


def compile_regex_loop(forecasts):
    compiled = []
    for forecast in forecasts:
        for side, rule in (("yes", forecast.yes_when), ("no", forecast.no_when)):
            if rule:
                alls = [_pattern([p]) for p in rule.get("all", [])]
                compiled.append(
                    (
                        forecast.forecast_id,
                        side,
                        forecast.opens,
                        forecast.closes,
                        alls,
                        _pattern(rule.get("any", [])),
                        _pattern(rule.get("none", [])),
                    )
                )
    return compiled


def regex_loop(compiled, article) -> set[tuple[str, str]]:
    text = normalise(f"{article.title}. {article.summary}")
    day = published_day(article.published)
    found = set()
    for forecast_id, side, opens, closes, alls, any_, none in compiled:
        if not opens <= day <= closes:
            continue
        if any_ is not None and not any_.search(text):
            continue
        if not all(p.search(text) for p in alls):
            continue
        if none is not None and none.search(text):
            continue
        found.add((forecast_id, side))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forecasts", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100, help="forecasts of the peer run B")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument(
        "--regex-articles", type=int, default=100, help="subset the regex loop is timed on"
    )
    parser.add_argument(
        "--scan-articles", type=int, default=20_000, help="articles of the scan-only comparison"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of A and B (and D), the fastest kept"
    )
    parser.add_argument(
        "--phrase-words",
        choices=["zipf", "uniform"],
        default="zipf",
        help="how phrase words are drawn from the vocabulary (see make_forecasts)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=BATCH,
        help="articles per match_batch call (the resolution stage's batch)",
    )
    parser.add_argument("--vocabulary", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    started = time.perf_counter()
    vocabulary, cumulative = make_vocabulary(rng, args.vocabulary)
    forecasts = make_forecasts(rng, args.forecasts, vocabulary, cumulative, args.phrase_words)
    articles = make_articles(rng, args.articles, vocabulary, cumulative, forecasts)
    phrases = sum(
        len(f.yes_when.get(r, [])) + len((f.no_when or {}).get(r, []))
        for f in forecasts
        for r in ("all", "any", "none")
    )
    print(
        f"generated {len(forecasts):,} forecasts ({phrases:,} phrases) and {len(articles):,} "
        "articles "
        f"of ~150 words in {time.perf_counter() - started:.1f}s (seed {args.seed}, "
        f"{args.phrase_words} phrase words)",
        flush=True,
    )

    big_compiled, big_compile = compile_timed(forecasts)
    small_compiled, small_compile = compile_timed(forecasts[: args.small])
    best: dict[str, tuple[float, int]] = {}
    for _ in range(args.repeat):
        keep_fastest(
            best, time_side_by_side({"A": big_compiled, "B": small_compiled}, articles, args.batch)
        )
    (big, big_hits), (small, small_hits) = best["A"], best["B"]
    print(
        f"A. automaton, {len(forecasts):,} forecasts: {big:.2f}s, {len(articles) / big:,.0f} "
        "articles/s, "
        f"{big_hits:,} evidence hits (compiled in {big_compile:.2f}s; best of {args.repeat})",
        flush=True,
    )
    print(
        f"B. automaton, {args.small:,} forecasts: {small:.2f}s, {len(articles) / small:,.0f} "
        "articles/s, "
        f"{small_hits:,} evidence hits (compiled in {small_compile:.2f}s; best of {args.repeat})",
        flush=True,
    )

    subset = articles[: args.regex_articles]
    regexes = compile_regex_loop(forecasts)
    started = time.perf_counter()
    regex_found = [regex_loop(regexes, article) for article in subset]
    regex_subset = time.perf_counter() - started
    regex_total = regex_subset * len(articles) / len(subset)
    print(
        f"C. regex loop, {len(forecasts):,} forecasts: {regex_subset:.2f}s on the first "
        f"{len(subset):,} articles "
        f"({len(subset) / regex_subset:,.1f} articles/s); extrapolated linearly to "
        f"{len(articles):,} articles: "
        f"{regex_total:,.0f}s",
        flush=True,
    )

    agree = all(
        {(h.forecast_id, h.side) for h in match_article(big_compiled, article)} == expected
        for article, expected in zip(subset, regex_found, strict=True)
    )
    print(
        "automaton and regex loop find the same (forecast, side) pairs on the subset: "
        f"{'yes' if agree else 'NO'}"
    )

    compare_pyahocorasick(big_compiled, small_compiled, articles[: args.scan_articles], args.repeat)

    scale_ratio, speedup = big / small, regex_total / big
    print(
        f"ratio A/B (time at {len(forecasts):,} / time at {args.small:,} forecasts): "
        f"{scale_ratio:.2f}x "
        f"(goal <= 1.5x: {'met' if scale_ratio <= 1.5 else 'MISSED'})"
    )
    print(
        f"ratio C/A (regex loop / automaton at {len(forecasts):,} forecasts): {speedup:,.0f}x "
        f"(goal >= 20x: {'met' if speedup >= 20 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
