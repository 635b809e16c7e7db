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
