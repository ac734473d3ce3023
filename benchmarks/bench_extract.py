"""Extraction benchmark: how well and how fast ``tracker extract`` finds the predictions of a text.

    .venv/bin/python benchmarks/bench_extract.py [--rounds 20] [--only seed]

The texts, reported separately:

- ``seed``: ``forecasts/sources/trenin-2022-01-21.txt`` against its curated forecast file
  ``forecasts/trenin-2022-01-21.yaml`` (the extractor was developed on it);
- ``benchmarks/extract_eval/*.txt``: texts written for the purpose in other styles, each with its
  annotations (``*.yaml``: ``published`` and ``predictions``, each a ``quote``, ``estimate`` and
  ``probability``), written before the extractor and held out from its tuning.

Per text: candidates, recall (annotated quotes that a candidate's quote overlaps), precision
(candidates that overlap an annotated quote), estimate agreement (same verbal term, of the found),
probability within 0.1 (of the found), and the time per 1,000 words: the extraction's median over
the rounds, and in the same run two peers on the same text, splitting it into sentences alone
and scanning it for the scale's terms alone, with the ratios.  Goal (issue 14, on the seed):
recall >= 90 %, estimate agreement >= 80 %.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.domain.scale import EstimativeScale  # noqa: E402
from tracker.extract import Expected, ScaleExtractor, SourceMeta, evaluate  # noqa: E402
from tracker.extract._sentences import split_sentences  # noqa: E402
from tracker.extract._terms import TermFinder  # noqa: E402

SEED_FILE = ROOT / "forecasts" / "trenin-2022-01-21.yaml"
EVAL_DIR = ROOT / "benchmarks" / "extract_eval"


@dataclass
class Text:
    name: str
    text: str
    published: date
    expected: list[Expected]


def seed_text() -> Text:
    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    source = data["source"]
    text = (SEED_FILE.parent / source["text"]).read_text(encoding="utf-8")
    expected = [Expected(f["quote"], f["estimate"], f["probability"]) for f in data["forecasts"]]
    return Text("seed (trenin-2022-01-21)", text, source["published"], expected)


def held_out_texts() -> list[Text]:
    found = []
    for path in sorted(EVAL_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        expected = [
            Expected(p["quote"], str(p["estimate"]), float(p["probability"]))
            for p in data["predictions"]
        ]
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        found.append(Text(f"held out ({path.stem})", text, data["published"], expected))
    return found


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    work()  # warm: lemminflect's and dateparser's tables load on first use
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(sample: Text, extractor: ScaleExtractor, terms: TermFinder, rounds: int) -> None:
    meta = SourceMeta(published=sample.published)
    candidates = extractor.extract(sample.text, meta)
    result = evaluate(sample.text, candidates, sample.expected)
    words = len(sample.text.split())
    extract_s = median_seconds(lambda: extractor.extract(sample.text, meta), rounds)
    split_s = median_seconds(lambda: split_sentences(sample.text), rounds)
    scan_s = median_seconds(
        lambda: [terms.find(s.text) for s in split_sentences(sample.text)], rounds
    )
    per_k = 1000 / words
    print(f"\n{sample.name}: {words:,} words, {result.expected} annotated predictions")
    print(f"  candidates               {result.candidates}")
    print(f"  recall                   {result.recall:6.1%}  ({result.found}/{result.expected})")
    print(
        f"  precision                {result.precision:6.1%}  "
        f"({result.matching}/{result.candidates})"
    )
    print(
        f"  estimate agreement       {result.estimate_agreement:6.1%}  "
        f"({result.same_estimate}/{result.found})"
    )
    print(
        f"  probability within 0.1   {result.probability_agreement:6.1%}  "
        f"({result.close_probability}/{result.found})"
    )
    print(f"  time per 1,000 words     {extract_s * per_k * 1000:7.2f} ms  extraction")
    print(
        f"                           {split_s * per_k * 1000:7.2f} ms  sentence split alone "
        f"(extraction = {extract_s / split_s:.0f}x)"
    )
    print(
        f"                           {scan_s * per_k * 1000:7.2f} ms  split + scale scan alone "
        f"(extraction = {extract_s / scan_s:.1f}x)"
    )
    for quote in result.missed:
        print(f"  missed: {' '.join(quote.split())[:100]}")
    for wanted, got in result.misread:
        print(f"  estimate: expected {wanted!r}, extracted {got!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", choices=["seed", "held-out"], default=None)
    args = parser.parse_args()
    scale = EstimativeScale.builtin()
    extractor = ScaleExtractor(scale)
    terms = TermFinder(scale)
    samples = []
    if args.only != "held-out":
        samples.append(seed_text())
    if args.only != "seed":
        samples.extend(held_out_texts())
    for sample in samples:
        report(sample, extractor, terms, args.rounds)


if __name__ == "__main__":
    main()
