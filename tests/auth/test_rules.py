"""Roles, department scoping, passwords, tokens and the audit chain, on plain values."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from web.auth.audit import GENESIS, AuditEntry, entry_hash, first_broken
from web.auth.passwords import hash_password, policy_problems, verify_password
from web.auth.roles import Action, Department, Principal, Role, decide, scope
from web.auth.tokens import InvalidToken, issue, new_secret, read

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TRAFFIC = Principal(username="li", role=Role.TRAFFIC_POLICE,
                    departments=frozenset({Department.TRAFFIC}))
COMMANDER = Principal(username="wang", role=Role.COMMANDER, departments=frozenset())


def test_traffic_police_commands_traffic_drones_only_with_a_reason() -> None:
    assert decide(TRAFFIC, Action.COMMAND, "traffic").allowed
    refused = decide(TRAFFIC, Action.COMMAND, "fire")
    assert not refused.allowed
    assert refused.reason == "li (traffic_police) may not command fire department assets"
    assert decide(TRAFFIC, Action.MANAGE_USERS).reason == "role traffic_police may not manage_users"
    assert not decide(TRAFFIC, Action.READ_AUDIT).allowed


def test_commander_acts_everywhere_analyst_only_reads() -> None:
    assert scope(COMMANDER) == frozenset(Department)
    assert decide(COMMANDER, Action.COMMAND, "water").allowed
    assert decide(COMMANDER, Action.READ_AUDIT).allowed
    analyst = Principal(username="zhao", role=Role.ANALYST,
                        departments=frozenset({Department.FIRE}))
    assert decide(analyst, Action.READ, "fire").allowed
    assert not decide(analyst, Action.READ, "water").allowed
    assert not decide(analyst, Action.COMMAND, "fire").allowed


def test_password_hash_round_trip_and_policy_reasons() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong horse battery")
    assert not verify_password("not-a-hash", "x")
    assert policy_problems("aaaa", "li") == [
        "must be at least 12 characters", "must use at least 5 different characters"]
    assert policy_problems("li-password-99", "li") == ["must not contain the username"]
    assert policy_problems("password1234", "wang") == ["is a commonly used password"]
    assert policy_problems("red kite over dam 7", "wang") == []


def test_tokens_expire_refuse_the_wrong_kind_and_revocation() -> None:
    secret = new_secret()
    access = issue(TRAFFIC, "access", secret, NOW)
    principal, token_id = read(access.token, "access", secret, NOW, revoked=set())
    assert principal == TRAFFIC and token_id == access.token_id
    assert access.expires_at - NOW == timedelta(minutes=15)
    with pytest.raises(InvalidToken, match="expired"):
        read(access.token, "access", secret, NOW + timedelta(minutes=15), revoked=set())
    with pytest.raises(InvalidToken, match="cannot be used as a refresh token"):
        read(access.token, "refresh", secret, NOW, revoked=set())
    with pytest.raises(InvalidToken, match="revoked"):
        read(access.token, "access", secret, NOW, revoked={access.token_id})
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        read(access.token, "access", new_secret(), NOW, revoked=set())


def test_audit_chain_detects_an_edited_a_removed_and_a_reordered_row() -> None:
    entries = [
        AuditEntry(seq=i, at=f"2026-11-25T08:00:0{i}+00:00", username="li",
                   role="traffic_police", action="command arm", target=f"vehicle:uav{i}",
                   result="refused" if i == 1 else "ok", reason="", client="10.0.0.7")
        for i in range(1, 5)
    ]
    rows, prev = [], GENESIS
    for e in entries:
        prev = entry_hash(prev, e)
        rows.append((e, prev))
    assert first_broken(rows) is None
    edited = list(rows)
    edited[0] = (replace(rows[0][0], result="ok"), rows[0][1])  # hide a refusal
    assert first_broken(edited) == 1
    assert first_broken(rows[:1] + rows[2:]) == 3
    assert first_broken([rows[1], rows[0], *rows[2:]]) == 2
