"""Three simulated drones flown at once by the fleet through MAVSDK, and PX4-like failsafes.

Everything goes through `FleetRegistry` and the MAVSDK link, exactly as the server flies a
PX4 SITL instance; the simulator runs in its own process at a speed-up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

os.environ.setdefault("MAVLINK20", "1")
from pymavlink import mavutil  # noqa: E402  (after choosing MAVLink 2)

from fleet.events import EventLog
from fleet.model import (
    Arm,
    Dock,
    Goto,
    LandedState,
    LinkState,
    ReturnToLaunch,
    StartMission,
    Takeoff,
    VehicleKind,
    VehicleSpec,
    VehicleState,
)
from fleet.registry import FleetRegistry
from mission.formats.mavlink import MissionItemInt
from mission.geodesy import Enu, Origin, distance_m, enu_to_geodetic
from tests.sim_harness import SimHandle, start_sim

pytestmark = pytest.mark.e2e
SPEEDUP = 20.0
MAV_FRAME_GLOBAL_RELATIVE_ALT_INT = 6
MAV_CMD_NAV_WAYPOINT = 16
MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION = 5003


def spec(sim: SimHandle, i: int) -> VehicleSpec:
    return VehicleSpec(id=f"uav{i}", name=f"Drone {i}", kind=VehicleKind.MULTIROTOR,
                       department="fire", url=sim.url(i),
                       dock=Dock(id=f"dock{i}", lat_deg=0.0, lon_deg=0.0))


async def wait_until(
    registry: FleetRegistry, vid: str, ok: Callable[[VehicleState], bool], what: str,
    timeout_s: float = 30.0,
) -> VehicleState:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = registry.state(vid)
        if state.telemetry is not None and ok(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{vid}: not {what} within {timeout_s} s: {registry.state(vid)}")


def ready(s: VehicleState) -> bool:
    t = s.telemetry
    return s.link is LinkState.CONNECTED and t is not None and t.gps_fix and t.home is not None


def landed_disarmed(s: VehicleState) -> bool:
    t = s.telemetry
    return t is not None and not t.armed and t.landed_state is LandedState.ON_GROUND


def offset(s: VehicleState, east_m: float, north_m: float) -> tuple[float, float]:
    assert s.telemetry is not None and s.telemetry.home is not None
    home = s.telemetry.home
    p = enu_to_geodetic(Enu(east_m=east_m, north_m=north_m),
                        Origin(lat_deg=home.lat_deg, lon_deg=home.lon_deg))
    return p.lat_deg, p.lon_deg


def from_home_m(s: VehicleState) -> float:
    t = s.telemetry
    assert t is not None and t.home is not None and t.lat_deg is not None
    return distance_m(t.lat_deg, t.lon_deg, t.home.lat_deg, t.home.lon_deg)


@pytest.fixture
async def three(tmp_path: Path) -> AsyncIterator[tuple[SimHandle, FleetRegistry]]:
    with start_sim(tmp_path, vehicles=3, speedup=SPEEDUP) as sim:
        registry = FleetRegistry([spec(sim, i) for i in range(3)], EventLog())
        await registry.start()
        try:
            for i in range(3):
                await wait_until(registry, f"uav{i}", ready, "ready (GPS fix, home)")
            yield sim, registry
        finally:
            await registry.stop()


async def take_off(registry: FleetRegistry, vid: str, alt_m: float) -> None:
    assert (await registry.command(vid, Arm())).ok
    assert (await registry.command(vid, Takeoff(alt_rel_m=alt_m))).ok
    state = await wait_until(
        registry, vid,
        lambda s: s.telemetry.landed_state is LandedState.IN_AIR  # type: ignore[union-attr]
        and abs((s.telemetry.alt_rel_m or 0) - alt_m) < 1.0,  # type: ignore[union-attr]
        f"at {alt_m} m")
    assert state.telemetry is not None and state.telemetry.armed


def waypoints(s: VehicleState, legs_m: list[tuple[float, float]]) -> list[MissionItemInt]:
    items = []
    for seq, (east, north) in enumerate(legs_m):
        lat, lon = offset(s, east, north)
        items.append(MissionItemInt(
            seq=seq, frame=MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, command=MAV_CMD_NAV_WAYPOINT,
            current=1 if seq == 0 else 0, autocontinue=1, param1=0.0, param2=2.0, param3=0.0,
            param4=0.0, x=round(lat * 1e7), y=round(lon * 1e7), z=25.0, mission_type=0))
    return items


async def fly_one(registry: FleetRegistry, vid: str, k: int) -> None:
    await take_off(registry, vid, 20.0)

    target = offset(registry.state(vid), 120.0 * (k - 1), 150.0)
    assert (await registry.command(vid, Goto(lat_deg=target[0], lon_deg=target[1],
                                               alt_rel_m=30.0))).ok
    await wait_until(registry, vid, lambda s: distance_m(
        s.telemetry.lat_deg, s.telemetry.lon_deg, *target) < 3.0  # type: ignore[union-attr,arg-type]
        and abs(s.telemetry.alt_rel_m - 30.0) < 1.0,  # type: ignore[union-attr,operator]
        "at the goto target")

    link = registry.link(vid)
    plan = waypoints(registry.state(vid), [(0, 0), (100, 0), (100, 100), (0, 100)])
    assert (await link.upload_mission(plan)).ok
    assert await link.download_mission() == plan  # field for field
    seen: list[int] = []
    assert (await registry.command(vid, StartMission())).ok

    def finished(s: VehicleState) -> bool:
        t = s.telemetry
        assert t is not None
        if t.mission_current is not None and (not seen or seen[-1] != t.mission_current):
            seen.append(t.mission_current)
        return t.mission_current == len(plan)

    state = await wait_until(registry, vid, finished, "done with its mission", 60)
    assert seen == sorted(seen) and seen[-1] == len(plan)  # progress only moves forward
    last = plan[-1]
    assert distance_m(state.telemetry.lat_deg, state.telemetry.lon_deg,  # type: ignore[union-attr,arg-type]
                      last.x / 1e7, last.y / 1e7) < 5.0

    assert (await registry.command(vid, ReturnToLaunch())).ok
    home = await wait_until(registry, vid, landed_disarmed, "landed and disarmed", 90)
    assert from_home_m(home) < 3.0


async def test_three_drones_fly_goto_mission_and_rtl_at_once(
    three: tuple[SimHandle, FleetRegistry],
) -> None:
    _, registry = three
    await asyncio.gather(*(fly_one(registry, f"uav{k}", k) for k in range(3)))


async def test_low_battery_returns_then_lands(three: tuple[SimHandle, FleetRegistry]) -> None:
    _, registry = three
    await take_off(registry, "uav1", 20.0)
    far = offset(registry.state("uav1"), 400.0, 0.0)
    await registry.command("uav1", Goto(lat_deg=far[0], lon_deg=far[1], alt_rel_m=20.0))
    modes: list[str] = []

    def record(s: VehicleState) -> bool:
        assert s.telemetry is not None
        if not modes or modes[-1] != s.telemetry.flight_mode:
            modes.append(s.telemetry.flight_mode)
        return landed_disarmed(s)

    assert (await registry.link("uav1").set_parameter("SIM_BAT_DRAIN", 60.0)).ok
    final = await wait_until(registry, "uav1", record, "landed after the battery failsafe", 90)
    assert "return_to_launch" in modes and "land" in modes
    assert modes.index("return_to_launch") < modes.index("land")
    assert final.telemetry is not None and final.telemetry.battery_pct is not None
    assert final.telemetry.battery_pct < 15.0  # BAT_LOW_THR


async def test_geofence_breach_triggers_the_configured_rtl(
    three: tuple[SimHandle, FleetRegistry],
) -> None:
    _, registry = three
    link = registry.link("uav2")
    state = registry.state("uav2")
    assert state.telemetry is not None and state.telemetry.home is not None
    home = state.telemetry.home
    fence = [MissionItemInt(
        seq=0, frame=MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, command=MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
        current=0, autocontinue=1, param1=150.0, param2=0.0, param3=0.0, param4=0.0,
        x=round(home.lat_deg * 1e7), y=round(home.lon_deg * 1e7), z=0.0, mission_type=1)]
    assert (await link.upload_mission(fence)).ok
    assert (await link.set_parameter("GF_ACTION", 3)).ok  # RTL
    await take_off(registry, "uav2", 20.0)
    out = offset(registry.state("uav2"), 0.0, 400.0)
    await registry.command("uav2", Goto(lat_deg=out[0], lon_deg=out[1], alt_rel_m=20.0))
    breach = await wait_until(
        registry, "uav2",
        lambda s: s.telemetry.flight_mode == "return_to_launch",  # type: ignore[union-attr]
        "returning after the breach")
    assert from_home_m(breach) < 170.0  # caught at the 150 m fence, not at the 400 m target
    final = await wait_until(registry, "uav2", landed_disarmed, "landed at home", 90)
    assert from_home_m(final) < 3.0


async def test_gcs_link_loss_makes_the_drone_return_and_the_fleet_relinks(
    three: tuple[SimHandle, FleetRegistry],
) -> None:
    sim, registry = three
    assert (await registry.link("uav0").set_parameter("COM_DL_LOSS_T", 5)).ok
    await take_off(registry, "uav0", 20.0)
    away = offset(registry.state("uav0"), 200.0, 0.0)
    await registry.command("uav0", Goto(lat_deg=away[0], lon_deg=away[1], alt_rel_m=20.0))
    await registry.stop()  # the ground station goes silent; the vehicle is on its own

    # Listen (without a heartbeat of our own, so we are no ground station) until the vehicle
    # has switched to RTL by itself, then bring a new ground station up on the same URLs.
    assert await asyncio.to_thread(_wait_for_px4_mode, sim, 0, PX4_AUTO_RTL, 30.0)
    again = FleetRegistry([spec(sim, i) for i in range(3)], EventLog())
    await again.start()
    try:
        await wait_until(again, "uav0", ready, "linked again")
        final = await wait_until(again, "uav0", landed_disarmed, "landed after link loss", 90)
        assert from_home_m(final) < 3.0
    finally:
        await again.stop()


PX4_AUTO_RTL = (4 << 16) | (5 << 24)  # custom_mode: main AUTO, sub RTL


def _wait_for_px4_mode(sim: SimHandle, i: int, custom_mode: int, timeout_s: float) -> bool:
    listener = mavutil.mavlink_connection(sim.mavutil_url(i), source_system=250)
    try:
        msg = listener.recv_match(type="HEARTBEAT", blocking=True, timeout=timeout_s,
                                  condition=f"HEARTBEAT.custom_mode=={custom_mode}")
        return msg is not None
    finally:
        listener.close()


async def test_a_silent_vehicle_shows_as_lost_then_connected(
    three: tuple[SimHandle, FleetRegistry],
) -> None:
    sim, registry = three
    os.kill(sim.process.pid, signal.SIGSTOP)  # the whole simulator freezes: no heartbeats
    try:
        await wait_until(registry, "uav0", lambda s: s.link is LinkState.LOST, "lost", 10)
    finally:
        os.kill(sim.process.pid, signal.SIGCONT)
    await wait_until(registry, "uav0", lambda s: s.link is LinkState.CONNECTED, "back", 10)
    assert sim.alive()


GROUPED_FLEET = """
import asyncio, sys
from fleet.events import EventLog
from fleet.model import Arm, Dock, LinkState, VehicleKind, VehicleSpec
from fleet.registry import FleetRegistry

