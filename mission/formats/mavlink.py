"""MAVLink `MISSION_ITEM_INT` lists: what an autopilot stores and the fleet uploads.

Positions become degE7 integers (about 1 cm), so plans survive to that precision. "Not set"
travels as NaN in float params and as INT32_MAX in x/y of items without a position, the
MAVLink conventions for unset values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mission.items import DATUM_OF_FRAME, FRAME_OF_DATUM, MavCommand, item_to_mav, mav_to_item
from mission.plan import FenceCircle, FencePolygon, Plan, RallyPoint

MISSION_TYPE_MISSION = 0
MISSION_TYPE_FENCE = 1
MISSION_TYPE_RALLY = 2
INT32_MAX = 2**31 - 1
CMD_FENCE_POLYGON_VERTEX_INCLUSION = 5001
CMD_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
CMD_FENCE_CIRCLE_INCLUSION = 5003
CMD_FENCE_CIRCLE_EXCLUSION = 5004
CMD_RALLY_POINT = 5100


class MavlinkFormatError(ValueError):
    """A list of items that does not describe a plan; the message names the item."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionItemInt:
    """The fields of MAVLink MISSION_ITEM_INT except the addressing (target system/component)."""

    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int  #: latitude degE7 in global frames, else param5 as an integer
    y: int  #: longitude degE7 in global frames, else param6 as an integer
    z: float  #: altitude in the item's frame, m (or param7)
    mission_type: int


def _nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _opt(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _is_global(frame: int) -> bool:
    return frame in DATUM_OF_FRAME


def _xy(v: float | None, frame: int) -> int:
    if v is None:
        return INT32_MAX
    return round(v * 1e7) if _is_global(frame) else round(v)


def _xy_back(v: int, frame: int) -> float | None:
    if v == INT32_MAX:
        return None
    return v / 1e7 if _is_global(frame) else float(v)


def mav_to_int(m: MavCommand, seq: int, mission_type: int = MISSION_TYPE_MISSION) -> MissionItemInt:
    p = m.params
    return MissionItemInt(
        seq=seq, frame=m.frame, command=m.command, current=1 if seq == 0 else 0,
        autocontinue=1 if m.autocontinue else 0, param1=_nan(p[0]), param2=_nan(p[1]),
        param3=_nan(p[2]), param4=_nan(p[3]), x=_xy(p[4], m.frame), y=_xy(p[5], m.frame),
        z=_nan(p[6]), mission_type=mission_type,
    )


def int_to_mav(i: MissionItemInt) -> MavCommand:
    return MavCommand(
        command=i.command, frame=i.frame, autocontinue=bool(i.autocontinue),
        params=(_opt(i.param1), _opt(i.param2), _opt(i.param3), _opt(i.param4),
                _xy_back(i.x, i.frame), _xy_back(i.y, i.frame), _opt(i.z)),
    )


def plan_to_mission_items(plan: Plan) -> list[MissionItemInt]:
    """The mission (type 0) items of a plan, sequence numbers from 0."""
    return [mav_to_int(item_to_mav(it), k) for k, it in enumerate(plan.items)]


def _fence_cmd(cmd: int, params: tuple[float | None, ...], seq: int) -> MissionItemInt:
    m = MavCommand(command=cmd, frame=0, params=params)  # type: ignore[arg-type]
    return mav_to_int(m, seq, MISSION_TYPE_FENCE)


def plan_to_fence_items(plan: Plan) -> list[MissionItemInt]:
    """Geofence (type 1) items: polygon vertices carry their vertex count in param1."""
    out: list[MissionItemInt] = []
    for f in plan.fence_polygons:
        cmd = (CMD_FENCE_POLYGON_VERTEX_INCLUSION if f.inclusion
               else CMD_FENCE_POLYGON_VERTEX_EXCLUSION)
        for lat, lon in f.vertices:
            out.append(_fence_cmd(cmd, (float(len(f.vertices)), 0, 0, 0, lat, lon, 0), len(out)))
    for c in plan.fence_circles:
        cmd = CMD_FENCE_CIRCLE_INCLUSION if c.inclusion else CMD_FENCE_CIRCLE_EXCLUSION
        out.append(_fence_cmd(cmd, (c.radius_m, 0, 0, 0, c.lat_deg, c.lon_deg, 0), len(out)))
    return out


def plan_to_rally_items(plan: Plan) -> list[MissionItemInt]:
    return [
        mav_to_int(MavCommand(command=CMD_RALLY_POINT, frame=FRAME_OF_DATUM[r.alt_datum],
                              params=(0.0, 0.0, 0.0, 0.0, r.lat_deg, r.lon_deg, r.alt_m)),
                   k, MISSION_TYPE_RALLY)
        for k, r in enumerate(plan.rally)
    ]


def mission_items_to_plan(
    mission: Sequence[MissionItemInt],
    fence: Sequence[MissionItemInt] = (),
    rally: Sequence[MissionItemInt] = (),
) -> Plan:
    """A plan from downloaded item lists; raises `MavlinkFormatError` naming a bad item."""
    for name, items in (("mission", mission), ("fence", fence), ("rally", rally)):
        for k, it in enumerate(items):
            if it.seq != k:
                raise MavlinkFormatError(f"{name}[{k}].seq: {it.seq}, expected {k}")
    polys: list[FencePolygon] = []
    circles: list[FenceCircle] = []
    k = 0
    while k < len(fence):
        it = fence[k]
        m = int_to_mav(it)
        if it.command in (CMD_FENCE_POLYGON_VERTEX_INCLUSION, CMD_FENCE_POLYGON_VERTEX_EXCLUSION):
            n = int(it.param1)
            run = fence[k:k + n]
            if n < 3 or len(run) < n or any(r.command != it.command for r in run):
                raise MavlinkFormatError(f"fence[{k}].param1: polygon of {n} vertices is cut short")
            polys.append(FencePolygon(
                inclusion=it.command == CMD_FENCE_POLYGON_VERTEX_INCLUSION,
                vertices=tuple((r.x / 1e7, r.y / 1e7) for r in run)))
            k += n
        elif it.command in (CMD_FENCE_CIRCLE_INCLUSION, CMD_FENCE_CIRCLE_EXCLUSION):
            circles.append(FenceCircle(inclusion=it.command == CMD_FENCE_CIRCLE_INCLUSION,
                                       lat_deg=it.x / 1e7, lon_deg=it.y / 1e7,
                                       radius_m=m.params[0] or 0.0))
            k += 1
        else:
            raise MavlinkFormatError(f"fence[{k}].command: {it.command} is not a fence command")
    points = []
    for j, it in enumerate(rally):
        if it.command != CMD_RALLY_POINT or it.frame not in DATUM_OF_FRAME:
            raise MavlinkFormatError(f"rally[{j}].command: {it.command} is not a rally point")
        points.append(RallyPoint(lat_deg=it.x / 1e7, lon_deg=it.y / 1e7, alt_m=it.z,
                                 alt_datum=DATUM_OF_FRAME[it.frame]))
    return Plan(items=tuple(mav_to_item(int_to_mav(i)) for i in mission),
                fence_polygons=tuple(polys), fence_circles=tuple(circles), rally=tuple(points))
