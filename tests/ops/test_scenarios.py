"""Incidents to the end on the simulator at high speed-up, through the HTTP API.

Each scenario has its own simulator process, with drones on chosen docks, and its own server
with supervision: fires are reported with `POST /api/incidents`, and everything asserted is
what an operator sees through the API or on the vehicles (distances in metres, states).
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import LineString, Polygon
from shapely.ops import unary_union

from fleet.dispatch import VehicleProfile
from fleet.supervisor import SupervisorSettings
from fleet.templates import TemplateSettings
from mission.formats.by_extension import write_plan
from mission.geodesy import distance_m
from mission.items import Takeoff, Waypoint
from mission.plan import Plan
from tests.ops.scenario_harness import (
    CRUISE_MPS,
    Drone,
    Scenario,
    point,
    scenario,
    set_parameter,
)
from tests.ops.tracks import Track, longest_gap_s

pytestmark = pytest.mark.e2e

SUPERVISION = SupervisorSettings(
    templates=TemplateSettings(watch_s=60.0, fire_sweep_half_m=60.0),
    multirotor=VehicleProfile(cruise_speed_mps=CRUISE_MPS, endurance_s=1500.0),
)


def fire(east_m: float, north_m: float, priority: int = 1) -> dict[str, Any]:
    return {"type": "fire", "priority": priority,
            "geometry": {"type": "Point", "coordinates": point(east_m, north_m)}}


async def report(s: Scenario, body: dict[str, Any]) -> Any:
    """Report an incident that the fleet can take: 201 with a mission, or why not."""
    incident = await s.post("/api/incidents", body, expect=201)
    assert incident["mission_ids"], incident["explanation"]
    return incident


def task_states(m: dict[str, Any]) -> list[str]:
    return [t["state"] for t in m["tasks"]]


async def test_a_fire_1km_from_two_docks_gets_the_nearer_thermal_drone_to_the_end(
        tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-1000, north_m=0),  # 1.0 km west of the fire at home
              Drone(id="uav1", east_m=0, north_m=1400),  # 1.4 km north
              Drone(id="uav2", east_m=600, north_m=0, capabilities=("rgb",))]  # no thermal
    async with scenario(tmp_path, drones, SUPERVISION) as s:
        incident = await report(s, fire(0, 0))
        assert incident["state"] == "dispatched" and len(incident["mission_ids"]) == 1
        # The first task leaves `planned` within 1 s of the report, on the server's own clock
        # (its event times), not the test's round trip on a loaded machine.
        launched = next(e for e in s.server.app.state.events.since(0, 100_000)
                        if e.type == "task" and e.data["state"] == "launching")
        launched_after_s = (launched.t - datetime.fromisoformat(incident["created_at"])
                            ).total_seconds()
        print(f"fire reported, first task launching after {launched_after_s * 1000:.0f} ms")
        assert 0 <= launched_after_s < 1.0
        verdicts = {c["vehicle_id"]: c for c in incident["explanation"]["candidates"]}
        assert verdicts["uav0"]["verdict"] == "chosen"
        assert verdicts["uav1"]["verdict"] == "feasible"
        assert verdicts["uav1"]["eta_s"] > verdicts["uav0"]["eta_s"] + 20
        assert verdicts["uav2"]["verdict"] == "rejected"
        assert any("thermal" in r for r in verdicts["uav2"]["reasons"])

        path = f"/api/missions/{incident['mission_ids'][0]}"
        mission = await s.get(path)
        assert [t["vehicle_id"] for t in mission["tasks"]] == ["uav0"]
        assert task_states(mission)[0] != "planned"  # handed to the vehicle already

        await s.wait(path, lambda m: task_states(m) == ["on_station"], "on station", 40)
        t = s.registry.state("uav0").telemetry
        assert t is not None and t.lat_deg is not None and t.lon_deg is not None
        lon, lat = point(0, 0)
        assert distance_m(t.lat_deg, t.lon_deg, lat, lon) < 250  # working around the fire
        mission = await s.wait(path, lambda m: m["state"] == "completed", "completed", 90)
        assert task_states(mission) == ["done"] and mission["tasks"][0]["progress"] == 1.0
        resolved = await s.get(f"/api/incidents/{incident['id']}")
        assert resolved["state"] == "resolved"
        docks = {d["vehicle_id"]: d for d in await s.get("/api/docks")}
        assert docks["uav0"]["vehicle_home"] and docks["uav0"]["task_id"] is None


def distance_to_m(s: Any, vehicle_id: str, east_m: float, north_m: float) -> float:
    t = s.registry.state(vehicle_id).telemetry
    assert t is not None and t.lat_deg is not None and t.lon_deg is not None
    lon, lat = point(east_m, north_m)
    return distance_m(t.lat_deg, t.lon_deg, lat, lon)


async def hovering(s: Any, vehicle_id: str, timeout_s: float) -> None:
    """Wait until the vehicle's telemetry says it holds still in the air."""
    deadline = time.monotonic() + timeout_s
    while (speed := s.registry.state(vehicle_id).telemetry.ground_speed_mps) is None \
            or speed > 0.5:
        if time.monotonic() > deadline:
            raise AssertionError(f"{vehicle_id} still at {speed} m/s after {timeout_s} s")
        await asyncio.sleep(0.05)