async def main(base: int, n: int) -> None:
    specs = [VehicleSpec(id=f"uav{i}", name=f"Drone {i}", kind=VehicleKind.MULTIROTOR,
                         department="fire", url=f"udpin://0.0.0.0:{base + i}",
                         dock=Dock(id=f"d{i}", lat_deg=0.0, lon_deg=0.0), system_id=i + 1)
             for i in range(n)]
    registry = FleetRegistry(specs, EventLog())
    await registry.start()
    for _ in range(600):
        states = registry.states()
        if all(s.link is LinkState.CONNECTED and s.telemetry and s.telemetry.gps_fix
               for s in states):
            break
        await asyncio.sleep(0.05)
    print("connected", sum(s.link is LinkState.CONNECTED for s in registry.states()))
    print("arm", (await registry.command(f"uav{n - 1}", Arm())).ok)
    for _ in range(100):
        if registry.state(f"uav{n - 1}").telemetry.armed:
            break
        await asyncio.sleep(0.05)
    print("armed", [s.spec.id for s in registry.states() if s.telemetry.armed])
    await registry.stop()

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


def test_a_fleet_of_24_shares_mavsdk_instances_and_exits_cleanly(tmp_path: Path) -> None:
    """24 vehicles with system ids need two MAVSDK instances, not 24 (which crash at exit)."""
    import subprocess
    import sys

    with start_sim(tmp_path, vehicles=24, speedup=2.0) as sim:
        run = subprocess.run([sys.executable, "-c", GROUPED_FLEET, str(sim.base_port), "24"],
                             capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "connected 24" in run.stdout
    assert "arm True" in run.stdout
    assert "armed ['uav23']" in run.stdout  # the command reached that vehicle and no other
