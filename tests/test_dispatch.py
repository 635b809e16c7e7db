"""The dispatcher on plain data: who goes, why, and why not the others."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.dispatch import (
    DispatchRequest,
    DispatchVehicle,
    VehicleProfile,
    Verdict,
    dispatch,
    great_circle_m,
)

LAT0, LON0 = 22.5431, 114.0579
PROFILE = VehicleProfile(cruise_speed_mps=10.0, endurance_s=1800.0, reserve_pct=20.0,
                         launch_delay_s=30.0)


def at(east_m: float, north_m: float) -> tuple[float, float]:
    return (LAT0 + north_m / 111_195.0,
            LON0 + east_m / (111_195.0 * math.cos(math.radians(LAT0))))


def drone(vid: str, east_m: float, north_m: float, **kw: object) -> DispatchVehicle:
    lat, lon = at(east_m, north_m)
    fields: dict[str, object] = dict(
        id=vid, kind="multirotor", department="fire",
        capabilities=frozenset({"rgb", "thermal"}), lat_deg=lat, lon_deg=lon,
        dock_lat_deg=lat, dock_lon_deg=lon, battery_pct=100.0, profile=PROFILE,
    )
    fields.update(kw)
    return DispatchVehicle(**fields)  # type: ignore[arg-type]


def fire(iid: str, east_m: float, north_m: float, **kw: object) -> DispatchRequest:
    lat, lon = at(east_m, north_m)
    fields: dict[str, object] = dict(
        incident_id=iid, lat_deg=lat, lon_deg=lon, priority=2, department="fire",
        capabilities=frozenset({"thermal"}),
    )
    fields.update(kw)
    return DispatchRequest(**fields)  # type: ignore[arg-type]


def test_haversine_matches_a_known_distance() -> None:
    # One degree of latitude is 111.2 km on the mean sphere.
    d = great_circle_m(np.array(0.0), np.array(0.0), np.array(1.0), np.array(0.0))
    assert abs(float(d) - 111_195) < 5


def test_fire_gets_the_nearer_thermal_drone_with_its_eta() -> None:
    vehicles = [drone("near", 1000, 0), drone("far", -2500, 0)]
    result = dispatch(vehicles, [fire("f1", 0, 0)])
    assert result.vehicles_for("f1") == ["near"]
    (a,) = result.assignments
    assert a.eta_s == 130.0  # 30 s launch + 1000 m at 10 m/s
    explanation = result.explain("f1")
    assert [c.vehicle_id for c in explanation.candidates] == ["near", "far"]
    assert [c.verdict for c in explanation.candidates] == [Verdict.CHOSEN, Verdict.FEASIBLE]
    assert explanation.candidates[1].eta_s == 280.0
    assert "near (ETA 130 s" in explanation.summary


def test_rejections_name_the_reason() -> None:
    vehicles = [
        drone("rgb-only", 100, 0, capabilities=frozenset({"rgb"})),
        drone("flat", 200, 0, battery_pct=25.0),
        drone("offline", 300, 0, available=False, unavailable_reason="link lost"),
        drone("rover", 50, 0, kind="rover"),
        drone("ok", 3000, 0),
    ]
    result = dispatch(vehicles, [fire("f1", 0, 0)])
    assert result.vehicles_for("f1") == ["ok"]
    reasons = {c.vehicle_id: c.reasons for c in result.explain("f1").candidates}
    assert reasons["rgb-only"] == ("lacks thermal",)
    assert len(reasons["flat"]) == 1 and reasons["flat"][0].startswith("battery short by")
    assert reasons["offline"] == ("unavailable: link lost",)
    assert reasons["rover"] == ("is a rover, a multirotor is needed",)


def test_battery_margin_counts_transit_station_and_return() -> None:
    # 3 km out (300 s) + 300 s on station + 3 km back (300 s) = 900 s = 50 % of 1800 s.
    vehicles = [drone("d", 3000, 0, battery_pct=80.0)]
    (a,) = dispatch(vehicles, [fire("f1", 0, 0)]).assignments
    assert a.battery_margin_pct == 10.0  # 80 - 20 reserve - 50
    tight = dispatch([drone("d", 3000, 0, battery_pct=69.0)], [fire("f1", 0, 0)])
    assert tight.assignments == ()
    assert tight.explain("f1").shortfall == 1


def test_own_department_first_other_departments_only_when_allowed() -> None:
    own = drone("fire-far", 4000, 0)
    traffic = drone("traffic-near", 3800, 0, department="traffic")
    assert dispatch([own, traffic], [fire("f1", 0, 0)]).vehicles_for("f1") == ["fire-far"]
    busy_own = drone("fire-far", 4000, 0, available=False, unavailable_reason="charging")
    assert dispatch([busy_own, traffic], [fire("f1", 0, 0)]).vehicles_for("f1") == [
        "traffic-near"
    ]
    closed = fire("f1", 0, 0, allow_other_departments=False)
    result = dispatch([busy_own, traffic], [closed])
    assert result.assignments == ()
    (rejected,) = [c for c in result.explain("f1").candidates if c.vehicle_id == "traffic-near"]
    assert rejected.reasons == ("belongs to traffic; only fire vehicles allowed",)


def test_urgent_incident_preempts_a_less_urgent_task_but_not_a_more_urgent_one() -> None:
    patrol = drone("patrolling", 500, 0, busy_priority=4, airborne=True)
    result = dispatch([patrol], [fire("f1", 0, 0, priority=1)])
    (a,) = result.assignments
    assert a.vehicle_id == "patrolling" and a.preempts_priority == 4
    assert a.eta_s == 50.0  # airborne: no launch delay
    on_p1 = drone("on-p1", 500, 0, busy_priority=1, airborne=True)
    result = dispatch([on_p1], [fire("f2", 0, 0, priority=2)])
    assert result.assignments == ()
    assert result.explain("f2").candidates[0].reasons == (
        "busy on a priority-1 task (not less urgent)",
    )


def test_more_urgent_incident_is_served_first_even_if_total_eta_grows() -> None:
    # One drone between two fires; the P1 fire is farther but must get it.
    vehicles = [drone("only", 0, 0)]
    result = dispatch(vehicles, [fire("p3", 200, 0, priority=3), fire("p1", -2000, 0, priority=1)])
    assert result.vehicles_for("p1") == ["only"]
    assert result.vehicles_for("p3") == []
    assert result.explain("p3").candidates[0].reasons == (
        "assigned to p1, which is at least as urgent",
    )


def test_same_priority_competition_is_solved_optimally_not_greedily() -> None:
    # Greedy (first incident takes its nearest) would send A to f1 and leave f2 a far drone.
    vehicles = [drone("A", 0, 0), drone("B", -1500, 0)]
    incidents = [fire("f1", -900, 0), fire("f2", 1000, 0)]
    result = dispatch(vehicles, incidents)
    assert result.vehicles_for("f1") == ["B"] and result.vehicles_for("f2") == ["A"]
    total = sum(a.eta_s for a in result.assignments)
    greedy_total = (30 + 90) + (30 + 250)
    assert total < greedy_total


def test_multi_vehicle_incident_gets_distinct_nearest_vehicles() -> None:
    vehicles = [drone(f"d{k}", 500 * (k + 1), 0) for k in range(5)]
    search = fire("search", 0, 0, vehicles_needed=3)
    result = dispatch(vehicles, [search])
    assert result.vehicles_for("search") == ["d0", "d1", "d2"]
    short = dispatch(vehicles[:2], [search])
    assert short.explain("search").shortfall == 1
    assert "1 of 3 vehicles missing" in short.explain("search").summary


def test_bad_input_is_refused_with_the_reason() -> None:
    import pytest

    with pytest.raises(ValueError, match="duplicate vehicle id 'a'"):
        dispatch([drone("a", 0, 0), drone("a", 1, 0)], [fire("f", 0, 0)])
    with pytest.raises(ValueError, match="priority 7 is outside 1..5"):
        dispatch([drone("a", 0, 0)], [fire("f", 0, 0, priority=7)])


# In a 4 km square every pairing is battery-feasible (2 x 5.66 km + 300 s < 80 % of 1800 s).
positions = st.tuples(st.floats(-2000, 2000), st.floats(-2000, 2000))


@settings(max_examples=60, deadline=None)
@given(
    vehicle_xy=st.lists(positions, min_size=1, max_size=8),
    incident_xy=st.lists(positions, min_size=1, max_size=4),
)
def test_assignment_is_feasible_unique_and_never_worse_than_greedy(
    vehicle_xy: list[tuple[float, float]], incident_xy: list[tuple[float, float]]
) -> None:
    vehicles = [drone(f"v{k}", x, y) for k, (x, y) in enumerate(vehicle_xy)]
    incidents = [fire(f"i{k}", x, y) for k, (x, y) in enumerate(incident_xy)]
    result = dispatch(vehicles, incidents)
    chosen = [a.vehicle_id for a in result.assignments]
    assert len(chosen) == len(set(chosen)) == min(len(vehicles), len(incidents))
    assert all(a.battery_margin_pct >= 0 for a in result.assignments)
    # Greedy reference: each incident in turn takes the nearest free vehicle.
    free = {v.id: v for v in vehicles}
    greedy_total = 0.0
    for inc in incidents:
        if not free:
            break
        best = min(free.values(), key=lambda v: float(great_circle_m(
            np.array(v.lat_deg), np.array(v.lon_deg),
            np.array(inc.lat_deg), np.array(inc.lon_deg))))
        greedy_total += dispatch([best], [inc]).assignments[0].eta_s
        del free[best.id]
    assert sum(a.eta_s for a in result.assignments) <= greedy_total + 0.5