async def test_a_more_urgent_fire_preempts_the_only_thermal_drone(tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-800, north_m=0),
              Drone(id="uav1", east_m=0, north_m=-600, department="traffic",
                    capabilities=("rgb", "zoom"))]
    async with scenario(tmp_path, drones, SUPERVISION) as s:
        minor = await report(s, fire(0, 0, priority=3))
        minor_path = f"/api/missions/{minor['mission_ids'][0]}"
        await s.wait(minor_path, lambda m: task_states(m) == ["transit"], "in transit", 20)

        urgent = await report(s, fire(0, 900, priority=1))
        assert urgent["state"] == "dispatched"
        chosen = urgent["explanation"]["candidates"][0]
        assert (chosen["vehicle_id"], chosen["verdict"], chosen["preempts_priority"]) == (
            "uav0", "chosen", 3)
        preempted = (await s.get(minor_path))["tasks"][0]
        assert preempted["state"] == "cancelled"
        assert preempted["reason"] == f"preempted by {urgent['id']}"

        urgent_path = f"/api/missions/{urgent['mission_ids'][0]}"
        await s.wait(urgent_path, lambda m: task_states(m) == ["on_station"], "on station", 40)
        assert distance_to_m(s, "uav0", 0, 900) < 250
        # The minor fire waits, saying why: its only thermal drone is on a priority-1 task.
        waiting = await s.get(f"/api/incidents/{minor['id']}")
        assert waiting["state"] in ("dispatched", "active")
        reasons = {c["vehicle_id"]: c["reasons"] for c in waiting["explanation"]["candidates"]}
        assert any("priority-1" in r for r in reasons["uav0"])


async def test_a_drone_whose_link_is_cut_is_replaced_and_the_work_carries_on(
        tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-1000, north_m=0), Drone(id="uav1", east_m=0, north_m=1400)]
    supervision = SupervisorSettings(templates=SUPERVISION.templates,
                                     multirotor=SUPERVISION.multirotor, link_grace_s=2.0)
    async with scenario(tmp_path, drones, supervision, relayed=["uav0"]) as s:
        incident = await report(s, fire(0, 0))
        path = f"/api/missions/{incident['mission_ids'][0]}"
        await s.wait(path, lambda m: task_states(m) == ["on_station"], "on station", 40)

        s.relays["uav0"].cut()
        cut_at = time.monotonic()
        mission = await s.wait(path, lambda m: task_states(m) == ["failed", "launching"]
                               or task_states(m)[1:] == ["transit"], "replaced", 20)
        replaced_after_s = time.monotonic() - cut_at
        failed, relief = mission["tasks"]
        assert failed["vehicle_id"] == "uav0" and failed["reason"].startswith("link lost")
        assert relief["vehicle_id"] == "uav1" and relief["replaces"] == failed["id"]
        assert replaced_after_s < 10.0
        mission = await s.wait(path, lambda m: task_states(m)[1] == "on_station",
                               "relief on station", 40)
        assert distance_to_m(s, "uav1", 0, 0) < 250
        mission = await s.wait(path, lambda m: m["state"] == "completed", "completed", 90)
        assert task_states(mission) == ["failed", "done"]
        assert (await s.get(f"/api/incidents/{incident['id']}"))["state"] == "resolved"


