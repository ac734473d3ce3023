"""Who may change things in the web app: sign-in, sessions, CSRF, API tokens, open or closed
reading."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from tests.web_fixtures import (
    FORECAST_ID,
    PASSWORD,
    csrf_token_of,
    make_token,
    settings_for,
    sign_in,
)
from tracker.db import session_scope
from tracker.domain import auth
from tracker.models import ApiToken
from tracker.web import create_app
from tracker.web.deps import SESSION_COOKIE

RESOLVE = f"/api/forecasts/{FORECAST_ID}/resolve"
FORM_RESOLVE = f"/forecasts/{FORECAST_ID}/resolve"


def test_reading_is_open_but_writing_needs_an_analyst(client):
    assert client.get("/api/forecasts").status_code == 200
    assert client.get(f"/forecasts/{FORECAST_ID}").status_code == 200
    refused = client.post(RESOLVE, json={"outcome": "yes"})
    assert refused.status_code == 401 and refused.json()["error"] == "not_signed_in"
    assert refused.headers["www-authenticate"] == "Bearer"
    # a browser's form post is sent to the sign-in page, coming back to the page it was on
    form = client.post(
        FORM_RESOLVE,
        data={"outcome": "yes"},
        follow_redirects=False,
        headers={"referer": f"http://testserver/forecasts/{FORECAST_ID}"},
    )
    assert form.status_code == 303
    assert form.headers["location"] == f"/login?next=%2Fforecasts%2F{FORECAST_ID}"
    # unchanged: unresolved, and closed since its close date (2022-12-31) passed
    assert client.get(f"/api/forecasts/{FORECAST_ID}").json()["status"] == "closed"


def test_sign_in_sets_a_protected_cookie_and_records_the_analyst(client):
    response = sign_in(client, next_path=f"/forecasts/{FORECAST_ID}")
    assert (
        response.status_code == 303 and response.headers["location"] == f"/forecasts/{FORECAST_ID}"
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = client.get(f"/forecasts/{FORECAST_ID}")
    assert "Signed in as <strong>ana</strong>" in page.text
    token = csrf_token_of(client, f"/forecasts/{FORECAST_ID}")
    done = client.post(
        FORM_RESOLVE, data={"outcome": "no", "note": "talks failed", "csrf_token": token}
    )
    assert done.status_code == 200 and "The outcome is recorded." in done.text
    detail = client.get(f"/api/forecasts/{FORECAST_ID}").json()
    assert (detail["status"], detail["outcome"]) == ("resolved", "no")
    assert (
        detail["resolutions"][-1]["resolved_by"] == "ana"
        and detail["resolutions"][-1]["note"] == "talks failed"
    )
    assert detail["audit"][-1]["actor"] == "ana" and detail["audit"][-1]["action"] == "resolve"


def test_secure_cookie_when_configured(seeded, tmp_path):
    app = create_app(settings_for(seeded.engine, tmp_path, web_secure_cookies=True))
    with TestClient(app, base_url="https://testserver") as secure_client:
        response = sign_in(secure_client)
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "Secure" in cookie


def test_wrong_password_shows_the_form_again(client):
    response = sign_in(client, password="not the password")
    assert response.status_code == 401 and "wrong user name or password" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    unknown = sign_in(client, name="nobody")
    assert unknown.status_code == 401 and "wrong user name or password" in unknown.text


def test_sign_in_form_needs_its_csrf_token(client):
    client.get("/login")
    forged = client.post(
        "/login",
        data={"name": "ana", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")


def test_sign_in_never_redirects_off_site(client):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        response = sign_in(client, next_path=target)
        assert response.status_code == 303 and response.headers["location"] == "/scorecard", (
            target
        )  # home


def test_form_posts_without_the_sessions_csrf_token_are_refused(client, web_app):
    sign_in(client)
    for data in ({"outcome": "yes"}, {"outcome": "yes", "csrf_token": "guess"}):
        refused = client.post(FORM_RESOLVE, data=data)
        assert refused.status_code == 403 and "security token" in refused.text
    # a token from another analyst's session does not work either
    with TestClient(web_app) as other:
        sign_in(other)
        other_token = csrf_token_of(other, f"/forecasts/{FORECAST_ID}")
    assert (
        client.post(FORM_RESOLVE, data={"outcome": "yes", "csrf_token": other_token}).status_code
        == 403
    )
    # the API under a cookie session needs it too, as a header
    assert client.post(RESOLVE, json={"outcome": "yes"}).status_code == 403
    token = csrf_token_of(client, f"/forecasts/{FORECAST_ID}")
    accepted = client.post(RESOLVE, json={"outcome": "yes"}, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200 and accepted.json()["status"] == "resolved"


def test_sign_out_ends_the_session_on_the_server(client):
    sign_in(client)
    secret = client.cookies[SESSION_COOKIE]
    token = csrf_token_of(client, "/forecasts")
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(SESSION_COOKIE, secret)  # a stolen copy of the cookie
    assert client.get("/api/me").status_code == 401
    assert "Sign in" in client.get("/forecasts").text


def test_bearer_token_writes_as_its_user(client, seeded):
    secret = make_token(seeded.engine)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/me", headers=headers).json() == {"name": "ana", "via": "token"}
    resolved = client.post(
        RESOLVE, json={"outcome": "annulled", "note": "ill-posed"}, headers=headers
    )
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["status"] == "annulled" and body["resolutions"][0]["resolved_by"] == "ana"
    again = client.post(RESOLVE, json={"outcome": "yes"}, headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "lifecycle"
    assert "reopen it first" in again.json()["detail"]
    no_note = client.post(
        f"/api/forecasts/{FORECAST_ID}/reopen", json={"note": "  "}, headers=headers
    )
    assert no_note.status_code == 400
    assert no_note.json()["detail"] == (
        f"note: reopening forecast {FORECAST_ID!r} needs a note saying why"
    )
    reopened = client.post(
        f"/api/forecasts/{FORECAST_ID}/reopen", json={"note": "clarified"}, headers=headers
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "closed"  # by its dates
    assert [a["action"] for a in reopened.json()["audit"]][-3:] == ["close", "annul", "reopen"]


def test_revoked_unknown_and_malformed_tokens_are_refused(client, seeded):
    secret = make_token(seeded.engine)
    with session_scope(seeded.engine) as session:
        auth.revoke_token(session, "script", actor="admin")
    for header, message in (
        (f"Bearer {secret}", "was revoked"),
        ("Bearer trk_not-a-real-token", "unknown API token"),
        (f"Basic {secret}", "must be 'Bearer <token>'"),
    ):
        refused = client.post(RESOLVE, json={"outcome": "yes"}, headers={"Authorization": header})
        assert refused.status_code == 401 and message in refused.json()["detail"], header
        # bad credentials are refused even for reads: the client wants to know
        assert client.get("/api/forecasts", headers={"Authorization": header}).status_code == 401
    # unchanged: unresolved, and closed since its close date (2022-12-31) passed
    assert client.get(f"/api/forecasts/{FORECAST_ID}").json()["status"] == "closed"


def test_reading_can_require_signing_in(seeded, tmp_path):
    app = create_app(settings_for(seeded.engine, tmp_path, web_public_read=False))
    with TestClient(app) as private:
        assert private.get("/api/forecasts").status_code == 401
        page = private.get("/forecasts?tag=nato", follow_redirects=False)
        assert (
            page.status_code == 303
            and page.headers["location"] == "/login?next=%2Fforecasts%3Ftag%3Dnato"
        )
        assert private.get("/login").status_code == 200
        secret = make_token(seeded.engine)
        assert (
            private.get("/api/forecasts", headers={"Authorization": f"Bearer {secret}"}).status_code
            == 200
        )
        response = sign_in(private, next_path="/forecasts?tag=nato")
        assert response.headers["location"] == "/forecasts?tag=nato"
        assert private.get("/forecasts?tag=nato").status_code == 200


def test_passwords_are_stored_as_argon2id_hashes(seeded):
    with session_scope(seeded.engine) as session:
        user = auth.get_user(session, "ana")
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    secret = make_token(seeded.engine, "other")
    with session_scope(seeded.engine) as session:
        stored = session.exec(select(ApiToken.token_hash)).all()
        assert secret not in stored and all(len(h) == 64 for h in stored)


def test_disabling_a_user_ends_their_session_and_tokens(client, seeded):
    sign_in(client)
    secret = make_token(seeded.engine)
    assert client.get("/api/me").json()["via"] == "session"
    with session_scope(seeded.engine) as session:
        auth.set_active(session, "ana", False, actor="admin")
    assert client.get("/api/me").status_code == 401
    refused = client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    client.cookies.clear()
    assert sign_in(client).status_code == 401
