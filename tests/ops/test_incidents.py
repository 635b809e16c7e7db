"""Incident reports: every problem at once, each with its field and reason."""

from __future__ import annotations

import pytest

from fleet.incidents import IncidentRejected, IncidentType, check_incident

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


def test_an_area_larger_than_the_vehicles_can_cover_is_refused() -> None:
    # About 5.6 x 5.5 km: 31 km², above 1 km² per search drone.
    big = {"type": "Polygon", "coordinates": [[[114.0, 22.5], [114.055, 22.5], [114.055, 22.55],
                                               [114.0, 22.55], [114.0, 22.5]]]}
    reason = problems(type="person_search", geometry=big, vehicles=3)["geometry"]
    assert "3 vehicle(s) can cover (3.00 km²)" in reason


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
