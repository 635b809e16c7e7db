"""Sign-in, token refresh, sign-out and user management over the store: the rules, without HTTP.

The HTTP routes and the `skywatch users` commands both call this, so the password policy and
the rate limit are the same however an account is touched. Sign-in attempts are audited here
(only here is it known who tried and why it failed); other changes are audited by their caller.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from web.auth.passwords import policy_problems
from web.auth.ratelimit import LoginLimiter
from web.auth.roles import HOME_DEPARTMENT, Department, Principal, Role
from web.auth.store import AuditTrail, RevokedTokens, UnknownUser, User, UserStore
from web.auth.tokens import ACCESS_TTL, REFRESH_TTL, InvalidToken, issue, read

ADMIN = "admin"
#: Longest user name stored; longer ones are refused, and audited cut to this length.
MAX_USERNAME = 64


class SignInRefused(Exception):
    """Wrong credentials (401) or too many attempts (429, with `retry_after_s`)."""

    def __init__(self, reason: str, retry_after_s: int = 0) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class BadAccount(ValueError):
    """A user record that would break a rule; `field` and `reasons` say which and why."""

    def __init__(self, field: str, reasons: Sequence[str]) -> None:
        super().__init__(f"{field}: {'; '.join(reasons)}")
        self.field = field
        self.reasons = tuple(reasons)


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  #: seconds the access token lives
    refresh_expires_in: int
    token_type: str = "bearer"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuthService:
    def __init__(
        self,
        engine: Engine,
        secret: str,
        *,
        now: Callable[[], datetime] = _utc_now,
        monotonic_s: Callable[[], float] = time.monotonic,
        limiter: LoginLimiter | None = None,
    ) -> None:
        self.users = UserStore(engine)
        self.revoked = RevokedTokens(engine)
        self.audit = AuditTrail(engine)
        self._secret = secret
        self._now = now
        self._monotonic_s = monotonic_s
        self._limiter = limiter or LoginLimiter()

    # -- accounts ---------------------------------------------------------------------------

    def ensure_admin(self, password: str | None) -> str | None:
        """On first start (no users at all) create `admin` in every department.

        Returns the generated password when none was given, for the caller to show once; None
        when users existed or the password was given. A given password must pass the policy.
        """
        if self.users.count():
            return None
        generated = None if password else secrets.token_urlsafe(15)
        self.create_user(ADMIN, password or generated or "", Role.ADMIN, list(Department))
        return generated

    def create_user(
        self,
        username: str,
        password: str,
        role: Role,
        departments: Sequence[Department] | None,
        *,
        vehicle_id: str | None = None,
    ) -> User:
        """A new account; a department-bound role without departments gets its home one."""
        if not username or len(username) > MAX_USERNAME or not username.isprintable():
            raise BadAccount("username", [f"must be 1 to {MAX_USERNAME} printable characters"])
        if problems := policy_problems(password, username):
            raise BadAccount("password", problems)
        if role is Role.VEHICLE and not vehicle_id:
            raise BadAccount("vehicle_id", ["is required for role vehicle"])
        if role is not Role.VEHICLE and vehicle_id:
            raise BadAccount("vehicle_id", ["is only for role vehicle"])
        if not departments and role in HOME_DEPARTMENT:
            departments = [HOME_DEPARTMENT[role]]
        return self.users.add(
            username, password, role, list(departments or []), self._now(), vehicle_id=vehicle_id
        )

    def update_user(
        self,
        username: str,
        *,
        password: str | None = None,
        role: Role | None = None,
        departments: Sequence[Department] | None = None,
        disabled: bool | None = None,
    ) -> User:
        """Change an account; raises `UnknownUser`, or `BadAccount` for a refused password."""
        if password is not None and (problems := policy_problems(password, username)):
            raise BadAccount("password", problems)
        if username == ADMIN and (disabled or (role is not None and role is not Role.ADMIN)):
            raise BadAccount("username", ["the admin account cannot be disabled or demoted"])
        return self.users.update(
            username, password=password, role=role, departments=departments, disabled=disabled
        )

    # -- tokens -----------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, client: str) -> TokenPair:
        """Tokens for a correct password; `SignInRefused` otherwise (each attempt audited)."""
        name = username[:MAX_USERNAME]
        verdict = self._limiter.check(name, client, self._monotonic_s())
        if not verdict.allowed:
            self._record_sign_in(name, "", "refused", "too many failed sign-ins", client)
            raise SignInRefused("too many failed sign-ins; try again later", verdict.retry_after_s)
        user = self.users.authenticate(username, password)
        if user is None:
            self._limiter.failed(name, client, self._monotonic_s())
            self._record_sign_in(name, "", "refused", "wrong user name or password", client)
            raise SignInRefused("wrong user name or password")
        self._limiter.succeeded(name)
        self._record_sign_in(name, user.role, "ok", "", client)
        return self._pair(user.principal())

    def refresh(self, refresh_token: str) -> TokenPair:
        """New tokens for a valid refresh token, which is used up (revoked) by the exchange."""
        principal, token_id = read(
            refresh_token, "refresh", self._secret, self._now(), revoked=frozenset()
        )
        if self.revoked.is_revoked(token_id):
            raise InvalidToken("refresh token already used or signed out")
        user = self._enabled_user(principal.username)
        self.revoked.revoke(token_id, self._now() + REFRESH_TTL, self._now())
        return self._pair(user.principal())

    def sign_out(self, access_token: str, refresh_token: str | None = None) -> Principal:
        """Revoke the access token (and the refresh token, when given) until they expire."""
        principal, token_id = self.principal_and_id(access_token)
        self.revoked.revoke(token_id, self._now() + ACCESS_TTL, self._now())
        if refresh_token:
            refresh_principal, refresh_id = read(
                refresh_token, "refresh", self._secret, self._now(), revoked=frozenset()
            )
            if refresh_principal.username != principal.username:
                raise InvalidToken("the refresh token belongs to another user")
            self.revoked.revoke(refresh_id, self._now() + REFRESH_TTL, self._now())
        return principal

    def principal(self, access_token: str) -> Principal:
        return self.principal_and_id(access_token)[0]

    def principal_and_id(self, access_token: str) -> tuple[Principal, str]:
        """Who a valid access token acts for, as the user record says now (a role changed or
        an account disabled since the token was issued takes effect at once)."""
        principal, token_id = read(
            access_token, "access", self._secret, self._now(), revoked=frozenset()
        )
        if self.revoked.is_revoked(token_id):
            raise InvalidToken("token revoked (signed out)")
        return self._enabled_user(principal.username).principal(), token_id

    def _enabled_user(self, username: str) -> User:
        try:
            user = self.users.get(username)
        except UnknownUser as e:
            raise InvalidToken("account no longer exists") from e
        if user.disabled:
            raise InvalidToken("account disabled")
        return user

    def _pair(self, principal: Principal) -> TokenPair:
        now = self._now()
        access = issue(principal, "access", self._secret, now)
        refresh = issue(principal, "refresh", self._secret, now)
        return TokenPair(
            access_token=access.token,
            refresh_token=refresh.token,
            expires_in=int(ACCESS_TTL.total_seconds()),
            refresh_expires_in=int(REFRESH_TTL.total_seconds()),
        )

    # -- audit ------------------------------------------------------------------------------

    def _record_sign_in(
        self, username: str, role: str, result: str, reason: str, client: str
    ) -> None:
        self.audit.append(
            username=username,
            role=role,
            action="sign in",
            target=f"user:{username}",
            result=result,
            reason=reason,
            client=client[:64],
            now=self._now(),
        )
