"""The Celery side of the tracker: the app (``workers.app``) and its thin tasks
(``workers.tasks``).  It imports :mod:`tracker`; the tracker reaches it only through the
``tracker.workers`` entry point (see :mod:`tracker.service`)."""

__all__: list[str] = []
