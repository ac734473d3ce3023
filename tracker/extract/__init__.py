"""Finding predictions in prose: an article's text -> draft forecasts an analyst edits.

The contract (stable; the web "New source" page, the CLI and the service code against it):

- :class:`SourceMeta` what is known of the source (title, author, publisher, url, published);
- :class:`Candidate` one prediction found, with its verbatim quote and its offsets in the text;
- :class:`Draft` the source, its text and its candidates;
- :class:`Extractor` the interface an extractor implements (``name``, ``extract(text, meta)``);
  the built-in one reads the estimative-language scale and the patterns pundits use, offline.
  Another (one calling a language model, where a user has one) plugs in behind the same
  interface without touching the rest.

And what works on it:

- :class:`ScaleExtractor` the built-in extractor (``_extractor``, made of small modules, one job
  each: ``_sentences`` sentences and clauses with offsets, ``_terms`` and ``_odds`` the words and
  numbers of probability, ``_filters`` what makes no forecast, ``_claims`` what a prediction
  claims, ``_dates`` when it closes, ``_questions`` its question and id, ``_rules`` its evidence
  rules, ``_tags`` its tags);
- :func:`check_text` what a source must be to be read (not empty, at most
  :data:`MAX_TEXT_CHARS`, English: ``_checks``);
- :func:`draft_yaml` a draft forecast file from a :class:`Draft` (``_draft``);
- :func:`evaluate` recall, precision and agreement against annotated predictions
  (:class:`Expected`; ``_evaluate``), what the tests and ``benchmarks/bench_extract.py`` report.
"""

from tracker.extract._checks import MAX_TEXT_CHARS, check_text, english_share
from tracker.extract._contract import Candidate, Draft, Extractor, SourceMeta
from tracker.extract._draft import draft_yaml
from tracker.extract._evaluate import Evaluation, Expected, evaluate
from tracker.extract._extractor import ScaleExtractor

__all__ = [
    "MAX_TEXT_CHARS",
    "Candidate",
    "Draft",
    "Evaluation",
    "Expected",
    "Extractor",
    "ScaleExtractor",
    "SourceMeta",
    "check_text",
    "draft_yaml",
    "english_share",
    "evaluate",
]
