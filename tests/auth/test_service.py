"""The auth service on a real SQLite file: first admin, sign-in limits, refresh, sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleet.store.database import open_database, sqlite_url
from web.auth.ratelimit import LoginLimiter
from web.auth.roles import Department, Role
from web.auth.service import AuthService, BadAccount, SignInRefused
from web.auth.tokens import InvalidToken, new_secret

PASSWORD = "red kite over dam 7"


class Clock:
    """Wall and monotonic time the test moves by hand."""

    def __init__(self) -> None:
        self.wall = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
        self.mono_s = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono_s += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(tmp_path: Path, clock: Clock) -> AuthService:
    return AuthService(
        open_database(sqlite_url(tmp_path)), new_secret(),
        now=lambda: clock.wall, monotonic_s=lambda: clock.mono_s,
    )


def test_limiter_counts_per_user_and_per_address_in_a_sliding_window() -> None:
    limiter = LoginLimiter(per_user=5, per_address=20, window_s=300)
    for k in range(5):
        assert limiter.check("li", "10.0.0.1", now_s=k).allowed
        limiter.failed("li", "10.0.0.1", now_s=k)
    refused = limiter.check("li", "10.0.0.2", now_s=10)  # another address does not help
    assert not refused.allowed and refused.retry_after_s == 290  # first failure leaves at 300
    assert limiter.check("li", "10.0.0.2", now_s=300.5).allowed
    assert limiter.check("wang", "10.0.0.1", now_s=10).allowed  # the address has 15 left
    for k in range(15):
        limiter.failed(f"user{k}", "10.0.0.1", now_s=20)
    assert not limiter.check("wang", "10.0.0.1", now_s=21).allowed  # 20 from one address
    assert limiter.check("wang", "10.0.0.9", now_s=21).allowed
    limiter.succeeded("user1")  # a success clears the name, not the address
    assert not limiter.check("user1", "10.0.0.1", now_s=21).allowed


def test_first_start_creates_admin_once_with_a_generated_password(auth: AuthService) -> None:
    generated = auth.ensure_admin(None)
    assert generated is not None and len(generated) >= 16
    assert auth.ensure_admin(None) is None  # never shown again
    admin = auth.users.get("admin")
    assert admin.role is Role.ADMIN and admin.departments == frozenset(Department)
    assert auth.sign_in("admin", generated, "10.0.0.1").token_type == "bearer"


def test_a_weak_admin_password_from_the_environment_is_refused(auth: AuthService) -> None:
    with pytest.raises(BadAccount, match="password: must be at least 12 characters"):
        auth.ensure_admin("admin")
    assert auth.users.count() == 0


def test_wrong_passwords_are_limited_and_audited_then_allowed_after_the_window(
    auth: AuthService, clock: Clock
) -> None:
    auth.create_user("li", PASSWORD, Role.TRAFFIC_POLICE, None)
    for _ in range(5):
        with pytest.raises(SignInRefused, match="wrong user name or password"):
            auth.sign_in("li", "guess", "10.0.0.7")
    with pytest.raises(SignInRefused) as limited:
        auth.sign_in("li", PASSWORD, "10.0.0.7")  # even the right one, while limited
    assert limited.value.retry_after_s == 300
    clock.advance(301)
    assert auth.sign_in("li", PASSWORD, "10.0.0.7").expires_in == 900
    rows = auth.audit.query(username="li")
    assert [r.result for r in rows] == ["refused"] * 6 + ["ok"]
    assert rows[5].reason == "too many failed sign-ins" and rows[-1].client == "10.0.0.7"
    assert rows[-1].role == "traffic_police" and auth.audit.verify() is None


def test_refresh_works_once_and_sign_out_revokes_both_tokens(
    auth: AuthService, clock: Clock
) -> None:
    auth.create_user("li", PASSWORD, Role.TRAFFIC_POLICE, None)
    first = auth.sign_in("li", PASSWORD, "10.0.0.7")
    assert auth.principal(first.access_token).departments == frozenset({Department.TRAFFIC})
    clock.advance(16 * 60)  # the access token lived 15 min
    with pytest.raises(InvalidToken, match="expired"):
        auth.principal(first.access_token)
    second = auth.refresh(first.refresh_token)
    with pytest.raises(InvalidToken, match="already used"):
        auth.refresh(first.refresh_token)
    assert auth.principal(second.access_token).username == "li"
    auth.sign_out(second.access_token, second.refresh_token)
    with pytest.raises(InvalidToken, match="revoked"):
        auth.principal(second.access_token)
    with pytest.raises(InvalidToken, match="already used or signed out"):
        auth.refresh(second.refresh_token)


def test_disabling_or_changing_a_user_takes_effect_on_live_tokens(auth: AuthService) -> None:
    auth.create_user("li", PASSWORD, Role.TRAFFIC_POLICE, None)
    tokens = auth.sign_in("li", PASSWORD, "10.0.0.7")
    auth.update_user("li", role=Role.ANALYST, departments=[Department.WATER])
    changed = auth.principal(tokens.access_token)
    assert changed.role is Role.ANALYST and changed.departments == {Department.WATER}
    auth.update_user("li", disabled=True)
    with pytest.raises(InvalidToken, match="account disabled"):
        auth.principal(tokens.access_token)
    with pytest.raises(InvalidToken, match="account disabled"):
        auth.refresh(tokens.refresh_token)


def test_account_rules_name_the_field(auth: AuthService) -> None:
    with pytest.raises(BadAccount) as weak:
        auth.create_user("li", "li-li-li-li-li", Role.FIRE_OPERATOR, None)
    assert weak.value.field == "password"
    assert weak.value.reasons == ("must not contain the username",
                                  "must use at least 5 different characters")
    with pytest.raises(BadAccount, match="vehicle_id: is required for role vehicle"):
        auth.create_user("bridge", PASSWORD, Role.VEHICLE, None)
    auth.ensure_admin("correct horse battery staple")
    with pytest.raises(BadAccount, match="cannot be disabled or demoted"):
        auth.update_user("admin", disabled=True)
