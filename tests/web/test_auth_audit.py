"""The audit trail over HTTP and from the command line, on a real server and its SQLite store.

Every state-changing request and every refusal leaves one row (who, role, what, target,
result, reason, time, client address); admins and commanders read them back, filtered, as
JSON or CSV; editing or deleting a row with SQL is found by `/api/audit/verify` and by
`skywatch audit verify`, which names the first bad row.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from skywatch.cli import app as skywatch_app
from tests.web.auth_helpers import PASSWORD, signed_in
from tests.web.server_harness import RunningServer
from web.auth.deps import PUBLIC_PATHS
from web.auth.roles import Role


@pytest.fixture
async def http(empty_fleet_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=empty_fleet_server.http_url, timeout=10) as client:
        yield client


def _data_dir(server: RunningServer) -> Path:
    data_dir: Path = server.app.state.settings.data_dir
    return data_dir


async def _rows(http: httpx.AsyncClient, headers: dict[str, str], **filters: Any) -> list[Any]:
    response = await http.get("/api/audit", headers=headers, params=filters)
    assert response.status_code == 200, response.text
    rows: list[Any] = response.json()
    return rows


async def test_changes_and_refusals_are_recorded_reads_are_not(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    admin = signed_in(empty_fleet_server, Role.ADMIN, username="admin-li")
    operator = signed_in(empty_fleet_server, Role.FIRE_OPERATOR, username="fire-wu")
    before = datetime.now(UTC)
    assert (await http.get("/api/vehicles", headers=admin)).status_code == 200  # a read: no row
    created = await http.post("/api/users", headers=admin, json={
        "username": "zhao", "password": PASSWORD, "role": "analyst", "departments": ["water"]})
    assert created.status_code == 201
    weak = await http.patch("/api/users/zhao", headers=admin, json={"password": "short"})
    assert weak.status_code == 422
    assert (await http.get("/api/users", headers=operator)).status_code == 403
    assert (await http.get("/api/vehicles")).status_code == 401
    after = datetime.now(UTC)

    rows = await _rows(http, admin, since=before.isoformat())
    assert [(r["username"], r["role"], r["action"], r["target"], r["result"]) for r in rows] == [
        ("admin-li", "admin", "POST /api/users", "user:zhao", "ok"),
        ("admin-li", "admin", "PATCH /api/users/zhao", "user:zhao", "failed"),
        ("fire-wu", "fire_operator", "GET /api/users", "/api/users", "refused"),
        ("", "", "GET /api/vehicles", "/api/vehicles", "refused"),
    ]
    assert rows[1]["reason"] == "password: password must be at least 12 characters"
    assert rows[2]["reason"] == "role fire_operator may not manage_users"
    assert rows[3]["reason"].startswith("sign in first")
    for r in rows:
        assert r["client"] == "127.0.0.1"
        assert before <= datetime.fromisoformat(r["at"]) <= after  # however loaded the machine
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def _changing_routes(server: RunningServer) -> list[tuple[str, str]]:
    """Every state-changing `/api` operation of the app's own schema, ids filled in: a route
    added later is checked without touching this test."""
    routes = []
    for template, operations in server.app.openapi()["paths"].items():
        for method in sorted(operations):
            if template.startswith("/api/") and method.upper() not in ("GET", "HEAD", "OPTIONS"):
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "uav0", template)))
    return routes


def _expected_result(status: int) -> str:
    return "ok" if status < 400 else "refused" if status in (401, 403, 429) else "failed"


async def test_every_state_changing_route_leaves_one_row_signed_in_or_not(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    routes = _changing_routes(empty_fleet_server)
    assert {("POST", "/api/users"), ("PATCH", "/api/users/uav0"),
            ("POST", "/api/vehicles/uav0/commands"), ("POST", "/api/incidents"),
            ("POST", "/api/missions/uav0/abort")} <= set(routes) and len(routes) >= 15
    reader = signed_in(empty_fleet_server, Role.ADMIN, username="auditor")
    callers = {"": {}, "admin-ma": signed_in(empty_fleet_server, Role.ADMIN, username="admin-ma"),
               # signing out ends a session: a user of its own, so admin-ma stays signed in
               "leaving": signed_in(empty_fleet_server, Role.ADMIN, username="leaving")}
    last = (await _rows(http, reader))[-1]["seq"]
    checked = 0
    for method, path in routes:
        for username in ("", "leaving" if path == "/api/auth/sign-out" else "admin-ma"):
            sent = datetime.now(UTC)
            response = await http.request(method, path, headers=callers[username], json={})
            answered = datetime.now(UTC)
            rows = await _rows(http, reader, after=last)
            assert len(rows) == 1, (method, path, username, response.status_code, rows)
            row, last = rows[0], rows[0]["seq"]
            assert row["action"].startswith(f"{method} {path}") or (
                path == "/api/auth/token" and row["action"] == "sign in"), (method, path, row)
            who = "" if path in PUBLIC_PATHS else username  # sign-in names its user itself
            assert (row["username"], row["role"], row["client"]) == (
                who, "admin" if who else "", "127.0.0.1"), (method, path, row)
            assert row["result"] == _expected_result(response.status_code), (method, path, row)
            assert row["target"] and ("uav0" in row["target"]) == ("uav0" in path), row
            assert sent <= datetime.fromisoformat(row["at"]) <= answered, (row, sent, answered)
            checked += 1
    assert checked == 2 * len(routes)
    assert (await http.get("/api/audit/verify", headers=reader)).json()["intact"] is True


async def test_only_admins_and_commanders_read_it_filtered_as_json_or_csv(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    admin = signed_in(empty_fleet_server, Role.ADMIN)
    commander = signed_in(empty_fleet_server, Role.COMMANDER, username="commander-he")
    for role in (Role.FIRE_OPERATOR, Role.TRAFFIC_POLICE, Role.ANALYST, Role.DEVELOPER):
        someone = signed_in(empty_fleet_server, role)
        for path in ("/api/audit", "/api/audit.csv", "/api/audit/verify"):
            refused = await http.get(path, headers=someone)
            assert refused.status_code == 403, (role, path)
            assert refused.json() == {"detail": f"role {role} may not read_audit"}
    await http.post("/api/users", headers=commander, json={
        "username": "sun", "password": PASSWORD, "role": "admin"})  # refused: recorded

    mine = await _rows(http, admin, user="commander-he")
    assert [(r["action"], r["result"]) for r in mine] == [
        ("sign in", "ok"), ("POST /api/users", "refused")]
    assert await _rows(http, commander, user="commander-he") == mine
    assert await _rows(http, admin, until=(datetime.now(UTC) - timedelta(hours=1)).isoformat(
    )) == []
    everything = await _rows(http, admin)
    assert len(await _rows(http, admin, after=everything[-2]["seq"])) == 1  # paging

    exported = await http.get("/api/audit.csv", headers=commander, params={"user": "commander-he"})
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["seq"], r["action"], r["result"]) for r in table] == [
        (str(r["seq"]), r["action"], r["result"]) for r in mine]
    for field, value in (("limit", 0), ("after", 10**30), ("since", "9999-12-31T23:59:59-05:00")):
        bad = await http.get("/api/audit", headers=admin, params={field: value})
        assert bad.status_code == 422, (field, bad.text)
        assert bad.json()["detail"][0]["loc"] == ["query", field]


async def test_a_filter_time_without_an_offset_is_utc_whatever_the_server_zone(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`?since=2026-12-04T08:00:00` means 08:00 UTC (times at the API are UTC) on a server
    whose clock is set to Shenzhen's zone too, not 00:00 UTC."""
    admin = signed_in(empty_fleet_server, Role.ADMIN)
    signed_in(empty_fleet_server, Role.ANALYST)
    rows = await _rows(http, admin)
    last = rows[-1]
    naive = datetime.fromisoformat(last["at"]).replace(tzinfo=None).isoformat()
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert [r["seq"] for r in await _rows(http, admin, since=naive)] == [last["seq"]]
        assert [r["seq"] for r in await _rows(http, admin, until=naive)] == [
            r["seq"] for r in rows]
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_a_row_edited_or_deleted_with_sql_is_detected(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    admin = signed_in(empty_fleet_server, Role.ADMIN)
    officer = signed_in(empty_fleet_server, Role.TRAFFIC_POLICE)
    for _ in range(3):
        assert (await http.get("/api/users", headers=officer)).status_code == 403
    assert (await http.get("/api/audit/verify", headers=admin)).json() == {
        "intact": True, "first_bad_seq": None}
    rows = await _rows(http, admin)
    refused = [r for r in rows if r["action"] == "GET /api/users"]
    target_seq = refused[1]["seq"]

    runner = CliRunner()
    data_dir = str(_data_dir(empty_fleet_server))
    intact = runner.invoke(skywatch_app, ["audit", "verify", "--data-dir", data_dir])
    assert intact.exit_code == 0, intact.output
    assert intact.output.startswith("audit trail intact:")

    db = sqlite3.connect(_data_dir(empty_fleet_server) / "skywatch.db")
    with db:  # someone covers up a refusal
        db.execute("UPDATE audit SET result = 'ok', reason = '' WHERE seq = ?", (target_seq,))
    assert (await http.get("/api/audit/verify", headers=admin)).json() == {
        "intact": False, "first_bad_seq": target_seq}
    broken = runner.invoke(skywatch_app, ["audit", "verify", "--data-dir", data_dir])
    assert broken.exit_code == 1
    assert f"audit trail broken at row {target_seq}" in broken.output
    assert "GET /api/users /api/users ok" in broken.output  # the row as it stands now

    with db:  # or removes it altogether, hash and all
        db.execute("DELETE FROM audit WHERE seq = ?", (target_seq,))
    db.close()
    assert (await http.get("/api/audit/verify", headers=admin)).json() == {
        "intact": False, "first_bad_seq": target_seq + 1}


def test_users_command_adds_lists_disables_and_changes_passwords(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    added = runner.invoke(skywatch_app, ["users", "add", "chen", "--role", "traffic_police",
                                         *data], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "added chen: traffic_police, departments traffic" in added.output
    weak = runner.invoke(skywatch_app, ["users", "add", "lin", "--role", "analyst",
                                        "--department", "fire", "--department", "water", *data],
                         input="lin12345\nlin12345\n")
    assert weak.exit_code == 2
    assert "error: password: must be at least 12 characters; must not contain the username" \
        in weak.output
    both = runner.invoke(skywatch_app, ["users", "add", "lin", "--role", "analyst",
                                        "--department", "fire", "--department", "water", *data],
                         input=f"{PASSWORD}\n{PASSWORD}\n")
    assert both.exit_code == 0 and "departments fire, water" in both.output

    assert runner.invoke(skywatch_app, ["users", "disable", "chen", *data]).exit_code == 0
    new_password = "a different passphrase 9"
    changed = runner.invoke(skywatch_app, ["users", "passwd", "lin", *data],
                            input=f"{new_password}\n{new_password}\n")
    assert changed.exit_code == 0, changed.output
    missing = runner.invoke(skywatch_app, ["users", "disable", "nobody", *data])
    assert missing.exit_code == 2 and "unknown user 'nobody'" in missing.output

    listing = runner.invoke(skywatch_app, ["users", "list", *data]).output.splitlines()
    assert [line.split() for line in listing] == [
        ["chen", "traffic_police", "traffic", "disabled"],
        ["lin", "analyst", "fire,water", "active"],
    ]

    from web.auth.bootstrap import open_auth, open_store
    from web.settings import Settings

    settings = Settings(data_dir=tmp_path)
    engine = open_store(settings)
    try:
        auth = open_auth(settings, engine)
        assert auth.users.get("chen").disabled
        assert auth.users.authenticate("chen", PASSWORD) is None  # the right password, refused
        assert auth.users.authenticate("lin", new_password) is not None
        assert auth.users.authenticate("lin", PASSWORD) is None
        trail = [(e.action, e.target, e.result) for e in auth.audit.query()]
        assert all(e.username.startswith("cli:") for e in auth.audit.query())
    finally:
        engine.dispose()
    assert trail == [
        ("users add", "user:chen", "ok"), ("users add", "user:lin", "failed"),
        ("users add", "user:lin", "ok"), ("users disable", "user:chen", "ok"),
        ("users passwd", "user:lin", "ok"),
    ]
