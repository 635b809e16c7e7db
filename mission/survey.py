"""Area survey (lawn-mower) in local metres: sweep angle, lines, cells and their order.

Lines run at the chosen angle, evenly spaced so that no point of the area is more than half a
spacing from one. Each line covers the full extent of the area's strip around it, so concave
corners between lines are not missed. Where the area (minus holes and exclusion zones) splits a
line, the pieces form cells that are flown one after the other, boustrophedon inside each, so
the camera never crosses a long gap; connections between cells bend around exclusion zones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from mission.transit import ZoneGraph, build_zone_graph, path_length_m, route_through

Point2 = tuple[float, float]


class SurveyError(ValueError):
    """An area or setting no survey can be planned for; the message names the field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepSettings:
    line_spacing_m: float
    speed_mps: float = 10.0
    turn_s: float = 6.0  #: braking, turning and accelerating at each line end (multicopter)
    turnaround_m: float = 0.0  #: overshoot beyond the area at each line end
    clearance_m: float = 5.0  #: distance kept from exclusion zones


@dataclass(frozen=True, kw_only=True, slots=True)
class Sweep:
    """A planned sweep in ENU metres."""

    angle_deg: float  #: line direction, degrees clockwise from north
    lines: tuple[tuple[Point2, Point2], ...]  #: flown survey lines, in flight order
    path: tuple[Point2, ...]  #: every vertex flown, lines and connections
    line_spacing_m: float  #: the spacing actually used (at most the one asked for)
    length_m: float
    flight_time_s: float
    #: (first, last) index in `path` of each cell: the stretches to photograph; the legs
    #: between cells are connections, flown with the camera off.
    cell_spans: tuple[tuple[int, int], ...] = ()


def _rotation_deg(angle_deg: float) -> float:
    """Counter-clockwise rotation (shapely's sense) that turns lines at `angle_deg` to +x."""
    # A bearing of a° clockwise from north is the direction (sin a, cos a); its math angle
    # is 90 - a; rotating by a - 90 maps it onto +x.
    return angle_deg - 90.0


Intervals = list[tuple[float, float]]


def _slab_segments(
    region_r: BaseGeometry, spacing_m: float
) -> tuple[list[Intervals], np.ndarray, float]:
    """Per line (bottom to top, rotated frame): merged x-intervals covering the line's strip."""
    minx, miny, maxx, maxy = region_r.bounds
    height = maxy - miny
    n = max(1, math.ceil(height / spacing_m - 1e-6))
    step = height / n
    ys = miny + step * (np.arange(n) + 0.5)
    slabs = [box(minx - 1, y - step / 2, maxx + 1, y + step / 2) for y in ys]
    parts = shapely.intersection(np.array(slabs, dtype=object), region_r)
    per_line: list[list[tuple[float, float]]] = []
    for geom in parts:
        ivals = sorted(
            (g.bounds[0], g.bounds[2])
            for g in getattr(geom, "geoms", [geom])
            if not g.is_empty and g.area > 1e-9
        )
        merged: list[tuple[float, float]] = []
        for a, b in ivals:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        per_line.append(merged)
    return per_line, ys, step


def _clip_to_clear(segs: Intervals, y: float, blocked_r: BaseGeometry | None) -> Intervals:
    if blocked_r is None or blocked_r.is_empty:
        return segs
    out: list[tuple[float, float]] = []
    for a, b in segs:
        rest = LineString([(a, y), (b, y)]).difference(blocked_r)
        for g in getattr(rest, "geoms", [rest]):
            if not g.is_empty and g.length > 1e-6:
                xs = [c[0] for c in g.coords]
                out.append((min(xs), max(xs)))
    return sorted(out)


@dataclass(slots=True)
class _Cell:
    segs: list[tuple[float, float, float]]  #: (y, x0, x1) bottom to top