async def test_a_watch_longer_than_a_battery_is_relieved_with_no_gap(tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-400, north_m=0), Drone(id="uav1", east_m=0, north_m=1500)]
    supervision = SupervisorSettings(
        templates=TemplateSettings(watch_s=1200.0, fire_sweep_half_m=60.0),
        multirotor=VehicleProfile(cruise_speed_mps=CRUISE_MPS, endurance_s=1400.0))
    async with scenario(tmp_path, drones, supervision, relayed=["uav0", "uav1"]) as s:
        tracks = {d.id: Track() for d in drones}
        for vid, track in tracks.items():
            s.relays[vid].listen(track.feed)
        incident = await report(s, fire(0, 0))
        path = f"/api/missions/{incident['mission_ids'][0]}"
        mission = await s.wait(path, lambda m: task_states(m) == ["returning", "on_station"],
                               "relieved", 90)
        first, relief = mission["tasks"]
        assert (first["vehicle_id"], relief["vehicle_id"]) == ("uav0", "uav1")
        assert relief["relieves"] == first["id"]
        assert first["reason"] == f"relieved by {relief['id']} on station"
        battery = s.registry.state("uav0").telemetry
        assert battery is not None and battery.battery_pct is not None
        assert battery.battery_pct > 25  # sent home above its 20 % reserve
        await s.wait(path, lambda m: task_states(m)[0] == "done", "uav0 back on its dock", 30)
        log = s.server.app.state.events.since(0, 100_000)

        # The task states on the simulated clock: uav1 on station before uav0 leaves.
        moved = {(e.data["task_id"], e.data["state"]): e.t for e in log if e.type == "task"}
        clock = tracks["uav0"]
        arrived_s = clock.time_at(moved[(relief["id"], "on_station")])
        left_s = clock.time_at(moved[(first["id"], "returning")])
        on_station_s = clock.time_at(moved[(first["id"], "on_station")])
        assert arrived_s <= left_s
        asked = next(e for e in log if e.type == "relief" and e.data.get("relief"))
        assert 0 < asked.data["work_left_s"] <= supervision.relief_lead_s
        # And where the drones were: from uav0's arrival until it is home, one of them is
        # always within 200 m of the fire (the overview orbit is 120 m, the watch over it).
        home_s = min(t.fixes[-1].t_s for t in tracks.values())  # both tracks reach it
        near = {vid: t.spells_within(0, 0, 200.0, until_s=home_s) for vid, t in tracks.items()}
        gap_s = longest_gap_s(near["uav0"] + near["uav1"], near["uav0"][0][0], home_s)
        overlap_s = near["uav0"][-1][1] - near["uav1"][0][0]  # both there, in sim seconds
        print(f"relief: uav0 on station {left_s - on_station_s:.0f} s (sim), uav1 there "
              f"{left_s - arrived_s:.1f} s before it left, both near the fire for "
              f"{overlap_s:.0f} s; longest time with nobody there {gap_s:.1f} s")
        assert len(near["uav0"]) == 1  # it stayed from its arrival until it went home
        assert gap_s <= 2.0  # no gap, within the fixes' spacing (50 a wall second at most)
        assert overlap_s > 0

        cancelled = await s.post(f"/api/incidents/{incident['id']}/cancel")
        assert cancelled["state"] == "cancelled"
        mission = await s.get(path)
        assert mission["state"] == "aborted" and task_states(mission) == ["done", "returning"]


