"""The hand-off from ingestion to the next stage: the :data:`new_articles` signal.

After a poll has committed new articles, the poller calls every connected receiver with the
ids of exactly those articles (``receiver(article_ids: list[int], *, engine: Engine)``), in
the poller's own process and thread.  The resolution stage connects to it, e.g. in
``workers/tasks.py``::

    from tracker.ingest import new_articles
    new_articles.connect(lambda ids, engine: match_articles.delay(ids))

A receiver that fails is logged (with its traceback) and the others still run; the articles
are stored either way and keep ``Article.matched_at IS NULL`` until the resolution stage has
processed them, so a periodic catch-up (:func:`tracker.ingest.unmatched_article_ids`) finds
anything a failed receiver missed.  Nothing is connected by the ingestion stage itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

log = logging.getLogger(__name__)

Receiver = Callable[..., object]


class NewArticlesSignal:
    def __init__(self) -> None:
        self._receivers: list[Receiver] = []
        self._lock = threading.Lock()

    def connect(self, receiver: Receiver) -> Receiver:
        """Connects ``receiver`` (once); returns it, so this works as a decorator."""
        with self._lock:
            if receiver not in self._receivers:
                self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Receiver) -> None:
        with self._lock:
            if receiver in self._receivers:
                self._receivers.remove(receiver)

    @property
    def receivers(self) -> list[Receiver]:
        with self._lock:
            return list(self._receivers)

    def send(self, article_ids: list[int], *, engine: Engine) -> None:
        if not article_ids:
            return
        for receiver in self.receivers:
            try:
                receiver(list(article_ids), engine=engine)
            # A receiver belongs to a later stage; its failure must not undo or stop ingestion.
            # It is logged with its traceback, and the articles stay unmatched for the catch-up.
            except Exception:
                log.exception(
                    "new_articles receiver %r failed for %d article(s)", receiver, len(article_ids)
                )


new_articles = NewArticlesSignal()
