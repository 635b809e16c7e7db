"""Divide an area between several vehicles: contiguous bands of equal flight time.

Bands run parallel to the sweep lines, so each vehicle keeps long lines and few turns. Band
edges are found by bisection on the area so every vehicle's share is equal; the bands are
then given to the vehicles so that the sum of the distances from each vehicle's start to its
band is smallest (an assignment problem, exact for the few vehicles of one incident).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.optimize import linear_sum_assignment
from shapely import affinity
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from mission.survey import SurveyError, Sweep, SweepSettings, plan_survey_sweep, plan_sweep
from mission.transit import ZoneGraph, build_zone_graph, path_length_m, route_through


@dataclass(frozen=True, kw_only=True, slots=True)
class Share:
    vehicle: int  #: index into the starts given
    part: BaseGeometry  #: ENU metres
    sweep: Sweep
    transit_m: float  #: from the vehicle's start to the sweep's first point


def _bands(region_r: BaseGeometry, k: int) -> list[BaseGeometry]:
    minx, miny, maxx, maxy = region_r.bounds
    total = region_r.area
    cuts = [miny]
    for j in range(1, k):
        lo, hi = cuts[-1], maxy
        target = total * j / k
        for _ in range(60):
            mid = (lo + hi) / 2
            if region_r.intersection(box(minx - 1, miny - 1, maxx + 1, mid)).area < target:
                lo = mid
            else:
                hi = mid
        cuts.append((lo + hi) / 2)
    cuts.append(maxy)
    return [region_r.intersection(box(minx - 1, a, maxx + 1, b))
            for a, b in zip(cuts, cuts[1:], strict=False)]


def split_area(area: Polygon, starts: Sequence[tuple[float, float]], settings: SweepSettings,
               exclusions: Sequence[Polygon] = (), angle_deg: float | None = None) -> list[Share]:
    """One share per start (ENU metres), equal in area, each planned from its vehicle."""
    k = len(starts)
    if k < 1:
        raise SurveyError("drones: give at least one vehicle start")
    region = area.difference(shapely.union_all(list(exclusions))) if exclusions else area
    if region.is_empty:
        raise SurveyError("area: nothing is left to survey outside the exclusion zones")
    if angle_deg is None:
        angle_deg = plan_survey_sweep(area, settings, None, exclusions).angle_deg
    rot = angle_deg - 90.0
    region_r = affinity.rotate(region, rot, origin=(0, 0))
    parts = [affinity.rotate(b, -rot, origin=(0, 0)) for b in _bands(region_r, k)]
    cost = np.array([[Point(s).distance(p) for p in parts] for s in starts])
    rows, cols = linear_sum_assignment(cost)
    graph = build_zone_graph(exclusions, settings.clearance_m)
    shares = []
    for v, j in zip(rows, cols, strict=True):
        part = parts[j]
        piece = shapely.union_all([g for g in getattr(part, "geoms", [part])
                                   if g.geom_type == "Polygon" and g.area > 0])
        sweep = _sweep_parts(piece, settings, angle_deg, exclusions, starts[v], graph)
        shares.append(Share(vehicle=int(v), part=piece, sweep=sweep,
                            transit_m=math.dist(starts[v], sweep.path[0])))
    return sorted(shares, key=lambda s: s.vehicle)


def _sweep_parts(piece: BaseGeometry, settings: SweepSettings, angle_deg: float,
                 exclusions: Sequence[Polygon], start: tuple[float, float],
                 graph: ZoneGraph) -> Sweep:
    """A band cut from a concave area can fall apart; each piece is swept, then chained."""
    polys = list(getattr(piece, "geoms", [piece]))
    here = start
    sweeps = []
    for poly in sorted(polys, key=lambda p: p.distance(Point(start))):
        s = plan_sweep(poly, settings, angle_deg, exclusions, here, graph)
        sweeps.append(s)
        here = s.path[-1]
    if len(sweeps) == 1:
        return sweeps[0]
    path = list(sweeps[0].path)
    for s in sweeps[1:]:
        path.extend(route_through(graph, [path[-1], s.path[0]])[1:-1])
        path.extend(s.path)
    length = path_length_m(path)
    joins_s = (length - sum(s.length_m for s in sweeps)) / settings.speed_mps
    return Sweep(angle_deg=angle_deg, lines=tuple(line for s in sweeps for line in s.lines),
                 path=tuple(path), line_spacing_m=min(s.line_spacing_m for s in sweeps),
                 length_m=length, flight_time_s=sum(s.flight_time_s for s in sweeps) + joins_s)
