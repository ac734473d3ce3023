"""The analyst's web app and JSON API (FastAPI + Jinja2): ``tracker serve``.

Layout: :mod:`.app` the factory (:func:`create_app`), :mod:`.deps` request dependencies
(``SessionDep``, ``ReaderDep``, ``AnalystDep``), :mod:`.errors` the one place errors become
responses, :mod:`.security` security headers, :mod:`.templating` templates and nav,
``pages/`` HTML routes, ``api/`` JSON routes, :mod:`.schemas` the API's models.
"""

from tracker.web.app import create_app

__all__ = ["create_app"]
