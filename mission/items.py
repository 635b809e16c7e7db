"""Typed plan items, a tagged union, and their exact MAVLink command form.

Each item carries its `kind`. `item_to_mav` gives the MAVLink command, frame and seven params
of an item; `mav_to_item` reads one back and keeps anything it cannot express exactly as a
`RawItem`, so a plan read from any file writes back without losing a parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

#: Where an altitude is measured from: the home position, mean sea level, or the ground below.
AltDatum = Literal["home", "amsl", "terrain"]

MAV_FRAME_GLOBAL = 0
MAV_FRAME_MISSION = 2
MAV_FRAME_GLOBAL_RELATIVE_ALT = 3
MAV_FRAME_GLOBAL_TERRAIN_ALT = 10
FRAME_OF_DATUM: dict[str, int] = {
    "home": MAV_FRAME_GLOBAL_RELATIVE_ALT, "amsl": MAV_FRAME_GLOBAL,
    "terrain": MAV_FRAME_GLOBAL_TERRAIN_ALT,
}
DATUM_OF_FRAME: dict[int, AltDatum] = {
    MAV_FRAME_GLOBAL_RELATIVE_ALT: "home", 6: "home", MAV_FRAME_GLOBAL: "amsl", 5: "amsl",
    MAV_FRAME_GLOBAL_TERRAIN_ALT: "terrain", 11: "terrain",
}

CMD_NAV_WAYPOINT = 16
CMD_NAV_LOITER_TIME = 19
CMD_NAV_RETURN_TO_LAUNCH = 20
CMD_NAV_LAND = 21
CMD_NAV_TAKEOFF = 22
CMD_NAV_DELAY = 93
CMD_DO_CHANGE_SPEED = 178
CMD_DO_SET_ROI_LOCATION = 195
CMD_DO_SET_ROI_NONE = 197
CMD_DO_MOUNT_CONTROL = 205
CMD_DO_SET_CAM_TRIGG_DIST = 206
CMD_IMAGE_START_CAPTURE = 2000

#: Seven MAVLink params; None is "not set" (NaN on the wire, null in QGroundControl files).
Params = tuple[float | None, float | None, float | None, float | None,
               float | None, float | None, float | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class MavCommand:
    """One mission item at MAVLink level, positions still in float degrees (param5/param6)."""

    command: int
    frame: int
    params: Params
    autocontinue: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class Waypoint:
    kind: Literal["waypoint"] = "waypoint"
    lat_deg: float
    lon_deg: float
    alt_m: float | None  #: None: keep the current altitude
    alt_datum: AltDatum = "home"
    hold_s: float = 0.0
    acceptance_radius_m: float = 0.0  #: 0: the autopilot's default
    yaw_deg: float | None = None  #: None: the autopilot chooses


@dataclass(frozen=True, kw_only=True, slots=True)
class Takeoff:
    kind: Literal["takeoff"] = "takeoff"
    lat_deg: float
    lon_deg: float
    alt_m: float
    alt_datum: AltDatum = "home"
    pitch_deg: float = 0.0
    yaw_deg: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Land:
    kind: Literal["land"] = "land"
    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    alt_datum: AltDatum = "home"
    yaw_deg: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReturnToLaunch:
    kind: Literal["rtl"] = "rtl"


@dataclass(frozen=True, kw_only=True, slots=True)
class Loiter:
    """Hold over a point for a time, on a circle of `radius_m` (0: hover on the spot)."""

    kind: Literal["loiter"] = "loiter"
    lat_deg: float
    lon_deg: float
    alt_m: float
    alt_datum: AltDatum = "home"
    hold_s: float
    radius_m: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class RegionOfInterest:
    """Point the camera (and the nose, for a gimbal-less vehicle) at a location."""

    kind: Literal["roi"] = "roi"
    lat_deg: float
    lon_deg: float
    alt_m: float
    alt_datum: AltDatum = "home"


@dataclass(frozen=True, kw_only=True, slots=True)
class RoiNone:
    kind: Literal["roi_none"] = "roi_none"


@dataclass(frozen=True, kw_only=True, slots=True)
class Gimbal:
    kind: Literal["gimbal"] = "gimbal"
    pitch_deg: float  #: -90: straight down
    yaw_deg: float = 0.0  #: relative to the vehicle's nose


@dataclass(frozen=True, kw_only=True, slots=True)
class TriggerDistance:
    """Take a photo every `distance_m` flown; 0 stops triggering."""

    kind: Literal["trigger_distance"] = "trigger_distance"
    distance_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class TakePhoto:
    kind: Literal["photo"] = "photo"


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeSpeed:
    kind: Literal["speed"] = "speed"
    speed_mps: float
    ground: bool = True  #: ground speed (True) or airspeed (False)


@dataclass(frozen=True, kw_only=True, slots=True)
class Delay:
    kind: Literal["delay"] = "delay"
    delay_s: float


@dataclass(frozen=True, kw_only=True, slots=True)
class RawItem:
    """A command this library does not model, kept exactly as read."""

    kind: Literal["raw"] = "raw"
    mav: MavCommand


MissionItem = (
    Waypoint | Takeoff | Land | ReturnToLaunch | Loiter | RegionOfInterest | RoiNone | Gimbal
    | TriggerDistance | TakePhoto | ChangeSpeed | Delay | RawItem
)
#: Items that put the vehicle at a position (the flight path's vertices).
NAV_KINDS = frozenset({"waypoint", "takeoff", "land", "loiter"})


def _opt(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def item_to_mav(item: MissionItem) -> MavCommand:
    """The MAVLink command of an item, as QGroundControl and PX4 read it."""
    frame_mission = MAV_FRAME_MISSION
    match item:
        case Waypoint():
            return MavCommand(command=CMD_NAV_WAYPOINT, frame=FRAME_OF_DATUM[item.alt_datum],
                              params=(item.hold_s, item.acceptance_radius_m, 0.0, item.yaw_deg,
                                      item.lat_deg, item.lon_deg, item.alt_m))
        case Takeoff():
            return MavCommand(command=CMD_NAV_TAKEOFF, frame=FRAME_OF_DATUM[item.alt_datum],
                              params=(item.pitch_deg, 0.0, 0.0, item.yaw_deg, item.lat_deg,
                                      item.lon_deg, item.alt_m))
        case Land():
            return MavCommand(command=CMD_NAV_LAND, frame=FRAME_OF_DATUM[item.alt_datum],
                              params=(0.0, 0.0, 0.0, item.yaw_deg, item.lat_deg, item.lon_deg,
                                      item.alt_m))
        case ReturnToLaunch():
            return MavCommand(command=CMD_NAV_RETURN_TO_LAUNCH, frame=frame_mission,
                              params=(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
        case Loiter():
            return MavCommand(command=CMD_NAV_LOITER_TIME, frame=FRAME_OF_DATUM[item.alt_datum],
                              params=(item.hold_s, 0.0, item.radius_m, 0.0, item.lat_deg,
                                      item.lon_deg, item.alt_m))
        case RegionOfInterest():
            return MavCommand(command=CMD_DO_SET_ROI_LOCATION,
                              frame=FRAME_OF_DATUM[item.alt_datum],
                              params=(0.0, 0.0, 0.0, 0.0, item.lat_deg, item.lon_deg, item.alt_m))
        case RoiNone():
            return MavCommand(command=CMD_DO_SET_ROI_NONE, frame=frame_mission,
                              params=(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
        case Gimbal():
            # MAV_MOUNT_MODE_MAVLINK_TARGETING (2) in param7, as QGroundControl writes it.
            return MavCommand(command=CMD_DO_MOUNT_CONTROL, frame=frame_mission,
                              params=(item.pitch_deg, 0.0, item.yaw_deg, 0.0, 0.0, 0.0, 2.0))
        case TriggerDistance():
            return MavCommand(command=CMD_DO_SET_CAM_TRIGG_DIST, frame=frame_mission,
                              params=(item.distance_m, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0))
        case TakePhoto():
            return MavCommand(command=CMD_IMAGE_START_CAPTURE, frame=frame_mission,
                              params=(0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0))
        case ChangeSpeed():
            return MavCommand(command=CMD_DO_CHANGE_SPEED, frame=frame_mission,
                              params=(1.0 if item.ground else 0.0, item.speed_mps, -1.0, 0.0,
                                      0.0, 0.0, 0.0))
        case Delay():
            return MavCommand(command=CMD_NAV_DELAY, frame=frame_mission,
                              params=(item.delay_s, -1.0, -1.0, -1.0, 0.0, 0.0, 0.0))
        case RawItem():
            return item.mav
    raise TypeError(f"not a mission item: {item!r}")


def _typed_candidate(m: MavCommand) -> MissionItem | None:
    p = [_opt(v) for v in m.params]
    datum = DATUM_OF_FRAME.get(m.frame)
    lat, lon, alt = p[4], p[5], p[6]
    has_pos = datum is not None and lat is not None and lon is not None
    c = m.command
    if c == CMD_NAV_WAYPOINT and has_pos:
        return Waypoint(lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum,
                        hold_s=p[0] or 0.0, acceptance_radius_m=p[1] or 0.0, yaw_deg=p[3])
    if c == CMD_NAV_TAKEOFF and has_pos and alt is not None:
        return Takeoff(lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum,
                       pitch_deg=p[0] or 0.0, yaw_deg=p[3])
    if c == CMD_NAV_LAND and has_pos and alt is not None:
        return Land(lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum, yaw_deg=p[3])
    if c == CMD_NAV_LOITER_TIME and has_pos and alt is not None:
        return Loiter(lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum, hold_s=p[0] or 0.0,
                      radius_m=p[2] or 0.0)
    if c == CMD_DO_SET_ROI_LOCATION and has_pos and alt is not None:
        return RegionOfInterest(lat_deg=lat, lon_deg=lon, alt_m=alt, alt_datum=datum)
    if c == CMD_NAV_RETURN_TO_LAUNCH:
        return ReturnToLaunch()
    if c == CMD_DO_SET_ROI_NONE:
        return RoiNone()
    if c == CMD_DO_MOUNT_CONTROL:
        return Gimbal(pitch_deg=p[0] or 0.0, yaw_deg=p[2] or 0.0)
    if c == CMD_DO_SET_CAM_TRIGG_DIST:
        return TriggerDistance(distance_m=p[0] or 0.0)
    if c == CMD_IMAGE_START_CAPTURE:
        return TakePhoto()
    if c == CMD_DO_CHANGE_SPEED and p[1] is not None:
        return ChangeSpeed(speed_mps=p[1], ground=p[0] != 0.0)
    if c == CMD_NAV_DELAY and p[0] is not None:
        return Delay(delay_s=p[0])
    return None


def _same(a: MavCommand, b: MavCommand) -> bool:
    return (a.command, a.frame, a.autocontinue) == (b.command, b.frame, b.autocontinue) and all(
        _opt(x) == _opt(y) for x, y in zip(a.params, b.params, strict=True)
    )


def mav_to_item(m: MavCommand) -> MissionItem:
    """The typed item for a MAVLink command, or a `RawItem` when typing it would lose a value."""
    m = MavCommand(command=m.command, frame=m.frame, autocontinue=m.autocontinue,
                   params=tuple(_opt(v) for v in m.params))  # type: ignore[arg-type]
    typed = _typed_candidate(m)
    if typed is not None and _same(item_to_mav(typed), m):
        return typed
    return RawItem(mav=m)


def item_position(item: MissionItem) -> tuple[float, float] | None:
    """(lat_deg, lon_deg) of an item that flies to a position, else None."""
    match item:
        case Waypoint() | Takeoff() | Land() | Loiter():
            return (item.lat_deg, item.lon_deg)
    return None


ITEM_TYPES: dict[str, type] = {
    cls.__dataclass_fields__["kind"].default: cls  # type: ignore[attr-defined]
    for cls in (Waypoint, Takeoff, Land, ReturnToLaunch, Loiter, RegionOfInterest, RoiNone,
                Gimbal, TriggerDistance, TakePhoto, ChangeSpeed, Delay, RawItem)
}


class ItemError(ValueError):
    """An item description that is not one of the known kinds or lacks a field."""


def item_to_dict(item: MissionItem) -> dict[str, object]:
    """A JSON-ready dict tagged with `kind` (a raw item's MAVLink form nested under `mav`)."""
    if isinstance(item, RawItem):
        m = item.mav
        return {"kind": "raw", "mav": {"command": m.command, "frame": m.frame,
                                       "params": list(m.params), "autocontinue": m.autocontinue}}
    return {name: getattr(item, name) for name in item.__dataclass_fields__}  # type: ignore[union-attr]


def item_from_dict(d: dict[str, object], field: str = "item") -> MissionItem:
    kind = d.get("kind")
    cls = ITEM_TYPES.get(str(kind))
    if cls is None:
        raise ItemError(f"{field}.kind: {kind!r} is not one of {', '.join(sorted(ITEM_TYPES))}")
    try:
        if cls is RawItem:
            m = d["mav"]
            if not isinstance(m, dict):
                raise ItemError(f"{field}.mav: expected an object with command, frame, params")
            params = tuple(None if v is None else float(v) for v in m["params"])
            if len(params) != 7:
                raise ItemError(f"{field}.mav.params: needs 7 values, got {len(params)}")
            return RawItem(mav=MavCommand(command=int(m["command"]), frame=int(m["frame"]),
                                          params=params,  # type: ignore[arg-type]
                                          autocontinue=bool(m.get("autocontinue", True))))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})
    except (KeyError, TypeError) as exc:
        raise ItemError(f"{field}: not a valid {kind} item ({exc})") from None
