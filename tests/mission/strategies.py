"""Random survey areas for property tests: concave star-shaped polygons, holes, zones (metres)."""

import math

from hypothesis import strategies as st
from shapely.geometry import Polygon

from mission.items import (
    ChangeSpeed,
    Delay,
    Gimbal,
    Land,
    Loiter,
    RegionOfInterest,
    ReturnToLaunch,
    Takeoff,
    TakePhoto,
    TriggerDistance,
    Waypoint,
)


@st.composite
def star_polygons(draw, centre=(0.0, 0.0), r_min=60.0, r_max=600.0, n_min=3, n_max=12):
    """A simple polygon whose vertices sit at random radii around `centre`; often concave."""
    n = draw(st.integers(n_min, n_max))
    cuts = sorted(draw(st.lists(st.floats(0, 2 * math.pi), min_size=n, max_size=n, unique=True)))
    if min(b - a for a, b in zip(cuts, cuts[1:] + [cuts[0] + 2 * math.pi], strict=True)) < 0.05:
        cuts = [2 * math.pi * i / n for i in range(n)]
    radii = draw(st.lists(st.floats(r_min, r_max), min_size=n, max_size=n))
    cx, cy = centre
    poly = Polygon([(cx + r * math.cos(a), cy + r * math.sin(a))
                    for a, r in zip(cuts, radii, strict=True)])
    # Angles a hair apart can still fold a ring over itself; fall back to the convex hull.
    return poly if poly.is_valid and poly.area > 1.0 else poly.convex_hull


@st.composite
def areas_with_holes(draw):
    """A concave area with zero to two holes strictly inside it."""
    outer = draw(star_polygons(r_min=150, r_max=600))
    holes = []
    for _ in range(draw(st.integers(0, 2))):
        c = draw(st.tuples(st.floats(-300, 300), st.floats(-300, 300)))
        hole = draw(star_polygons(centre=c, r_min=10, r_max=60, n_max=6))
        if outer.buffer(-5).contains(hole) and all(hole.distance(h) > 5 for h in holes):
            holes.append(hole)
    return Polygon(outer.exterior.coords, [h.exterior.coords for h in holes])


@st.composite
def exclusion_zones(draw, n_max=2):
    return [
        draw(star_polygons(centre=draw(st.tuples(st.floats(-400, 400), st.floats(-400, 400))),
                           r_min=15, r_max=80, n_max=6))
        for _ in range(draw(st.integers(1, n_max)))
    ]


lat = st.floats(-90, 90)
lon = st.floats(-180, 180)
alt = st.floats(-100, 5000)
datum = st.sampled_from(["home", "amsl", "terrain"])
small = st.floats(0, 1000)

any_item = st.one_of(
    st.builds(Waypoint, lat_deg=lat, lon_deg=lon, alt_m=st.none() | alt, alt_datum=datum,
              hold_s=small, acceptance_radius_m=small, yaw_deg=st.none() | st.floats(0, 359)),
    st.builds(Takeoff, lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum, pitch_deg=small),
    st.builds(Land, lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum),
    st.builds(Loiter, lat_deg=lat, lon_deg=lon, alt_m=alt, hold_s=small, radius_m=small),
    st.builds(RegionOfInterest, lat_deg=lat, lon_deg=lon, alt_m=alt),
    st.just(ReturnToLaunch()), st.just(TakePhoto()),
    st.builds(Gimbal, pitch_deg=st.floats(-90, 30), yaw_deg=st.floats(-180, 180)),
    st.builds(TriggerDistance, distance_m=small),
    st.builds(ChangeSpeed, speed_mps=st.floats(0.1, 30), ground=st.booleans()),
    st.builds(Delay, delay_s=small),
)
