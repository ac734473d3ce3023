"""The use-case layer: one function for each thing a user does.

The CLI (``tracker/cli``), the web app and its JSON API (``tracker/web``), the Celery tasks
(``workers/``) and the demo (``tracker/demo.py``) parse their input, call one of these, and
present the result; none of them composes the domain or the pipeline's stages itself.  Each
function takes a session (one unit of work, opened by the front end with :func:`unit_of_work`)
or, for work made of several units (polling, the resolution pass), an engine; and plain
arguments.  It enforces every rule once, writes the audit log, and raises the project's own
errors (:mod:`tracker.errors`), whose one-line messages the front ends show as they are.

    with unit_of_work(ready_database(settings)) as session:
        resolve_forecast(session, "nato-moratorium", "no", actor="ana", note="...")

By area:

- the database: :func:`database`, :func:`init_database`, :func:`ready_database`,
  :func:`schema_is_current`, :func:`unit_of_work`; backups and moving engines:
  :func:`backup_database`, :func:`restore_database`, :func:`export_all`, :func:`import_all`;
- forecast files: :func:`check_forecasts`, :func:`forecast_template`;
- forecasts: :func:`import_forecasts`, :func:`list_forecasts`, :func:`search_forecasts`,
  :func:`filter_choices`, :func:`forecast_detail`, :func:`forecast_view`,
  :func:`update_forecast`, :func:`correct_forecast`,
  :func:`resolve_forecast`, :func:`reopen_forecast`, :func:`scale_entries`, :func:`scale_table`;
- a new source: :func:`draft_source` (an article's candidates), :func:`save_source` (the
  accepted ones written as a forecast file and imported), :func:`source_key`;
- evidence and review: :func:`evidence_page`, :func:`review_page`, :func:`pending_reviews`,
  :func:`attach_evidence` and :func:`detach_evidence` (evidence by hand), :func:`article_view`,
  :func:`feed_choices` (the articles page's feed filter),
  :func:`confirm_proposal`, :func:`reject_proposal`, :func:`confirm_all`,
  :func:`confirm_many`, :func:`needs_outcome`, :func:`needs_outcome_count`;
- the resolution stage: :func:`resolution_pass`, :func:`deadline_check`,
  :func:`resolver_stats`, :func:`forecast_outcomes`;
- extraction: :func:`extract_source` (a file, a URL or a text -> a draft), :func:`extract_text`,
  :func:`draft_file`, :func:`save_draft`, :func:`is_url`;
- feeds and articles: :func:`add_feed`, :func:`list_feeds`, :func:`feeds_page` (by keyset),
  :func:`feed_health`,
  :func:`enable_feed`, :func:`disable_feed`, :func:`remove_feed`, :func:`import_opml`,
  :func:`export_opml`, :func:`set_full_text`, :func:`feeds_to_poll`, :func:`poll_feeds`,
  :func:`list_articles`;
- baselines (markets and crowds as forecasters): :func:`import_baseline_file`,
  :func:`add_market_baseline`, :func:`list_baselines`, :func:`pull_baseline`,
  :func:`pull_baselines`, :func:`pull_due_baselines`, :func:`baselines_to_pull`,
  :func:`queue_due_baselines` (the beat's tick), :func:`baseline_points`, :func:`baseline_at`;
- search (README, "Search syntax"): :func:`search_articles`, :func:`search_forecast_text`,
  :func:`search_index_state`, :func:`reindex_search` (``tracker search reindex``);
- questions: :func:`list_questions`, :func:`question_view` (every forecaster's probability
  over time, the baselines, the resolution);
- comparing forecasters: :func:`list_authors`, :func:`author_record`,
  :func:`compare_forecasters` (authors, or a baseline at an author's dates), :func:`author_exists`;
- scores and reports: :func:`scorecard`, :func:`report`, :func:`write_report`,
  :func:`scores_fingerprint`, :func:`own_scores` (each forecast's), :func:`list_scores` (a
  list's), :func:`costliest`, :func:`calibration_bin`;
- operating: :func:`operator_metrics` (what ``/metrics`` reports), :func:`record_task_end`
  (a worker's task counters), :func:`status_summary`, :func:`pipeline_progress`,
  :func:`task_run`, the task bodies (:class:`WorkerResources`, :func:`poll_due_feeds`,
  :func:`poll_feed`, :func:`match_articles`, :func:`check_deadlines`, :func:`fetch_due_pages`,
  :func:`fetch_article_page`), and the Celery side reached through an
  entry point (:func:`queue_task`, :func:`queue_startup_tasks`, :func:`run_worker`,
  :func:`run_beat`);
- the audit log: :func:`audit_log` (every state change, newest first, a page at a time);
- accounts: :func:`add_user`, :func:`set_user_active`, :func:`change_password`,
  :func:`list_users`, :func:`create_token`, :func:`list_tokens`, :func:`revoke_token`,
  :func:`sign_in` (throttled by a :class:`SignInGuard`), :func:`sign_out`,
  :func:`sign_out_everywhere`, :func:`token_user`, :func:`session_user`, :func:`same_secret`.
"""

