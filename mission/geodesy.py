"""WGS84 geodesy: local ENU frames, distance, bearing and polygon area.

Planning works in a flat east/north/up frame in metres around a named origin, because
line spacing, buffers and turn margins are lengths; positions enter and leave as WGS84
degrees. The transforms are pymap3d's (exact ellipsoidal ENU), not a flat-earth shortcut, so a
10 km area comes back to the same millimetre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pymap3d
import shapely
from pymap3d.vincenty import vdist
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True, kw_only=True, slots=True)
class Origin:
    """The tangent point of a local ENU frame."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Enu:
    east_m: float
    north_m: float
    up_m: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class LatLonAlt:
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float = 0.0


def geodetic_to_enu(lat_deg: float, lon_deg: float, alt_amsl_m: float, origin: Origin) -> Enu:
    e, n, u = pymap3d.geodetic2enu(
        lat_deg, lon_deg, alt_amsl_m, origin.lat_deg, origin.lon_deg, origin.alt_amsl_m
    )
    return Enu(east_m=float(e), north_m=float(n), up_m=float(u))


def enu_to_geodetic(p: Enu, origin: Origin) -> LatLonAlt:
    lat, lon, alt = pymap3d.enu2geodetic(
        p.east_m, p.north_m, p.up_m, origin.lat_deg, origin.lon_deg, origin.alt_amsl_m
    )
    return LatLonAlt(lat_deg=float(lat), lon_deg=float(lon), alt_amsl_m=float(alt))


def lonlat_arrays_to_en(
    lon_deg: np.ndarray, lat_deg: np.ndarray, origin: Origin
) -> tuple[np.ndarray, np.ndarray]:
    """Many surface points (at the origin's altitude) to east/north metres in one call."""
    e, n, _ = pymap3d.geodetic2enu(
        np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float),
        np.full(np.shape(lat_deg), origin.alt_amsl_m),
        origin.lat_deg, origin.lon_deg, origin.alt_amsl_m,
    )
    return np.asarray(e, dtype=float), np.asarray(n, dtype=float)


def en_arrays_to_lonlat(
    east_m: np.ndarray, north_m: np.ndarray, origin: Origin
) -> tuple[np.ndarray, np.ndarray]:
    """East/north metres (on the origin's tangent plane) back to longitude/latitude degrees.

    The tangent plane rises above the ellipsoid away from the origin; points are put back on
    the origin's altitude surface, which is what a planned horizontal position means.
    """
    e = np.asarray(east_m, dtype=float)
    n = np.asarray(north_m, dtype=float)
    u = np.zeros_like(e)
    # Lower the point along "up" until it sits on the origin's height surface; "up" is within
    # a fraction of a degree of the local normal over planning distances, so three steps give
    # micrometres and the inverse of `lonlat_arrays_to_en` to float precision.
    for _ in range(3):
        lat, lon, h = pymap3d.enu2geodetic(
            e, n, u, origin.lat_deg, origin.lon_deg, origin.alt_amsl_m
        )
        u = u - (np.asarray(h) - origin.alt_amsl_m)
    lat, lon, _ = pymap3d.enu2geodetic(e, n, u, origin.lat_deg, origin.lon_deg, origin.alt_amsl_m)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def lonlat_geometry_to_enu(geom: BaseGeometry, origin: Origin) -> BaseGeometry:
    """A shapely geometry in GeoJSON (lon, lat) order to the same shape in ENU metres."""

    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(lonlat_arrays_to_en(xy[:, 0], xy[:, 1], origin))

    return shapely.transform(geom, fn)


def enu_geometry_to_lonlat(geom: BaseGeometry, origin: Origin) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(en_arrays_to_lonlat(xy[:, 0], xy[:, 1], origin))

    return shapely.transform(geom, fn)


def origin_of(geom: BaseGeometry, alt_amsl_m: float = 0.0) -> Origin:
    """A frame centred on a lon/lat geometry, so distortion is smallest where the work is."""
    c = geom.centroid
    return Origin(lat_deg=float(c.y), lon_deg=float(c.x), alt_amsl_m=alt_amsl_m)


def distance_m(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Geodesic (ellipsoidal, Vincenty) distance on WGS84."""
    if (lat1_deg, lon1_deg) == (lat2_deg, lon2_deg):
        return 0.0
    d, _ = vdist(lat1_deg, lon1_deg, lat2_deg, lon2_deg)
    return float(d)


def bearing_deg(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Initial geodesic bearing from point 1 to point 2, degrees clockwise from true north."""
    if (lat1_deg, lon1_deg) == (lat2_deg, lon2_deg):
        return 0.0
    _, az = vdist(lat1_deg, lon1_deg, lat2_deg, lon2_deg)
    return float(az) % 360.0


def polygon_area_m2(lonlat: Polygon | MultiPolygon) -> float:
    """Area of a lon/lat polygon (holes subtracted), on a local plane around its centroid.

    Within a few tens of kilometres the tangent-plane area differs from the ellipsoidal one by
    well under 0.1 %, which is far below what any coverage figure resolves.
    """
    return float(lonlat_geometry_to_enu(lonlat, origin_of(lonlat)).area)


def path_length_m(points: Sequence[tuple[float, float]]) -> float:
    """Length of a path given as (lat_deg, lon_deg) pairs."""
    return sum(
        distance_m(a[0], a[1], b[0], b[1]) for a, b in zip(points, points[1:], strict=False)
    )


def latlon_to_en(lat_deg: float, lon_deg: float, origin: Origin) -> tuple[float, float]:
    """One surface point to (east_m, north_m) on the origin's plane."""
    e, n = lonlat_arrays_to_en(np.array([lon_deg]), np.array([lat_deg]), origin)
    return float(e[0]), float(n[0])


def en_to_latlon_list(
    points: Sequence[tuple[float, float]], origin: Origin
) -> list[tuple[float, float]]:
    """(east_m, north_m) points to (lat_deg, lon_deg) pairs."""
    if not points:
        return []
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    lon, lat = en_arrays_to_lonlat(arr[:, 0], arr[:, 1], origin)
    return list(zip(lat.tolist(), lon.tolist(), strict=True))
