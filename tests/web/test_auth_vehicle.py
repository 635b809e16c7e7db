"""Per-vehicle credentials for onboard bridges: they post their own vehicle's data, nothing else.

An admin creates them like any account (role `vehicle`, `vehicle_id`), the bridge signs in with
the ordinary password form, and a route accepts them only by asking for `VehiclePrincipalDep`.
The uplink route here is added to the app the way another package's router is: the app-wide
sign-in requirement covers it without it doing anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from fleet.events import EventLog
from fleet.registry import FleetRegistry
from tests.web.auth_helpers import PASSWORD, signed_in
from tests.web.conftest import default_layout_specs
from tests.web.server_harness import RunningServer, running_server
from web.app import create_app
from web.auth.deps import VehiclePrincipalDep, require_own_vehicle
from web.settings import Settings


async def _uplink(vehicle_id: str, principal: VehiclePrincipalDep) -> dict[str, str]:
    """What a data-posting route does first: only this vehicle's own bridge may post here."""
    require_own_vehicle(principal, vehicle_id)
    return {"accepted_from": principal.username}


@pytest.fixture
async def server(events: EventLog, tmp_path: Path) -> AsyncIterator[RunningServer]:
    app = create_app(FleetRegistry(default_layout_specs(), events), events,
                     Settings(data_dir=tmp_path))
    app.add_api_route("/api/uplink/{vehicle_id}", _uplink, methods=["POST"])
    async with running_server(app) as s:
        yield s


async def test_an_onboard_bridge_posts_for_its_own_vehicle_only(server: RunningServer) -> None:
    admin = signed_in(server)
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        created = await http.post("/api/users", headers=admin, json={
            "username": "bridge-uav2", "password": PASSWORD, "role": "vehicle",
            "vehicle_id": "uav2"})
        assert created.status_code == 201, created.text
        assert created.json()["vehicle_id"] == "uav2" and created.json()["departments"] == []
        for body, field, message in (
            ({"vehicle_id": "uav9"}, "vehicle_id", "vehicle_id unknown vehicle 'uav9'"),
            ({}, "vehicle_id", "vehicle_id is required for role vehicle"),
        ):
            refused = await http.post("/api/users", headers=admin, json={
                "username": "bridge-x", "password": PASSWORD, "role": "vehicle", **body})
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"][0]["loc"] == ["body", field]
            assert refused.json()["detail"][0]["msg"] == message

        tokens = (await http.post("/api/auth/token", data={
            "username": "bridge-uav2", "password": PASSWORD})).json()
        bridge = {"Authorization": f"Bearer {tokens['access_token']}"}
        own = await http.post("/api/uplink/uav2", headers=bridge)
        assert own.status_code == 200 and own.json() == {"accepted_from": "bridge-uav2"}
        other = await http.post("/api/uplink/uav0", headers=bridge)
        assert other.status_code == 403
        assert other.json() == {"detail": "credentials of 'uav2' may not post for 'uav0'"}
        operator = await http.post("/api/uplink/uav0", headers=signed_in(server, username="op"))
        assert operator.status_code == 403
        assert operator.json() == {"detail": "only a vehicle's onboard bridge may post here"}
        assert (await http.post("/api/uplink/uav2")).status_code == 401

        # Everything an operator does is closed to it, its own vehicle included.
        command = await http.post("/api/vehicles/uav2/commands", headers=bridge,
                                  json={"command": "arm"})
        assert command.status_code == 403
        for path in ("/api/vehicles", "/api/vehicles/uav2", "/api/events", "/api/audit"):
            assert (await http.get(path, headers=bridge)).status_code == 403, path
    with pytest.raises(InvalidStatus) as no_stream:
        await websockets.connect(server.ws_url, additional_headers=bridge)
    assert no_stream.value.response.status_code == 403
