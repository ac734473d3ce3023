"""Schemathesis: the API answers every request its own OpenAPI description allows (and the
malformed ones it must refuse) with a documented status and a body matching the documented
schema, never a server error.

Runs against the app in-process (ASGI) on a real, seeded database (SQLite and PostgreSQL) with
proposals waiting for review (made by the real resolution stage), authenticated with an API token
so that the writes are reached too.  Bounded: a few dozen
examples per operation and mode.  (Schemathesis' pytest fixture loader does not run under
pytest 9, so each operation's Hypothesis strategy is driven here directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.web_fixtures import add_proposals, make_token
from tracker.settings import Settings
from tracker.web import create_app

# the description does not depend on the database: read it once to parametrize by operation
_PATHS = create_app(Settings(database_url="sqlite://")).openapi()["paths"]
# negative examples (invalid input) only where there is input to spoil
CASES = [
    (method.upper(), path, mode)
    for path, methods in _PATHS.items()
    for method, spec in methods.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or spec.get("parameters") or spec.get("requestBody")
]


#: operations where schema-valid input can still get a documented 400 (or 404): rules OpenAPI cannot
#: state (a date range given backwards, a calibration bin past the number of bins, a feed URL
#: already added or whose host does not parse), and rules
#: the use-case layer states once for every front end, so that the API gives the CLI's message
#: rather than a schema's (a feed URL's scheme, the interval's bounds, a required note; a forecast
#: file's validation, a text the extractor cannot read; a search's syntax and a cursor's position)
CHECKED_BEYOND_SCHEMA = {
    ("GET", "/api/articles"),
    ("GET", "/api/scorecard"),
    ("GET", "/api/scorecard/bins/{k}"),
    ("GET", "/api/reports/calibration"),
    ("POST", "/api/feeds"),
    ("POST", "/api/forecasts/{forecast_id}/evidence"),
    ("POST", "/api/forecasts/{forecast_id}/reopen"),
    ("POST", "/api/forecasts/{forecast_id}/updates"),
    ("POST", "/api/proposals/{proposal_id}/reject"),
    ("POST", "/api/sources"),
    ("POST", "/api/sources/extract"),
    ("GET", "/api/search/forecasts"),
    ("GET", "/api/forecasts"),
    ("GET", "/api/forecasts/{forecast_id}/evidence"),
    ("GET", "/api/review"),
    ("GET", "/api/questions"),
    ("GET", "/api/audit"),
    ("GET", "/api/feeds"),
}
#: operations that fetch a URL of the request body at once: the generated URL is replaced by one
#: on 127.0.0.2, which the SSRF guard refuses, so that no test request ever leaves the machine
FETCHES_BODY_URL = {("POST", "/api/sources/extract"): "http://127.0.0.2/article"}


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES]
)
def test_api_conforms_to_its_openapi_description(web_app, seeded, method, path, mode):
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", web_app)[path][method]
    add_proposals(seeded.engine)
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    excluded = (
        [schemathesis.checks.positive_data_acceptance]
        if (method, path) in CHECKED_BEYOND_SCHEMA
        else []
    )

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case):
        if isinstance(case.body, dict) and case.body.get("url") is not None:
            case.body["url"] = FETCHES_BODY_URL.get((method, path), case.body["url"])
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
