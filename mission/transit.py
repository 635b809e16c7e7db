"""Shortest paths around exclusion zones, on a visibility graph in local metres.

The shortest path between two points around polygonal obstacles bends only at obstacle
corners, so the graph holds the corners of the zones (grown by a clearance) and the straight
legs between them that touch no zone; Dijkstra then finds the path. The corner graph is built
once per set of zones and reused for every leg of a plan.
"""

from __future__ import annotations

import heapq
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
    edges: tuple[tuple[tuple[int, float], ...], ...]  #: per node: (neighbour, length_m)

    def is_clear(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        return not self.blocked.intersects(LineString([a, b])) if a != b else True


def build_zone_graph(zones: Sequence[Polygon], clearance_m: float = 5.0) -> ZoneGraph:
    """The visibility graph around `zones` (ENU metres) keeping `clearance_m` from each."""
    if not zones:
        empty = shapely.GeometryCollection()
        return ZoneGraph(blocked=empty, nodes=np.zeros((0, 2)), edges=())
    merged = shapely.union_all([z.buffer(0) for z in zones])
    blocked = merged.buffer(clearance_m, join_style="mitre", mitre_limit=2.0)
    # Corners a little further out than the blocked area, so legs grazing a corner are clear.
    outer = merged.buffer(clearance_m * 1.05 + 0.05, join_style="mitre", mitre_limit=2.0)
    nodes = _corners(outer)
    shapely.prepare(blocked)
    n = len(nodes)
    i_idx, j_idx = np.triu_indices(n, k=1)
    if len(i_idx):
        legs = shapely.linestrings(np.stack([nodes[i_idx], nodes[j_idx]], axis=1))
        clear = ~shapely.intersects(blocked, legs)
    else:
        clear = np.zeros(0, dtype=bool)
    lengths = np.hypot(*(nodes[j_idx] - nodes[i_idx]).T) if len(i_idx) else np.zeros(0)
    adj: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i, j, d in zip(i_idx[clear], j_idx[clear], lengths[clear], strict=True):
        adj[i].append((int(j), float(d)))
        adj[j].append((int(i), float(d)))
    return ZoneGraph(blocked=blocked, nodes=nodes, edges=tuple(tuple(a) for a in adj))


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
    for name, p in (("start", a), ("goal", b)):
        if graph.blocked.intersects(Point(p)):
            raise TransitError(f"{name}: ({p[0]:.1f}, {p[1]:.1f}) m lies in an exclusion zone "
                               "or within its clearance")
    if graph.is_clear(a, b):
        return [a, b]
    n = len(graph.nodes)
    start, goal = n, n + 1
    to_goal = dict(_visible_from(graph, b))
    dist = {start: 0.0}
    prev: dict[int, int] = {}
    heap = [(0.0, start)]
    seen: set[int] = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in seen:
            continue
        seen.add(u)
        if u == goal:
            break
        out = _visible_from(graph, a) if u == start else list(graph.edges[u])
        if u < n and u in to_goal:
            out.append((goal, to_goal[u]))
        for v, w in out:
            nd = d + w
            if nd < dist.get(v, float("inf")):
                dist[v] = nd
                prev[v] = u
                heapq.heappush(heap, (nd, v))
    if goal not in dist:
        raise TransitError("goal: no path around the exclusion zones reaches it")
    path = [b]
    u = prev[goal]
    while u != start:
        path.append((float(graph.nodes[u][0]), float(graph.nodes[u][1])))
        u = prev[u]
    path.append(a)
    return path[::-1]


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
