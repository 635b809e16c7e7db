"""Corridor scans along a road, river or power line: parallel tracks that follow the polyline."""

from __future__ import annotations

import math
from collections.abc import Sequence

from shapely.geometry import LineString

from mission.geodesy import Origin, en_to_latlon_list, latlon_to_en
from mission.items import MissionItem, Waypoint
from mission.plan import Plan


class CorridorError(ValueError):
    """A corridor that cannot be flown; the message names the field."""


def corridor_tracks_en(line: LineString, width_m: float, spacing_m: float) -> list[LineString]:
    """Tracks offset from the centre line, at most `spacing_m` apart, so every point within
    `width_m / 2` of the line is within half a spacing of a track; alternate ones reversed."""
    n = max(1, math.ceil(width_m / spacing_m - 1e-9))
    step = width_m / n
    tracks = []
    for k in range(n):
        off = -width_m / 2 + step * (k + 0.5)
        t = line if abs(off) < 1e-9 else line.offset_curve(off, join_style="mitre",
                                                           mitre_limit=3.0)
        if t.is_empty:
            continue
        coords = list(t.coords)
        tracks.append(LineString(coords[::-1] if k % 2 else coords))
    return tracks


def corridor(points: Sequence[tuple[float, float]], *, width_m: float, spacing_m: float,
             alt_m: float) -> Plan:
    """Plan a corridor scan along `points` (lat_deg, lon_deg)."""
    if len(points) < 2:
        raise CorridorError("polyline: needs at least 2 points")
    if not width_m > 0:
        raise CorridorError(f"width_m: {width_m} m must be positive")
    if not spacing_m > 0:
        raise CorridorError(f"spacing_m: {spacing_m} m must be positive")
    origin = Origin(lat_deg=points[0][0], lon_deg=points[0][1])
    line = LineString([latlon_to_en(la, lo, origin) for la, lo in points])
    if line.length == 0:
        raise CorridorError("polyline: all points are the same")
    items: list[MissionItem] = []
    for t in corridor_tracks_en(line, width_m, spacing_m):
        items.extend(Waypoint(lat_deg=la, lon_deg=lo, alt_m=alt_m)
                     for la, lo in en_to_latlon_list(list(t.coords), origin))
    return Plan(items=tuple(items))
