"""The JSON API under ``/api/``: the same data and actions as the pages, described by OpenAPI.
One router per module; :data:`tracker.web.app.ROUTERS` lists them."""

__all__: list[str] = []
