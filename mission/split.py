"""Divide an area between several vehicles: bands of balanced flight time.

Bands run parallel to the sweep lines, so each vehicle keeps long lines and few turns. Band
edges are found by bisection on the area; the bands go to the vehicles so that the sum of the
distances from each vehicle's start to its band is smallest (an assignment problem, exact for
the few vehicles of one incident), then the edges move until the flight times even out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations

import numpy as np
import shapely
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


def _bands(region_r: BaseGeometry, fractions: Sequence[float]) -> list[BaseGeometry]:
    """Horizontal bands of `region_r` holding the given fractions of its area, bottom to top."""
    minx, miny, maxx, maxy = region_r.bounds
    total = region_r.area
    cuts = [miny]
    acc = 0.0
    for f in fractions[:-1]:
        acc += f
        lo, hi = cuts[-1], maxy
        for _ in range(32):  # 2^-32 of the height: far below a millimetre
            mid = (lo + hi) / 2
            if region_r.intersection(box(minx - 1, miny - 1, maxx + 1, mid)).area < total * acc:
                lo = mid
            else:
                hi = mid
        cuts.append((lo + hi) / 2)
    cuts.append(maxy)
    return [region_r.intersection(box(minx - 1, a, maxx + 1, b))
            for a, b in zip(cuts, cuts[1:], strict=False)]


def split_area(area: Polygon, starts: Sequence[tuple[float, float]], settings: SweepSettings,
               exclusions: Sequence[Polygon] = (), angle_deg: float | None = None,
               rounds: int = 3) -> list[Share]:
    """One contiguous band per start (ENU metres), planned from its vehicle.

    The first cut gives equal areas; each further round moves area from the vehicles whose
    flight (transit from the start plus the sweep) is longest to the shortest, so the last
    vehicle home decides the incident's time as little as possible.
    """
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
    graph = build_zone_graph(exclusions, settings.clearance_m)
    fractions = [1.0 / k] * k
    order: list[int] | None = None  # vehicle of each band, fixed after the first cut
    best: list[Share] | None = None
    for _ in range(max(1, rounds)):
        parts = [affinity.rotate(b, -rot, origin=(0, 0)) for b in _bands(region_r, fractions)]
        if order is None:
            cost = np.array([[Point(s).distance(p) for p in parts] for s in starts])
            order = _assign(cost)
        shares = []
        for j, part in enumerate(parts):
            v = order[j]
            piece = shapely.union_all([g for g in getattr(part, "geoms", [part])
                                       if g.geom_type == "Polygon" and g.area > 0])
            sweep = _sweep_parts(piece, settings, angle_deg, exclusions, starts[v], graph)
            shares.append(Share(vehicle=v, part=piece, sweep=sweep,
                                transit_m=math.dist(starts[v], sweep.path[0])))
        if best is None or _makespan(shares, settings) < _makespan(best, settings):
            best = shares
        times = np.array([_time_s(s, settings) for s in shares])
        # Area per second of each band's vehicle, to aim every band at the mean time.
        rate = np.array(fractions) / times
        fractions = list(rate * times.mean() / (rate * times.mean()).sum())
    assert best is not None
    return sorted(best, key=lambda s: s.vehicle)


def _assign(cost: np.ndarray) -> list[int]:
    """Vehicle for each band minimising the summed distance: exact (every permutation) up to
    8 vehicles, greedy by nearest pair beyond, where a whole fleet shares one area."""
    k = cost.shape[0]
    if k <= 8:
        perms = np.array(list(permutations(range(k))))  # perms[p, band] = vehicle
        totals = cost[perms, np.arange(k)].sum(axis=1)
        return [int(v) for v in perms[int(np.argmin(totals))]]
    order = [-1] * k
    free_v, free_b = set(range(k)), set(range(k))
    for flat in np.argsort(cost, axis=None):
        v, b = divmod(int(flat), k)
        if v in free_v and b in free_b:
            order[b] = v
            free_v.discard(v)
            free_b.discard(b)
    return order


def _time_s(share: Share, settings: SweepSettings) -> float:
    return share.sweep.flight_time_s + share.transit_m / settings.speed_mps


def _makespan(shares: Sequence[Share], settings: SweepSettings) -> float:
    return max(_time_s(s, settings) for s in shares)


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
    spans = list(sweeps[0].cell_spans)
    for s in sweeps[1:]:
        path.extend(route_through(graph, [path[-1], s.path[0]])[1:-1])
        spans.extend((a + len(path), b + len(path)) for a, b in s.cell_spans)
        path.extend(s.path)
    length = path_length_m(path)
    joins_s = (length - sum(s.length_m for s in sweeps)) / settings.speed_mps
    return Sweep(angle_deg=angle_deg, lines=tuple(line for s in sweeps for line in s.lines),
                 path=tuple(path), line_spacing_m=min(s.line_spacing_m for s in sweeps),
                 length_m=length, flight_time_s=sum(s.flight_time_s for s in sweeps) + joins_s,
                 cell_spans=tuple(spans))
