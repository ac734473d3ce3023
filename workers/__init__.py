"""The Celery side of the tracker: the app (``workers.app``) and its thin tasks."""
