"""Area surveys on the globe: grid, double grid and oblique, as a `Plan` with its figures.

Takes the area and zones as GeoJSON-order (lon, lat) polygons, plans every pass in a local
frame centred on the area (see `survey.py`) and returns plain waypoints with the camera
commands a mapping flight needs: gimbal pitch, distance triggering on and off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon

from mission.camera import (
    CAMERAS,
    DEFAULT_CAMERA,
    Camera,
    alt_for_gsd_m,
    footprint,
    gsd_cm,
    line_spacing_m,
    trigger_distance_m,
)
from mission.geodesy import (
    Origin,
    en_arrays_to_lonlat,
    lonlat_arrays_to_en,
    lonlat_geometry_to_enu,
    origin_of,
)
from mission.items import (
    Gimbal,
    MissionItem,
    ReturnToLaunch,
    Takeoff,
    TriggerDistance,
    Waypoint,
)
from mission.plan import CameraSettings, Home, Plan, Section
from mission.survey import SurveyError, Sweep, SweepSettings, plan_survey_sweep, plan_sweep
from mission.validation import validate_polygon

DEFAULT_ALT_M = 60.0
SurveyStyle = Literal["grid", "double", "oblique"]


@dataclass(frozen=True, kw_only=True, slots=True)
class SurveyRequest:
    area: Polygon  #: (lon, lat), GeoJSON order; holes are areas not to photograph
    exclusions: tuple[Polygon, ...] = ()  #: (lon, lat); never flown into
    camera: Camera = field(default_factory=lambda: CAMERAS[DEFAULT_CAMERA])
    alt_m: float | None = None  #: above home; None: from `gsd_cm`, or 60 m
    gsd_cm: float | None = None
    front_overlap_pct: float = 75.0
    side_overlap_pct: float = 65.0
    angle_deg: float | None = None  #: line direction clockwise from north; None: fastest
    start: tuple[float, float] | None = None  #: (lat_deg, lon_deg) the vehicle comes from
    home: Home | None = None  #: with a home the plan takes off there and returns
    speed_mps: float = 10.0
    turn_s: float = 6.0
    turnaround_m: float = 10.0
    clearance_m: float = 5.0
    style: SurveyStyle = "grid"
    oblique_pitch_deg: float = -45.0


@dataclass(frozen=True, kw_only=True, slots=True)
class SurveyStats:
    alt_m: float
    gsd_cm: float
    line_spacing_m: float
    trigger_distance_m: float
    angle_deg: float
    lines: int
    length_m: float
    flight_time_s: float
    photos: int
    coverage_pct: float  #: share of the area (minus zones) inside the camera footprint


@dataclass(frozen=True, kw_only=True, slots=True)
class SurveyResult:
    plan: Plan
    stats: SurveyStats


def survey_alt_m(req: SurveyRequest) -> float:
    if req.alt_m is not None and req.gsd_cm is not None:
        raise SurveyError("alt_m: give a height or a ground sample distance, not both")
    if req.gsd_cm is not None:
        return alt_for_gsd_m(req.camera, req.gsd_cm)
    return DEFAULT_ALT_M if req.alt_m is None else req.alt_m


def _latlon(origin: Origin, pts: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    arr = np.asarray(pts, dtype=float).reshape(-1, 2)
    lon, lat = en_arrays_to_lonlat(arr[:, 0], arr[:, 1], origin)
    return list(zip(lat.tolist(), lon.tolist(), strict=True))


Pass = tuple[float, float, float | None, float]


def _passes(req: SurveyRequest, angle_deg: float, alt_m: float) -> list[Pass]:
    """(line angle, gimbal pitch, vehicle yaw or None, area growth) for each pass."""
    if req.style == "grid":
        return [(angle_deg, -90.0, None, 0.0)]
    if req.style == "double":
        return [(angle_deg, -90.0, None, 0.0), ((angle_deg + 90.0) % 180.0, -90.0, None, 0.0)]
    # Oblique: a nadir grid, then four passes looking along the four grid directions. The
    # camera looks ahead by alt / tan(|pitch|), so those passes fly an area grown by as much.
    reach = alt_m / math.tan(math.radians(abs(req.oblique_pitch_deg)))
    look = [(angle_deg + k * 90.0) % 360.0 for k in range(4)]
    return [(angle_deg, -90.0, None, 0.0)] + [
        (lk % 180.0, req.oblique_pitch_deg, lk, reach) for lk in look
    ]


def camera_waypoints(
    pts: Sequence[tuple[float, float]], spans: Sequence[tuple[int, int]], *, alt_m: float,
    trigger_m: float, yaw_deg: float | None = None,
) -> list[MissionItem]:
    """Waypoints through `pts` (lat_deg, lon_deg) with distance triggering on from the first
    point of each span to its last, off on the connections between spans."""
    starts = {a for a, _ in spans}
    ends = {b for _, b in spans}
    out: list[MissionItem] = []
    for k, (la, lo) in enumerate(pts):
        out.append(Waypoint(lat_deg=la, lon_deg=lo, alt_m=alt_m, yaw_deg=yaw_deg))
        if k in ends and k not in starts:
            out.append(TriggerDistance(distance_m=0.0))
        elif k in starts:
            out.append(TriggerDistance(distance_m=trigger_m))
    return out


def plan_survey(req: SurveyRequest) -> SurveyResult:
    """Plan a mapping survey of `req.area`; raises `SurveyError` naming every bad field."""
    issues = validate_polygon(req.area, "area") + [
        i for k, z in enumerate(req.exclusions) for i in validate_polygon(z, f"exclusions[{k}]")
    ]
    if issues:
        raise SurveyError("; ".join(str(i) for i in issues))
    alt = survey_alt_m(req)
    spacing = line_spacing_m(req.camera, alt, req.side_overlap_pct)
    trigger = trigger_distance_m(req.camera, alt, req.front_overlap_pct)
    origin = origin_of(req.area, req.home.alt_amsl_m if req.home else 0.0)
    area = lonlat_geometry_to_enu(req.area, origin)
    zones = [lonlat_geometry_to_enu(z, origin) for z in req.exclusions]
    settings = SweepSettings(line_spacing_m=spacing, speed_mps=req.speed_mps, turn_s=req.turn_s,
                             turnaround_m=req.turnaround_m, clearance_m=req.clearance_m)
    here = None
    if req.start is not None:
        e, n = lonlat_arrays_to_en(np.array([req.start[1]]), np.array([req.start[0]]), origin)
        here = (float(e[0]), float(n[0]))
    elif req.home is not None:
        e, n = lonlat_arrays_to_en(np.array([req.home.lon_deg]), np.array([req.home.lat_deg]),
                                   origin)
        here = (float(e[0]), float(n[0]))
    first = plan_survey_sweep(area, settings, req.angle_deg, zones, here)
    items: list[MissionItem] = []
    sections: list[Section] = []
    if req.home is not None:
        items.append(Takeoff(lat_deg=req.home.lat_deg, lon_deg=req.home.lon_deg, alt_m=alt))
    sweeps: list[Sweep] = []
    polygon_latlon = tuple(_latlon(origin, list(area.exterior.coords)[:-1]))
    cam = CameraSettings(
        name=req.camera.name, sensor_width_mm=req.camera.sensor_width_mm,
        sensor_height_mm=req.camera.sensor_height_mm, focal_length_mm=req.camera.focal_length_mm,
        image_width_px=req.camera.image_width_px, image_height_px=req.camera.image_height_px,
        front_overlap_pct=req.front_overlap_pct, side_overlap_pct=req.side_overlap_pct)
    for k, (angle, pitch, yaw, grow) in enumerate(_passes(req, first.angle_deg, alt)):
        if k == 0:
            sweep = first
        else:
            pass_area = area if grow == 0 else area.buffer(grow, join_style="mitre")
            sweep = plan_sweep(pass_area, settings, angle, zones, sweeps[-1].path[-1])
        sweeps.append(sweep)
        items.append(Gimbal(pitch_deg=pitch))
        start_index = len(items)
        items.extend(camera_waypoints(_latlon(origin, sweep.path), sweep.cell_spans, alt_m=alt,
                                      trigger_m=trigger, yaw_deg=yaw))
        sections.append(Section(first=start_index, last=len(items) - 1, polygon=polygon_latlon,
                                angle_deg=angle, alt_m=alt, line_spacing_m=sweep.line_spacing_m,
                                trigger_distance_m=trigger, turnaround_m=req.turnaround_m,
                                camera=cam))
    if req.home is not None:
        items.append(ReturnToLaunch())
    region = area.difference(shapely.union_all(zones)) if zones else area
    lines = MultiLineString([list(line) for s in sweeps[:1] for line in s.lines])
    half_width = footprint(req.camera, alt).across_track_m / 2
    covered = lines.buffer(half_width, cap_style="flat").intersection(region).area
    length = sum(s.length_m for s in sweeps) + sum(
        LineString([a.path[-1], b.path[0]]).length for a, b in zip(sweeps, sweeps[1:], strict=False)
    )
    photo_len = sum(LineString(s.path[a:b + 1]).length for s in sweeps for a, b in s.cell_spans
                    if b > a)
    stats = SurveyStats(
        alt_m=alt, gsd_cm=gsd_cm(req.camera, alt), line_spacing_m=first.line_spacing_m,
        trigger_distance_m=trigger, angle_deg=first.angle_deg,
        lines=sum(len(s.lines) for s in sweeps), length_m=length,
        flight_time_s=sum(s.flight_time_s for s in sweeps) + (length - sum(
            s.length_m for s in sweeps)) / req.speed_mps,
        photos=int(photo_len // trigger) + sum(len(s.cell_spans) for s in sweeps),
        coverage_pct=100.0 * covered / region.area if region.area > 0 else 0.0,
    )
    plan = Plan(items=tuple(items), home=req.home, sections=tuple(sections),
                cruise_speed_mps=req.speed_mps)
    return SurveyResult(plan=plan, stats=stats)
