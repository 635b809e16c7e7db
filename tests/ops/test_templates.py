"""Templates: each incident type becomes flyable plans with take-off, work and return phases."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import unary_union

from fleet.incidents import check_incident
from fleet.templates import PlanVehicle, TemplateSettings, build_plans
from mission.geodesy import Origin, distance_m, lonlat_geometry_to_enu
from mission.items import (
    Gimbal,
    Loiter,
    RawItem,
    RegionOfInterest,
    ReturnToLaunch,
    RoiNone,
    Takeoff,
    TakePhoto,
    Waypoint,
)

CMD_NAV_RETURN_TO_LAUNCH = 20
CMD_NAV_TAKEOFF = 22
POINT = {"type": "Point", "coordinates": [114.0579, 22.5431]}
FIELD = {"type": "Polygon", "coordinates": [[[114.050, 22.540], [114.056, 22.540],
                                             [114.056, 22.545], [114.050, 22.545],
                                             [114.050, 22.540]]]}
DOCK = PlanVehicle(id="uav0", lat_deg=22.5395, lon_deg=114.0491)


def test_a_fire_plan_transits_orbits_sweeps_watches_and_returns() -> None:
    report = check_incident(type="fire", geometry=POINT, priority=1)
    (plan,) = build_plans(report, [DOCK], TemplateSettings(watch_s=240.0))
    assert isinstance(plan.items[0], Takeoff)
    assert (plan.items[0].lat_deg, plan.items[0].lon_deg) == (DOCK.lat_deg, DOCK.lon_deg)
    assert isinstance(plan.items[plan.return_from], ReturnToLaunch)
    assert plan.return_from == len(plan.items) - 1
    work = plan.items[plan.work_from:plan.return_from]
    photos = [i for i in work if isinstance(i, TakePhoto)]
    assert len(photos) == 4  # overview orbit: one photo per quarter
    watch = [i for i in work if isinstance(i, Loiter)]
    assert len(watch) == 1 and watch[0].hold_s == 240.0
    assert distance_m(watch[0].lat_deg, watch[0].lon_deg, 22.5431, 114.0579) < 1.0
    # The thermal sweep stays within the 150 m square around the point (plus its half-width).
    sweep = [i for i in work if isinstance(i, Waypoint)]
    assert max(distance_m(w.lat_deg, w.lon_deg, 22.5431, 114.0579) for w in sweep) < 300.0
    raw = plan.mission_items()
    assert len(raw) == len(plan.items)
    assert raw[0].command == CMD_NAV_TAKEOFF and raw[-1].command == CMD_NAV_RETURN_TO_LAUNCH
    assert [r.seq for r in raw] == list(range(len(raw)))


def test_a_traffic_accident_gets_an_overview_and_sixteen_evidence_shots() -> None:
    report = check_incident(type="traffic_accident", geometry=POINT)
    (plan,) = build_plans(report, [DOCK])
    photos = sum(isinstance(i, TakePhoto) for i in plan.items[plan.work_from:])
    assert photos == 1 + 2 * 8
    radii = {round(distance_m(i.lat_deg, i.lon_deg, 22.5431, 114.0579))
             for i in plan.items[plan.work_from:] if isinstance(i, Waypoint)}
    assert {0, 15, 40} <= radii


def test_a_three_drone_person_search_covers_its_area() -> None:
    report = check_incident(type="person_search", geometry=FIELD, vehicles=3)
    starts = [PlanVehicle(id=f"uav{k}", lat_deg=22.538 + 0.004 * k, lon_deg=114.048)
              for k in range(3)]
    settings = TemplateSettings()  # lanes from the thermal camera's footprint at 40 m
    plans = build_plans(report, starts, settings)
    assert [p.vehicle_id for p in plans] == ["uav0", "uav1", "uav2"]
    area = Polygon(FIELD["coordinates"][0])
    origin = Origin(lat_deg=area.centroid.y, lon_deg=area.centroid.x)
    swept = []
    for p in plans:
        track = [(w.lon_deg, w.lat_deg) for w in p.items[p.work_from:p.return_from]
                 if isinstance(w, Waypoint)]
        swept.append(lonlat_geometry_to_enu(LineString(track), origin).buffer(
            settings.search_footprint_m() / 2))  # what the camera sees from the track
    local = lonlat_geometry_to_enu(area, origin)
    covered = unary_union(swept).intersection(local).area / local.area
    assert settings.search_footprint_m() == pytest.approx(33.8, abs=0.1)
    assert covered > 0.98
    lengths = [LineString([(w.lon_deg, w.lat_deg) for w in p.items
                           if isinstance(w, Waypoint)]).length for p in plans]
    assert max(lengths) < 0.6 * sum(lengths)  # the work is shared, not given to one drone


@pytest.mark.parametrize(("kind", "geometry", "command"), [
    ("delivery", POINT, 211), ("broadcast", POINT, 31010),
])
def test_delivery_and_broadcast_carry_their_payload_action(
    kind: str, geometry: dict, command: int,
) -> None:
    (plan,) = build_plans(check_incident(type=kind, geometry=geometry), [DOCK])
    actions = [i.mav.command for i in plan.items if isinstance(i, RawItem)]
    assert command in actions
    assert plan.mission_items()[-1].command == CMD_NAV_RETURN_TO_LAUNCH


@pytest.mark.parametrize("kind", ["reservoir_patrol", "survey_3d"])
def test_area_types_stay_over_their_area(kind: str) -> None:
    (plan,) = build_plans(check_incident(type=kind, geometry=FIELD), [DOCK])
    area = lonlat_geometry_to_enu(Polygon(FIELD["coordinates"][0]),
                                  Origin(lat_deg=22.5425, lon_deg=114.053))
    work = [w for w in plan.items[plan.work_from:plan.return_from] if isinstance(w, Waypoint)]
    assert len(work) >= 8
    for w in work:
        p = lonlat_geometry_to_enu(Point(w.lon_deg, w.lat_deg),
                                   Origin(lat_deg=22.5425, lon_deg=114.053))
        assert area.distance(p) < 80.0


@pytest.mark.parametrize(("kind", "geometry"), [
    ("fire", POINT), ("traffic_accident", POINT), ("person_search", FIELD),
    ("reservoir_patrol", FIELD), ("survey_3d", FIELD)])
def test_the_camera_looks_at_the_ground_wherever_the_work_is_flown(
        kind: str, geometry: dict[str, object]) -> None:
    """The simulator's gimbal (like a real one) starts looking ahead: past the approach to the
    work's first point, every waypoint, hold and photo of the work is flown after a Gimbal item
    pitched at least 45° down, or with a region of interest the gimbal tracks (orbits)."""
    (plan,) = build_plans(check_incident(type=kind, geometry=geometry), [DOCK])
    pitch_deg: float | None = None
    roi = False
    approach, looked = 0, 0
    for item in plan.items[plan.work_from:plan.return_from]:
        match item:
            case Gimbal(pitch_deg=p):
                pitch_deg = p
            case RegionOfInterest():
                roi = True
            case RoiNone():
                roi = False
            case Waypoint() if pitch_deg is None and not roi:
                approach += 1
            case Waypoint() | Loiter() | TakePhoto():
                assert roi or (pitch_deg is not None and pitch_deg <= -45.0), (kind, item)
                looked += 1
    assert approach <= 1 and looked >= 4, (approach, looked)
