"""IAMSAR search patterns, orbit rings, corridor and perimeter checked on their geometry."""

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from mission.corridor import CorridorError, corridor
from mission.geodesy import Origin, bearing_deg, distance_m, en_arrays_to_lonlat, latlon_to_en
from mission.items import Gimbal, RegionOfInterest, TakePhoto, Waypoint
from mission.orbit import OrbitError, Ring, orbit_rings
from mission.perimeter import facade_scan, perimeter
from mission.search import (
    SearchError,
    expanding_square,
    parallel_search,
    parallel_search_split,
    pod_random,
    pod_systematic,
    sector_search,
    track_spacing_m,
)

DATUM = (22.5431, 114.0579)
ORIGIN = Origin(lat_deg=DATUM[0], lon_deg=DATUM[1])


def _en(plan):
    return [latlon_to_en(w.lat_deg, w.lon_deg, ORIGIN) for w in plan.items
            if isinstance(w, Waypoint)]


def _lonlat_poly(pts):
    lon, lat = en_arrays_to_lonlat(*np.array(pts, dtype=float).T, ORIGIN)
    return Polygon(list(zip(lon, lat, strict=True)))


def test_expanding_square_legs_are_1_1_2_2_3_3_spacings_turning_right() -> None:
    s = expanding_square(*DATUM, sweep_width_m=40, alt_m=50, legs=10, first_bearing_deg=0)
    pts = _en(s.plan)
    legs = [math.dist(a, b) for a, b in zip(pts, pts[1:], strict=False)]
    assert legs == pytest.approx([40 * n for n in (1, 1, 2, 2, 3, 3, 4, 4, 5, 5)], abs=1e-3)
    headings = [math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360
                for a, b in zip(pts, pts[1:], strict=False)]
    turns = [(h2 - h1) % 360 for h1, h2 in zip(headings, headings[1:], strict=False)]
    assert turns == pytest.approx([90.0] * 9, abs=1e-4)
    assert pts[0] == pytest.approx((0, 0), abs=1e-6)


def test_sector_search_flies_equilateral_triangles_through_the_datum() -> None:
    s = sector_search(*DATUM, radius_m=500, alt_m=60, sweep_width_m=50, first_bearing_deg=30)
    pts = _en(s.plan)
    assert len(pts) == 10
    for k in (0, 3, 6, 9):
        assert math.hypot(*pts[k]) < 1e-3  # back over the datum
    outer = [p for k, p in enumerate(pts) if k % 3]
    assert [math.hypot(*p) for p in outer] == pytest.approx([500] * 6, abs=1e-3)
    bearings = [math.degrees(math.atan2(*p)) % 360 for p in outer]
    assert bearings == pytest.approx([30, 90, 150, 210, 270, 330], abs=1e-4)
    # Every leg is one radius long: 120° turns at every corner.
    legs = [math.dist(a, b) for a, b in zip(pts, pts[1:], strict=False)]
    assert legs == pytest.approx([500] * 9, abs=1e-3)


def test_parallel_track_runs_along_the_long_side_and_creeping_line_across() -> None:
    rect = _lonlat_poly([(0, 0), (2000, 0), (2000, 600), (0, 600)])
    par = parallel_search(rect, sweep_width_m=100, alt_m=60)
    creep = parallel_search(rect, sweep_width_m=100, alt_m=60, creeping=True)
    assert par.track_spacing_m == pytest.approx(100)
    assert len(par.plan.items) == 12  # 6 legs of 2 km
    assert len(creep.plan.items) == 40  # 20 legs of 600 m
    p = _en(par.plan)
    assert abs(p[1][1] - p[0][1]) < 1e-3 and abs(p[1][0] - p[0][0]) == pytest.approx(2000, abs=0.5)
    # Coverage factor 1 on a systematic search: PoD 79 % (IAMSAR ideal conditions).
    assert par.coverage_factor == pytest.approx(1.0, rel=0.05)
    assert par.pod == pytest.approx(0.79, abs=0.02)


def test_pod_curves() -> None:
    assert pod_systematic(0) == 0 and pod_random(0) == 0
    assert pod_systematic(1.0) == pytest.approx(0.79, abs=0.005)
    assert pod_random(1.0) == pytest.approx(1 - math.exp(-1))
    assert pod_systematic(2.0) > pod_random(2.0) > pod_random(1.0)
    assert track_spacing_m(60, 1.5) == pytest.approx(40)
    with pytest.raises(SearchError, match="^sweep_width_m:"):
        track_spacing_m(0)


