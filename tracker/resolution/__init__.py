"""The resolution stage: articles → evidence → proposals → resolutions.  No Celery needed.

    rules = RuleSet()                                    # keep one per process: recompiles on
    change only
    report = match_articles(session, article_ids, rules) # evidence rows, matched_at, policy
    re-evaluated
    check_deadlines(session, as_of=today())         # default_at_close / not_yet_resolvable past
    closes
    for item in review_queue(session): ...               # pending proposals, oldest first, with
    evidence
    confirm(session, proposal_id, actor="ana")           # resolves through tracker.domain.lifecycle
    reject(session, proposal_id, actor="ana", note="...")
    evidence_for(session, forecast_id)                   # a forecast's evidence, negated rows
    included
    resolver_stats(session)                              # the resolver's confusion matrix and
    precision

Modules: ``_match`` (matching stored articles, the deadline check, catch-up), ``_policy`` (the
policy, pure, and applying it to proposals), ``_review`` (queue, evidence, confirm/reject),
``_stats`` (scoring the resolver), ``_attach`` (evidence a reviewer attaches by hand).  Every
change is in the audit log of its forecast (actions ``propose``, ``supersede-proposal``,
``confirm-proposal``, ``reject-proposal``, ``attach-evidence``, ``detach-evidence``, and
the lifecycle's ``resolve``); every function is idempotent where the issue asks for it.
"""

import typing

from tracker import _lazy

if typing.TYPE_CHECKING:
    from tracker.matching import RuleSet
    from tracker.resolution._attach import (
        ArticleEvidence,
        ArticleView,
        Attached,
        article_view,
        attach,
        detach,
    )
    from tracker.resolution._match import (
        BATCH,
        UNKNOWN_PUBLISHER,
        MatchReport,
        active_rules,
        catch_up,
        check_deadlines,
        evidence_publisher,
        match_articles,
        publisher_of,
        supersede_resolved,
    )
    from tracker.resolution._policy import (
        RESOLVER_ACTOR,
        UNRESOLVED,
        Decision,
        EvidenceFact,
        decide,
        evaluate,
    )
    from tracker.resolution._review import (
        AutoConfirmReport,
        EvidenceView,
        ForecastResolutionSummary,
        ReviewItem,
        auto_confirm,
        confirm,
        confirmed_proposals,
        count_evidence,
        counts_by_kind,
        evidence_for,
        evidence_keyset,
        get_proposal,
        proposal_json,
        reject,
        review_count,
        review_keyset,
        review_queue,
        summaries,
    )
    from tracker.resolution._stats import FINAL, PROPOSED, GroupStats, ResolverStats, resolver_stats

__getattr__ = _lazy.exports(__name__, __file__)

__all__ = [
    "BATCH",
    "FINAL",
    "PROPOSED",
    "RESOLVER_ACTOR",
    "UNKNOWN_PUBLISHER",
    "UNRESOLVED",
    "ArticleEvidence",
    "ArticleView",
    "Attached",
    "AutoConfirmReport",
    "Decision",
    "EvidenceFact",
    "EvidenceView",
    "ForecastResolutionSummary",
    "GroupStats",
    "MatchReport",
    "ResolverStats",
    "ReviewItem",
    "RuleSet",
    "active_rules",
    "article_view",
    "attach",
    "auto_confirm",
    "catch_up",
    "check_deadlines",
    "confirm",
    "confirmed_proposals",
    "count_evidence",
    "counts_by_kind",
    "decide",
    "detach",
    "evaluate",
    "evidence_for",
    "evidence_keyset",
    "evidence_publisher",
    "get_proposal",
    "match_articles",
    "proposal_json",
    "publisher_of",
    "reject",
    "resolver_stats",
    "review_count",
    "review_keyset",
    "review_queue",
    "summaries",
    "supersede_resolved",
]
