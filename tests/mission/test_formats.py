"""Formats against QGroundControl's own files, and lossless round trips through each format."""

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from mission.area_survey import SurveyRequest, plan_survey
from mission.formats.by_extension import FormatError, read_plan, write_plan
from mission.formats.geojson import GeoJsonFormatError, read_polygons
from mission.formats.kml import read_kml
from mission.formats.mavlink import (
    MissionItemInt,
    mission_items_to_plan,
    plan_to_fence_items,
    plan_to_mission_items,
    plan_to_rally_items,
)
from mission.formats.qgc import QgcFormatError, read_qgc_plan, write_qgc_plan
from mission.formats.wpl import WplFormatError, read_wpl, write_wpl
from mission.items import (
    ChangeSpeed,
    Gimbal,
    Land,
    Loiter,
    RawItem,
    RegionOfInterest,
    Takeoff,
    Waypoint,
)
from mission.plan import FenceCircle, FencePolygon, Home, Plan, RallyPoint
from tests.mission.strategies import any_item

FIXTURES = Path("/work/shared/fixtures/qgc")
FIXTURE_FILES = sorted(FIXTURES.glob("*.plan"))


def test_all_four_fixtures_are_present() -> None:
    assert len(FIXTURE_FILES) == 4


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_converts_to_waypoints_and_back_with_identical_waypoints(path) -> None:
    plan = read_qgc_plan(path.read_text())
    doc = json.loads(path.read_text())
    assert len(plan.items) == len(doc["mission"]["items"])
    back = read_wpl(write_wpl(plan))
    assert back.items == plan.items
    assert back.home == plan.home
    again = read_qgc_plan(write_qgc_plan(back))
    assert again.items == plan.items and again.home == plan.home


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_survives_our_own_plan_writer(path) -> None:
    plan = read_qgc_plan(path.read_text())
    assert read_qgc_plan(write_qgc_plan(plan)) == plan


def test_px4_fixture_items_mean_what_qgc_shows() -> None:
    plan = read_qgc_plan((FIXTURES / "PX4SITL-PX4-MultiRotor.plan").read_text())
    items = plan.items
    assert items[0] == Takeoff(lat_deg=47.3996949, lon_deg=8.5455, alt_m=30)
    assert items[2] == ChangeSpeed(speed_mps=10, ground=True)
    assert items[3] == Waypoint(lat_deg=47.397, lon_deg=8.585312, alt_m=638.056, alt_datum="amsl")
    assert items[4] == RegionOfInterest(lat_deg=47.3700507, lon_deg=8.585312, alt_m=0)
    # AltitudeMode 3: 80 m above the terrain, AMSL to be computed at upload.
    assert items[5] == Waypoint(lat_deg=47.3700507, lon_deg=8.585312, alt_m=80,
                                alt_datum="terrain")
    assert items[6] == Loiter(lat_deg=47.3700507, lon_deg=8.5455, alt_m=100, hold_s=30,
                              radius_m=50)
    assert items[10] == Land(lat_deg=47.3996949, lon_deg=8.5455, alt_m=0)
    assert plan.home == Home(lat_deg=47.397, lon_deg=8.5455, alt_amsl_m=488.056)
    assert not any(isinstance(i, RawItem) for i in items)


def test_v1_coordinate_schema_and_mount_control() -> None:
    plan = read_qgc_plan((FIXTURES / "SectionTest-v1-coordinate.plan").read_text())
    assert plan.items[1] == Waypoint(lat_deg=47.63369112, lon_deg=-122.08925023, alt_m=20)
    assert plan.items[3] == Gimbal(pitch_deg=0.0, yaw_deg=0.0)


def test_geofence_fixture_has_an_inclusion_and_an_exclusion() -> None:
    plan = read_qgc_plan((FIXTURES / "geofence-inclusion-exclusion.plan").read_text())
    assert [p.inclusion for p in plan.fence_polygons] == [True, False]
    assert all(len(p.vertices) == 4 for p in plan.fence_polygons)
    assert plan.fence_polygons[1].vertices[1] == (38.750850553167055, -77.4972259712925)