import typing

from tracker import _lazy

if typing.TYPE_CHECKING:
    from tracker.baselines import (
        BaselineImport,
        BaselineInfo,
        BaselineSeries,
        PullResult,
        baseline_at,
    )
    from tracker.domain.auth import same_secret
    from tracker.ingest import new_articles
    from tracker.scoring import MIN_JUDGED
    from tracker.service._accounts import (
        SignedIn,
        SignInGuard,
        add_user,
        change_password,
        create_token,
        list_tokens,
        list_users,
        revoke_token,
        session_user,
        set_user_active,
        sign_in,
        sign_out,
        sign_out_everywhere,
        token_user,
    )
    from tracker.service._articles import feed_choices
    from tracker.service._attach import article_view, attach_evidence, detach_evidence
    from tracker.service._audit import AUDIT_PER_PAGE, AuditRow, audit_log
    from tracker.service._backup import (
        BackupResult,
        RestoreResult,
        backup_database,
        restore_database,
    )
    from tracker.service._baselines import (
        PULL_DUE_BASELINES,
        add_market_baseline,
        baseline_points,
        baselines_to_pull,
        import_baseline_file,
        list_baselines,
        pull_baseline,
        pull_baselines,
        pull_due_baselines,
        queue_due_baselines,
    )
    from tracker.service._compare import (
        BASELINE_PREFIX,
        AuthorRecord,
        AuthorRow,
        PeriodRow,
        author_exists,
        author_forecasts,
        author_record,
        baseline_points_fingerprint,
        compare_forecasters,
        comparison_fingerprint,
        list_authors,
    )
    from tracker.service._evidence import (
        EVIDENCE_PER_PAGE,
        QUEUE_EVIDENCE,
        QUEUE_PER_PAGE,
        EvidencePage,
        ReviewEntry,
        ReviewPage,
        evidence_page,
        pending_reviews,
        review_page,
    )
    from tracker.service._extract import (
        SavedDraft,
        draft_file,
        extract_source,
        extract_text,
        is_url,
        save_draft,
    )
    from tracker.service._feeds import (
        FEEDS_PER_PAGE,
        FeedHealth,
        FeedsPage,
        OpmlImport,
        add_feed,
        disable_feed,
        enable_feed,
        export_opml,
        feed_health,
        feeds_page,
        feeds_to_poll,
        import_opml,
        list_articles,
        list_feeds,
        poll_feeds,
        remove_feed,
        set_full_text,
    )
    from tracker.service._forecast_files import ForecastCheck, check_forecasts, forecast_template
    from tracker.service._forecasts import (
        SCALE_COLUMNS,
        ForecastView,
        ListedForecast,
        RecordedStatement,
        correct_forecast,
        filter_choices,
        forecast_detail,
        forecast_view,
        import_forecasts,
        list_forecasts,
        reopen_forecast,
        resolve_forecast,
        scale_entries,
        scale_table,
        search_forecasts,
        update_forecast,
    )
    from tracker.service._metrics import (
        OperatorMetrics,
        TaskFigures,
        TaskResult,
        operator_metrics,
        record_task_end,
        task_figures,
    )
    from tracker.service._periodic import (
        CHECK_DEADLINES,
        FETCH_ARTICLE_PAGE,
        FETCH_DUE_PAGES,
        HAND_OFF_BATCH,
        MATCH_ARTICLES,
        POLL_DUE_FEEDS,
        WorkerResources,
        check_deadlines,
        fetch_article_page,
        fetch_due_pages,
        match_articles,
        match_stragglers,
        poll_due_feeds,
        poll_feed,
    )
    from tracker.service._portable import Manifest, export_all, import_all
    from tracker.service._questions import (
        QuestionRow,
        QuestionView,
        Standing,
        list_questions,
        question_view,
    )
    from tracker.service._reports import WrittenReport, report, write_report
    from tracker.service._resolution import (
        DeadlineCheck,
        ForecastOutcome,
        ProposalDecision,
        ResolutionPass,
        confirm_all,
        confirm_proposal,
        deadline_check,
        forecast_outcomes,
        reject_proposal,
        resolution_pass,
        resolver_stats,
        waiting_proposals,
    )
    from tracker.service._review import (
        NeedsOutcome,
        confirm_many,
        needs_outcome,
        needs_outcome_count,
    )
    from tracker.service._scoring import (
        calibration_bin,
        costliest,
        list_scores,
        own_scores,
        scorecard,
        scores_fingerprint,
    )
    from tracker.service._search import (
        IndexState,
        reindex_search,
        search_articles,
        search_forecast_text,
        search_index_state,
    )
    from tracker.service._sources import SavedSource, draft_source, save_source, source_key
    from tracker.service._status import (
        PipelineProgress,
        QueueInfo,
        StatusSummary,
        pipeline_progress,
        status_summary,
    )
    from tracker.service._taskruns import task_run, task_runs
    from tracker.service._unit import (
        database,
        init_database,
        ready_database,
        schema_is_current,
        unit_of_work,
    )
    from tracker.service._workers import (
        queue_depth,
        queue_depths,
        queue_startup_tasks,
        queue_task,
        run_beat,
        run_worker,
    )


