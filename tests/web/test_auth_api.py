"""Sign-in, tokens and accounts over HTTP on a real server (uvicorn on a free port)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.web.auth_helpers import PASSWORD, auth_service, signed_in
from tests.web.server_harness import RunningServer
from web.auth.roles import Role


@pytest.fixture
async def http(empty_fleet_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=empty_fleet_server.http_url, timeout=10) as client:
        yield client


async def _sign_in(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/api/auth/token", data={"username": username, "password": password})


async def test_sign_in_returns_bearer_tokens_that_identify_the_user(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    auth_service(empty_fleet_server).create_user("li", PASSWORD, Role.TRAFFIC_POLICE, None)
    response = await _sign_in(http, "li", PASSWORD)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    assert tokens["access_token"] and tokens["refresh_token"]
    me = await http.get("/api/auth/me",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json() == {"username": "li", "role": "traffic_police",
                         "departments": ["traffic"], "vehicle_id": None}

    wrong = await _sign_in(http, "li", "not the password")
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == {"detail": "wrong user name or password"}
    unknown = await _sign_in(http, "nobody", PASSWORD)
    assert unknown.status_code == 401 and unknown.json() == wrong.json()


async def test_refresh_once_then_sign_out_revokes(http: httpx.AsyncClient,
                                                  empty_fleet_server: RunningServer) -> None:
    auth_service(empty_fleet_server).create_user("wang", PASSWORD, Role.COMMANDER, None)
    first = (await _sign_in(http, "wang", PASSWORD)).json()
    renewed = await http.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    again = await http.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401 and "already used" in again.json()["detail"]

    headers = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert (await http.get("/api/auth/me", headers=headers)).status_code == 200
    out = await http.post("/api/auth/sign-out", headers=headers,
                          json={"refresh_token": renewed.json()["refresh_token"]})
    assert out.status_code == 204, out.text
    after = await http.get("/api/auth/me", headers=headers)
    assert after.status_code == 401 and after.json()["detail"] == "token revoked (signed out)"
    assert (await http.post("/api/auth/refresh", json={
        "refresh_token": renewed.json()["refresh_token"]})).status_code == 401


async def test_admin_manages_users_with_a_password_policy_others_get_403(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    admin = signed_in(empty_fleet_server, Role.ADMIN)
    weak = await http.post("/api/users", headers=admin, json={
        "username": "zhao", "password": "zhao12345", "role": "fire_operator"})
    assert weak.status_code == 422
    assert [(e["loc"], e["msg"]) for e in weak.json()["detail"]] == [
        (["body", "password"], "password must be at least 12 characters"),
        (["body", "password"], "password must not contain the username"),
    ]
    created = await http.post("/api/users", headers=admin, json={
        "username": "zhao", "password": PASSWORD, "role": "fire_operator"})
    assert created.status_code == 201, created.text
    assert created.json()["departments"] == ["fire"] and created.json()["disabled"] is False
    taken = await http.post("/api/users", headers=admin, json={
        "username": "zhao", "password": PASSWORD, "role": "analyst"})
    assert taken.status_code == 409 and taken.json()["detail"] == "user 'zhao' already exists"
    bad_role = await http.post("/api/users", headers=admin, json={
        "username": "qian", "password": PASSWORD, "role": "pilot"})
    assert bad_role.status_code == 422 and bad_role.json()["detail"][0]["loc"] == ["body", "role"]

    operator = {"Authorization": "Bearer " + (await _sign_in(http, "zhao", PASSWORD)).json()[
        "access_token"]}
    for response in (
        await http.get("/api/users", headers=operator),
        await http.post("/api/users", headers=operator, json={
            "username": "boss", "password": PASSWORD, "role": "admin"}),
        await http.patch("/api/users/zhao", headers=operator, json={"role": "admin"}),
    ):
        assert response.status_code == 403
        assert response.json() == {"detail": "role fire_operator may not manage_users"}
    assert "boss" not in [u["username"] for u in (await http.get("/api/users",
                                                                 headers=admin)).json()]

    disabled = await http.patch("/api/users/zhao", headers=admin, json={"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert (await http.get("/api/auth/me", headers=operator)).json() == {
        "detail": "account disabled"}
    assert (await _sign_in(http, "zhao", PASSWORD)).status_code == 401
    missing = await http.patch("/api/users/nobody", headers=admin, json={"disabled": True})
    assert missing.status_code == 404


async def test_thirty_wrong_passwords_are_rate_limited_with_retry_after(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    auth_service(empty_fleet_server).create_user("li", PASSWORD, Role.TRAFFIC_POLICE, None)
    codes = [(await _sign_in(http, "li", f"guess number {k}")).status_code for k in range(30)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 25
    limited = await _sign_in(http, "li", PASSWORD)  # the right password waits too
    assert limited.status_code == 429
    assert 290 <= int(limited.headers["retry-after"]) <= 300
    assert limited.json() == {"detail": "too many failed sign-ins; try again later"}


async def test_thirty_wrong_passwords_from_one_address_are_limited_whatever_the_names(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    """A scan of many accounts from one address, each tried once: the per-user limit never
    trips; the per-address one does, after 20 failures, and holds for a real account too."""
    auth_service(empty_fleet_server).create_user("li", PASSWORD, Role.TRAFFIC_POLICE, None)
    responses = [await _sign_in(http, f"scan-{k}", "guessed password") for k in range(30)]
    codes = [r.status_code for r in responses]
    assert codes[:20] == [401] * 20 and codes[20:] == [429] * 10
    assert all(1 <= int(r.headers["retry-after"]) <= 300 for r in responses[20:])
    limited = await _sign_in(http, "li", PASSWORD)
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 300


async def test_security_headers_on_api_console_and_errors(http: httpx.AsyncClient) -> None:
    for path in ("/api/health", "/", "/api/no-such-thing", "/api/users"):
        response = await http.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["referrer-policy"] == "no-referrer", path
    assert (await http.get("/api/health")).headers["cache-control"] == "no-store"
    assert (await http.get("/api/users")).status_code == 401
