"""Geodesy against pyproj, an independent implementation (PROJ ECEF, GeographicLib geodesics)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from mission.geodesy import (
    Enu,
    Origin,
    bearing_deg,
    distance_m,
    en_arrays_to_lonlat,
    enu_to_geodetic,
    geodetic_to_enu,
    lonlat_arrays_to_en,
    polygon_area_m2,
)

pyproj = pytest.importorskip("pyproj")
GEOD = pyproj.Geod(ellps="WGS84")
TO_ECEF = pyproj.Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


def _pyproj_enu(lat: float, lon: float, alt: float, o: Origin) -> np.ndarray:
    """ENU from PROJ's ECEF and the textbook rotation."""
    x, y, z = TO_ECEF.transform(lon, lat, alt)
    x0, y0, z0 = TO_ECEF.transform(o.lon_deg, o.lat_deg, o.alt_amsl_m)
    d = np.array([x - x0, y - y0, z - z0])
    phi, lam = math.radians(o.lat_deg), math.radians(o.lon_deg)
    rot = np.array([
        [-math.sin(lam), math.cos(lam), 0],
        [-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi)],
        [math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)],
    ])
    return rot @ d


lats = st.floats(min_value=-80, max_value=80)
lons = st.floats(min_value=-179, max_value=179)
offsets_m = st.floats(min_value=-10_000, max_value=10_000)


@settings(max_examples=200, deadline=None)
@given(lat0=lats, lon0=lons, alt0=st.floats(-100, 3000), e=offsets_m, n=offsets_m,
       u=st.floats(-500, 500))
def test_enu_agrees_with_pyproj_to_a_millimetre_over_10_km(lat0, lon0, alt0, e, n, u) -> None:
    o = Origin(lat_deg=lat0, lon_deg=lon0, alt_amsl_m=alt0)
    p = enu_to_geodetic(Enu(east_m=e, north_m=n, up_m=u), o)
    ref = _pyproj_enu(p.lat_deg, p.lon_deg, p.alt_amsl_m, o)
    assert np.allclose(ref, [e, n, u], atol=1e-3)
    back = geodetic_to_enu(p.lat_deg, p.lon_deg, p.alt_amsl_m, o)
    assert math.dist((back.east_m, back.north_m, back.up_m), (e, n, u)) < 1e-3


@settings(max_examples=100, deadline=None)
@given(lat0=lats, lon0=lons, e=offsets_m, n=offsets_m)
def test_surface_plane_round_trip_is_exact(lat0, lon0, e, n) -> None:
    o = Origin(lat_deg=lat0, lon_deg=lon0, alt_amsl_m=12.0)
    lon, lat = en_arrays_to_lonlat(np.array([e]), np.array([n]), o)
    e2, n2 = lonlat_arrays_to_en(lon, lat, o)
    assert abs(e2[0] - e) < 1e-6 and abs(n2[0] - n) < 1e-6


@settings(max_examples=200, deadline=None)
@given(lat1=lats, lon1=lons, dist=st.floats(1, 10_000), az=st.floats(0, 359.9))
def test_distance_and_bearing_agree_with_pyproj(lat1, lon1, dist, az) -> None:
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, az, dist)
    fwd, _, ref = GEOD.inv(lon1, lat1, lon2, lat2)
    assert abs(distance_m(lat1, lon1, lat2, lon2) - ref) < 1e-3
    diff = (bearing_deg(lat1, lon1, lat2, lon2) - fwd % 360 + 180) % 360 - 180
    assert abs(math.radians(diff)) * dist < 1e-3  # the bearing puts the far end within 1 mm


def test_polygon_area_within_0_1_percent_of_the_ellipsoidal_area() -> None:
    # A 3 km x 2 km field near Shenzhen with a 500 m square hole.
    o = Origin(lat_deg=22.5431, lon_deg=114.0579)
    def ring(pts):
        east, north = np.array(pts, dtype=float).T
        lon, lat = en_arrays_to_lonlat(east, north, o)
        return list(zip(lon, lat, strict=True))
    outer = ring([(0, 0), (3000, 0), (3000, 2000), (0, 2000)])
    hole = ring([(1000, 500), (1500, 500), (1500, 1000), (1000, 1000)])
    poly = orient(Polygon(outer, [hole]))  # PROJ sums rings by their orientation
    ref, _ = GEOD.geometry_area_perimeter(poly)
    assert abs(ref) == pytest.approx(6_000_000 - 250_000, rel=1e-3)
    assert polygon_area_m2(poly) == pytest.approx(abs(ref), rel=1e-3)
