"""The JSON API under ``/api/``: the same data and actions as the pages, described by OpenAPI."""
