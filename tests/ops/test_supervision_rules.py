"""Supervision decisions on plain telemetry: phases, failures, relief timing, hand-over."""

from __future__ import annotations

import pytest

from fleet.dispatch import VehicleProfile
from fleet.incidents import check_incident
from fleet.lifecycle import TaskState
from fleet.model import (
    Dock,
    LandedState,
    LinkState,
    Telemetry,
    VehicleKind,
    VehicleSpec,
    VehicleState,
)
from fleet.supervision_rules import (
    Phases,
    dispatch_vehicle,
    observe_task,
    own_plan,
    plan_doc,
    remaining_work_s,
    rest_of_share,
    with_watch,
    work_left_s,
)
from fleet.templates import PlanVehicle, build_plans
from mission.items import Loiter, ReturnToLaunch, Takeoff, Waypoint
from mission.plan import Plan

PHASES = Phases(work_from=2, return_from=10, n_items=11)
PROFILE = VehicleProfile(cruise_speed_mps=5.0, endurance_s=1500.0, reserve_pct=20.0)


def tel(**kw: object) -> Telemetry:
    base: dict[str, object] = dict(vehicle_id="uav0", t_s=0.0, lat_deg=22.54, lon_deg=114.05,
                                   battery_pct=90.0, armed=True, flight_mode="mission",
                                   landed_state=LandedState.IN_AIR, gps_fix=True,
                                   mission_current=1, mission_total=11)
    base.update(kw)
    return Telemetry(**base)  # type: ignore[arg-type]


def step(state: TaskState, t: Telemetry | None, *, link: LinkState = LinkState.CONNECTED,
         silent_s: float = 0.0, ours: bool = True) -> tuple[TaskState | None, str]:
    s = observe_task(state, PHASES, link, t, silent_s, link_grace_s=5.0, plan_on_vehicle=ours)
    return s.target, s.reason


def test_a_task_follows_its_vehicle_through_every_phase() -> None:
    assert step(TaskState.LAUNCHING, tel(landed_state=LandedState.TAKING_OFF))[0] is None
    assert step(TaskState.LAUNCHING, tel())[0] is TaskState.TRANSIT
    assert step(TaskState.TRANSIT, tel(mission_current=1))[0] is None
    assert step(TaskState.TRANSIT, tel(mission_current=2))[0] is TaskState.ON_STATION
    assert step(TaskState.ON_STATION, tel(mission_current=9))[0] is None
    assert step(TaskState.ON_STATION, tel(mission_current=10)) == (TaskState.RETURNING,
                                                                   "work finished")
    assert step(TaskState.RETURNING, tel(flight_mode="return_to_launch"))[0] is None
    assert step(TaskState.RETURNING, tel(armed=False, landed_state=LandedState.ON_GROUND))[
        0] is TaskState.DONE


def test_progress_of_another_plan_is_not_taken_for_this_one() -> None:
    assert step(TaskState.TRANSIT, tel(mission_current=30), ours=False)[0] is None


def test_a_silent_link_fails_the_task_only_after_the_grace_period() -> None:
    assert step(TaskState.ON_STATION, tel(), link=LinkState.LOST, silent_s=4.0)[0] is None
    target, reason = step(TaskState.ON_STATION, tel(), link=LinkState.LOST, silent_s=6.0)
    assert target is TaskState.FAILED and reason == "link lost for 6 s"


def test_a_vehicle_turning_back_by_itself_fails_its_task() -> None:
    s = observe_task(TaskState.ON_STATION, PHASES, LinkState.CONNECTED,
                     tel(flight_mode="return_to_launch", battery_pct=14.0), 0.0,
                     link_grace_s=5.0, plan_on_vehicle=True)
    assert s.target is TaskState.FAILED and s.turned_back
    assert s.reason == "vehicle turned back on its own (return_to_launch, battery 14 %)"


def test_work_left_counts_the_flight_home_and_the_reserve() -> None:
    # 50 % - 20 % reserve of 1500 s = 450 s; 1 km home at 5 m/s = 200 s: 250 s of work left.
    here = tel(battery_pct=50.0, lat_deg=22.54, lon_deg=114.05)
    dock_lat = 22.54 + 1000.0 / 111_195.0
    assert work_left_s(here, PROFILE, dock_lat, 114.05) == pytest.approx(250.0, abs=2.0)


def test_a_vehicle_flying_without_a_task_is_not_offered_to_dispatch() -> None:
    spec = VehicleSpec(id="uav0", name="u", kind=VehicleKind.MULTIROTOR, department="fire",
                       url="udpin://0.0.0.0:1", dock=Dock(id="d", lat_deg=22.54, lon_deg=114.05))
    flying = VehicleState(spec=spec, link=LinkState.CONNECTED, telemetry=tel(), updated_at=None)
    v = dispatch_vehicle(flying, PROFILE, None, None)
    assert not v.available and "returning" in v.unavailable_reason
    busy = dispatch_vehicle(flying, PROFILE, 3, None)
    assert busy.available and busy.airborne and busy.busy_priority == 3
    lost = VehicleState(spec=spec, link=LinkState.LOST, telemetry=tel(armed=False),
                        updated_at=None)
    assert dispatch_vehicle(lost, PROFILE, None, None).unavailable_reason == "link lost"


