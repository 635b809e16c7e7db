"""Transit around zones (visibility graph) and the multi-drone split."""

import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from mission.geodesy import Origin, en_arrays_to_lonlat, latlon_to_en
from mission.items import Waypoint
from mission.route import plan_transit
from mission.split import _time_s, split_area
from mission.survey import SweepSettings
from mission.transit import TransitError, build_zone_graph, path_length_m, shortest_path
from mission.validation import Limits
from tests.mission.strategies import exclusion_zones, star_polygons

ORIGIN = Origin(lat_deg=22.5431, lon_deg=114.0579)


def test_path_around_a_square_is_the_textbook_shortest() -> None:
    wall = box(-50, -50, 50, 50)
    g = build_zone_graph([wall], clearance_m=0.0)
    path = shortest_path(g, (-100, 0), (100, 0))
    # Around a corner: two tangents of sqrt(50² + 50²) and the 100 m side.
    assert path_length_m(path) == pytest.approx(2 * math.hypot(50, 50) + 100, rel=1e-3)
    assert not LineString(path).crosses(wall)


@settings(max_examples=60, deadline=None)
@given(zones=exclusion_zones(n_max=6), a=st.tuples(st.floats(-900, -500), st.floats(-500, 500)),
       b=st.tuples(st.floats(500, 900), st.floats(-500, 500)))
def test_transit_never_enters_a_zone_and_is_no_longer_than_a_detour_bound(zones, a, b) -> None:
    g = build_zone_graph(zones, clearance_m=5.0)
    assume(not g.blocked.intersects(Point(a)) and not g.blocked.intersects(Point(b)))
    path = shortest_path(g, a, b)
    line = LineString(path)
    for z in zones:
        assert line.distance(z) >= 5.0 - 1e-6
    assert path[0] == a and path[-1] == b
    # Never shorter than straight, never longer than going round the zones' whole outline.
    straight = math.dist(a, b)
    assert straight - 1e-6 <= line.length <= straight + g.blocked.length + 1e-6


def test_start_inside_a_zone_names_the_start() -> None:
    g = build_zone_graph([box(0, 0, 10, 10)], clearance_m=2)
    with pytest.raises(TransitError, match="^start:"):
        shortest_path(g, (5, 5), (100, 100))


def test_geodetic_transit_respects_altitude_limits_and_zones() -> None:
    zone_en = box(-100, -300, 100, 300)
    lon, lat = en_arrays_to_lonlat(*np.array(zone_en.exterior.coords).T, ORIGIN)
    zone = Polygon(list(zip(lon, lat, strict=True)))
    a_lon, a_lat = en_arrays_to_lonlat(np.array([-500.0, 500.0]), np.array([0.0, 0.0]), ORIGIN)
    pts = [(a_lat[0], a_lon[0]), (a_lat[1], a_lon[1])]
    plan, length = plan_transit(pts, alt_m=60, zones=[zone], clearance_m=10)
    assert 1000 < length < 1000 + 2 * 320
    en = [latlon_to_en(w.lat_deg, w.lon_deg, ORIGIN) for w in plan.items
          if isinstance(w, Waypoint)]
    assert LineString([(-500, 0), *en]).distance(zone_en) >= 9.99
    with pytest.raises(TransitError, match="^alt_m:"):
        plan_transit(pts, alt_m=200, limits=Limits(max_alt_m=120))


@settings(max_examples=25, deadline=None)
@given(area=star_polygons(r_min=400, r_max=1200, n_min=3, n_max=8), k=st.integers(2, 5))
def test_split_covers_the_area_and_evens_out_flight_time(area, k) -> None:
    starts = [(1500 * math.cos(2 * math.pi * j / k), 1500 * math.sin(2 * math.pi * j / k))
              for j in range(k)]
    settings_ = SweepSettings(line_spacing_m=40)
    shares = split_area(area, starts, settings_)
    equal = split_area(area, starts, settings_, rounds=1)  # equal areas, no balancing
    areas = [s.part.area for s in shares]
    assert sum(areas) == pytest.approx(area.area, rel=1e-6)
    union = shapely.union_all([s.part for s in shares])
    assert union.symmetric_difference(area).area < 1e-6 * area.area
    assert sorted(s.vehicle for s in shares) == list(range(k))
    assert max(a.part.area for a in equal) <= 1.01 * min(a.part.area for a in equal) + 1.0
    times = [_time_s(s, settings_) for s in shares]
    # The last vehicle back is never later than with equal areas. Where sweeping, not the
    # flight out, takes most of the time, the spread stays within 40 % (bands keep whole
    # sweep lines, and vehicles start up to 2.7 km from the area).
    assert max(times) <= max(_time_s(s, settings_) for s in equal) + 1e-6
    if area.area >= 500_000:
        assert max(times) <= 1.40 * min(times)
    if area.convex_hull.area - area.area < 1e-9 * area.area:  # convex: bands stay in one piece
        assert all(s.part.geom_type == "Polygon" for s in shares)


def test_split_gives_each_vehicle_the_band_nearest_it_and_balanced_time() -> None:
    field = box(0, 0, 1000, 800)
    starts = [(500, 1200), (500, -400)]  # one north, one south
    shares = split_area(field, starts, SweepSettings(line_spacing_m=40), angle_deg=90)
    north, south = shares
    assert north.part.centroid.y > 400 > south.part.centroid.y
    times = [s.sweep.flight_time_s for s in shares]
    assert max(times) <= 1.1 * min(times)