def test_orbit_rings_photograph_at_the_bearings_with_the_camera_on_the_point() -> None:
    plan = orbit_rings(*DATUM, rings=[Ring(radius_m=20, alt_m=15), Ring(radius_m=40, alt_m=30)],
                       photo_bearings_deg=(0, 90, 180, 270))
    items = plan.items
    assert items[0] == RegionOfInterest(lat_deg=DATUM[0], lon_deg=DATUM[1], alt_m=0.0)
    photos = [items[k - 1] for k, it in enumerate(items) if isinstance(it, TakePhoto)]
    assert len(photos) == 8
    for w, (r, b) in zip(photos, [(20, b) for b in (0, 90, 180, 270)] +
                         [(40, b) for b in (0, 90, 180, 270)], strict=True):
        assert distance_m(*DATUM, w.lat_deg, w.lon_deg) == pytest.approx(r, abs=0.01)
        got = bearing_deg(*DATUM, w.lat_deg, w.lon_deg)
        assert (got - b + 180) % 360 - 180 == pytest.approx(0, abs=0.01)
    pitches = [g.pitch_deg for g in items if isinstance(g, Gimbal)]
    assert pitches == pytest.approx([-36.87, -36.87], abs=0.01)  # 3-4-5 triangles
    # Arcs between photos are flown through points on the circle, at most 30° apart.
    ring1 = [w for w in items if isinstance(w, Waypoint) and w.alt_m == 15]
    assert len(ring1) == 1 + 3 * 3
    with pytest.raises(OrbitError, match=r"^rings\[0\].radius_m:"):
        orbit_rings(*DATUM, rings=[Ring(radius_m=0, alt_m=10)])


def test_corridor_covers_its_width_within_half_a_spacing() -> None:
    pts_en = [(0, 0), (400, 0), (700, 300), (700, 800)]
    lon, lat = en_arrays_to_lonlat(*np.array(pts_en, dtype=float).T, ORIGIN)
    plan = corridor(list(zip(lat, lon, strict=True)), width_m=100, spacing_m=30, alt_m=50)
    tracks = _en(plan)
    assert len({round(math.dist((0, 0), p)) for p in tracks[:1]}) == 1
    centre = LineString(pts_en)
    band = centre.buffer(50, cap_style="flat")
    xs, ys = np.meshgrid(np.arange(-10, 760, 5.0), np.arange(-60, 860, 5.0))
    grid = shapely.points(xs.ravel(), ys.ravel())
    inside = grid[shapely.contains(band.buffer(-0.5), grid)]
    path = LineString(tracks)
    assert float(shapely.distance(inside, path).max()) <= 100 / 4 / 2 + 30 / 2  # < 15 + margin
    with pytest.raises(CorridorError, match="^polyline:"):
        corridor([DATUM], width_m=10, spacing_m=5, alt_m=30)


def test_corridor_track_count_and_spacing() -> None:
    lon, lat = en_arrays_to_lonlat(np.array([0.0, 1000.0]), np.array([0.0, 0.0]), ORIGIN)
    plan = corridor(list(zip(lat, lon, strict=True)), width_m=100, spacing_m=30, alt_m=50)
    pts = _en(plan)
    assert len(pts) == 8  # 4 tracks of 2 points: ceil(100 / 30)
    offsets = sorted({round(p[1], 3) for p in pts})
    assert offsets == pytest.approx([-37.5, -12.5, 12.5, 37.5], abs=1e-3)


def test_perimeter_is_at_the_offset_and_clockwise() -> None:
    field = _lonlat_poly([(0, 0), (300, 0), (300, 200), (0, 200)])
    out = _en(perimeter(field, offset_m=20, alt_m=40))
    inner = _en(perimeter(field, offset_m=-20, alt_m=40))
    poly = Polygon([(0, 0), (300, 0), (300, 200), (0, 200)])
    assert all(poly.exterior.distance(Point(p)) == pytest.approx(20, abs=1.0) for p in out)
    assert all(poly.contains(Point(p)) for p in inner)
    signed = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(out, out[1:], strict=False))
    assert signed < 0  # clockwise


def test_facade_scan_faces_the_wall_at_every_height() -> None:
    house = _lonlat_poly([(0, 0), (30, 0), (30, 20), (0, 20)])
    plan = facade_scan(house, distance_m=10, alts_m=(10, 20, 30), trigger_m=3)
    wps = [w for w in plan.items if isinstance(w, Waypoint)]
    assert {w.alt_m for w in wps} == {10, 20, 30}
    for w in wps:
        e, n = latlon_to_en(w.lat_deg, w.lon_deg, ORIGIN)
        yaw = math.radians(w.yaw_deg)
        look = (e + 10 * math.sin(yaw), n + 10 * math.cos(yaw))
        assert Polygon([(0, 0), (30, 0), (30, 20), (0, 20)]).exterior.distance(Point(look)) < 0.6


def test_parallel_search_shared_by_three_drones_keeps_spacing_and_pod() -> None:
    rect = _lonlat_poly([(0, 0), (3000, 0), (3000, 1200), (0, 1200)])
    starts_en = [(-500, 0), (-500, 600), (-500, 1200)]
    lon, lat = en_arrays_to_lonlat(*np.array(starts_en, dtype=float).T, ORIGIN)
    parts = parallel_search_split(rect, starts=list(zip(lat, lon, strict=True)),
                                  sweep_width_m=100, alt_m=60)
    assert len(parts) == 3
    assert sum(p.searched_area_m2 for p in parts) == pytest.approx(3000 * 1200, rel=1e-4)
    for p in parts:
        assert p.track_spacing_m <= 100 + 1e-6
        assert p.pod >= 0.78  # coverage factor about 1 in every band
    # Each drone searches the band nearest its start: first waypoints ordered south to north.
    firsts = [_en(p.plan)[0][1] for p in parts]
    assert firsts == sorted(firsts)