async def test_a_three_drone_person_search_covers_its_area(tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-600, north_m=0), Drone(id="uav1", east_m=0, north_m=-500),
              Drone(id="uav2", east_m=700, north_m=200)]
    corners_en = [(-200, 150), (200, 150), (200, 450), (-200, 450)]  # 400 m x 300 m
    ring = [point(e, n) for e, n in corners_en]
    search = {"type": "person_search", "priority": 1, "vehicles": 3,
              "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}
    async with scenario(tmp_path, drones, SUPERVISION, relayed=[d.id for d in drones]) as s:
        tracks = {d.id: Track() for d in drones}
        for vid, track in tracks.items():
            s.relays[vid].listen(track.feed)
        incident = await report(s, search)
        path = f"/api/missions/{incident['mission_ids'][0]}"
        mission = await s.wait(path, lambda m: m["state"] == "completed", "completed", 60)
        assert sorted(t["vehicle_id"] for t in mission["tasks"]) == ["uav0", "uav1", "uav2"]

    # What the drones reported flying, seen through the camera footprint the template plans
    # with. Search legs are flown at search_alt_m (40 m), transit at transit_alt_m (60 m): a fix
    # below 50 m is the search itself; each run of such fixes is one stretch of track.
    templates = SUPERVISION.templates
    area = Polygon(corners_en)
    seen = {vid: unary_union([LineString(r).buffer(templates.search_footprint_m() / 2)
                              for r in track.runs_between(5.0, 50.0) if len(r) > 1])
            for vid, track in tracks.items()}
    covered = unary_union(list(seen.values())).intersection(area).area / area.area
    shares = {vid: g.intersection(area).area / area.area for vid, g in seen.items()}
    print(f"person search: {covered:.1%} of the area seen through a "
          f"{templates.search_footprint_m():.1f} m footprint; shares "
          + ", ".join(f"{vid} {share:.0%}" for vid, share in sorted(shares.items())))
    assert covered >= 0.95, f"{covered:.0%} of the area seen"
    assert all(0.15 <= share <= 0.6 for share in shares.values()), shares  # split, not repeated


async def test_an_operators_plan_file_is_flown_supervised_and_ends_on_the_dock(
        tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=0, north_m=0)]
    lon0, lat0 = point(0, 0)
    lon1, lat1 = point(300, 0)
    plan = Plan(items=(Takeoff(lat_deg=lat0, lon_deg=lon0, alt_m=30.0),
                       Waypoint(lat_deg=lat1, lon_deg=lon1, alt_m=30.0),
                       Waypoint(lat_deg=lat0, lon_deg=lon1 + (lon1 - lon0), alt_m=30.0)))
    async with scenario(tmp_path, drones, SUPERVISION) as s:
        too_high = Plan(items=(*plan.items[:2], Waypoint(lat_deg=lat0, lon_deg=lon1,
                                                         alt_m=500.0)))
        refused = await s.client.post("/api/missions", data={"vehicle_id": "uav0"}, files={
            "file": ("high.plan", write_plan("high.plan", too_high))})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["field"] == "file.items[2].alt_m"
        garbled = await s.client.post("/api/missions", data={"vehicle_id": "uav0"},
                                      files={"file": ("x.plan", b"{not json")})
        assert garbled.status_code == 422 and garbled.json()["detail"][0]["field"] == "file"
        assert await s.get("/api/missions") == []

        r = await s.client.post("/api/missions", data={"vehicle_id": "uav0"},
                                files={"file": ("patrol.plan", write_plan("patrol.plan", plan))})
        assert r.status_code == 201, r.text
        mission = r.json()
        assert mission["incident_id"] is None and mission["department"] == "fire"
        assert [i["kind"] for i in mission["tasks"][0]["plan"]["items"]][-1] == "rtl"
        busy = await s.client.post("/api/missions", data={"vehicle_id": "uav0"},
                                   files={"file": ("p.plan", write_plan("p.plan", plan))})
        assert busy.status_code == 409

        path = f"/api/missions/{mission['id']}"
        await s.wait(path, lambda m: task_states(m) == ["on_station"], "past waypoint 1", 30)
        assert distance_to_m(s, "uav0", 300, 0) < 200  # at waypoint 1 or just past it
        done = await s.wait(path, lambda m: m["state"] == "completed", "completed", 60)
        assert task_states(done) == ["done"]
        docks = await s.get("/api/docks")
        assert docks[0]["vehicle_home"] and docks[0]["task_id"] is None


async def test_an_operator_pauses_resumes_and_aborts_a_mission(tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-1000, north_m=0)]
    async with scenario(tmp_path, drones, SUPERVISION) as s:
        incident = await report(s, fire(0, 0))
        mission_id = incident["mission_ids"][0]
        path = f"/api/missions/{mission_id}"
        await s.wait(path, lambda m: task_states(m) == ["transit"], "in transit", 20)
        await s.wait(path, lambda m: distance_to_m(s, "uav0", 0, 0) < 700, "half way", 20)

        paused = await s.post(f"{path}/pause")
        assert paused["state"] == "paused"
        paused_at_m = distance_to_m(s, "uav0", 0, 0)
        await hovering(s, "uav0", timeout_s=10)
        held_at_m = distance_to_m(s, "uav0", 0, 0)
        # Braking from 12 m/s, plus what telemetry lags at 40x: it would have flown 480 m
        # in that second had it not stopped.
        assert abs(held_at_m - paused_at_m) < 100
        await asyncio.sleep(1.0)  # 40 s of hovering
        assert abs(distance_to_m(s, "uav0", 0, 0) - held_at_m) < 5
        again = await s.client.post(f"{path}/pause")
        assert again.status_code == 409 and "paused" in again.json()["detail"]

        resumed = await s.post(f"{path}/resume")
        assert resumed["state"] == "active"
        await s.wait(path, lambda m: task_states(m) == ["on_station"], "on station", 30)
        assert distance_to_m(s, "uav0", 0, 0) < 250

        aborted = await s.post(f"{path}/abort")
        assert aborted["state"] == "aborted" and task_states(aborted) == ["returning"]
        assert (await s.get(f"/api/incidents/{incident['id']}"))["state"] == "cancelled"
        done = await s.wait(path, lambda m: task_states(m) == ["done"], "back on its dock", 30)
        assert done["state"] == "aborted"
        assert distance_to_m(s, "uav0", -1000, 0) < 15


