"""IAMSAR search patterns (expanding square, sector, parallel track, creeping line) and PoD.

Geometry follows the IAMSAR Manual, Vol. II: the expanding square's legs grow 1, 1, 2, 2, 3,
3 … track spacings, turning 90° right; the sector search flies three equilateral triangles
through the datum (120° turns); parallel track and creeping line sweep a rectangle along or
across its long side. Track spacing comes from the sweep width and a coverage factor; the
probability of detection uses the inverse-cube law for systematic search (IAMSAR's "ideal").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon

from mission.geodesy import Origin, en_to_latlon_list, latlon_to_en, lonlat_geometry_to_enu
from mission.items import MissionItem, Waypoint
from mission.plan import Plan
from mission.split import split_area
from mission.survey import SweepSettings, plan_sweep
from mission.transit import path_length_m


class SearchError(ValueError):
    """A search request with an impossible figure; the message names the field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SearchPlan:
    plan: Plan
    track_spacing_m: float
    track_length_m: float
    searched_area_m2: float
    coverage_factor: float  #: sweep width × track length / area
    pod: float  #: probability of detecting a target in the area, 0..1


def track_spacing_m(sweep_width_m: float, coverage_factor: float = 1.0) -> float:
    """IAMSAR: S = W / C. A coverage factor of 1 puts the tracks one sweep width apart."""
    if sweep_width_m <= 0:
        raise SearchError(f"sweep_width_m: {sweep_width_m} m must be positive")
    if coverage_factor <= 0:
        raise SearchError(f"coverage_factor: {coverage_factor} must be positive")
    return sweep_width_m / coverage_factor


def pod_systematic(coverage_factor: float) -> float:
    """PoD of parallel sweeps at coverage C under the inverse-cube law: erf(√π/2 · C)."""
    return math.erf(math.sqrt(math.pi) / 2.0 * max(coverage_factor, 0.0))


def pod_random(coverage_factor: float) -> float:
    """PoD of a random search at coverage C (exponential detection): 1 − e^(−C)."""
    return 1.0 - math.exp(-max(coverage_factor, 0.0))


def _check(name: str, v: float) -> None:
    if not v > 0:
        raise SearchError(f"{name}: {v} must be positive")


def _waypoints(origin: Origin, pts: list[tuple[float, float]], alt_m: float) -> list[MissionItem]:
    return [Waypoint(lat_deg=la, lon_deg=lo, alt_m=alt_m)
            for la, lo in en_to_latlon_list(pts, origin)]


def _result(plan: Plan, pts: list[tuple[float, float]], spacing: float, sweep_width_m: float,
            area_m2: float) -> SearchPlan:
    length = path_length_m(pts)
    c = sweep_width_m * length / area_m2 if area_m2 > 0 else 0.0
    return SearchPlan(plan=plan, track_spacing_m=spacing, track_length_m=length,
                      searched_area_m2=area_m2, coverage_factor=c, pod=pod_systematic(c))


