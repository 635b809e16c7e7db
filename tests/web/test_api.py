"""The REST API on the real fleet: simulator over MAVLink, `FleetRegistry` on MAVSDK, uvicorn.

One simulator (3 drones, 1 rover, 10x speed-up) and one server serve every test in this module;
tests that fly use their own vehicle so that they do not depend on each other's order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
import websockets
import yaml

from fleet.events import EventLog
from fleet.model import Dock, VehicleKind, VehicleSpec
from fleet.registry import FleetRegistry
from skywatch.layout import (
    SHENZHEN_LAT_DEG,
    SHENZHEN_LON_DEG,
    default_vehicles,
    dock_lat_lon_deg,
    world_document,
)
from tests.sim_harness import start_sim
from tests.web.auth_helpers import signed_in
from tests.web.server_harness import RunningServer, running_server
from web.app import create_app
from web.auth.roles import Role
from web.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

SPEEDUP = 4.0  #: 1 s of sim time is 250 ms of wall time: 2.5 telemetry periods at 10 Hz
DRONES, ROVERS = 3, 1


def fleet_specs(url: Callable[[int], str], drones: int, rovers: int) -> list[VehicleSpec]:
    """The default layout's vehicles, reached at the simulator's URLs."""
    specs = []
    for i, v in enumerate(default_vehicles(drones, rovers)):
        lat, lon = dock_lat_lon_deg(v, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG)
        specs.append(VehicleSpec(
            id=v.id, name=v.name, kind=VehicleKind(v.kind), department=v.department, url=url(i),
            dock=Dock(id=f"dock-{v.id}", lat_deg=lat, lon_deg=lon),
            capabilities=frozenset(v.capabilities),
        ))
    return specs


async def first_event(
    ws: websockets.ClientConnection, pred: Callable[[dict[str, Any]], bool], timeout_s: float
) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            event: dict[str, Any] = orjson.loads(await ws.recv())
            if pred(event):
                return event


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningServer]:
    tmp_path: Path = tmp_path_factory.mktemp("api")
    world = tmp_path / "world.yaml"  # every vehicle starts on its dock
    world.write_text(yaml.safe_dump(world_document(
        default_vehicles(DRONES, ROVERS), SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG
    )))
    with start_sim(tmp_path, vehicles=DRONES, rovers=ROVERS, speedup=SPEEDUP, world=world) as sim:
        events = EventLog()
        registry = FleetRegistry(fleet_specs(sim.url, DRONES, ROVERS), events)
        await registry.start()
        try:
            app = create_app(registry, events, Settings(data_dir=tmp_path))
            async with running_server(app) as server:
                async with websockets.connect(
                    server.ws_url + "?since=0", additional_headers=signed_in(server)
                ) as ws:
                    ready: set[str] = set()
                    async with asyncio.timeout(60):
                        while len(ready) < DRONES + ROVERS:
                            event = orjson.loads(await ws.recv())
                            if event["type"] == "telemetry" and event["gps_fix"]:
                                ready.add(event["vehicle_id"])
                yield server
        finally:
            await registry.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def http(fleet_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=fleet_server.http_url, headers=signed_in(fleet_server, Role.ADMIN), timeout=10
    ) as client:
        yield client


async def test_vehicles_list_and_detail_show_each_vehicle_on_its_dock(
    http: httpx.AsyncClient,
) -> None:
    vehicles = (await http.get("/api/vehicles")).json()
    assert [v["id"] for v in vehicles] == ["uav0", "uav1", "uav2", "ugv0"]
    for v in vehicles:
        assert v["link"] == "connected"
        assert abs(v["lat"] - v["dock"]["lat"]) < 2e-5 and abs(v["lon"] - v["dock"]["lon"]) < 2e-5
        assert abs(v["alt_rel_m"]) < 1.0 and v["armed"] is False
        assert 50.0 <= v["battery_pct"] <= 100.0
        assert abs(v["home"]["lat"] - v["dock"]["lat"]) < 2e-5
        age_s = (datetime.now(UTC) - datetime.fromisoformat(v["updated_at"])).total_seconds()
        assert 0 <= age_s < 5.0
    uav1 = (await http.get("/api/vehicles/uav1")).json()
    assert uav1["capabilities"] == ["drop", "rgb", "thermal"]
    assert uav1["kind"] == "multirotor" and uav1["department"] == "fire"
    assert (await http.get("/api/vehicles/ugv0")).json()["kind"] == "rover"


async def test_takeoff_shows_in_telemetry_within_one_second_of_sim_time(
    http: httpx.AsyncClient, fleet_server: RunningServer
) -> None:
    async with websockets.connect(
        fleet_server.ws_url, additional_headers=signed_in(fleet_server)
    ) as ws:
        armed = await http.post("/api/vehicles/uav0/commands", json={"command": "arm"})
        assert armed.status_code == 200, armed.text
        assert armed.json() == {"vehicle_id": "uav0", "command": "arm", "ok": True, "reason": ""}
        response = await http.post(
            "/api/vehicles/uav0/commands", json={"command": "takeoff", "alt_m": 25}
        )
        accepted = time.monotonic()
        assert response.status_code == 200, response.text
        climbing = await first_event(
            ws, lambda e: e["type"] == "telemetry" and e["vehicle_id"] == "uav0"
            and (e["alt_rel_m"] > 0.3 or e["landed_state"] in ("taking_off", "in_air")),
            timeout_s=5,
        )
        reaction_sim_s = (time.monotonic() - accepted) * SPEEDUP
        assert reaction_sim_s <= 1.0, f"telemetry showed the takeoff after {reaction_sim_s:.2f} s"
        assert climbing["armed"] is True
        await first_event(
            ws, lambda e: e["type"] == "telemetry" and e["vehicle_id"] == "uav0"
            and e["alt_rel_m"] >= 24.0 and e["landed_state"] == "in_air", timeout_s=30,
        )
    uav0 = (await http.get("/api/vehicles/uav0")).json()
    assert 23.0 <= uav0["alt_rel_m"] <= 27.0 and uav0["landed_state"] == "in_air"

    refused = await http.post("/api/vehicles/uav0/commands", json={"command": "disarm"})
    assert refused.status_code == 409, refused.text
    assert "denied" in refused.json()["detail"].lower()  # the vehicle's answer, passed through
    assert (await http.get("/api/vehicles/uav0")).json()["armed"] is True


@pytest.mark.parametrize(
    ("path", "body", "status", "field", "reason"),
    [
        ("/api/vehicles/uav9/commands", {"command": "arm"}, 404, None, "unknown vehicle 'uav9'"),
        ("/api/vehicles/uav1/commands",
         {"command": "goto", "lat": 200, "lon": 114.05, "alt_m": 30}, 422, "lat",
         "less than or equal to 90"),
        ("/api/vehicles/uav1/commands", {"command": "takeoff", "alt_m": -5}, 422, "alt_m",
         "greater than 0"),
        ("/api/vehicles/uav1/commands",
         {"command": "goto", "lat": 22.5, "lon": 114.05, "alt_m": -1}, 422, "alt_m",
         "greater than 0"),
        ("/api/vehicles/uav1/commands", {"command": "dance"}, 422, "body",
         "Input tag 'dance' found using 'command' does not match"),
        ("/api/vehicles/uav1/commands", {"command": "takeoff"}, 422, "alt_m", "Field required"),
    ],
)
async def test_bad_requests_are_refused_naming_the_field_and_reason(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, field: str | None,
    reason: str,
) -> None:
    response = await http.post(path, json=body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if field is None:
        assert detail == reason
    else:
        assert any(field in map(str, e["loc"]) and reason in e["msg"] for e in detail), detail
    assert (await http.get("/api/vehicles/uav1")).json()["armed"] is False  # nothing was sent


async def test_a_traffic_officer_commands_only_traffic_vehicles_and_both_are_audited(
    http: httpx.AsyncClient, fleet_server: RunningServer
) -> None:
    """uav2 is the traffic department's drone; uav0, uav1 and ugv0 are the fire brigade's."""
    started = datetime.now(UTC)
    officer = signed_in(fleet_server, Role.TRAFFIC_POLICE, username="officer-gao")
    listed = (await http.get("/api/vehicles", headers=officer)).json()
    assert [v["id"] for v in listed] == ["uav2"]
    hidden = await http.get("/api/vehicles/uav1", headers=officer)
    assert hidden.status_code == 403 and "fire" in hidden.json()["detail"]

    for fire_vehicle in ("uav0", "uav1"):
        refused = await http.post(f"/api/vehicles/{fire_vehicle}/commands", headers=officer,
                                  json={"command": "arm"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"] == (
            "officer-gao (traffic_police) may not command fire department assets")
    assert (await http.get("/api/vehicles/uav1")).json()["armed"] is False  # nothing was sent

    async with websockets.connect(fleet_server.ws_url, additional_headers=officer) as ws:
        armed = await http.post("/api/vehicles/uav2/commands", headers=officer,
                                json={"command": "arm"})
        assert armed.status_code == 200, armed.text
        await first_event(ws, lambda e: e["type"] == "telemetry" and e["vehicle_id"] == "uav2"
                          and e["armed"] is True, timeout_s=10)  # the simulator's word for it
    disarmed = await http.post("/api/vehicles/uav2/commands", headers=officer,
                               json={"command": "disarm"})
    assert disarmed.status_code == 200, disarmed.text

    page = (await http.get("/api/events", headers=officer, params={"limit": 1000})).json()
    about = {e["vehicle_id"] for e in page if "vehicle_id" in e}
    assert about == {"uav2"}  # the log holds every vehicle's events; the officer sees one

    # Neither an admin account nor the audit trail is the officer's to touch.
    promoted = await http.post("/api/users", headers=officer, json={
        "username": "officer-gao-2", "password": "kestrel over the reservoir 42",
        "role": "admin"})
    assert promoted.status_code == 403
    assert (await http.get("/api/audit", headers=officer)).status_code == 403

    finished = datetime.now(UTC)
    trail = (await http.get("/api/audit", params={"user": "officer-gao"})).json()
    assert [(r["action"], r["target"], r["result"]) for r in trail] == [
        ("sign in", "user:officer-gao", "ok"),
        ("GET /api/vehicles/uav1", "vehicle:uav1", "refused"),
        ("POST /api/vehicles/uav0/commands arm", "vehicle:uav0", "refused"),
        ("POST /api/vehicles/uav1/commands arm", "vehicle:uav1", "refused"),
        ("POST /api/vehicles/uav2/commands arm", "vehicle:uav2", "ok"),
        ("POST /api/vehicles/uav2/commands disarm", "vehicle:uav2", "ok"),
        ("POST /api/users", "user:officer-gao-2", "refused"),
        ("GET /api/audit", "/api/audit", "refused"),
    ]
    assert all(r["role"] == "traffic_police" and r["client"] == "127.0.0.1" for r in trail)
    times = [datetime.fromisoformat(r["at"]) for r in trail]  # the requests' times, in UTC
    assert started <= times[0] and times == sorted(times) and times[-1] <= finished
    uav0 = (await http.get("/api/audit", params={"vehicle": "uav0"})).json()
    assert ("officer-gao", "refused") in {(r["username"], r["result"]) for r in uav0}


async def test_unknown_vehicle_detail_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/vehicles/uav9")
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown vehicle 'uav9'"}


async def test_health_and_events_page_report_the_log(
    http: httpx.AsyncClient, fleet_server: RunningServer
) -> None:
    admin = signed_in(fleet_server)
    async with websockets.connect(fleet_server.ws_url, additional_headers=admin):
        health = (await http.get("/api/health")).json()
    assert health["stream_clients"] == 1
    assert health["status"] == "ok" and health["vehicles"] == DRONES + ROVERS
    assert health["vehicles_connected"] == DRONES + ROVERS
    page = (await http.get("/api/events", params={"since": 0, "limit": 50})).json()
    assert 0 < len(page) <= 50
    seqs = [e["seq"] for e in page]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    bad = await http.get("/api/events", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]


async def test_a_vehicle_that_falls_silent_is_shown_lost_and_commands_get_503(
    tmp_path: Path,
) -> None:
    """Stopping the simulator is the real fault: its vehicle sends no more heartbeats."""
    world = tmp_path / "world.yaml"
    world.write_text(yaml.safe_dump(world_document(
        default_vehicles(1, 0), SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG
    )))
    with start_sim(tmp_path, vehicles=1, rovers=0, speedup=SPEEDUP, world=world) as sim:
        events = EventLog()
        registry = FleetRegistry(fleet_specs(sim.url, 1, 0), events)
        await registry.start()
        try:
            app = create_app(registry, events, Settings(data_dir=tmp_path))
            async with running_server(app) as server, websockets.connect(
                server.ws_url + "?since=0", additional_headers=signed_in(server)
            ) as ws, httpx.AsyncClient(
                base_url=server.http_url, headers=signed_in(server, Role.ADMIN), timeout=10
            ) as http:
                await first_event(ws, lambda e: e.get("link") == "connected", timeout_s=30)
                sim.stop()
                lost = await first_event(ws, lambda e: e.get("link") == "lost", timeout_s=15)
                assert lost["type"] == "vehicle" and lost["vehicle_id"] == "uav0"
                assert (await http.get("/api/vehicles/uav0")).json()["link"] == "lost"
                response = await http.post("/api/vehicles/uav0/commands", json={"command": "rtl"})
                assert response.status_code == 503
                assert response.json() == {"detail": "vehicle 'uav0' link is lost"}
        finally:
            await registry.stop()


async def test_arming_a_rover_before_its_gps_fix_is_refused_with_409(tmp_path: Path) -> None:
    """The simulated vehicle has no 3D fix for its first 5 s (10 s wall at half speed)."""
    world = tmp_path / "world.yaml"
    world.write_text(yaml.safe_dump(world_document(
        default_vehicles(0, 1), SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG
    )))
    with start_sim(tmp_path, vehicles=0, rovers=1, speedup=0.5, world=world) as sim:
        events = EventLog()
        registry = FleetRegistry(fleet_specs(sim.url, 0, 1), events)
        await registry.start()
        try:
            app = create_app(registry, events, Settings(data_dir=tmp_path))
            async with running_server(app) as server, websockets.connect(
                server.ws_url + "?since=0", additional_headers=signed_in(server)
            ) as ws, httpx.AsyncClient(
                base_url=server.http_url, headers=signed_in(server, Role.ADMIN), timeout=10
            ) as http:
                first = await first_event(ws, lambda e: e["type"] == "telemetry", timeout_s=8)
                assert first["vehicle_id"] == "ugv0" and first["gps_fix"] is False
                response = await http.post("/api/vehicles/ugv0/commands", json={"command": "arm"})
                assert response.status_code == 409, response.text
                assert "denied" in response.json()["detail"].lower()  # the vehicle's answer
                assert (await http.get("/api/vehicles/ugv0")).json()["armed"] is False
        finally:
            await registry.stop()
