"""MAVSDK 4.x (asyncio API) flies two simulated vehicles: the simulator as a ground station's
real client sees it. Arm, take off, mission upload / download / start to completion, RTL."""

from __future__ import annotations

import asyncio
import gc
import math
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any, TypeVar

import pytest

mavsdk = pytest.importorskip("mavsdk")
from mavsdk.asyncio import ComponentType, Configuration, Mavsdk  # noqa: E402
from mavsdk.asyncio.plugins.action import ActionAsync  # noqa: E402
from mavsdk.asyncio.plugins.mission import MissionAsync, MissionItem, MissionPlan  # noqa: E402
from mavsdk.asyncio.plugins.telemetry import TelemetryAsync  # noqa: E402

from tests.sim.mav_client import distance_m, offset_deg  # noqa: E402

pytestmark = pytest.mark.e2e
T = TypeVar("T")


async def first_where(stream: AsyncGenerator[T, None], pred: Callable[[T], bool], *,
                      timeout_s: float) -> T:
    async with asyncio.timeout(timeout_s), aclosing(stream):
        async for value in stream:
            if pred(value):
                return value
    raise AssertionError("stream ended before the condition held")


async def _systems_by_id(m: Mavsdk, n: int, timeout_s: float) -> dict[int, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            found = {}
            for s in await m.get_systems():
                if await s.has_autopilot():
                    found[await s.get_system_id()] = s
            if len(found) >= n:
                return found
            await asyncio.sleep(0.1)  # discovery has no stream to wait on


def _plan(lat: float, lon: float) -> list[MissionItem]:
    legs = ((40.0, 0.0, 12.0), (40.0, 40.0, 15.0), (0.0, 40.0, 12.0))
    items = []
    for east, north, alt in legs:
        p = offset_deg(lat, lon, east, north)
        items.append(MissionItem(latitude_deg=p[0], longitude_deg=p[1], relative_altitude_m=alt,
                                 speed_m_s=6.0, is_fly_through=False,
                                 camera_action=MissionItem.CameraAction.TAKE_PHOTO,
                                 acceptance_radius_m=1.0, loiter_time_s=1.0))
    return items


async def _fly(system: Any) -> dict[str, float]:
    tel, act, mis = TelemetryAsync(system), ActionAsync(system), MissionAsync(system)
    await first_where(tel.subscribe_health_all_ok(), bool, timeout_s=30)  # GPS fix, home set
    home = await tel.home()
    await act.set_takeoff_altitude(10.0)
    await act.arm()
    await act.takeoff()
    await first_where(tel.subscribe_position(), lambda p: p.relative_altitude_m > 9.0,
                      timeout_s=30)
    plan = _plan(home.latitude_deg, home.longitude_deg)
    await mis.upload_mission(MissionPlan(plan))
    back = await mis.download_mission()
    assert len(back.mission_items) == len(plan)
    for sent, got in zip(plan, back.mission_items, strict=True):
        assert got.latitude_deg == pytest.approx(sent.latitude_deg, abs=1e-7)
        assert got.longitude_deg == pytest.approx(sent.longitude_deg, abs=1e-7)
        assert got.relative_altitude_m == pytest.approx(sent.relative_altitude_m, abs=1e-3)
        assert got.speed_m_s == pytest.approx(6.0)
        assert got.camera_action == MissionItem.CameraAction.TAKE_PHOTO
    await mis.start_mission()
    await first_where(mis.subscribe_mission_progress(),
                      lambda p: p.total > 0 and p.current == p.total, timeout_s=60)
    assert await mis.is_mission_finished()
    end = await tel.position()
    last = plan[-1]
    to_last_m = distance_m(end.latitude_deg, end.longitude_deg, last.latitude_deg,
                           last.longitude_deg)
    await act.return_to_launch()
    await first_where(tel.subscribe_armed(), lambda armed: not armed, timeout_s=90)
    landed = await tel.position()
    return {
        "to_last_m": to_last_m,
        "home_m": distance_m(landed.latitude_deg, landed.longitude_deg, home.latitude_deg,
                             home.longitude_deg),
        "alt_rel_m": landed.relative_altitude_m,
    }


async def _fly_both(m: Mavsdk, urls: list[str]) -> list[dict[str, float]]:
    for url in urls:
        await m.add_any_connection(url)
    systems = await _systems_by_id(m, 2, timeout_s=20)
    assert sorted(systems) == [1, 2]
    return list(await asyncio.gather(*(_fly(systems[s]) for s in (1, 2))))


async def test_mavsdk_flies_two_vehicles_through_a_mission(sim_factory) -> None:
    sim = sim_factory(vehicles=2, speedup=15.0)
    mavsdk.log_subscribe(lambda *args: True)  # keep libcmavsdk's log out of the test output
    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    async with Mavsdk(config) as m:
        results = await _fly_both(m, [sim.url(0), sim.url(1)])
        # Systems and plugins release their C handles when collected: do it while the
        # Mavsdk instance still exists, not at some later collection in another test.
        gc.collect()
    for r in results:
        assert r["to_last_m"] < 3.0
        assert r["home_m"] < 3.0
        assert math.fabs(r["alt_rel_m"]) < 0.5