def expanding_square_en(
    spacing_m: float, legs: int, first_bearing_deg: float = 0.0
) -> list[tuple[float, float]]:
    """Corner points from the datum (0, 0): leg k (0-based) is ⌊k/2⌋+1 spacings, 90° right."""
    pts = [(0.0, 0.0)]
    x = y = 0.0
    for k in range(legs):
        b = math.radians(first_bearing_deg + 90.0 * k)
        d = (k // 2 + 1) * spacing_m
        x, y = x + d * math.sin(b), y + d * math.cos(b)
        pts.append((x, y))
    return pts


def expanding_square(lat_deg: float, lon_deg: float, *, sweep_width_m: float, alt_m: float,
                     legs: int = 12, first_bearing_deg: float = 0.0,
                     coverage_factor: float = 1.0) -> SearchPlan:
    """Expanding square around a datum where the target is most likely (IAMSAR SS)."""
    spacing = track_spacing_m(sweep_width_m, coverage_factor)
    _check("alt_m", alt_m)
    if legs < 1:
        raise SearchError(f"legs: {legs} must be at least 1")
    origin = Origin(lat_deg=lat_deg, lon_deg=lon_deg)
    pts = expanding_square_en(spacing, legs, first_bearing_deg)
    xs, ys = np.array(pts).T
    area = (np.ptp(xs) + spacing) * (np.ptp(ys) + spacing)
    return _result(Plan(items=tuple(_waypoints(origin, pts, alt_m))), pts, spacing,
                   sweep_width_m, float(area))


def sector_search_en(radius_m: float, first_bearing_deg: float = 0.0) -> list[tuple[float, float]]:
    """Datum, then three equilateral triangles of side `radius_m` through it (IAMSAR VS)."""
    pts = [(0.0, 0.0)]
    for t in range(3):
        for off in (0.0, 60.0):
            b = math.radians(first_bearing_deg + 120.0 * t + off)
            pts.append((radius_m * math.sin(b), radius_m * math.cos(b)))
        pts.append((0.0, 0.0))
    return pts


def sector_search(lat_deg: float, lon_deg: float, *, radius_m: float, alt_m: float,
                  sweep_width_m: float, first_bearing_deg: float = 0.0,
                  second_pass: bool = False) -> SearchPlan:
    """Sector search around a datum; a second pass turned 30° fills the gaps between legs."""
    _check("radius_m", radius_m)
    _check("alt_m", alt_m)
    origin = Origin(lat_deg=lat_deg, lon_deg=lon_deg)
    pts = sector_search_en(radius_m, first_bearing_deg)
    if second_pass:
        pts += sector_search_en(radius_m, first_bearing_deg + 30.0)[1:]
    items = _waypoints(origin, pts, alt_m)
    # Adjacent outer corners are one radius apart (equilateral triangles).
    return _result(Plan(items=tuple(items)), pts, radius_m, sweep_width_m,
                   math.pi * radius_m**2)


def _local(area: Polygon) -> tuple[Origin, Polygon]:
    c = area.centroid
    origin = Origin(lat_deg=c.y, lon_deg=c.x)
    return origin, lonlat_geometry_to_enu(area, origin)


def _leg_angle_deg(local: Polygon, creeping: bool) -> float:
    """Legs along the long side of the area's smallest enclosing rectangle, or across it."""
    rect = np.asarray(local.minimum_rotated_rectangle.exterior.coords)
    sides = np.diff(rect[:3], axis=0)
    long_side = sides[int(np.argmax(np.hypot(*sides.T)))]
    major_deg = math.degrees(math.atan2(long_side[0], long_side[1])) % 180.0
    return (major_deg + 90.0) % 180.0 if creeping else major_deg


def parallel_search(area: Polygon, *, sweep_width_m: float, alt_m: float,
                    creeping: bool = False, coverage_factor: float = 1.0,
                    start: tuple[float, float] | None = None) -> SearchPlan:
    """Parallel track (legs along the area's long side) or creeping line (across it).

    `area` is (lon, lat); `start` is (lat_deg, lon_deg).
    """
    spacing = track_spacing_m(sweep_width_m, coverage_factor)
    _check("alt_m", alt_m)
    origin, local = _local(area)
    angle = _leg_angle_deg(local, creeping)
    here = latlon_to_en(*start, origin) if start else None
    sweep = plan_sweep(local, SweepSettings(line_spacing_m=spacing, turnaround_m=0.0), angle,
                       start=here)
    pts = list(sweep.path)
    return _result(Plan(items=tuple(_waypoints(origin, pts, alt_m))), pts, sweep.line_spacing_m,
                   sweep_width_m, float(local.area))


def parallel_search_split(area: Polygon, *, starts: Sequence[tuple[float, float]],
                          sweep_width_m: float, alt_m: float, creeping: bool = False,
                          coverage_factor: float = 1.0) -> list[SearchPlan]:
    """A parallel-track or creeping-line search shared by one vehicle per start
    (lat_deg, lon_deg): bands of even flight time, each searched from its vehicle."""
    spacing = track_spacing_m(sweep_width_m, coverage_factor)
    _check("alt_m", alt_m)
    origin, local = _local(area)
    here = [latlon_to_en(la, lo, origin) for la, lo in starts]
    shares = split_area(local, here, SweepSettings(line_spacing_m=spacing, turnaround_m=0.0),
                        angle_deg=_leg_angle_deg(local, creeping))
    return [_result(Plan(items=tuple(_waypoints(origin, list(s.sweep.path), alt_m))),
                    list(s.sweep.path), s.sweep.line_spacing_m, sweep_width_m, float(s.part.area))
            for s in shares]
