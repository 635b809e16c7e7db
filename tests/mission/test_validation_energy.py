"""Validation lists every problem; energy estimate and sorties on the same plans."""

import pytest
from shapely.geometry import Polygon

from mission.energy import EnergyError, VehicleProfile, estimate_flight, split_sorties
from mission.items import Gimbal, ReturnToLaunch, Takeoff, TriggerDistance, Waypoint
from mission.plan import FenceCircle, FencePolygon, Home, Plan
from mission.validation import Limits, validate_plan, validate_polygon

HOME = Home(lat_deg=47.397, lon_deg=8.5455)


def wp(lat, lon, alt=50.0):
    return Waypoint(lat_deg=lat, lon_deg=lon, alt_m=alt)


def test_self_crossing_polygon_names_where_it_crosses() -> None:
    bowtie = Polygon([(8.0, 47.0), (8.01, 47.01), (8.01, 47.0), (8.0, 47.01)])
    [issue] = validate_polygon(bowtie)
    assert issue.field == "area"
    assert issue.reason == "crosses itself at lat 47.005000, lon 8.005000"


def test_polygon_coordinate_and_degenerate_problems_all_reported() -> None:
    bad = Polygon([(8.0, 95.0), (200.0, 47.0), (8.01, 47.0)])
    fields = [i.field for i in validate_polygon(bad)]
    assert fields == ["area[0].lat_deg", "area[1].lon_deg"]
    line = Polygon([(8.0, 47.0), (8.01, 47.01), (8.02, 47.02)])
    assert validate_polygon(line)[0].reason == "has no area (its corners lie on one line)"


def test_plan_with_three_problems_reports_three() -> None:
    zone = Polygon([(8.549, 47.3985), (8.551, 47.3985), (8.551, 47.3995), (8.549, 47.3995)])
    fence = FencePolygon(inclusion=True, vertices=((47.39, 8.54), (47.40, 8.54), (47.40, 8.56),
                                                   (47.39, 8.56)))
    plan = Plan(items=(Takeoff(lat_deg=HOME.lat_deg, lon_deg=HOME.lon_deg, alt_m=30),
                       wp(47.399, 8.545, alt=150), wp(47.399, 8.555), wp(47.405, 8.555),
                       ReturnToLaunch()),
                home=HOME, fence_polygons=(fence,))
    issues = validate_plan(plan, Limits(max_alt_m=120), zones=[zone])
    text = [str(i) for i in issues]
    assert "items[1].alt_m: 150 m is above the 120 m ceiling" in text
    assert any(t.startswith("items[2]: the leg to it passes") and "zones[0]" in t for t in text)
    assert any(t.startswith("items[3]: the leg to it leaves the geofence") for t in text)
    assert len(issues) == 3


def test_energy_grows_with_distance_and_battery_issue_appears() -> None:
    p = VehicleProfile()
    near = Plan(items=(wp(47.398, 8.5455),), home=HOME)
    far = Plan(items=(wp(47.398, 8.5455), wp(47.440, 8.5455)), home=HOME)
    e_near, e_far = estimate_flight(near, p), estimate_flight(far, p)
    # 4.7 km out and back at 10 m/s is ~ 940 s of cruise more than 110 m.
    assert e_far.flight_time_s - e_near.flight_time_s == pytest.approx(
        2 * (4670 - 0) / 10 + p.turn_s, rel=0.05)
    tiny = VehicleProfile(battery_wh=10)
    assert any(i.field == "battery" for i in validate_plan(far, vehicle=tiny))
    assert not any(i.field == "battery" for i in validate_plan(near, vehicle=p))


def test_sorties_each_fit_and_together_fly_every_waypoint_once() -> None:
    lats = [47.398 + 0.0005 * k for k in range(40)]
    body = [Gimbal(pitch_deg=-90), TriggerDistance(distance_m=20)]
    body += [wp(lat, 8.5455 + (0.01 if k % 2 else 0.0)) for k, lat in enumerate(lats)]
    plan = Plan(items=(*body, TriggerDistance(distance_m=0), ReturnToLaunch()), home=HOME)
    p = VehicleProfile(battery_wh=40)
    assert not estimate_flight(plan, p).fits
    sorties = split_sorties(plan, p)
    assert len(sorties) >= 2
    flown = [i for s in sorties for i in s.items if isinstance(i, Waypoint)]
    assert flown == [i for i in plan.items if isinstance(i, Waypoint)]
    for s in sorties:
        assert estimate_flight(s, p).fits
        assert isinstance(s.items[0], Takeoff) and isinstance(s.items[-1], ReturnToLaunch)
    # A resumed sortie turns the camera back on before flying on.
    assert TriggerDistance(distance_m=20) in sorties[1].items[:4]


def test_unreachable_item_is_a_battery_error() -> None:
    plan = Plan(items=(wp(48.5, 8.5455),), home=HOME)
    with pytest.raises(EnergyError, match="^battery:"):
        split_sorties(plan, VehicleProfile())


def test_fence_circles_keep_in_and_keep_out() -> None:
    keep_in = FenceCircle(inclusion=True, lat_deg=HOME.lat_deg, lon_deg=HOME.lon_deg,
                          radius_m=500)
    keep_out = FenceCircle(inclusion=False, lat_deg=47.3988, lon_deg=8.5455, radius_m=50)
    plan = Plan(items=(wp(47.3980, 8.5455), wp(47.3995, 8.5455), wp(47.4030, 8.5455)),
                home=HOME, fence_circles=(keep_in, keep_out))
    text = [str(i) for i in validate_plan(plan)]
    # 47.3980 -> 47.3995 crosses the 100 m wide keep-out disc; 47.4030 is 670 m from home.
    assert text[0] == "items[1]: the leg to it passes 100 m through exclusion zone fence_circles[1]"
    assert text[1].startswith("items[2]: the leg to it leaves the geofence (fence_circles[0])")
    assert len(text) == 2
