"""Forecast tracker: turns pundits' predictions into scored forecasts."""

__version__ = "0.1.0"
