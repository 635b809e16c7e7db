"""Sign a test in: `headers = signed_in(app, role=Role.TRAFFIC_POLICE)`.

Creates the user in the app's store (a fresh name unless one is given) and signs it in through
the same `AuthService.sign_in` the `/api/auth/token` endpoint calls, so the token is as real as
a console's. Use the headers on REST calls, `ws_url_with_token` or an `Authorization` header on
`/ws`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from fastapi import FastAPI

from tests.web.server_harness import RunningServer
from web.auth.roles import Department, Role
from web.auth.service import AuthService

#: Passes the password policy (12+ characters, 5+ different, no user name inside).
PASSWORD = "kestrel over the reservoir 42"
_names = itertools.count(1)


def auth_service(app: FastAPI | RunningServer) -> AuthService:
    fastapi_app = app.app if isinstance(app, RunningServer) else app
    auth: AuthService = fastapi_app.state.auth
    return auth


def signed_in(
    app: FastAPI | RunningServer,
    role: Role = Role.ADMIN,
    departments: Iterable[Department] | None = None,
    *,
    username: str | None = None,
    vehicle_id: str | None = None,
) -> dict[str, str]:
    """`Authorization` headers of a new user with `role` (and `departments`; the role's home
    department when omitted)."""
    auth = auth_service(app)
    name = username or f"{role.value.replace('_', '-')}-{next(_names)}"
    auth.create_user(
        name, PASSWORD, role, list(departments) if departments else None, vehicle_id=vehicle_id
    )
    tokens = auth.sign_in(name, PASSWORD, "127.0.0.1")
    return {"Authorization": f"Bearer {tokens.access_token}"}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def ws_url_with_token(server: RunningServer, headers: dict[str, str], query: str = "") -> str:
    """The `/ws` URL carrying the token as `?token=` (plus any other `query`, e.g. `since=3`)."""
    extra = f"&{query}" if query else ""
    return f"{server.ws_url}?token={token_of(headers)}{extra}"
