"""Perimeter and shoreline patrols at an offset from a polygon, and facade scans around one.

A patrol flies the polygon's outline moved outwards (positive offset) or inwards (negative):
a reservoir shore from over the water, a fire line from outside it. A facade scan flies the
same loop at several heights with the nose turned to the wall.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from shapely.geometry import Point, Polygon

from mission.geodesy import Origin, en_to_latlon_list, latlon_to_en, lonlat_geometry_to_enu
from mission.items import Gimbal, MissionItem, TriggerDistance, Waypoint
from mission.plan import Plan


class PerimeterError(ValueError):
    """A perimeter that cannot be flown; the message names the field."""


def perimeter_loop_en(area: Polygon, offset_m: float, tolerance_m: float = 1.0,
                      start: tuple[float, float] | None = None) -> list[tuple[float, float]]:
    """Closed loop `offset_m` outside (positive) or inside (negative) `area`, clockwise,
    starting at the corner nearest `start`."""
    ring = area.buffer(offset_m, join_style="round", quad_segs=8)
    if ring.is_empty:
        raise PerimeterError(f"offset_m: {offset_m} m inside leaves nothing of the area")
    if ring.geom_type == "MultiPolygon":
        ring = max(ring.geoms, key=lambda g: g.area)
    line = ring.exterior.simplify(tolerance_m)
    pts = list(line.coords)[:-1]
    if line.is_ccw:
        pts = pts[::-1]  # clockwise, as a pilot flies a patrol with the area on the right
    if start is not None:
        k = int(np.argmin([math.dist(p, start) for p in pts]))
        pts = pts[k:] + pts[:k]
    return [*pts, pts[0]]


def perimeter(area: Polygon, *, offset_m: float, alt_m: float, laps: int = 1,
              start: tuple[float, float] | None = None) -> Plan:
    """Patrol around `area` (lon, lat); `start` is (lat_deg, lon_deg)."""
    if laps < 1:
        raise PerimeterError(f"laps: {laps} must be at least 1")
    c = area.centroid
    origin = Origin(lat_deg=c.y, lon_deg=c.x)
    local = lonlat_geometry_to_enu(area, origin)
    here = latlon_to_en(*start, origin) if start else None
    loop = perimeter_loop_en(local, offset_m, start=here)
    pts = loop + loop[1:] * (laps - 1)
    return Plan(items=tuple(Waypoint(lat_deg=la, lon_deg=lo, alt_m=alt_m)
                            for la, lo in en_to_latlon_list(pts, origin)))


def facade_scan(footprint: Polygon, *, distance_m: float, alts_m: Sequence[float],
                trigger_m: float) -> Plan:
    """Loops `distance_m` from a building's walls at each height, facing the nearest wall."""
    if not distance_m > 0:
        raise PerimeterError(f"distance_m: {distance_m} m must be positive")
    if not alts_m:
        raise PerimeterError("alts_m: give at least one height")
    c = footprint.centroid
    origin = Origin(lat_deg=c.y, lon_deg=c.x)
    local = lonlat_geometry_to_enu(footprint, origin)
    loop = perimeter_loop_en(local, distance_m)
    items: list[MissionItem] = [Gimbal(pitch_deg=0.0), TriggerDistance(distance_m=trigger_m)]
    for alt in alts_m:
        for (e, n), (la, lo) in zip(loop, en_to_latlon_list(loop, origin), strict=True):
            wall = local.exterior.interpolate(local.exterior.project(Point(e, n)))
            yaw = math.degrees(math.atan2(wall.x - e, wall.y - n)) % 360.0
            items.append(Waypoint(lat_deg=la, lon_deg=lo, alt_m=alt, yaw_deg=yaw))
    items.append(TriggerDistance(distance_m=0.0))
    return Plan(items=tuple(items))
