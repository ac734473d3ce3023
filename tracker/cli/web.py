"""``tracker serve``, ``tracker users ...`` and ``tracker tokens ...``: the web app and who may
write."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass

from tracker.cli._app import (
    ADMIN,
    WEB_AND_WORKERS,
    app,
    console,
    current_user,
    error_console,
    state,
)
from tracker.cli._layout import Col, print_table, when
from tracker.cli.operate import LogFormatOpt, with_log_format
from tracker.errors import InvalidInputError

users_app = typer.Typer(no_args_is_help=True, help="Analysts' accounts for the web app.")
tokens_app = typer.Typer(no_args_is_help=True, help="Bearer tokens for the HTTP API.")
app.add_typer(users_app, name="users", rich_help_panel=ADMIN)
app.add_typer(tokens_app, name="tokens", rich_help_panel=ADMIN)


@app.command(rich_help_panel=WEB_AND_WORKERS)
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="address to listen on (0.0.0.0: every interface)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="server processes sharing the port (about one "
            "per CPU core); each keeps its own scorecard cache",
        ),
    ] = 1,
    log_format: LogFormatOpt = None,
) -> None:
    """Serve the web app and JSON API (upgrades the database schema first)."""
    import uvicorn

    from tracker import logs, service

    settings = with_log_format(ctx, log_format)
    console.print(settings.location_line(), markup=False, soft_wrap=True)
    # uvicorn applies this in each of its processes: every line in the settings' format
    log_config = logs.dict_config(settings.log_format)
    # The schema is upgraded here, before any server starts: a database it cannot be upgraded
    # (a newer tracker's) is one line here, not a traceback in the app's start-up; and the
    # several processes' own start-up upgrade then finds nothing to do and cannot race.
    service.init_database(settings)
    where = f" on http://{host}:{port}/" if port else ""  # port 0: uvicorn logs the port it got
    console.print(f"Serving the forecast tracker{where} (JSON API under /api/; Ctrl-C stops)")
    if workers == 1:
        from tracker.web import create_app

        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="info",
            log_config=log_config,
            proxy_headers=False,
        )
        return
    # Several processes: each builds its app from the same TRACKER_* environment this command read.
    uvicorn.run(
        "tracker.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config,
        proxy_headers=False,
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InvalidInputError("password", "nothing was given on standard input")
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="the name the analyst signs in with (recorded in the audit log)")
    ],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="read the password from the first line of standard input "
            "instead of prompting twice",
        ),
    ] = False,
) -> None:
    """Create an analyst account; the password is asked twice (or read with --password-stdin)."""
    from tracker import service

    engine = state(ctx).ready_engine()
    password = _read_password(password_stdin)
    with service.unit_of_work(engine) as session:
        user = service.add_user(session, name, password, actor=current_user())
    console.print(f"User {user.name!r} created; they can sign in to the web app now.", markup=False)


RevokeTokens = Annotated[
    bool,
    typer.Option(
        "--revoke-tokens", help="also revoke the user's API tokens (scripts need new ones)"
    ),
]


@users_app.command("passwd")
def users_passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the account whose password changes")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="read the new password from the first line of standard input "
            "instead of prompting twice",
        ),
    ] = False,
    revoke_tokens: RevokeTokens = False,
) -> None:
    """Set a new password: asked twice (or read with --password-stdin). Every web session of
    the user ends; its API tokens keep working unless --revoke-tokens (they are secrets of their
    own, not made from the password)."""
    from tracker import service

    engine = state(ctx).ready_engine()
    password = _read_password(password_stdin)
    with service.unit_of_work(engine) as session:
        ended = service.change_password(
            session, name, password, actor=current_user(), revoke_tokens=revoke_tokens
        )
    console.print(f"Password of {name!r} changed; {_ended(ended)}.", markup=False)


@users_app.command("signout-all")
def users_signout_all(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the account to sign out everywhere")],
    revoke_tokens: RevokeTokens = False,
) -> None:
    """End every web session of a user, in every browser; its API tokens keep working unless
    --revoke-tokens."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        ended = service.sign_out_everywhere(
            session, name, actor=current_user(), revoke_tokens=revoke_tokens
        )
    console.print(f"User {name!r} signed out everywhere; {_ended(ended)}.", markup=False)


def _ended(counts: dict[str, int]) -> str:
    said = f"{counts['sessions_ended']} web session(s) ended"
    if "tokens_revoked" in counts:
        said += f", {counts['tokens_revoked']} API token(s) revoked"
    return said


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="the account to disable")]
) -> None:
    """Disable an account: its sign-ins stop working, its web sessions end and its API tokens are
    revoked, for good (enabling it again brings none of them back)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        service.set_user_active(session, name, False, actor=current_user())
    console.print(f"User {name!r} disabled.", markup=False)


@users_app.command("enable")
def users_enable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="the account to enable")]
) -> None:
    """Enable a disabled account again (it signs in afresh; old sessions and tokens stay
    ended)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        service.set_user_active(session, name, True, actor=current_user())
    console.print(f"User {name!r} enabled.", markup=False)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List analysts' accounts."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        users = service.list_users(session)
    rows = [
        [
            user.name,
            "yes" if user.active else "no",
            when(user.created_at),
            when(user.last_sign_in_at, "never"),
        ]
        for user in users
    ]
    print_table(console, USER_COLUMNS, rows, title=f"{len(users)} user(s)", caption="times in UTC")


USER_COLUMNS = (
    Col("name", "key"),
    Col("active", "key"),
    Col("created", "key"),
    Col("last sign-in", "key"),
)
TOKEN_COLUMNS = (
    Col("name", "key"),
    Col("user", "key"),
    Col("starts with", "key"),
    Col("created", "key", drop=2),
    Col("last used", "key"),
    Col("expires", "key", drop=1),
    Col("revoked", "key"),
)


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="a name for the token, e.g. where it is used (unique)")
    ],
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="the analyst the token acts as (default: the user called NAME)"
        ),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help="when it stops working: a lifetime (90d, 12h) or a day (2027-06-30, its end in "
            "UTC); default: TRACKER_API_TOKEN_DAYS days",
        ),
    ] = None,
) -> None:
    """Create an API token and print it once; only its hash is stored. It expires (see
    --expires)."""
    from tracker import service

    current = state(ctx)
    with service.unit_of_work(current.ready_engine()) as session:
        token, secret = service.create_token(
            session,
            name,
            user=user,
            expires=expires,
            default_days=current.settings.api_token_days,
            actor=current_user(),
        )
        owner, until = user or name, token.expires_at
    error_console.print(
        f"Token {token.name!r} acts as {owner!r} until {until:%Y-%m-%d %H:%M} UTC. "
        "Store it now: it is not shown again. "
        "Send it as 'Authorization: Bearer <token>'.",
        markup=False,
        highlight=False,
    )
    print(secret)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context) -> None:
    """List API tokens (names and prefixes; the tokens themselves are not stored)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        tokens = service.list_tokens(session)
    rows = [
        [
            t.name,
            t.user,
            t.prefix,
            when(t.created_at),
            when(t.last_used_at, "never"),
            when(t.expires_at),
            when(t.revoked_at, ""),
        ]
        for t in tokens
    ]
    title = f"{len(tokens)} token(s)"
    print_table(console, TOKEN_COLUMNS, rows, title=title, caption="times in UTC")


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the token's name (see `tracker tokens list`)")],
) -> None:
    """Revoke an API token: requests carrying it are refused from now on."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        service.revoke_token(session, name, actor=current_user())
    console.print(f"Token {name!r} revoked.", markup=False)
