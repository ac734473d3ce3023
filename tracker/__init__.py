"""Forecast tracker: turns pundits' predictions into scored forecasts.

The packages: the forecast domain (:mod:`tracker.domain`), the pipeline's stages
(:mod:`tracker.ingest`, :mod:`tracker.matching`, :mod:`tracker.resolution`,
:mod:`tracker.scoring`, :mod:`tracker.reports`), the use cases (:mod:`tracker.service`) and the
front ends (:mod:`tracker.cli`, :mod:`tracker.web`); see docs/dev.md, "Where things live".
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
