"""Who may change things in the web app: sign-in, sessions, CSRF, API tokens, open or closed
reading; and the accounts' commands (passwords, signing out everywhere, token expiry).  The
throttling of failed sign-ins is in ``test_auth_throttle.py``."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.web_fixtures import (
    CSRF_INPUT,
    FORECAST_ID,
    PASSWORD,
    csrf_token_of,
    make_token,
    settings_for,
    sign_in,
)
from tracker import db
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.domain import auth
from tracker.models import ApiToken, AuditEntry
from tracker.service import _accounts as accounts
from tracker.settings import Settings
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


def test_disabling_a_user_ends_their_session_and_tokens_for_good(client, seeded, web_app):
    """Before: enabling the user again brought back its old sessions and tokens."""
    sign_in(client)
    secret = make_token(seeded.engine)
    assert client.get("/api/me").json()["via"] == "session"
    with session_scope(seeded.engine) as session:
        auth.set_active(session, "ana", False, actor="admin")
    assert client.get("/api/me").status_code == 401
    refused = client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    stolen_cookie = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    assert sign_in(client).status_code == 401
    with session_scope(seeded.engine) as session:
        auth.set_active(session, "ana", True, actor="admin")
    with TestClient(web_app) as old_browser:
        old_browser.cookies.set(SESSION_COOKIE, stolen_cookie)
        assert old_browser.get("/api/me").status_code == 401
    refused = client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401 and "was revoked" in refused.json()["detail"]
    assert sign_in(client).status_code == 303  # signing in afresh works
    with session_scope(seeded.engine) as session:
        disabled = session.exec(select(AuditEntry).where(col(AuditEntry.action) == "disable")).one()
        assert disabled.detail == {"sessions_ended": 1, "tokens_revoked": 1}


# --- the same answer for every failure ---------------------------------------------------------


class CountingHasher:
    """The real argon2 hasher, counting what it is asked to do."""

    def __init__(self, real) -> None:
        self.real, self.verified, self.hashed = real, 0, 0

    def verify(self, hash_, password):
        self.verified += 1
        return self.real.verify(hash_, password)

    def hash(self, password):
        self.hashed += 1
        return self.real.hash(password)

    def check_needs_rehash(self, hash_):
        return self.real.check_needs_rehash(hash_)


def _page_without_tokens(response) -> str:
    return CSRF_INPUT.sub('name="csrf_token" value="..."', response.text)


def test_unknown_names_wrong_passwords_and_disabled_users_get_the_same_answer(
    seeded, tmp_path, monkeypatch
):
    """Each failure checks one argon2 hash (an unknown name against a dummy hash made at start-up,
    not at the first unknown name), and the answers are identical: the status, the headers'
    names and the page.  Timing is not measured: both paths do the same work."""
    with session_scope(seeded.engine) as session:
        auth.add_user(session, "ben", "a long enough password", actor="admin")
        auth.set_active(session, "ben", False, actor="admin")
    auth._dummy_hash.cache_clear()  # as in a fresh server process
    app = create_app(settings_for(seeded.engine, tmp_path))
    hasher = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", hasher)
    answers = {}
    with TestClient(app) as browser:
        for case, name, password in (
            ("unknown", "nobody", "a wrong guess"),
            ("wrong", "ana", "a wrong guess"),
            ("disabled", "ben", "a long enough password"),
        ):
            before = hasher.verified
            answers[case] = sign_in(browser, name=name, password=password)
            assert hasher.verified == before + 1, case
    assert hasher.hashed == 0  # no hash made on the way (the dummy one was made at start-up)
    pages = {case: _page_without_tokens(answer) for case, answer in answers.items()}
    assert pages["unknown"] == pages["wrong"] == pages["disabled"]
    assert "wrong user name or password" in pages["unknown"]
    assert {a.status_code for a in answers.values()} == {401}
    assert len({tuple(sorted(a.headers.keys())) for a in answers.values()}) == 1
    for reason in ("unknown_user", "wrong_password", "disabled"):
        assert reason not in pages["unknown"]


def test_sign_ins_failures_and_sign_outs_are_in_the_audit_log(client, seeded):
    with session_scope(seeded.engine) as session:
        auth.add_user(session, "ben", "a long enough password", actor="admin")
        auth.set_active(session, "ben", False, actor="admin")
    sign_in(client, name="nobody")
    sign_in(client, password="a wrong guess")
    sign_in(client, name="ben", password="a long enough password")
    assert sign_in(client).status_code == 303
    token = csrf_token_of(client, "/forecasts")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200
    with session_scope(seeded.engine) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action).in_(["sign_in", "sign_in_failed", "sign_out"]))
            .order_by(col(AuditEntry.id))
        ).all()
        seen = [(e.action, e.entity_id, (e.detail or {}).get("reason"), e.actor) for e in entries]
    assert seen == [
        ("sign_in_failed", "nobody", "unknown_user", "anonymous"),
        ("sign_in_failed", "ana", "wrong_password", "anonymous"),
        ("sign_in_failed", "ben", "disabled", "anonymous"),
        ("sign_in", "ana", None, "ana"),
        ("sign_out", "ana", None, "ana"),
    ]
    assert all(e.detail is None or e.detail.get("address") == "testclient" for e in entries)


# --- session expiry and signing out everywhere -------------------------------------------------


class Clock:
    """Moves the accounts' clock (sessions and tokens) forward."""

    def __init__(self, monkeypatch) -> None:
        self.offset = timedelta()
        for module in (auth, accounts):
            monkeypatch.setattr(module, "utcnow", self.now)

    def now(self):
        return utcnow() + self.offset