def _cells(lines: list[list[tuple[float, float]]], ys: np.ndarray) -> list[_Cell]:
    """Chain segments of consecutive lines that overlap one-to-one into cells."""
    cells: list[_Cell] = []
    open_: dict[int, _Cell] = {}  # segment index on the previous line -> its cell
    prev: list[tuple[float, float]] = []
    for k, segs in enumerate(lines):
        nxt: dict[int, _Cell] = {}
        for j, (a, b) in enumerate(segs):
            ups = [i for i, (c, d) in enumerate(prev) if c < b and a < d]
            cell = None
            if len(ups) == 1:
                i = ups[0]
                downs = [jj for jj, (c, d) in enumerate(segs) if c < prev[i][1] and prev[i][0] < d]
                if downs == [j] and i in open_:
                    cell = open_.pop(i)
            if cell is None:
                cell = _Cell(segs=[])
                cells.append(cell)
            cell.segs.append((float(ys[k]), a, b))
            nxt[j] = cell
        open_, prev = nxt, segs
    return cells


def _overshoot(cells: list[_Cell], overshoot_m: float, blocked_r: BaseGeometry | None) -> None:
    """Extend each line end by `overshoot_m` where the extension stays clear of every zone."""
    for cell in cells:
        out = []
        for y, a, b in cell.segs:
            a2, b2 = a - overshoot_m, b + overshoot_m
            if blocked_r is not None:
                if blocked_r.intersects(LineString([(a2, y), (a, y)])):
                    a2 = a
                if blocked_r.intersects(LineString([(b, y), (b2, y)])):
                    b2 = b
            out.append((y, a2, b2))
        cell.segs = out


def _cell_path(cell: _Cell, from_top: bool, start_right: bool) -> list[Point2]:
    segs = cell.segs[::-1] if from_top else cell.segs
    pts: list[Point2] = []
    right = start_right
    for y, a, b in segs:
        pts.extend([(b, y), (a, y)] if right else [(a, y), (b, y)])
        right = not right
    return pts


def _order_cells(cells: list[_Cell], start_r: Point2 | None) -> list[list[Point2]]:
    """Greedy: from where the vehicle is, fly next the cell whose nearest corner is closest."""
    # The four ways into each cell: its bottom or top line, from the left or the right end.
    entries = np.array([
        [(c.segs[0][1], c.segs[0][0]), (c.segs[0][2], c.segs[0][0]),
         (c.segs[-1][1], c.segs[-1][0]), (c.segs[-1][2], c.segs[-1][0])]
        for c in cells
    ])  # (cells, 4, 2)
    todo = np.ones(len(cells), dtype=bool)
    here = start_r
    out: list[list[Point2]] = []
    while todo.any():
        if here is None:
            ci, way = int(np.flatnonzero(todo)[0]), 0
        else:
            d = np.hypot(entries[..., 0] - here[0], entries[..., 1] - here[1])
            d[~todo] = np.inf
            ci, way = (int(v) for v in np.unravel_index(int(np.argmin(d)), d.shape))
        todo[ci] = False
        p = _cell_path(cells[ci], from_top=way >= 2, start_right=way % 2 == 1)
        out.append(p)
        here = p[-1]
    return out


def _to_world(pts: Sequence[Point2], angle_deg: float) -> list[Point2]:
    if not pts:
        return []
    line = affinity.rotate(LineString(pts) if len(pts) > 1 else LineString([pts[0], pts[0]]),
                           -_rotation_deg(angle_deg), origin=(0, 0))
    return [(float(x), float(y)) for x, y in line.coords][: len(pts)]


