"""Open the auth service of a server: its store, its token-signing key, its first account."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine

from fleet.store.database import open_database, sqlite_url
from web.auth.passwords import policy_problems
from web.auth.service import ADMIN, AuthService
from web.auth.tokens import new_secret
from web.settings import Settings

KEY_FILE = "token.key"


def open_store(settings: Settings) -> Engine:
    """The store named by the settings (SQLite in `data_dir` by default), migrated."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_database(settings.database_url or sqlite_url(settings.data_dir))


def token_key(settings: Settings) -> str:
    """The configured key, or the one kept in `data_dir` (created, owner-only, on first use)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path: Path = settings.data_dir / KEY_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_secret())
    return path.read_text().strip()


def open_auth(settings: Settings, engine: Engine) -> AuthService:
    return AuthService(engine, token_key(settings))


def admin_password_problem(settings: Settings) -> str | None:
    """Why `SKYWATCH_ADMIN_PASSWORD` would be refused as the admin's password (None: it is
    fine or unset), checked before the server starts rather than failing inside it."""
    if settings.admin_password is None:
        return None
    problems = policy_problems(settings.admin_password.get_secret_value(), ADMIN)
    return f"SKYWATCH_ADMIN_PASSWORD: {'; '.join(problems)}" if problems else None


def admin_sign_in_hint(auth: AuthService, settings: Settings, url: str) -> str:
    """Create `admin` on first start and say how to sign in, for the operator's terminal.

    A generated password appears in this text only, once: it is not logged, and the next
    start finds the account and says so instead.
    """
    given = settings.admin_password.get_secret_value() if settings.admin_password else None
    generated = auth.ensure_admin(given)
    if generated is not None:
        return (
            f"sign in at {url} as admin with password {generated}\n"
            "  (shown only this once; change it with `skywatch users passwd admin`)"
        )
    if given is not None and auth.users.count() == 1:
        return f"sign in at {url} as admin with the password in SKYWATCH_ADMIN_PASSWORD"
    return f"sign in at {url} with your account (`skywatch users list` shows them)"