def test_a_session_ends_when_idle_and_at_its_absolute_limit(seeded, tmp_path, monkeypatch):
    """Before: a session lasted its 12 hours however long it sat unused."""
    clock = Clock(monkeypatch)
    settings = settings_for(
        seeded.engine, tmp_path, web_session_idle_minutes=30, web_session_hours=2
    )
    with TestClient(create_app(settings)) as browser:
        sign_in(browser)
        clock.offset = timedelta(minutes=29)
        assert browser.get("/api/me").status_code == 200  # used: the idle time starts again
        clock.offset = timedelta(minutes=58)
        assert browser.get("/api/me").status_code == 200
        clock.offset = timedelta(minutes=89)  # 31 minutes unused
        assert browser.get("/api/me").status_code == 401
        browser.cookies.clear()
        clock.offset = timedelta()
        sign_in(browser)
        for minutes in range(20, 120, 20):  # active all along
            clock.offset = timedelta(minutes=minutes)
            assert browser.get("/api/me").status_code == 200, minutes
        clock.offset = timedelta(minutes=121)  # past 2 hours since signing in
        assert browser.get("/api/me").status_code == 401


def test_sign_out_everywhere_ends_every_session_of_the_analyst(client, web_app, seeded):
    sign_in(client)
    with TestClient(web_app) as laptop, TestClient(web_app) as phone:
        sign_in(laptop)
        sign_in(phone)
        secret = make_token(seeded.engine)
        page = client.get("/forecasts").text
        assert 'action="/logout/everywhere"' in page and "Sign out everywhere" in page
        token = csrf_token_of(client, "/forecasts")
        assert client.post("/logout/everywhere", data={}).status_code == 403  # CSRF checked
        out = client.post("/logout/everywhere", data={"csrf_token": token}, follow_redirects=False)
        assert out.status_code == 303
        for browser in (client, laptop, phone):
            assert browser.get("/api/me").status_code == 401
    # an API token is not a web session: it keeps working (`tracker users signout-all
    # --revoke-tokens` ends it too)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with session_scope(seeded.engine) as session:
        entry = session.exec(
            select(AuditEntry).where(col(AuditEntry.action) == "sign_out_everywhere")
        ).one()
        assert (entry.actor, entry.entity_id, entry.detail) == ("ana", "ana", {"sessions_ended": 3})


