"""Users and the audit trail on a real SQLite file: tampering with a stored row is detected."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from fleet.store.database import open_database, sqlite_url
from web.auth.roles import Department, Role
from web.auth.store import (
    AuditTrail,
    RevokedTokens,
    UnknownUser,
    UserExists,
    UserStore,
    audit_csv,
)

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_database(sqlite_url(tmp_path))


def test_users_authenticate_until_disabled(engine: Engine) -> None:
    store = UserStore(engine)
    store.add("li", "red kite over dam 7", Role.TRAFFIC_POLICE, [Department.TRAFFIC], NOW)
    with pytest.raises(UserExists, match="user 'li' already exists"):
        store.add("li", "another long pass", Role.ADMIN, [], NOW)
    user = store.authenticate("li", "red kite over dam 7")
    assert user is not None and user.role is Role.TRAFFIC_POLICE
    assert user.principal().departments == frozenset({Department.TRAFFIC})
    assert store.authenticate("li", "wrong") is None
    assert store.authenticate("nobody", "red kite over dam 7") is None
    store.update("li", disabled=True)
    assert store.authenticate("li", "red kite over dam 7") is None
    assert [u.username for u in store.all()] == ["li"] and store.count() == 1
    assert store.update("li").disabled is True  # an update changing nothing changes nothing
    with pytest.raises(UnknownUser):
        store.update("nobody")


def test_revoked_tokens_are_remembered_until_they_expire(engine: Engine) -> None:
    revoked = RevokedTokens(engine)
    revoked.revoke("t1", NOW + timedelta(minutes=15), NOW)
    assert revoked.is_revoked("t1") and not revoked.is_revoked("t2")
    revoked.revoke("t2", NOW + timedelta(hours=1), NOW + timedelta(minutes=20))
    assert not revoked.is_revoked("t1")  # expired anyway: pruned


def test_audit_filters_csv_and_a_tampered_row_is_found(engine: Engine) -> None:
    trail = AuditTrail(engine)
    for k, (user, target, result) in enumerate([
        ("li", "vehicle:uav0", "refused"), ("li", "vehicle:uav2", "ok"),
        ("wang", "vehicle:uav0", "ok"),
    ]):
        trail.append(username=user, role="traffic_police", action="command arm", target=target,
                     result=result, reason="" if result == "ok" else "fire department asset",
                     client="127.0.0.1", now=NOW + timedelta(seconds=k))
    assert [e.seq for e in trail.query(username="li")] == [1, 2]
    assert [e.username for e in trail.query(target="vehicle:uav0")] == ["li", "wang"]
    assert [e.seq for e in trail.query(since=NOW + timedelta(seconds=1))] == [2, 3]
    csv_text = audit_csv(trail.query())
    assert csv_text.splitlines()[0].startswith("seq,at,username")
    assert "fire department asset" in csv_text
    assert trail.verify() is None
    with engine.begin() as c:  # someone hides the refusal
        c.execute(text("update audit set result='ok', reason='' where seq=1"))
    assert trail.verify() == 1
