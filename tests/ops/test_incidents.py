"""Incident reports: every problem at once, each with its field and reason."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fleet.incidents import Coverage, DockSite, IncidentRejected, IncidentType, check_incident
from mission.geodesy import Origin, en_to_latlon_list

FIRE_POINT = {"type": "Point", "coordinates": [114.0579, 22.5431]}
SQUARE = {"type": "Polygon", "coordinates": [[[114.05, 22.54], [114.055, 22.54],
                                              [114.055, 22.545], [114.05, 22.545],
                                              [114.05, 22.54]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[114.05, 22.54], [114.055, 22.545],
                                              [114.055, 22.54], [114.05, 22.545],
                                              [114.05, 22.54]]]}


def problems(**report: object) -> dict[str, str]:
    with pytest.raises(IncidentRejected) as e:
        check_incident(**report)  # type: ignore[arg-type]
    return {i.field: i.reason for i in e.value.issues}


def test_a_valid_fire_defaults_to_the_fire_department() -> None:
    r = check_incident(type="fire", geometry=FIRE_POINT, priority=1, note="smoke")
    assert r.type is IncidentType.FIRE and r.department == "fire" and r.priority == 1
    assert r.anchor() == pytest.approx((22.5431, 114.0579))


@pytest.mark.parametrize(("kind", "geometry", "department"), [
    ("traffic_accident", FIRE_POINT, "traffic"),
    ("reservoir_patrol", SQUARE, "water"),
    ("person_search", SQUARE, "fire"),
])
def test_departments_follow_the_type(kind: str, geometry: dict, department: str) -> None:
    assert check_incident(type=kind, geometry=geometry).department == department


def test_other_types_take_the_reporters_department_else_fire() -> None:
    assert check_incident(type="broadcast", geometry=FIRE_POINT,
                          reporter_department="water").department == "water"
    assert check_incident(type="delivery", geometry=FIRE_POINT).department == "fire"
    assert check_incident(type="fire", geometry=FIRE_POINT,
                          department="traffic").department == "traffic"


def test_every_problem_is_reported_at_once() -> None:
    found = problems(type="meteor", priority=7, department="police",
                     geometry={"type": "Point", "coordinates": [200.0, -95.0]})
    assert "unknown type 'meteor'" in found["type"]
    assert "outside 1" in found["priority"]
    assert "unknown department" in found["department"]
    assert "outside -180..180" in found["geometry.coordinates[0]"]
    assert "outside -90..90" in found["geometry.coordinates[1]"]


def test_a_self_crossing_polygon_is_refused_with_where_it_crosses() -> None:
    found = problems(type="person_search", geometry=BOWTIE)
    assert found["geometry"].startswith("crosses itself at lat 22.5425")


def test_the_geometry_kind_must_fit_the_type() -> None:
    assert "needs a Polygon, not a Point" in problems(type="person_search",
                                                      geometry=FIRE_POINT)["geometry.type"]
    assert "needs a Point, not a Polygon" in problems(type="traffic_accident",
                                                      geometry=SQUARE)["geometry.type"]


def test_without_the_fleet_the_static_ceiling_per_vehicle_applies() -> None:
    # About 5.6 x 5.5 km: 31 km², above 4 km² per vehicle.
    big = {"type": "Polygon", "coordinates": [[[114.0, 22.5], [114.055, 22.5], [114.055, 22.55],
                                               [114.0, 22.55], [114.0, 22.5]]]}
    reason = problems(type="person_search", geometry=big, vehicles=3)["geometry"]
    assert "3 vehicle(s) can cover (12.00 km²)" in reason


HOME = Origin(lat_deg=22.5431, lon_deg=114.0579)
#: 12 m/s for 25 min, 20 % kept in reserve: 20 min = 14.4 km of track a flight.
DRONES = Coverage(cruise_speed_mps=12.0, endurance_s=1500.0, reserve_pct=20.0,
                  search_lane_m=40.0, survey_lane_m=30.0)


def square(side_m: float, east_m: float = 0.0) -> dict[str, object]:
    """A GeoJSON square `side_m` across, its west edge `east_m` east of HOME."""
    corners = [(east_m, 0.0), (east_m + side_m, 0.0), (east_m + side_m, side_m),
               (east_m, side_m), (east_m, 0.0)]
    return {"type": "Polygon",
            "coordinates": [[[lon, lat] for lat, lon in en_to_latlon_list(corners, HOME)]]}


def dock(east_m: float, *capabilities: str) -> DockSite:
    ((lat, lon),) = en_to_latlon_list([(east_m, 0.0)], HOME)
    return DockSite(lat_deg=lat, lon_deg=lon, capabilities=frozenset(capabilities))


def test_a_search_larger_than_the_drones_can_fly_is_refused_in_words_an_operator_reads() -> None:
    # 14.4 km of track at 40 m lanes: 0.576 km² per drone, 1.15 km² for two.
    reason = problems(type="person_search", geometry=square(1761.0), vehicles=2,
                      coverage=DRONES)["geometry"]
    assert reason == ("area 3.10 km² is more than 2 drones can search in one flight "
                      "(about 1.15 km² at 40 m lanes, 12 m/s, 20 min)")


def test_search_lanes_are_shared_so_each_drone_adds_its_flight() -> None:
    area = square(1000.0)  # 1.00 km²
    assert "about 0.58 km²" in problems(type="person_search", geometry=area,
                                        coverage=DRONES)["geometry"]
    assert check_incident(type="person_search", geometry=area, vehicles=2,
                          coverage=DRONES).vehicles == 2
    wide_lanes = replace(DRONES, search_lane_m=80.0)  # a wider footprint: 1.15 km² alone
    assert check_incident(type="person_search", geometry=area, coverage=wide_lanes)
    short = replace(DRONES, reserve_pct=60.0)  # 10 min usable: 0.29 km² a drone
    assert "0.58 km² at 40 m lanes, 12 m/s, 10 min" in problems(
        type="person_search", geometry=area, vehicles=2, coverage=short)["geometry"]


def test_the_flight_to_the_area_and_back_comes_off_from_the_nearest_suitable_dock() -> None:
    area = square(600.0, east_m=2000.0)  # 0.36 km², 2 km east of HOME
    assert check_incident(type="person_search", geometry=area,
                          coverage=replace(DRONES, docks=(dock(2300.0, "thermal"),)))
    far = replace(DRONES, docks=(dock(0.0, "thermal"), dock(2300.0, "rgb")))  # rgb: no search
    # 2 km there and back at 12 m/s: 333 s of the 1200 s, 867 s of sweep = 0.42 km².
    assert problems(type="person_search", geometry=square(700.0, east_m=2000.0),
                    coverage=far)["geometry"] == (
        "area 0.49 km² is more than 1 drone can search in one flight (about 0.42 km² at 40 m "
        "lanes, 12 m/s, 14 min after 2.0 km from the nearest dock and back)")
    assert check_incident(type="person_search", geometry=area, coverage=far)
    too_far = replace(DRONES, docks=(dock(-6000.0, "thermal"),))  # 8 km: 1333 s both ways
    assert problems(type="person_search", geometry=area, coverage=too_far)["geometry"] == (
        "the nearest dock able to search it is 8.0 km away: too far to search and come back "
        "in 20 min of usable flight")


def test_a_survey_is_flown_whole_by_each_drone_so_more_drones_do_not_raise_the_limit() -> None:
    # 14.4 km at 30 m lanes: 0.43 km² in one grid; a lone drone flies the double grid.
    area = square(600.0)  # 0.36 km²
    alone = problems(type="survey_3d", geometry=area, coverage=DRONES)["geometry"]
    assert alone == ("area 0.36 km² is more than 1 drone can survey in one flight (about "
                     "0.22 km² at 30 m lanes, 12 m/s, 20 min, a double grid)")
    assert check_incident(type="survey_3d", geometry=area, vehicles=2, coverage=DRONES)
    assert "about 0.43 km² at 30 m lanes, 12 m/s, 20 min, each drone over the whole area" in (
        problems(type="survey_3d", geometry=square(700.0), vehicles=3, coverage=DRONES)[
            "geometry"])


def test_other_types_keep_their_ceiling_whatever_the_drones() -> None:
    reservoir = square(1500.0)  # 2.25 km²: a long shoreline loop, not a lane sweep
    assert check_incident(type="reservoir_patrol", geometry=reservoir, coverage=DRONES)


def test_malformed_geometry_names_the_field() -> None:
    assert "GeoJSON object" in problems(type="fire", geometry="here")["geometry"]
    assert "[lon, lat]" in problems(type="fire", geometry={"type": "Point",
                                                           "coordinates": [1]})[
        "geometry.coordinates"]
    assert "not supported" in problems(type="fire", geometry={"type": "LineString",
                                                              "coordinates": []})["geometry.type"]
    open_ring = {"type": "Polygon", "coordinates": [[[114.05, 22.54], [114.055, 22.54],
                                                     [114.055, 22.545]]]}
    assert "first equal to last" in problems(type="fire", geometry=open_ring)[
        "geometry.coordinates[0]"]