def test_a_vehicle_that_has_not_reported_yet_is_named_and_passed_over() -> None:
    """Right after the server starts, a linked drone may not have sent its position or its
    battery yet: the dispatcher must not send it, and the explanation must still name it."""
    spec = VehicleSpec(id="uav0", name="u", kind=VehicleKind.MULTIROTOR, department="fire",
                       url="udpin://0.0.0.0:1", dock=Dock(id="d", lat_deg=22.54, lon_deg=114.05))
    silent = VehicleState(spec=spec, link=LinkState.CONNECTED, telemetry=None, updated_at=None)
    v = dispatch_vehicle(silent, PROFILE, None, None)
    assert not v.available and v.unavailable_reason == "no position reported yet"
    assert (v.lat_deg, v.lon_deg) == (22.54, 114.05)  # on its dock, for the ETA shown
    no_battery = VehicleState(spec=spec, link=LinkState.CONNECTED, updated_at=None,
                              telemetry=tel(armed=False, battery_pct=None))
    assert dispatch_vehicle(no_battery, PROFILE, None, None).unavailable_reason == (
        "no battery level reported yet")


def test_the_rest_of_a_share_starts_where_the_failed_vehicle_stopped() -> None:
    report = check_incident(type="fire", geometry={"type": "Point",
                                                   "coordinates": [114.0579, 22.5431]})
    (plan,) = build_plans(report, [PlanVehicle(id="uav0", lat_deg=22.5395, lon_deg=114.0491)])
    doc = plan_doc(plan, 0)
    watch_at = next(k for k, i in enumerate(plan.items) if isinstance(i, Loiter))
    rest = rest_of_share(doc, watch_at, PlanVehicle(id="uav1", lat_deg=22.55, lon_deg=114.06),
                         60.0)
    assert rest.vehicle_id == "uav1"
    assert isinstance(rest.items[0], Takeoff) and rest.items[0].lat_deg == 22.55
    work = rest.items[rest.work_from:rest.return_from]
    assert isinstance(work[0], Loiter)  # the watch, not the orbit already flown
    assert len(work) == plan.return_from - watch_at
    assert isinstance(rest.items[-1], ReturnToLaunch)


def test_remaining_work_counts_legs_and_holds_from_the_current_item() -> None:
    east = 1000.0 / (111_320.0 * 0.9236)  # ~1 km of longitude at 22.54 deg
    plan = {"items": [{"kind": "takeoff", "lat_deg": 22.54, "lon_deg": 114.05},
                      {"kind": "roi", "lat_deg": 23.0, "lon_deg": 115.0},
                      {"kind": "waypoint", "lat_deg": 22.54, "lon_deg": 114.05 + east},
                      {"kind": "loiter", "lat_deg": 22.54, "lon_deg": 114.05 + east,
                       "hold_s": 300.0},
                      {"kind": "rtl"}], "work_from": 1, "return_from": 4}
    full = remaining_work_s(plan, 1, (22.54, 114.05), speed_mps=10.0)
    assert full == pytest.approx(400.0, abs=2.0)  # 1 km at 10 m/s, then 300 s of watch
    assert remaining_work_s(plan, 3, (22.54, 114.05 + east), 10.0) == pytest.approx(300.0)
    assert remaining_work_s(plan, 4, (22.54, 114.05), 10.0) == 0.0


def test_an_operators_plan_gets_its_phases_and_a_final_return() -> None:
    plan = Plan(items=(Takeoff(lat_deg=22.54, lon_deg=114.05, alt_m=30.0),
                       Waypoint(lat_deg=22.541, lon_deg=114.05, alt_m=30.0),
                       Waypoint(lat_deg=22.542, lon_deg=114.05, alt_m=30.0)))
    p = own_plan("uav0", plan, "patrol.plan")
    assert [i.kind for i in p.items] == ["takeoff", "waypoint", "waypoint", "rtl"]
    assert (p.work_from, p.return_from) == (2, 3)  # on station once past the first waypoint
    again = own_plan("uav0", Plan(items=p.items), "again.plan")
    assert len(again.items) == 4  # an RTL already there is not doubled


def test_the_watch_is_the_last_timed_loiter_of_the_work() -> None:
    report = check_incident(type="fire", geometry={"type": "Point",
                                                   "coordinates": [114.05, 22.54]}, priority=1)
    plan = build_plans(report, [PlanVehicle(id="uav0", lat_deg=22.535, lon_deg=114.045)])[0]
    longer = with_watch(plan, 900.0)
    assert longer is not None
    holds = [(i.hold_s) for i in longer.items if isinstance(i, Loiter)]
    assert holds == [900.0] and len(longer.items) == len(plan.items)
    search = check_incident(type="traffic_accident", priority=2, geometry={
        "type": "Point", "coordinates": [114.05, 22.54]})
    no_watch = build_plans(search, [PlanVehicle(id="uav0", lat_deg=22.535, lon_deg=114.045)])[0]
    assert with_watch(no_watch, 900.0) is None
