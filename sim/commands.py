"""MAVLink commands (COMMAND_LONG, COMMAND_INT and DO_* mission items) → autopilot calls.

The one place where command numbers and their parameter layouts are read. A DO_* item in a
mission and the same command sent live share one code path, as in PX4.

Skywatch extension: the loudspeaker is `MAV_CMD_USER_1` (31010), param1 = 1 on, 0 off; it is
acknowledged like any other command and announced with a STATUSTEXT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.geo import LatLonAlt
from sim.mav_result import Result
from sim.mission_items import FRAME_GLOBAL, FRAME_GLOBAL_INT, MissionItem
from sim.px4_modes import (
    MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
    PX4_MAIN_AUTO,
    PX4_MAIN_OFFBOARD,
    mode_from_px4,
)

if TYPE_CHECKING:
    from sim.autopilot import Autopilot

CMD_NAV_WAYPOINT = 16
CMD_NAV_RETURN_TO_LAUNCH = 20
CMD_NAV_LAND = 21
CMD_NAV_TAKEOFF = 22
CMD_DO_SET_MODE = 176
CMD_DO_CHANGE_SPEED = 178
CMD_DO_SET_ROI_LOCATION = 195
CMD_DO_SET_ROI_NONE = 197
CMD_DO_SET_ROI = 201
CMD_DO_DIGICAM_CONTROL = 203
CMD_DO_MOUNT_CONTROL = 205
CMD_DO_GRIPPER = 211
CMD_DO_SET_MISSION_CURRENT = 224
CMD_COMPONENT_ARM_DISARM = 400
CMD_DO_REPOSITION = 192
CMD_MISSION_START = 300
CMD_DO_GIMBAL_MANAGER_PITCHYAW = 1000
CMD_DO_GIMBAL_MANAGER_CONFIGURE = 1001
CMD_IMAGE_START_CAPTURE = 2000
CMD_IMAGE_STOP_CAPTURE = 2001
CMD_USER_1_LOUDSPEAKER = 31010
FORCE_DISARM_MAGIC = 21196
GRIPPER_ACTION_RELEASE = 0
MAV_ROI_LOCATION = 3
SPEED_TYPE_AIRSPEED = 0
SPEED_TYPE_GROUNDSPEED = 1
INT32_MAX = 2**31 - 1

#: Commands whose param5/param6 are a latitude/longitude (degE7 in COMMAND_INT and items).
POSITIONAL = frozenset({CMD_NAV_WAYPOINT, CMD_NAV_LAND, CMD_NAV_TAKEOFF, CMD_DO_REPOSITION,
                        CMD_DO_SET_ROI_LOCATION, CMD_DO_SET_ROI, 19})
_AMSL_FRAMES = frozenset({FRAME_GLOBAL, FRAME_GLOBAL_INT})


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandArgs:
    """A command in COMMAND_LONG form: params 5/6 in degrees for positional commands; `frame`
    says whether param7 is AMSL (COMMAND_LONG: as PX4, AMSL) or above home."""

    command: int
    params: tuple[float, float, float, float, float, float, float]
    frame: int = FRAME_GLOBAL

    def param(self, n: int) -> float | None:
        """Param n (1-based); None for NaN, as PX4 reads "unset"."""
        value = self.params[n - 1]
        return value if math.isfinite(value) else None


def args_from_long(command: int, p: tuple[float, ...]) -> CommandArgs:
    return CommandArgs(command=command, params=_seven(p))


def args_from_int(command: int, frame: int, p1_4: tuple[float, float, float, float],
                  x: int, y: int, z: float) -> CommandArgs:
    if command in POSITIONAL:
        unset = x == INT32_MAX or (x == 0 and y == 0)
        p5, p6 = (math.nan, math.nan) if unset else (x / 1e7, y / 1e7)
    else:
        p5, p6 = float(x), float(y)
    return CommandArgs(command=command, params=_seven((*p1_4, p5, p6, z)), frame=frame)


def args_from_item(item: MissionItem) -> CommandArgs:
    return args_from_int(item.command, item.frame,
                         (item.param1, item.param2, item.param3, item.param4),
                         item.x, item.y, item.z)


def _seven(p: tuple[float, ...]) -> tuple[float, float, float, float, float, float, float]:
    v = [float(x) for x in p[:7]] + [math.nan] * (7 - len(p))
    return (v[0], v[1], v[2], v[3], v[4], v[5], v[6])


def _lat_lon(a: CommandArgs) -> tuple[float, float] | tuple[None, None]:
    """Params 5/6 as a position; NaN, or 0/0 (what a zero-filled COMMAND_LONG carries), is
    "no position", so a careless client never sends a vehicle to 0°N 0°E."""
    lat, lon = a.param(5), a.param(6)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return None, None
    return lat, lon


def _alt_amsl_m(ap: Autopilot, a: CommandArgs) -> float | None:
    alt = a.param(7)
    if alt is None:
        return None
    return alt if a.frame in _AMSL_FRAMES else ap.origin.alt_amsl_m + alt


def run_command(ap: Autopilot, a: CommandArgs) -> Result:
    """Carry out one command; unknown commands are UNSUPPORTED."""
    c = a.command
    if c == CMD_COMPONENT_ARM_DISARM:
        if a.param(1) == 1.0:
            return ap.arm()
        return ap.disarm(force=a.param(2) == FORCE_DISARM_MAGIC)
    if c == CMD_NAV_TAKEOFF:
        return ap.takeoff(_alt_amsl_m(ap, a))
    if c == CMD_NAV_LAND:
        return ap.land(*_lat_lon(a))
    if c == CMD_NAV_RETURN_TO_LAUNCH:
        return ap.return_to_launch()
    if c == CMD_DO_SET_MODE:
        return _set_mode(ap, a)
    if c == CMD_DO_REPOSITION:
        speed = a.param(1)
        lat, lon = _lat_lon(a)
        return ap.reposition(lat_deg=lat, lon_deg=lon, alt_amsl_m=_alt_amsl_m(ap, a),
                             speed_mps=speed if speed is not None and speed > 0 else None)
    if c == CMD_MISSION_START:
        first = a.param(1)
        return ap.start_mission(int(first) if first is not None and first > 0 else None)
    if c == CMD_DO_SET_MISSION_CURRENT:
        seq = a.param(1)
        return Result.ACCEPTED if seq is not None and ap.set_current(int(seq)) else Result.DENIED
    return run_payload_command(ap, a)


def run_payload_command(ap: Autopilot, a: CommandArgs) -> Result:
    """Speed, gimbal, camera, gripper and loudspeaker: also valid as mission DO_* items."""
    c = a.command
    if c == CMD_DO_CHANGE_SPEED:
        if a.param(1) in (SPEED_TYPE_AIRSPEED, SPEED_TYPE_GROUNDSPEED):
            return ap.change_speed(a.param(2) or -1.0)
        return Result.ACCEPTED  # climb / descent speed: PX4 keeps its limits too
    if c in (CMD_DO_SET_ROI_LOCATION, CMD_DO_SET_ROI):
        lat, lon = _lat_lon(a)
        if lat is None or lon is None or (c == CMD_DO_SET_ROI and a.param(1) != MAV_ROI_LOCATION):
            return ap.payload.set_roi(None)
        alt = _alt_amsl_m(ap, a)
        return ap.payload.set_roi(LatLonAlt(lat_deg=lat, lon_deg=lon,
                                    alt_amsl_m=alt if alt is not None else ap.origin.alt_amsl_m))
    if c == CMD_DO_SET_ROI_NONE:
        return ap.payload.set_roi(None)
    if c == CMD_DO_MOUNT_CONTROL:
        return ap.point_gimbal(pitch_deg=a.param(1), yaw_deg=a.param(3))
    if c == CMD_DO_GIMBAL_MANAGER_PITCHYAW:
        return ap.point_gimbal(pitch_deg=a.param(1), yaw_deg=a.param(2),
                               flags=int(a.param(5) or 0))
    if c == CMD_DO_GIMBAL_MANAGER_CONFIGURE:
        return Result.ACCEPTED
    if c == CMD_IMAGE_START_CAPTURE:
        count = a.param(3)
        return ap.take_photos(interval_s=a.param(2) or 0.0,
                              count=int(count) if count is not None else 1)
    if c == CMD_IMAGE_STOP_CAPTURE:
        return ap.payload.stop_photos()
    if c == CMD_DO_DIGICAM_CONTROL:
        return ap.take_photos(interval_s=0.0, count=1) if a.param(5) == 1.0 else Result.ACCEPTED
    if c == CMD_DO_GRIPPER:
        if a.param(2) == GRIPPER_ACTION_RELEASE:
            return ap.payload.release()
        return Result.ACCEPTED
    if c == CMD_USER_1_LOUDSPEAKER:
        state = a.param(1)
        if state not in (0.0, 1.0):
            return Result.DENIED
        return ap.payload.set_loudspeaker(state == 1.0)
    return Result.UNSUPPORTED


def run_mission_item(ap: Autopilot, item: MissionItem) -> None:
    """A DO_* item reached in a mission; unknown ones are skipped, as PX4 does."""
    run_payload_command(ap, args_from_item(item))


def _set_mode(ap: Autopilot, a: CommandArgs) -> Result:
    base = int(a.param(1) or 0)
    main, sub = int(a.param(2) or 0), int(a.param(3) or 0)
    if not base & MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
        return ap.refuse_mode("Mode change", "only PX4 custom modes are supported")
    if main == PX4_MAIN_OFFBOARD:
        return ap.refuse_mode("Offboard", "no offboard setpoints")
    if main != PX4_MAIN_AUTO:
        return ap.refuse_mode("Manual mode", "no manual control input")
    mode = mode_from_px4(main, sub)
    if mode is None:
        return ap.refuse_mode("Mode change", f"AUTO sub-mode {sub} is not simulated")
    return ap.set_mode(mode)