def test_api_tokens_expire(client, seeded, monkeypatch):
    """Before: tokens never expired."""
    clock = Clock(monkeypatch)
    secret = make_token(seeded.engine, days=1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    clock.offset = timedelta(days=1, minutes=1)
    refused = client.get("/api/me", headers=headers)
    assert refused.status_code == 401
    assert "the API token 'script' expired at" in refused.json()["detail"]


# --- the CLI: passwords, tokens, signing out ---------------------------------------------------


def _users(cli, *args: str, stdin: str = ""):
    wide = {**cli.env, "COLUMNS": "200"}  # one line per message, as a wide terminal shows it
    return cli.runner.invoke(cli.app, ["users", *args], input=stdin, env=wide)


def test_weak_passwords_are_refused(cli):
    """Before: ``12345678`` was an accepted password."""
    cli("init")
    for password, message in (
        ("12345678", "too short: use at least 10 characters"),
        ("1234567890", "only digits"),
        ("ana-the-analyst", "contains the user name"),
        ("password1234", "too easy to guess (this is a very common password)"),
        ("qwertyuiopas", "too easy to guess"),
    ):
        refused = _users(cli, "add", "ana", "--password-stdin", stdin=password + "\n")
        assert refused.exit_code == 1 and message in refused.output, (password, refused.output)
        assert "\n" not in refused.output.strip()  # one line
    assert _users(cli, "add", "ana", "--password-stdin", stdin=PASSWORD + "\n").exit_code == 0


def _app_on(cli, tmp_path):
    return create_app(
        Settings(database_url=cli.env["TRACKER_DATABASE_URL"], data_dir=tmp_path / "web")
    )


def test_users_passwd_changes_the_password_and_ends_the_sessions(cli, tmp_path):
    cli("init")
    _users(cli, "add", "ana", "--password-stdin", stdin=PASSWORD + "\n")
    secret = cli("tokens", "create", "laptop", "--user", "ana").stdout.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {secret}"}
    new = "another long passphrase"
    with TestClient(_app_on(cli, tmp_path)) as browser:
        sign_in(browser)
        assert browser.get("/api/me").status_code == 200
        weak = _users(cli, "passwd", "ana", "--password-stdin", stdin="12345678\n")
        assert weak.exit_code == 1 and "too short" in weak.output
        assert browser.get("/api/me").status_code == 200  # nothing changed
        prompted = cli.runner.invoke(
            cli.app, ["users", "passwd", "ana"], input=f"{new}\n{new}\n", env=cli.env
        )
        assert prompted.exit_code == 0 and new not in prompted.output
        assert "1 web session(s) ended" in prompted.output
        assert browser.get("/api/me").status_code == 401
        assert browser.get("/api/me", headers=bearer).status_code == 200  # tokens stay
        browser.cookies.clear()
        assert sign_in(browser).status_code == 401  # the old password
        assert sign_in(browser, password=new).status_code == 303
        revoked = _users(
            cli, "passwd", "ana", "--password-stdin", "--revoke-tokens", stdin=PASSWORD + "\n"
        )
        assert revoked.exit_code == 0 and "1 API token(s) revoked" in revoked.output
        assert browser.get("/api/me", headers=bearer).status_code == 401
    unknown = _users(cli, "passwd", "nobody", "--password-stdin", stdin=PASSWORD + "\n")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    help_text = cli.runner.invoke(
        cli.app, ["users", "passwd", "--help"], env={**cli.env, "COLUMNS": "300"}
    ).output
    assert "web session" in help_text and "--revoke-tokens" in help_text
    engine = db.make_engine(cli.env["TRACKER_DATABASE_URL"])
    with db.session_scope(engine) as session:
        changes = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action) == "password_change")
            .order_by(col(AuditEntry.id))
        ).all()
        assert [e.detail for e in changes] == [
            {"sessions_ended": 1},
            {"sessions_ended": 1, "tokens_revoked": 1},
        ]
    engine.dispose()


def test_users_signout_all_and_token_expiry_from_the_cli(cli, tmp_path):
    cli("init")
    _users(cli, "add", "ana", "--password-stdin", stdin=PASSWORD + "\n")
    created = cli("tokens", "create", "laptop", "--user", "ana", "--expires", "12h")
    secret = created.stdout.strip().splitlines()[-1]
    assert "until" in created.stderr and "UTC" in created.stderr
    for bad, message in (
        ("soon", "is not a lifetime or a day"),
        ("2020-01-01", "must be in the future"),
        ("9999d", "at most 3650 days"),
    ):
        refused = cli("tokens", "create", "ci", "--user", "ana", "--expires", bad, ok=False)
        assert refused.exit_code == 1 and message in refused.output, bad
    listed = cli.runner.invoke(cli.app, ["tokens", "list"], env={**cli.env, "COLUMNS": "200"})
    assert "expires" in listed.output
    with TestClient(_app_on(cli, tmp_path)) as browser:
        sign_in(browser)
        out = _users(cli, "signout-all", "ana")
        assert out.exit_code == 0 and "1 web session(s) ended" in out.output
        assert browser.get("/api/me").status_code == 401
        bearer = {"Authorization": f"Bearer {secret}"}
        assert browser.get("/api/me", headers=bearer).status_code == 200
        out = _users(cli, "signout-all", "ana", "--revoke-tokens")
        assert "1 API token(s) revoked" in out.output
        assert browser.get("/api/me", headers=bearer).status_code == 401
