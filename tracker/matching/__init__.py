"""Matching articles against forecasts' evidence rules: a pure library (no database, no Celery).

Typical use, by the resolution stage::

    compiled = compile_rules(ForecastRules.from_forecast(f) for f in forecasts)   # or RuleSet
    texts = [ArticleText(a.id, a.title, a.summary, a.published) for a in articles]
    for article, hits in zip(articles, match_batch(compiled, texts)):   # or match_article(compiled,
    text)
        for hit in hits:
            ...  # store an evidence row; publisher = registered_domain(a.url) or
            registered_domain(site)

The contract (what counts, sentences, the negation guard) is in ``docs/dev.md``
("Matching"); each module's docstring gives its part.
"""

import typing

from tracker import _lazy

if typing.TYPE_CHECKING:
    from tracker.matching.matcher import (
        ArticleText,
        EvidenceHit,
        match_article,
        match_batch,
        published_day,
        scan,
    )
    from tracker.matching.negation import (
        CLAUSE_BOUNDARY_PUNCTUATION,
        CLAUSE_BOUNDARY_WORDS,
        MAX_WORDS_BETWEEN,
        NEGATION_CUES,
        find_cues,
        governs,
        is_negated,
        negated_at,
    )
    from tracker.matching.publisher import registered_domain
    from tracker.matching.rules import (
        CompiledRules,
        ForecastRules,
        Phrase,
        RuleSet,
        Side,
        compile_rules,
        fingerprint,
    )
    from tracker.matching.text import PreparedText, Sentence, clean, normalise, split_sentences

__getattr__ = _lazy.exports(__name__, __file__)

__all__ = [
    "CLAUSE_BOUNDARY_PUNCTUATION",
    "CLAUSE_BOUNDARY_WORDS",
    "MAX_WORDS_BETWEEN",
    "NEGATION_CUES",
    "ArticleText",
    "CompiledRules",
    "EvidenceHit",
    "ForecastRules",
    "Phrase",
    "PreparedText",
    "RuleSet",
    "Sentence",
    "Side",
    "clean",
    "compile_rules",
    "find_cues",
    "fingerprint",
    "governs",
    "is_negated",
    "match_article",
    "match_batch",
    "negated_at",
    "normalise",
    "published_day",
    "registered_domain",
    "scan",
    "split_sentences",
]