def plan_sweep(
    area: Polygon,
    settings: SweepSettings,
    angle_deg: float,
    exclusions: Sequence[Polygon] = (),
    start: Point2 | None = None,
    graph: ZoneGraph | None = None,
) -> Sweep:
    """One lawn-mower sweep over `area` (ENU metres, holes allowed) at a fixed line angle."""
    if settings.line_spacing_m <= 0:
        raise SurveyError(f"line_spacing_m: {settings.line_spacing_m} m must be positive")
    graph = graph if graph is not None else build_zone_graph(exclusions, settings.clearance_m)
    region = area
    if exclusions:
        region = area.difference(shapely.union_all(list(exclusions)))
    if region.is_empty or region.area <= 0:
        raise SurveyError("area: nothing is left to survey outside the exclusion zones")
    rot = _rotation_deg(angle_deg)
    region_r = affinity.rotate(region, rot, origin=(0, 0))
    # Lines stop a hair outside the clearance, so their ends are valid transit points.
    blocked_r = (affinity.rotate(graph.blocked.buffer(0.1), rot, origin=(0, 0))
                 if not graph.blocked.is_empty else None)
    per_line, ys, step = _slab_segments(region_r, settings.line_spacing_m)
    per_line = [_clip_to_clear(s, float(y), blocked_r) for s, y in zip(per_line, ys, strict=True)]
    cells = _cells(per_line, ys)
    if settings.turnaround_m > 0:
        _overshoot(cells, settings.turnaround_m, blocked_r)
    start_r = None
    if start is not None:
        p = affinity.rotate(shapely.Point(start), rot, origin=(0, 0))
        start_r = (p.x, p.y)
    ordered = _order_cells(cells, start_r)
    lines_world: list[tuple[Point2, Point2]] = []
    waypoints: list[Point2] = []
    spans: list[tuple[int, int]] = []
    for cell_pts in ordered:
        world = _to_world(cell_pts, angle_deg)
        for i in range(0, len(world), 2):
            lines_world.append((world[i], world[i + 1]))
        if waypoints:
            waypoints.extend(route_through(graph, [waypoints[-1], world[0]])[1:])
        else:
            waypoints.append(world[0])
        first = len(waypoints) - 1
        # Step-overs inside a cell can clip a zone's corner too: every leg is routed.
        waypoints.extend(route_through(graph, world)[1:])
        spans.append((first, len(waypoints) - 1))
    length = path_length_m(waypoints)
    turns = max(0, len(waypoints) - 1)
    time_s = length / settings.speed_mps + turns * settings.turn_s
    return Sweep(angle_deg=angle_deg % 180.0, lines=tuple(lines_world), path=tuple(waypoints),
                 line_spacing_m=step, length_m=length, flight_time_s=time_s,
                 cell_spans=tuple(spans))


def _estimate_time_s(region: BaseGeometry, settings: SweepSettings, angle_deg: float) -> float:
    """Flight time of a sweep from its line lengths and turns alone: cheap, for the angle search."""
    rot = _rotation_deg(angle_deg)
    region_r = affinity.rotate(region, rot, origin=(0, 0))
    minx, miny, maxx, maxy = region_r.bounds
    n = max(1, math.ceil((maxy - miny) / settings.line_spacing_m - 1e-6))
    step = (maxy - miny) / n
    ys = miny + step * (np.arange(n) + 0.5)
    lines = shapely.linestrings(
        np.stack([np.column_stack([np.full(n, minx - 1), ys]),
                  np.column_stack([np.full(n, maxx + 1), ys])], axis=1)
    )
    cut = shapely.intersection(lines, region_r)
    length = float(shapely.length(cut).sum()) + n * step
    pieces = int(shapely.get_num_geometries(cut).sum())
    return length / settings.speed_mps + 2 * pieces * settings.turn_s


def candidate_angles_deg(area: Polygon) -> list[float]:
    """Every 5° plus the directions of the area's edges (the best sweep often follows one)."""
    coords = np.asarray(area.exterior.coords)
    d = np.diff(coords, axis=0)
    edge = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 180.0
    return sorted({round(a, 6) for a in np.concatenate([np.arange(0, 180, 5.0), edge])})


def plan_survey_sweep(
    area: Polygon,
    settings: SweepSettings,
    angle_deg: float | None = None,
    exclusions: Sequence[Polygon] = (),
    start: Point2 | None = None,
) -> Sweep:
    """A sweep at `angle_deg`, or at the angle with the shortest flight time when None.

    The search ranks all candidate angles by an estimate, then plans the best few in full
    (always including 0°), so the automatic angle is never slower than a plain north sweep.
    """
    graph = build_zone_graph(exclusions, settings.clearance_m)
    if angle_deg is not None:
        return plan_sweep(area, settings, angle_deg, exclusions, start, graph)
    region = area.difference(shapely.union_all(list(exclusions))) if exclusions else area
    if region.is_empty:
        raise SurveyError("area: nothing is left to survey outside the exclusion zones")
    ranked = sorted(candidate_angles_deg(area), key=lambda a: _estimate_time_s(region, settings, a))
    tried = {0.0, *ranked[:3]}
    sweeps = [plan_sweep(area, settings, a, exclusions, start, graph) for a in sorted(tried)]
    return min(sweeps, key=lambda s: s.flight_time_s)
