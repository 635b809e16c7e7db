"""Geofence geometry from fence-type mission items, and the breach test PX4 applies in flight.

Polygons and circles come from MAV_CMD_NAV_FENCE_* items (inclusion: stay inside; exclusion:
stay out). GF_MAX_HOR_DIST / GF_MAX_VER_DIST add a cylinder around home. All maths in ENU
metres around the vehicle's home.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sim.geo import Origin, geodetic_to_enu
from sim.mission_items import MissionItem

NAV_FENCE_RETURN_POINT = 5000
NAV_FENCE_POLYGON_VERTEX_INCLUSION = 5001
NAV_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
NAV_FENCE_CIRCLE_INCLUSION = 5003
NAV_FENCE_CIRCLE_EXCLUSION = 5004


@dataclass(frozen=True, kw_only=True, slots=True)
class Polygon:
    inclusion: bool
    vertices_en_m: tuple[tuple[float, float], ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Circle:
    inclusion: bool
    center_east_m: float
    center_north_m: float
    radius_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Fence:
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()

    @property
    def has_inclusion(self) -> bool:
        return any(p.inclusion for p in self.polygons) or any(c.inclusion for c in self.circles)


def fence_from_items(items: Sequence[MissionItem], home: Origin) -> Fence:
    """Group consecutive polygon vertices (param1 = vertex count) into polygons."""
    polygons: list[Polygon] = []
    circles: list[Circle] = []
    i = 0
    while i < len(items):
        item = items[i]
        en = geodetic_to_enu(item.lat_deg, item.lon_deg, home.alt_amsl_m, home)
        if item.command in (NAV_FENCE_CIRCLE_INCLUSION, NAV_FENCE_CIRCLE_EXCLUSION):
            circles.append(Circle(inclusion=item.command == NAV_FENCE_CIRCLE_INCLUSION,
                                  center_east_m=en.east_m, center_north_m=en.north_m,
                                  radius_m=item.param1))
        elif item.command in (NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                              NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
            count = max(int(item.param1), 1)
            group = [it for it in items[i:i + count] if it.command == item.command]
            vertices = tuple(
                (p.east_m, p.north_m) for p in (
                    geodetic_to_enu(v.lat_deg, v.lon_deg, home.alt_amsl_m, home) for v in group)
            )
            if len(vertices) >= 3:
                polygons.append(Polygon(
                    inclusion=item.command == NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                    vertices_en_m=vertices))
            i += len(group)
            continue
        i += 1
    return Fence(polygons=tuple(polygons), circles=tuple(circles))


def point_in_polygon(east_m: float, north_m: float,
                     vertices: Sequence[tuple[float, float]]) -> bool:
    """Even-odd ray casting."""
    inside = False
    n = len(vertices)
    for k in range(n):
        x1, y1 = vertices[k]
        x2, y2 = vertices[(k + 1) % n]
        if (y1 > north_m) != (y2 > north_m):
            x_cross = x1 + (north_m - y1) * (x2 - x1) / (y2 - y1)
            if east_m < x_cross:
                inside = not inside
    return inside


def breach_reason(fence: Fence, *, east_m: float, north_m: float, up_m: float,
                  max_hor_dist_m: float, max_ver_dist_m: float) -> str | None:
    """Why this position breaches the fence, or None when it is allowed."""
    if max_hor_dist_m > 0 and math.hypot(east_m, north_m) > max_hor_dist_m:
        return f"more than {max_hor_dist_m:.0f} m from home"
    if max_ver_dist_m > 0 and up_m > max_ver_dist_m:
        return f"higher than {max_ver_dist_m:.0f} m"
    inside_any = False
    for c in fence.circles:
        inside = math.hypot(east_m - c.center_east_m, north_m - c.center_north_m) <= c.radius_m
        if not c.inclusion and inside:
            return "inside an exclusion circle"
        inside_any |= c.inclusion and inside
    for p in fence.polygons:
        inside = point_in_polygon(east_m, north_m, p.vertices_en_m)
        if not p.inclusion and inside:
            return "inside an exclusion polygon"
        inside_any |= p.inclusion and inside
    if fence.has_inclusion and not inside_any:
        return "outside the inclusion fence"
    return None
