"""Local east-north-up maths around a vehicle's home, small enough for the simulator's few km.

The simulator converts between WGS84 and local metres thousands of times a second; an
equirectangular projection with the WGS84 radii of curvature at the origin needs no library
call in the physics loop. It is its own exact inverse, so a commanded latitude/longitude is
reached exactly; its metres differ from a true tangent plane (pymap3d) by 0.3 m at 3 km,
which only shifts where in the flat world a far point lies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WGS84_A_M = 6_378_137.0
WGS84_E2 = 6.694_379_990_14e-3


@dataclass(frozen=True, kw_only=True, slots=True)
class Origin:
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Enu:
    east_m: float
    north_m: float
    up_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class LatLonAlt:
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float


def _radii_m(lat_deg: float) -> tuple[float, float]:
    """Meridional and prime-vertical radii of curvature at a latitude."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - WGS84_E2 * s * s)
    return WGS84_A_M * (1.0 - WGS84_E2) / (w * w * w), WGS84_A_M / w


def geodetic_to_enu(lat_deg: float, lon_deg: float, alt_amsl_m: float, origin: Origin) -> Enu:
    m_r, n_r = _radii_m(origin.lat_deg)
    cos_lat = math.cos(math.radians(origin.lat_deg))
    return Enu(
        east_m=math.radians(lon_deg - origin.lon_deg) * n_r * cos_lat,
        north_m=math.radians(lat_deg - origin.lat_deg) * m_r,
        up_m=alt_amsl_m - origin.alt_amsl_m,
    )


def enu_to_geodetic(p: Enu, origin: Origin) -> LatLonAlt:
    m_r, n_r = _radii_m(origin.lat_deg)
    return LatLonAlt(
        lat_deg=origin.lat_deg + math.degrees(p.north_m / m_r),
        lon_deg=origin.lon_deg
        + math.degrees(p.east_m / (n_r * math.cos(math.radians(origin.lat_deg)))),
        alt_amsl_m=origin.alt_amsl_m + p.up_m,
    )


def horizontal_distance_m(a_east_m: float, a_north_m: float, b_east_m: float,
                          b_north_m: float) -> float:
    return math.hypot(b_east_m - a_east_m, b_north_m - a_north_m)
