"""`skywatch users add|list|disable|enable|passwd`: accounts from the server's terminal.

Works on the same store as the server (`--data-dir` or `SKYWATCH_DATA_DIR` /
`SKYWATCH_DATABASE_URL`), also while it runs. Passwords are asked for (hidden, twice), never
taken as arguments, which would leave them in the shell history. Every change is written to the
audit trail as done by `cli:<login name>` from `local`.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from web.auth.roles import Department, Role
from web.settings import Settings

if TYPE_CHECKING:
    from web.auth.service import AuthService

users_app = typer.Typer(help="Sign-in accounts: add, list, disable, enable, change password.",
                        no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="store directory (SKYWATCH_DATA_DIR)")
]
Password = Annotated[
    str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                      help="asked for when not given")
]


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


@contextmanager
def open_cli_auth(data_dir: Path | None) -> Iterator[AuthService]:
    """The auth service on the configured store; imported late to keep `--help` fast."""
    from web.auth.bootstrap import open_auth, open_store

    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    engine = open_store(settings)
    try:
        yield open_auth(settings, engine)
    finally:
        engine.dispose()


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _audit(auth: AuthService, action: str, username: str, result: str, reason: str = "") -> None:
    auth.audit.append(username=f"cli:{getpass.getuser()}", role="", action=f"users {action}",
                      target=f"user:{username}", result=result, reason=reason, client="local",
                      now=datetime.now(UTC))


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[Role, typer.Option(help="what the user may do")],
    password: Password,
    department: Annotated[
        list[Department] | None,
        typer.Option(help="repeat for several; default: the role's own department"),
    ] = None,
    vehicle_id: Annotated[
        str | None, typer.Option(help="for role vehicle: the vehicle it speaks for")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an account."""
    from web.auth.service import BadAccount
    from web.auth.store import UserExists

    with open_cli_auth(data_dir) as auth:
        try:
            user = auth.create_user(username, password, role, department, vehicle_id=vehicle_id)
        except (BadAccount, UserExists) as e:
            _audit(auth, "add", username, "failed", str(e))
            raise _fail(str(e)) from e
        _audit(auth, "add", username, "ok")
    departments = ", ".join(sorted(d.value for d in user.departments)) or "-"
    typer.echo(f"added {user.username}: {user.role.value}, departments {departments}")


@users_app.command("list")
def list_users(data_dir: DataDir = None) -> None:
    """Every account with its role, departments and state."""
    with open_cli_auth(data_dir) as auth:
        users = auth.users.all()
    for u in users:
        departments = ",".join(sorted(d.value for d in u.departments)) or "-"
        state = "disabled" if u.disabled else "active"
        vehicle = f" vehicle={u.vehicle_id}" if u.vehicle_id else ""
        typer.echo(f"{u.username:<24} {u.role.value:<16} {departments:<20} {state}{vehicle}")


def _set_disabled(username: str, disabled: bool, data_dir: Path | None) -> None:
    from web.auth.service import BadAccount
    from web.auth.store import UnknownUser

    action = "disable" if disabled else "enable"
    with open_cli_auth(data_dir) as auth:
        try:
            auth.update_user(username, disabled=disabled)
        except UnknownUser as e:
            raise _fail(f"unknown user {username!r}") from e
        except BadAccount as e:
            _audit(auth, action, username, "failed", str(e))
            raise _fail(str(e)) from e
        _audit(auth, action, username, "ok")
    typer.echo(f"{username} {action}d")


@users_app.command("disable")
def disable_user(username: str, data_dir: DataDir = None) -> None:
    """Refuse the account's sign-in and its tokens at once (open streams close too)."""
    _set_disabled(username, True, data_dir)


@users_app.command("enable")
def enable_user(username: str, data_dir: DataDir = None) -> None:
    """Let a disabled account sign in again."""
    _set_disabled(username, False, data_dir)


@users_app.command("passwd")
def change_password(username: str, password: Password, data_dir: DataDir = None) -> None:
    """Set a new password (the policy applies)."""
    from web.auth.service import BadAccount
    from web.auth.store import UnknownUser

    with open_cli_auth(data_dir) as auth:
        try:
            auth.update_user(username, password=password)
        except UnknownUser as e:
            raise _fail(f"unknown user {username!r}") from e
        except BadAccount as e:
            _audit(auth, "passwd", username, "failed", str(e))
            raise _fail(str(e)) from e
        _audit(auth, "passwd", username, "ok")
    typer.echo(f"password of {username} changed")