__getattr__ = _lazy.exports(__name__, __file__)

__all__ = [
    "AUDIT_PER_PAGE",
    "BASELINE_PREFIX",
    "CHECK_DEADLINES",
    "EVIDENCE_PER_PAGE",
    "FEEDS_PER_PAGE",
    "FETCH_ARTICLE_PAGE",
    "FETCH_DUE_PAGES",
    "HAND_OFF_BATCH",
    "MATCH_ARTICLES",
    "MIN_JUDGED",
    "POLL_DUE_FEEDS",
    "PULL_DUE_BASELINES",
    "QUEUE_EVIDENCE",
    "QUEUE_PER_PAGE",
    "SCALE_COLUMNS",
    "AuditRow",
    "AuthorRecord",
    "AuthorRow",
    "BackupResult",
    "BaselineImport",
    "BaselineInfo",
    "BaselineSeries",
    "DeadlineCheck",
    "EvidencePage",
    "FeedHealth",
    "FeedsPage",
    "ForecastCheck",
    "ForecastOutcome",
    "ForecastView",
    "IndexState",
    "ListedForecast",
    "Manifest",
    "NeedsOutcome",
    "OperatorMetrics",
    "OpmlImport",
    "PeriodRow",
    "PipelineProgress",
    "ProposalDecision",
    "PullResult",
    "QuestionRow",
    "QuestionView",
    "QueueInfo",
    "RecordedStatement",
    "ResolutionPass",
    "RestoreResult",
    "ReviewEntry",
    "ReviewPage",
    "SavedDraft",
    "SavedSource",
    "SignInGuard",
    "SignedIn",
    "Standing",
    "StatusSummary",
    "TaskFigures",
    "TaskResult",
    "WorkerResources",
    "WrittenReport",
    "add_feed",
    "add_market_baseline",
    "add_user",
    "article_view",
    "attach_evidence",
    "audit_log",
    "author_exists",
    "author_forecasts",
    "author_record",
    "backup_database",
    "baseline_at",
    "baseline_points",
    "baseline_points_fingerprint",
    "baselines_to_pull",
    "calibration_bin",
    "change_password",
    "check_deadlines",
    "check_forecasts",
    "compare_forecasters",
    "comparison_fingerprint",
    "confirm_all",
    "confirm_many",
    "confirm_proposal",
    "correct_forecast",
    "costliest",
    "create_token",
    "database",
    "deadline_check",
    "detach_evidence",
    "disable_feed",
    "draft_file",
    "draft_source",
    "enable_feed",
    "evidence_page",
    "export_all",
    "export_opml",
    "extract_source",
    "extract_text",
    "feed_choices",
    "feed_health",
    "feeds_page",
    "feeds_to_poll",
    "fetch_article_page",
    "fetch_due_pages",
    "filter_choices",
    "forecast_detail",
    "forecast_outcomes",
    "forecast_template",
    "forecast_view",
    "import_all",
    "import_baseline_file",
    "import_forecasts",
    "import_opml",
    "init_database",
    "is_url",
    "list_articles",
    "list_authors",
    "list_baselines",
    "list_feeds",
    "list_forecasts",
    "list_questions",
    "list_scores",
    "list_tokens",
    "list_users",
    "match_articles",
    "match_stragglers",
    "needs_outcome",
    "needs_outcome_count",
    "new_articles",
    "operator_metrics",
    "own_scores",
    "pending_reviews",
    "pipeline_progress",
    "poll_due_feeds",
    "poll_feed",
    "poll_feeds",
    "pull_baseline",
    "pull_baselines",
    "pull_due_baselines",
    "question_view",
    "queue_depth",
    "queue_depths",
    "queue_due_baselines",
    "queue_startup_tasks",
    "queue_task",
    "ready_database",
    "record_task_end",
    "reindex_search",
    "reject_proposal",
    "remove_feed",
    "reopen_forecast",
    "report",
    "resolution_pass",
    "resolve_forecast",
    "resolver_stats",
    "restore_database",
    "review_page",
    "revoke_token",
    "run_beat",
    "run_worker",
    "same_secret",
    "save_draft",
    "save_source",
    "scale_entries",
    "scale_table",
    "schema_is_current",
    "scorecard",
    "scores_fingerprint",
    "search_articles",
    "search_forecast_text",
    "search_forecasts",
    "search_index_state",
    "session_user",
    "set_full_text",
    "set_user_active",
    "sign_in",
    "sign_out",
    "sign_out_everywhere",
    "source_key",
    "status_summary",
    "task_figures",
    "task_run",
    "task_runs",
    "token_user",
    "unit_of_work",
    "update_forecast",
    "waiting_proposals",
    "write_report",
]