async def test_a_drone_turning_home_on_low_battery_is_replaced(tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-1000, north_m=0), Drone(id="uav1", east_m=0, north_m=1400)]
    async with scenario(tmp_path, drones, SUPERVISION, relayed=["uav1"]) as s:
        relief = Track()
        s.relays["uav1"].listen(relief.feed)
        incident = await report(s, fire(0, 0))
        path = f"/api/missions/{incident['mission_ids'][0]}"
        await s.wait(path, lambda m: task_states(m) == ["on_station"], "on station", 40)
        await set_parameter(s.registry, "uav0", "SIM_BAT_DRAIN", 60.0)  # a failing battery

        # Either supervision sees the reserve coming and sends uav0 home after asking for a
        # relief, or uav0's own failsafe turns it back first and its share is re-dispatched:
        # which comes first depends on how fast the battery falls between two looks.
        mission = await s.wait(path, lambda m: len(m["tasks"]) == 2
                               and m["tasks"][1]["state"] in ("on_station", "returning", "done")
                               and m["tasks"][0]["state"] != "on_station", "taken over", 60)
        failing, taking_over = mission["tasks"]
        assert failing["state"] in ("failed", "returning", "done")
        assert "battery" in failing["reason"], failing["reason"]
        assert taking_over["vehicle_id"] == "uav1"
        assert failing["id"] in (taking_over["relieves"], taking_over["replaces"])
        done = await s.wait(path, lambda m: m["state"] == "completed", "completed", 60)
        assert done["tasks"][1]["state"] == "done"  # uav1 finished the work uav0 could not
    assert relief.spells_within(0, 0, 150.0)  # and it did so at the fire


async def test_an_operator_extends_the_watch_on_scene(tmp_path: Path) -> None:
    drones = [Drone(id="uav0", east_m=-400, north_m=0)]
    async with scenario(tmp_path, drones, SUPERVISION, relayed=["uav0"]) as s:  # a 60 s watch
        track = Track()
        s.relays["uav0"].listen(track.feed)
        incident = await report(s, fire(0, 0))
        path = f"/api/missions/{incident['mission_ids'][0]}"
        await s.wait(path, lambda m: task_states(m) == ["on_station"], "on station", 30)

        watch_s = 240.0
        changed = await s.post(f"{path}/watch", {"watch_s": watch_s})
        changed_s = track.time_at(datetime.now(UTC))  # simulated seconds
        holds = [i["hold_s"] for i in changed["tasks"][0]["plan"]["items"]
                 if i["kind"] == "loiter"]
        assert holds == [watch_s] and task_states(changed) == ["on_station"]
        await s.wait(path, lambda m: task_states(m) == ["returning"], "returning", 60)
        refused = await s.client.post(f"{path}/watch", json={"watch_s": 5})
        assert refused.status_code == 422
        await s.wait(path, lambda m: math.hypot(track.fixes[-1].east_m,
                                                track.fixes[-1].north_m) > 150.0,
                     "away from the fire", 30)

    # On the drone's own clock: the watch is the hover over the fire (the orbit is 120 m out,
    # the sweep's lanes 30 m), and it lasted the new watch, not the 60 s one.
    (arrived_s, left_s), = track.spells_within(0, 0, 150.0)
    hover_s, hover_end_s = max((last - first, last) for first, last
                               in track.spells_within(0, 0, 15.0))
    print(f"watch: changed {changed_s - arrived_s:.0f} s after arriving; hovered over the "
          f"fire {hover_s:.0f} s (sim)")
    assert arrived_s < changed_s < hover_end_s <= left_s
    assert watch_s - 5 <= hover_s <= watch_s + 30