SURVEY = SurveyRequest(
    area=Polygon([(8.545, 47.397), (8.551, 47.397), (8.551, 47.401), (8.545, 47.401)]),
    alt_m=50, home=Home(lat_deg=47.3965, lon_deg=8.5445, alt_amsl_m=488))


def _survey_plan() -> Plan:
    return plan_survey(SURVEY).plan


def _survey_photos() -> int:
    return plan_survey(SURVEY).stats.photos


def test_survey_is_written_as_qgc_writes_a_survey_and_reads_back() -> None:
    plan = _survey_plan()
    doc = json.loads(write_qgc_plan(plan))
    items = doc["mission"]["items"]
    survey = next(i for i in items if i["type"] == "ComplexItem")
    assert survey["complexItemType"] == "survey" and survey["version"] == 5
    inner = survey["TransectStyleComplexItem"]["Items"]
    commands = [i["command"] for i in inner]
    assert commands[0] == 16 and commands[1] == 206 and commands[-1] == 206
    assert set(commands[2:-1]) == {16}
    assert inner[1]["params"][0] == pytest.approx(plan.sections[0].trigger_distance_m)
    tsc = survey["TransectStyleComplexItem"]
    assert tsc["CameraCalc"]["DistanceToSurface"] == 50
    # Every key QGroundControl's loader requires of a version-2 transect item is there.
    assert {"version", "TurnAroundDistance", "CameraTriggerInTurnAround", "HoverAndCapture",
            "Refly90Degrees", "CameraCalc", "VisualTransectPoints", "Items",
            "CameraShots"} <= set(tsc)
    # The planner's own photo count (from the local-frame path) agrees with the file's.
    assert tsc["CameraShots"] == pytest.approx(_survey_photos(), rel=0.02)
    # Takeoff, gimbal, the survey's own items, return: jump ids run on through the survey.
    assert [i["doJumpId"] for i in items if "doJumpId" in i] == [1, 2, len(inner) + 3]
    assert read_qgc_plan(write_qgc_plan(plan)) == plan


