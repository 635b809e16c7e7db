"""A simulated fleet on chosen docks, the ground server on it, and waits on what the API says.

    async with scenario(tmp_path, [Drone("uav0", east_m=-900, north_m=0)]) as s:
        incident = await s.post("/api/incidents", {...})
        await s.wait_mission(mission_id, lambda m: m["tasks"][0]["state"] == "on_station")

The simulator runs in its own process on free ports (vehicles start on their docks), the server
is a real uvicorn on a free port with supervision started, and every wait is on a condition
read through the API, with a timeout.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from fleet.events import EventLog
from fleet.model import Dock, LinkState, VehicleKind, VehicleSpec
from fleet.registry import FleetRegistry
from fleet.supervisor import SupervisorSettings
from skywatch.layout import SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG, DefaultVehicle, world_document
from tests.ops.udp_relay import UdpRelay, free_udp_port, start_relay
from tests.sim_harness import SimHandle, start_sim
from tests.web.auth_helpers import signed_in
from tests.web.server_harness import RunningServer, running_server
from web.app import create_app
from web.settings import Settings

CRUISE_MPS = 12.0  #: set on every simulated drone (MPC_XY_CRUISE) and in the dispatch profile
METRES_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True, kw_only=True)
class Drone:
    id: str
    east_m: float  #: dock, from the scene's home
    north_m: float
    department: str = "fire"
    capabilities: tuple[str, ...] = ("rgb", "thermal")


def point(east_m: float, north_m: float) -> list[float]:
    """GeoJSON [lon, lat] of a point east/north of the scene's home."""
    lat = SHENZHEN_LAT_DEG + north_m / METRES_PER_DEG_LAT
    lon = SHENZHEN_LON_DEG + east_m / (METRES_PER_DEG_LAT * math.cos(math.radians(
        SHENZHEN_LAT_DEG)))
    return [round(lon, 7), round(lat, 7)]


def write_world(tmp_path: Path, drones: Sequence[Drone],
                scene: Mapping[str, Any] | None = None) -> tuple[Path, list[DefaultVehicle]]:
    """The world file: drones on their docks, plus the world-file keys of `scene` (objects,
    terrain...; e.g. `sim.example_world.example_scene_document`)."""
    layout = [DefaultVehicle(id=d.id, name=d.id, kind="multirotor", department=d.department,
                             capabilities=d.capabilities, east_m=d.east_m, north_m=d.north_m)
              for d in drones]
    path = tmp_path / "world.yaml"
    world = world_document(layout, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG) | dict(scene or {})
    path.write_text(yaml.safe_dump(world))
    return path, layout


def fleet_specs(sim_url: Callable[[int], str], drones: Sequence[Drone]) -> list[VehicleSpec]:
    specs = []
    for i, d in enumerate(drones):
        lon, lat = point(d.east_m, d.north_m)
        specs.append(VehicleSpec(id=d.id, name=d.id, kind=VehicleKind.MULTIROTOR,
                                 department=d.department, url=sim_url(i),
                                 dock=Dock(id=f"dock-{d.id}", lat_deg=lat, lon_deg=lon),
                                 capabilities=frozenset(d.capabilities), system_id=i + 1))
    return specs


@dataclass
class Scenario:
    sim: SimHandle
    registry: FleetRegistry
    server: RunningServer
    headers: dict[str, str]
    relays: dict[str, UdpRelay]
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(base_url=self.server.http_url, headers=self.headers,
                                        timeout=10.0)

    async def post(self, path: str, body: dict[str, Any] | None = None,
                   expect: int = 200) -> Any:
        r = await self.client.post(path, json=body)
        assert r.status_code == expect, r.text
        return r.json()

    async def get(self, path: str) -> Any:
        r = await self.client.get(path)
        assert r.status_code == 200, r.text
        return r.json()

    async def wait(self, path: str, ok: Callable[[Any], bool], what: str,
                   timeout_s: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            last = await self.get(path)
            if ok(last):
                return last
            await asyncio.sleep(0.1)
        raise AssertionError(f"{path}: not {what} within {timeout_s} s; last: {last}")


async def set_parameter(registry: FleetRegistry, vehicle_id: str, name: str,
                        value: float) -> None:
    """Set a vehicle parameter; the first attempt right after linking may go unanswered."""
    for _ in range(5):
        result = await registry.link(vehicle_id).set_parameter(name, value)
        if result.ok:
            return
    raise AssertionError(f"{vehicle_id}: {name} = {value} refused: {result.reason}")


async def wait_ready(registry: FleetRegistry, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(s.link is LinkState.CONNECTED and s.telemetry is not None
               and s.telemetry.gps_fix and s.telemetry.home is not None
               for s in registry.states()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fleet not ready within {timeout_s} s: {registry.states()}")


@asynccontextmanager
async def scenario(tmp_path: Path, drones: Sequence[Drone], supervision: SupervisorSettings,
                   speedup: float = 40.0, relayed: Sequence[str] = (),
                   scene: Mapping[str, Any] | None = None, camera_rate_hz: float | None = None
                   ) -> AsyncIterator[Scenario]:
    """The simulator with `drones` on their docks, the server with supervision on them.

    The links of the `relayed` vehicles pass through a `UdpRelay` the test can cut
    (`Scenario.relays`). `scene` adds objects to the world (`write_world`); `camera_rate_hz`
    has the simulator serve the drones' cameras (`start_sim`)."""
    world, _ = write_world(tmp_path, drones, scene)
    with start_sim(tmp_path, vehicles=len(drones), speedup=speedup, world=world,
                   camera_rate_hz=camera_rate_hz) as sim:
        events = EventLog()
        relays: dict[str, UdpRelay] = {}
        fleet_ports: dict[int, int] = {}
        for i, d in enumerate(drones):
            if d.id in relayed:
                fleet_ports[i] = free_udp_port()
                relays[d.id] = await start_relay(sim.base_port + i, fleet_ports[i])

        def url(i: int) -> str:
            return f"udpin://0.0.0.0:{fleet_ports[i]}" if i in fleet_ports else sim.url(i)

        registry = FleetRegistry(fleet_specs(url, drones), events)
        app = create_app(registry, events, Settings(data_dir=tmp_path / "server"), supervision)
        await registry.start()
        try:
            await wait_ready(registry)
            for d in drones:
                await set_parameter(registry, d.id, "MPC_XY_CRUISE", CRUISE_MPS)
            await app.state.supervisor.start()
            async with running_server(app) as server:
                s = Scenario(sim=sim, registry=registry, server=server,
                             headers=signed_in(server), relays=relays)
                try:
                    yield s
                finally:
                    await s.client.aclose()
        finally:
            await app.state.supervisor.stop()
            await registry.stop()
            for relay in relays.values():
                relay.close()
