"""Every door is locked: each `/api` route but health and sign-in refuses a request without a
valid bearer token, whichever router added it (the routes are read from the app's own OpenAPI
schema, so a router added later is checked without touching this test)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.web.auth_helpers import signed_in
from tests.web.server_harness import RunningServer
from web.auth.roles import Role

#: The only `/api` routes that answer without a token.
PUBLIC = {"/api/health", "/api/auth/token", "/api/auth/refresh"}


def _protected_routes(server: RunningServer) -> list[tuple[str, str]]:
    routes = []
    for template, operations in server.app.openapi()["paths"].items():
        if template.startswith("/api") and template not in PUBLIC:
            path = re.sub(r"\{[^}]+\}", "uav0", template)
            routes.extend((method.upper(), path) for method in sorted(operations))
    return routes


@pytest.fixture
async def http(empty_fleet_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=empty_fleet_server.http_url, timeout=10) as client:
        yield client


async def test_every_protected_route_answers_401_with_a_bearer_challenge(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    routes = _protected_routes(empty_fleet_server)
    assert ("GET", "/api/vehicles") in routes and ("POST", "/api/users") in routes
    assert ("POST", "/api/vehicles/uav0/commands") in routes and len(routes) >= 8
    for credentials in ({}, {"Authorization": "Bearer not-a-token"},
                        {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        for method, path in routes:
            response = await http.request(method, path, headers=credentials, json={})
            assert response.status_code == 401, (method, path, credentials, response.text)
            assert response.headers["www-authenticate"] == "Bearer", (method, path)
            assert response.json()["detail"], (method, path)


async def test_public_routes_answer_without_a_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/health")).status_code == 200
    refused = await http.post("/api/auth/token", data={"username": "x", "password": "y"})
    assert refused.status_code == 401  # a sign-in attempt, judged on its password
    assert (await http.get("/")).status_code == 200  # the console page with its sign-in form


async def test_vehicle_credentials_open_no_operator_route(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    bridge = signed_in(empty_fleet_server, Role.VEHICLE, vehicle_id="uav0")
    for path in ("/api/vehicles", "/api/events", "/api/users"):
        response = await http.get(path, headers=bridge)
        assert response.status_code == 403, path
        assert response.json() == {
            "detail": "vehicle credentials may only post their own vehicle's data"}


async def test_a_route_left_out_of_the_schema_is_locked_and_audited_too(
    http: httpx.AsyncClient, empty_fleet_server: RunningServer
) -> None:
    """The schema-driven tests cannot see a route hidden from the schema (a debugging tool, a
    route someone forgot to document); the app-wide sign-in requirement and the audit
    middleware cover it all the same."""

    async def hidden_tool() -> dict[str, bool]:
        return {"reached": True}

    empty_fleet_server.app.add_api_route("/api/hidden-tool", hidden_tool, methods=["POST"],
                                         include_in_schema=False)
    anonymous = await http.post("/api/hidden-tool")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    admin = signed_in(empty_fleet_server, Role.ADMIN, username="admin-tool")
    assert (await http.post("/api/hidden-tool", headers=admin)).json() == {"reached": True}
    rows = (await http.get("/api/audit", headers=admin)).json()
    trail = [(r["username"], r["action"], r["result"]) for r in rows
             if r["target"] == "/api/hidden-tool"]
    assert trail == [("", "POST /api/hidden-tool", "refused"),
                     ("admin-tool", "POST /api/hidden-tool", "ok")]
