"""Shortest paths around exclusion zones, on a visibility graph in local metres.

The shortest path between two points around polygonal obstacles bends only at obstacle
corners, so the graph holds the corners of the zones (grown by a clearance) and the straight
legs between them that touch no zone; Dijkstra then finds the path. The corner graph and the
shortest paths between all its corners are computed once per set of zones; each leg of a plan
then only looks for the corners it can see from its ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry


class TransitError(ValueError):
    """No path exists; the message names the field and the reason."""


def _corners(geom: BaseGeometry) -> np.ndarray:
    rings = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty:
            continue
        rings.append(np.asarray(poly.exterior.coords)[:-1])
        rings.extend(np.asarray(r.coords)[:-1] for r in poly.interiors)
    return np.vstack(rings) if rings else np.zeros((0, 2))


@dataclass(frozen=True, slots=True)
class ZoneGraph:
    """Zones grown by a clearance and the visibility graph between their corners."""

    blocked: BaseGeometry  #: the zones grown by the clearance: no leg may touch it
    nodes: np.ndarray  #: (n, 2) corner points just outside `blocked`
    dist: np.ndarray  #: (n, n) shortest path lengths between corners, m (inf: unreachable)
    pred: np.ndarray  #: (n, n) predecessor of j on the shortest path from i (-9999: none)

    def is_clear(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        return not self.blocked.intersects(LineString([a, b])) if a != b else True


def build_zone_graph(zones: Sequence[Polygon], clearance_m: float = 5.0) -> ZoneGraph:
    """The visibility graph around `zones` (ENU metres) keeping `clearance_m` from each, with
    all corner-to-corner shortest paths solved once, so each query is a table look-up."""
    if not zones:
        empty = shapely.GeometryCollection()
        none = np.zeros((0, 0))
        return ZoneGraph(blocked=empty, nodes=np.zeros((0, 2)), dist=none,
                         pred=none.astype(int))
    merged = shapely.union_all([z.buffer(0) for z in zones])
    blocked = merged.buffer(clearance_m, join_style="mitre", mitre_limit=2.0)
    # Corners a little further out than the blocked area, so legs grazing a corner are clear.
    outer = merged.buffer(clearance_m * 1.05 + 0.05, join_style="mitre", mitre_limit=2.0)
    nodes = _corners(outer)
    shapely.prepare(blocked)
    n = len(nodes)
    i_idx, j_idx = np.triu_indices(n, k=1)
    legs = shapely.linestrings(np.stack([nodes[i_idx], nodes[j_idx]], axis=1))
    clear = ~shapely.intersects(blocked, legs)
    lengths = np.hypot(*(nodes[j_idx] - nodes[i_idx]).T)
    dist = np.full((n, n), np.inf)
    np.fill_diagonal(dist, 0.0)
    dist[i_idx[clear], j_idx[clear]] = lengths[clear]
    dist[j_idx[clear], i_idx[clear]] = lengths[clear]
    dist, pred = _all_pairs(dist)
    return ZoneGraph(blocked=blocked, nodes=nodes, dist=dist, pred=pred)


def _all_pairs(dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floyd–Warshall on a dense matrix, vectorised per pivot: a few hundred corners take
    milliseconds, and it needs nothing beyond numpy."""
    n = len(dist)
    pred = np.where(np.isfinite(dist), np.arange(n)[:, None], -9999)
    np.fill_diagonal(pred, -9999)
    for k in range(n):
        via = dist[:, k:k + 1] + dist[k:k + 1, :]
        better = via < dist
        if better.any():
            dist = np.where(better, via, dist)
            pred = np.where(better, pred[k:k + 1, :], pred)
    return dist, pred


def _visible_from(graph: ZoneGraph, p: tuple[float, float]) -> list[tuple[int, float]]:
    if len(graph.nodes) == 0:
        return []
    legs = shapely.linestrings(
        np.stack([np.broadcast_to(p, graph.nodes.shape), graph.nodes], axis=1)
    )
    clear = ~shapely.intersects(graph.blocked, legs)
    d = np.hypot(*(graph.nodes - np.asarray(p)).T)
    return [(int(k), float(d[k])) for k in np.flatnonzero(clear)]


def shortest_path(
    graph: ZoneGraph, a: tuple[float, float], b: tuple[float, float]
) -> list[tuple[float, float]]:
    """Points from `a` to `b` (both included) that keep clear of the zones, shortest first."""
    if len(graph.nodes) == 0:
        return [a, b]
    for name, p in (("start", a), ("goal", b)):
        if graph.blocked.intersects(Point(p)):
            raise TransitError(f"{name}: ({p[0]:.1f}, {p[1]:.1f}) m lies in an exclusion zone "
                               "or within its clearance")
    if graph.is_clear(a, b):
        return [a, b]
    va, vb = _visible_from(graph, a), _visible_from(graph, b)
    if not va or not vb:
        raise TransitError("goal: no path around the exclusion zones reaches it")
    ia = np.array([k for k, _ in va])
    ib = np.array([k for k, _ in vb])
    total = (np.array([d for _, d in va])[:, None] + graph.dist[np.ix_(ia, ib)]
             + np.array([d for _, d in vb])[None, :])
    r, c = np.unravel_index(int(np.argmin(total)), total.shape)
    if not np.isfinite(total[r, c]):
        raise TransitError("goal: no path around the exclusion zones reaches it")
    i, j = int(ia[r]), int(ib[c])
    corners = [j]
    while corners[-1] != i:
        corners.append(int(graph.pred[i, corners[-1]]))
    mid = [(float(graph.nodes[k][0]), float(graph.nodes[k][1])) for k in reversed(corners)]
    return [a, *mid, b]


def route_through(
    graph: ZoneGraph, points: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """A path visiting `points` in order, each leg bent around the zones where needed."""
    out: list[tuple[float, float]] = [points[0]] if points else []
    for a, b in zip(points, points[1:], strict=False):
        if a != b:
            out.extend(shortest_path(graph, a, b)[1:])
    return out


def path_length_m(path: Sequence[tuple[float, float]]) -> float:
    p = np.asarray(path, dtype=float)
    return float(np.hypot(*np.diff(p, axis=0).T).sum()) if len(p) > 1 else 0.0
