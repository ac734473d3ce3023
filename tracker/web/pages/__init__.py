"""Server-rendered HTML pages (Jinja2 templates in ``tracker/web/templates``)."""
