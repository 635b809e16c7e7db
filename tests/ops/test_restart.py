"""`kill -9` of the ground server mid-mission, then a restart on the same data: nothing lost.

The server is the real `skywatch serve` process; the simulator keeps flying while it is down.
Before the kill the test reads every event through `GET /api/events`; after the restart the
same range must come back identical, seq must continue above it, and the mission must end on
the same vehicle, reconciled with what the drone did meanwhile (not re-dispatched): the test
holds the server's port while it is down and restarts it only once the drone has finished its
watch, flown home and landed, so the server has to learn all of that from the vehicle.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pymavlink.dialects.v20 import common as mavlink

from fleet.events import EventLog
from fleet.registry import FleetRegistry
from skywatch.layout import SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG, fleet_document
from tests.ops.scenario_harness import (
    CRUISE_MPS,
    Drone,
    fleet_specs,
    point,
    set_parameter,
    wait_ready,
    write_world,
)
from tests.ops.tracks import Track, listen_on
from tests.sim_harness import SimHandle, start_sim
from tests.web.auth_helpers import PASSWORD

pytestmark = pytest.mark.e2e

SPEEDUP = 40.0
#: The drones' GCS-link-loss failsafe (PX4 COM_DL_LOSS_T, s): the server stays down for the
#: rest of the watch and the flight home (some 10 simulated minutes), longer than a real restart.
LINK_LOSS_S = 1800


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(fleet_file: Path, data_dir: Path, port: int, log: Path) -> Iterator[
        subprocess.Popen[bytes]]:
    skywatch = Path(sys.executable).with_name("skywatch")
    env = {**os.environ, "SKYWATCH_ADMIN_PASSWORD": PASSWORD}
    with log.open("ab") as out:
        proc = subprocess.Popen([str(skywatch), "serve", "--fleet", str(fleet_file), "--port",
                                 str(port), "--data-dir", str(data_dir)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def signed_in_client(port: int, proc: subprocess.Popen[bytes], log: Path,
                           timeout_s: float = 30.0) -> httpx.AsyncClient:
    """A client with the admin's token, once the server answers."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base) as probe:
        while True:
            assert proc.poll() is None, f"server exited: {tail(log)}"
            try:
                if (await probe.get("/api/health")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no server: {tail(log)}"
            await asyncio.sleep(0.1)
        r = await probe.post("/api/auth/token", data={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    return httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                             timeout=10.0)


async def durable_events(client: httpx.AsyncClient, until_seq: int | None = None) -> list[Any]:
    """Every stored event (telemetry is ephemeral by design: superseded, never journaled)."""
    out: list[Any] = []
    while True:
        since = out[-1]["seq"] if out else 0
        page = (await client.get("/api/events", params={"since": since, "limit": 1000})).json()
        out += page
        if len(page) < 1000 or (until_seq is not None and out[-1]["seq"] >= until_seq):
            return [e for e in out if e["type"] != "telemetry"
                    and (until_seq is None or e["seq"] <= until_seq)]


async def wait_mission(client: httpx.AsyncClient, mission_id: str, ok: Any, what: str,
                       timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = (await client.get(f"/api/missions/{mission_id}")).json()
        if ok(last):
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"mission {mission_id} not {what} within {timeout_s} s: {last}")


def landed_after(track: Track, return_from: int) -> bool:
    """The vehicle reports it flew its plan up to the return and is disarmed on the ground."""
    current, heartbeat = track.latest.get("MISSION_CURRENT"), track.latest.get("HEARTBEAT")
    return (current is not None and current.seq >= return_from and heartbeat is not None
            and not heartbeat.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)


async def until(ok: Callable[[], bool], what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not ok():
        assert time.monotonic() < deadline, f"not {what} within {timeout_s} s"
        await asyncio.sleep(0.1)


async def until_reporting(client: httpx.AsyncClient, vehicle_ids: list[str],
                          timeout_s: float) -> None:
    """Wait until the server has a link, a position and a battery level from each vehicle."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = {v["id"]: v for v in (await client.get("/api/vehicles")).json()}
        if all(v in seen and seen[v]["link"] == "connected" and seen[v]["lat"] is not None
               and seen[v]["battery_pct"] is not None for v in vehicle_ids):
            return
        assert time.monotonic() < deadline, f"vehicles after {timeout_s} s: {seen}"
        await asyncio.sleep(0.1)


async def prepare_drones(sim: SimHandle, drones: list[Drone]) -> None:
    """Cruise speed and link-loss failsafe, set over MAVLink before the server takes over."""
    registry = FleetRegistry(fleet_specs(sim.url, drones), EventLog())
    await registry.start()
    try:
        await wait_ready(registry)
        for d in drones:
            await set_parameter(registry, d.id, "MPC_XY_CRUISE", CRUISE_MPS)
            await set_parameter(registry, d.id, "COM_DL_LOSS_T", LINK_LOSS_S)
    finally:
        await registry.stop()


async def test_kill_9_mid_mission_then_restart_loses_nothing_and_the_mission_ends(
        tmp_path: Path) -> None:
    # The server runs its default supervision (5 m/s, 25 min endurance, 5 min watch): a fire
    # 400 m from uav0 is well within one battery, so nothing but a lost fact could bring uav1.
    drones = [Drone(id="uav0", east_m=-400, north_m=0), Drone(id="uav1", east_m=0, north_m=1400)]
    world, layout = write_world(tmp_path, drones)
    with start_sim(tmp_path, vehicles=len(drones), speedup=SPEEDUP, world=world) as sim:
        await prepare_drones(sim, drones)
        fleet_file = tmp_path / "fleet.yaml"
        fleet_file.write_text(yaml.safe_dump(fleet_document(
            layout, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG, sim.base_port)))
        data_dir, port, log = tmp_path / "data", free_tcp_port(), tmp_path / "server.log"

        with server_process(fleet_file, data_dir, port, log) as first:
            client = await signed_in_client(port, first, log)
            # Reported before uav0 says where it is, the fire would go to uav1 (the
            # explanation would name uav0: "no position reported yet").
            await until_reporting(client, [d.id for d in drones], timeout_s=30)
            r = await client.post("/api/incidents", json={
                "type": "fire", "priority": 1,
                "geometry": {"type": "Point", "coordinates": point(0, 0)}})
            assert r.status_code == 201, r.text
            incident = r.json()
            mission_id = incident["mission_ids"][0]
            mission_doc = await wait_mission(
                client, mission_id, lambda m: m["tasks"][0]["state"] == "on_station",
                "on station", 60)
            return_from = mission_doc["tasks"][0]["plan"]["return_from"]
            before = await durable_events(client)
            await client.aclose()
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)

        # While the server is down, uav0 carries on: watch, return, land on its dock.
        meanwhile = Track()
        transport = await listen_on(sim.base_port, meanwhile)
        try:
            await until(lambda: landed_after(meanwhile, return_from), "uav0 home and landed",
                        timeout_s=90)
        finally:
            transport.close()

        restarted_at = time.monotonic()
        with server_process(fleet_file, data_dir, port, log) as second:
            client = await signed_in_client(port, second, log)
            answering_s = time.monotonic() - restarted_at
            try:
                last_seq = before[-1]["seq"]
                assert await durable_events(client, until_seq=last_seq) == before
                again = (await client.get(f"/api/incidents/{incident['id']}")).json()
                assert again["mission_ids"] == [mission_id]
                assert again["explanation"] == incident["explanation"]

                mission = await wait_mission(client, mission_id,
                                             lambda m: m["state"] == "completed", "completed",
                                             90)
                caught_up_s = time.monotonic() - restarted_at
                assert [(t["vehicle_id"], t["state"]) for t in mission["tasks"]] == [
                    ("uav0", "done")]  # carried on by the same drone, not re-dispatched
                resolved = (await client.get(f"/api/incidents/{incident['id']}")).json()
                assert resolved["state"] == "resolved"
                after = await durable_events(client)
                seqs = [e["seq"] for e in after]
                assert seqs == sorted(set(seqs)) and seqs[len(before)] > last_seq
                assert {e["type"] for e in before} >= {"incident", "dispatch", "mission", "task"}
                task_events = [e for e in after[len(before):] if e["type"] == "task"]
                assert [e["state"] for e in task_events][-2:] == ["returning", "done"]
                assert not any(e["state"] in ("failed", "cancelled") for e in task_events)
            finally:
                await client.aclose()
        print(f"restart: server answering {answering_s:.1f} s after start, mission caught up "
              f"with the landed drone and completed {caught_up_s:.1f} s after start")
