"""Who published an article: the registered domain of a URL, offline.

Evidence counts publishers, not feeds: one story syndicated by two feeds of one site counts
once.  The function lives with the other URL helpers (:mod:`tracker.urls`), since ingestion
records the publisher an article was fetched from before matching counts it.
"""

from __future__ import annotations

from tracker.urls import registered_domain

__all__ = ["registered_domain"]