plans = st.builds(
    Plan,
    items=st.lists(any_item, max_size=12).map(tuple),
    home=st.none() | st.builds(Home, lat_deg=st.floats(-89, 89), lon_deg=st.floats(-179, 179),
                               alt_amsl_m=st.floats(-100, 4000)),
    fence_polygons=st.lists(st.builds(
        FencePolygon, inclusion=st.booleans(),
        vertices=st.lists(st.tuples(st.floats(-89, 89), st.floats(-179, 179)), min_size=3,
                          max_size=6).map(tuple)), max_size=2).map(tuple),
    rally=st.lists(st.builds(RallyPoint, lat_deg=st.floats(-89, 89), lon_deg=st.floats(-179, 179),
                             alt_m=st.floats(0, 500)), max_size=2).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(plan=plans, ext=st.sampled_from([".plan", ".geojson", ".kml", ".kmz", ".json"]))
def test_every_plan_round_trips_exactly(plan, ext) -> None:
    back = read_plan("x" + ext, write_plan("x" + ext, plan))
    if ext == ".plan" and plan.home is None:
        # QGroundControl requires a planned home; the writer puts it at the first position.
        back = replace(back, home=None)
    assert back == plan


@settings(max_examples=150, deadline=None)
@given(plan=plans)
def test_waypoints_file_round_trips_items_exactly(plan) -> None:
    back = read_wpl(write_wpl(plan))
    assert back.items == plan.items


def _degE7(item):
    """The item as MISSION_ITEM_INT can carry it: positions at 1e-7 degree."""
    if hasattr(item, "lat_deg"):
        return type(item)(**{**{k: getattr(item, k) for k in item.__dataclass_fields__},
                             "lat_deg": round(item.lat_deg * 1e7) / 1e7,
                             "lon_deg": round(item.lon_deg * 1e7) / 1e7})
    return item


@settings(max_examples=150, deadline=None)
@given(plan=plans, circles=st.lists(st.builds(
    FenceCircle, inclusion=st.booleans(), lat_deg=st.floats(-89, 89),
    lon_deg=st.floats(-179, 179), radius_m=st.floats(1, 5000)), max_size=2))
def test_mission_item_int_round_trip_keeps_everything_at_1e7_degrees(plan, circles) -> None:
    plan = Plan(items=tuple(_degE7(i) for i in plan.items), rally=tuple(
        RallyPoint(lat_deg=round(r.lat_deg * 1e7) / 1e7, lon_deg=round(r.lon_deg * 1e7) / 1e7,
                   alt_m=r.alt_m) for r in plan.rally),
        fence_polygons=tuple(FencePolygon(inclusion=f.inclusion, vertices=tuple(
            (round(a * 1e7) / 1e7, round(b * 1e7) / 1e7) for a, b in f.vertices))
            for f in plan.fence_polygons),
        fence_circles=tuple(FenceCircle(inclusion=c.inclusion, lat_deg=round(c.lat_deg * 1e7) / 1e7,
                                        lon_deg=round(c.lon_deg * 1e7) / 1e7, radius_m=c.radius_m)
                            for c in circles))
    mission = plan_to_mission_items(plan)
    assert all(isinstance(m, MissionItemInt) and isinstance(m.x, int) for m in mission)
    assert [m.seq for m in mission] == list(range(len(mission)))
    back = mission_items_to_plan(mission, plan_to_fence_items(plan), plan_to_rally_items(plan))
    assert back == plan


def test_unset_param_travels_as_nan() -> None:
    [m] = plan_to_mission_items(Plan(items=(Waypoint(lat_deg=47.1, lon_deg=8.2, alt_m=None),)))
    assert m.x == 471_000_000 and m.y == 82_000_000 and math.isnan(m.z) and math.isnan(m.param4)


def test_foreign_kml_linestring_reads_as_waypoints() -> None:
    kml = ('<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><LineString>'
           "<coordinates>8.5,47.1,30 8.6,47.2,40</coordinates></LineString></Placemark>"
           "</Document></kml>")
    assert read_kml(kml).items == (Waypoint(lat_deg=47.1, lon_deg=8.5, alt_m=30),
                                   Waypoint(lat_deg=47.2, lon_deg=8.6, alt_m=40))


def test_geojson_area_input_reads_polygons_with_holes() -> None:
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
           "geometry": {"type": "Polygon", "coordinates": [
               [[8, 47], [8.01, 47], [8.01, 47.01], [8, 47.01], [8, 47]],
               [[8.004, 47.004], [8.006, 47.004], [8.006, 47.006], [8.004, 47.004]]]}}]}
    [poly] = read_polygons(json.dumps(doc))
    assert len(poly.interiors) == 1


@pytest.mark.parametrize(("call", "start"), [
    (lambda: read_qgc_plan("{"), "file: not JSON"),
    (lambda: read_qgc_plan('{"fileType": "Mission"}'), "fileType:"),
    (lambda: read_qgc_plan(json.dumps({"fileType": "Plan", "mission": {"items": [
        {"type": "SimpleItem", "command": 16, "frame": 3, "params": [0, 0, "x", 0, 1, 2, 3]}]}})),
     "mission.items[0].params[2]:"),
    (lambda: read_wpl("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t47\t8\n"), "line 2: 10 columns"),
    (lambda: read_wpl("hello"), "line 1:"),
    (lambda: read_polygons('{"type": "Point", "coordinates": [1, 2]}'), "features:"),
    (lambda: read_plan("x.docx", b""), "x.docx: unknown extension"),
])
def test_bad_files_name_the_place(call, start) -> None:
    with pytest.raises((QgcFormatError, WplFormatError, GeoJsonFormatError, FormatError)) as e:
        call()
    assert str(e.value).startswith(start)


def test_bad_skywatch_json_names_the_file() -> None:
    with pytest.raises(FormatError, match=r"^file: not JSON"):
        read_plan("x.json", b"{nope")
    with pytest.raises(FormatError, match=r"^file: not UTF-8"):
        read_plan("x.plan", b"\xff\xfe\x00")
