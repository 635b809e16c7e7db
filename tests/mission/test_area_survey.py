"""Surveys on the globe: camera-derived spacing, passes, coverage, zones, sections."""

import numpy as np
import pytest
from shapely.geometry import LineString, Polygon

from mission.area_survey import SurveyRequest, plan_survey
from mission.camera import camera_by_name, gsd_cm, line_spacing_m
from mission.geodesy import Origin, en_arrays_to_lonlat, lonlat_arrays_to_en
from mission.items import Gimbal, Takeoff, TriggerDistance, Waypoint
from mission.plan import Home
from mission.survey import SurveyError

ORIGIN = Origin(lat_deg=22.5431, lon_deg=114.0579)


def lonlat_polygon(enu_pts, holes=()):
    def ring(pts):
        lon, lat = en_arrays_to_lonlat(*np.array(pts, dtype=float).T, ORIGIN)
        return list(zip(lon, lat, strict=True))
    return Polygon(ring(enu_pts), [ring(h) for h in holes])


FIELD = lonlat_polygon([(0, 0), (600, 0), (600, 400), (300, 400), (300, 200), (0, 200)],
                       holes=[[(400, 100), (450, 100), (450, 150), (400, 150)]])
ZONE = lonlat_polygon([(100, 50), (160, 50), (160, 120), (100, 120)])
HOME = Home(lat_deg=ORIGIN.lat_deg, lon_deg=ORIGIN.lon_deg)


def _enu_path(items):
    wps = [i for i in items if isinstance(i, Waypoint)]
    e, n = lonlat_arrays_to_en(np.array([w.lon_deg for w in wps]),
                               np.array([w.lat_deg for w in wps]), ORIGIN)
    return LineString(np.column_stack([e, n]))


def test_grid_from_gsd_flies_at_the_height_and_spacing_the_camera_needs() -> None:
    cam = camera_by_name("dji-phantom4-pro")
    r = plan_survey(SurveyRequest(area=FIELD, camera=cam, gsd_cm=2.0, home=HOME))
    assert gsd_cm(cam, r.stats.alt_m) == pytest.approx(2.0)
    assert r.stats.alt_m == pytest.approx(73.0, abs=0.1)
    assert r.stats.line_spacing_m <= line_spacing_m(cam, r.stats.alt_m, 65) + 1e-9
    assert r.stats.coverage_pct >= 99.5
    items = r.plan.items
    assert isinstance(items[0], Takeoff) and items[-1].kind == "rtl"
    assert Gimbal(pitch_deg=-90.0) in items
    trig = [i for i in items if isinstance(i, TriggerDistance)]
    assert trig[0].distance_m == pytest.approx(r.stats.trigger_distance_m)
    assert trig[-1].distance_m == 0
    assert all(w.alt_m == pytest.approx(r.stats.alt_m) for w in items if isinstance(w, Waypoint))


def test_survey_keeps_out_of_the_zone_and_starts_near_home() -> None:
    r = plan_survey(SurveyRequest(area=FIELD, exclusions=(ZONE,), alt_m=50, home=HOME))
    path = _enu_path(r.plan.items)
    zone = Polygon([(100, 50), (160, 50), (160, 120), (100, 120)])
    assert path.distance(zone) >= 4.9  # 5 m clearance
    first = path.coords[0]
    assert np.hypot(*first) < 20  # the corner at home (0, 0), give or take the overshoot


def test_double_grid_crosses_at_right_angles_and_oblique_flies_five_passes() -> None:
    double = plan_survey(SurveyRequest(area=FIELD, alt_m=60, style="double", angle_deg=30))
    angles = sorted(s.angle_deg for s in double.plan.sections)
    assert angles == pytest.approx([30.0, 120.0])
    oblique = plan_survey(SurveyRequest(area=FIELD, alt_m=60, style="oblique",
                                        oblique_pitch_deg=-45, angle_deg=0))
    assert len(oblique.plan.sections) == 5
    pitches = [i.pitch_deg for i in oblique.plan.items if isinstance(i, Gimbal)]
    assert pitches == [-90.0, -45.0, -45.0, -45.0, -45.0]
    yaws = {w.yaw_deg for w in oblique.plan.items if isinstance(w, Waypoint)}
    assert yaws == {None, 0.0, 90.0, 180.0, 270.0}


def test_both_height_and_gsd_is_an_error_naming_alt() -> None:
    with pytest.raises(SurveyError, match="^alt_m:"):
        plan_survey(SurveyRequest(area=FIELD, alt_m=60, gsd_cm=2))


def test_camera_is_off_on_connections_between_cells() -> None:
    r = plan_survey(SurveyRequest(area=FIELD, exclusions=(ZONE,), alt_m=50, angle_deg=0))
    on, off = 0.0, 0.0
    state, prev, stretches = 0.0, None, 0
    area_en = Polygon([(0, 0), (600, 0), (600, 400), (300, 400), (300, 200), (0, 200)])
    for item in r.plan.items:
        if isinstance(item, TriggerDistance):
            stretches += item.distance_m > 0 and state == 0
            state = item.distance_m
        elif isinstance(item, Waypoint):
            p = lonlat_arrays_to_en(np.array([item.lon_deg]), np.array([item.lat_deg]), ORIGIN)
            p = (float(p[0][0]), float(p[1][0]))
            if prev is not None:
                leg = LineString([prev, p])
                if state > 0:
                    on += leg.length
                    # Photographing: over the area, give or take the overshoot and a step-over.
                    assert area_en.buffer(10 + r.stats.line_spacing_m).contains(leg)
                else:
                    off += leg.length
            prev = p
    assert stretches >= 2  # north-south lines are split by the notch, the pond and the zone
    assert off > 0 and on > 10 * off
    assert r.stats.photos == pytest.approx(on / r.stats.trigger_distance_m, rel=0.05)


def test_bad_area_and_zone_are_reported_together() -> None:
    bowtie = Polygon([(8.0, 47.0), (8.01, 47.01), (8.01, 47.0), (8.0, 47.01)])
    flat = Polygon([(8.0, 47.0), (8.001, 47.001), (8.002, 47.002)])
    with pytest.raises(SurveyError) as e:
        plan_survey(SurveyRequest(area=bowtie, exclusions=(flat,)))
    assert str(e.value) == ("area: crosses itself at lat 47.005000, lon 8.005000; "
                            "exclusions[0]: has no area (its corners lie on one line)")
