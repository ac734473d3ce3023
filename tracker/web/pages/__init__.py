"""Server-rendered HTML pages (Jinja2 templates in ``tracker/web/templates``).  One router per
module; :data:`tracker.web.app.ROUTERS` lists them."""

__all__: list[str] = []
