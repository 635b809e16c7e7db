"""A vehicle's payload: gimbal (angles or a region of interest), camera, gripper, loudspeaker.

The gimbal is stabilised, as the gimbals PX4 drives: its pitch is held relative to the horizon
and its roll level whatever the airframe's attitude, and its yaw follows the vehicle's heading
unless yaw lock is asked (GIMBAL_MANAGER_FLAGS_YAW_LOCK), which holds it on a bearing from
north while the vehicle turns. Angles it reports: pitch from the horizon, yaw from the nose.

Each method is a command's effect and returns its MAV_RESULT; repeating a command is harmless,
because ground stations resend. Events (photos, status texts) go to the vehicle's outbox.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.events import SEVERITY_INFO, SEVERITY_WARNING, Event, PhotoTaken, StatusText
from sim.geo import Enu, LatLonAlt, Origin, geodetic_to_enu
from sim.mav_result import Result
from sim.params import ParamTable

GIMBAL_PITCH_MIN_DEG = -90.0
GIMBAL_PITCH_MAX_DEG = 30.0
#: GIMBAL_MANAGER_FLAGS (MAVLink gimbal protocol v2), as DO_GIMBAL_MANAGER_PITCHYAW's param 5.
GIMBAL_YAW_LOCK = 16
GIMBAL_YAW_IN_VEHICLE_FRAME = 32
GIMBAL_YAW_IN_EARTH_FRAME = 64


def _wrap_deg(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0


class Payload:
    def __init__(self, params: ParamTable, emit: Callable[[Event], None]) -> None:
        self._params = params
        self._emit = emit
        self.gimbal_pitch_deg = 0.0  #: from the horizon
        self.gimbal_yaw_deg = 0.0  #: from the nose, or from north while `gimbal_yaw_locked`
        self.gimbal_yaw_locked = False
        self.roi: LatLonAlt | None = None
        self.loudspeaker_on = False
        self.photo_count = 0
        self._interval: tuple[float, float, int] | None = None  #: next_s, every_s, left (-1: ∞)

    def set_roi(self, target: LatLonAlt | None) -> Result:
        self.roi = target
        return Result.ACCEPTED

    def point_gimbal(self, *, pitch_deg: float | None, yaw_deg: float | None, flags: int = 0,
                     heading_deg: float) -> Result:
        """Pitch from the horizon and yaw (None: unchanged) with GIMBAL_MANAGER_FLAGS: the yaw
        is a bearing from north with YAW_IN_EARTH_FRAME (or YAW_LOCK alone), else from the nose;
        YAW_LOCK holds it on that bearing. `heading_deg` is the vehicle's, to convert between."""
        self.roi = None
        if pitch_deg is not None:
            self.gimbal_pitch_deg = max(GIMBAL_PITCH_MIN_DEG, min(GIMBAL_PITCH_MAX_DEG, pitch_deg))
        bearing = self.gimbal_yaw_deg + (0.0 if self.gimbal_yaw_locked else heading_deg)
        if yaw_deg is not None:
            in_earth = bool(flags & GIMBAL_YAW_IN_EARTH_FRAME) or (
                bool(flags & GIMBAL_YAW_LOCK) and not flags & GIMBAL_YAW_IN_VEHICLE_FRAME)
            bearing = yaw_deg + (0.0 if in_earth else heading_deg)
        self.gimbal_yaw_locked = bool(flags & GIMBAL_YAW_LOCK)
        self.gimbal_yaw_deg = _wrap_deg(bearing - (0.0 if self.gimbal_yaw_locked else heading_deg))
        return Result.ACCEPTED

    def gimbal_angles_deg(self, position: Enu, heading_deg: float,
                          origin: Origin) -> tuple[float, float]:
        """(pitch from the horizon, yaw from the nose); with an ROI set, towards it."""
        if self.roi is None:
            if self.gimbal_yaw_locked:
                return self.gimbal_pitch_deg, _wrap_deg(self.gimbal_yaw_deg - heading_deg)
            return self.gimbal_pitch_deg, self.gimbal_yaw_deg
        p = geodetic_to_enu(self.roi.lat_deg, self.roi.lon_deg, self.roi.alt_amsl_m, origin)
        de, dn = p.east_m - position.east_m, p.north_m - position.north_m
        pitch = math.degrees(math.atan2(p.up_m - position.up_m, math.hypot(de, dn)))
        yaw = _wrap_deg(math.degrees(math.atan2(de, dn)) - heading_deg)
        return max(GIMBAL_PITCH_MIN_DEG, pitch), yaw

    def take_photos(self, now_s: float, where: LatLonAlt, alt_rel_m: float, *,
                    interval_s: float, count: int) -> Result:
        """One photo now; more every `interval_s` until `count` (0: until stopped)."""
        self._shoot(where, alt_rel_m)
        self._interval = None
        if interval_s > 0 and count != 1:
            self._interval = (now_s + interval_s, interval_s, count - 1 if count > 0 else -1)
        return Result.ACCEPTED

    def stop_photos(self) -> Result:
        self._interval = None
        return Result.ACCEPTED

    def photo_due(self, now_s: float) -> bool:
        return self._interval is not None and now_s >= self._interval[0]

    def step(self, now_s: float, where: LatLonAlt, alt_rel_m: float) -> None:
        """Interval photos that are due."""
        if self._interval is None or now_s < self._interval[0]:
            return
        next_s, every_s, left = self._interval
        self._shoot(where, alt_rel_m)
        self._interval = (next_s + every_s, every_s, left - 1) if left != 1 else None

    def release(self) -> Result:
        """DO_GRIPPER release: one payload of SIM_PAYLOAD_CNT; DENIED when none is left."""
        left = int(self._params["SIM_PAYLOAD_CNT"])
        if left <= 0:
            self._emit(StatusText(severity=SEVERITY_WARNING,
                                  text="Payload release denied: no payload left"))
            return Result.DENIED
        self._params.set("SIM_PAYLOAD_CNT", left - 1)
        self._emit(StatusText(severity=SEVERITY_INFO, text=f"Payload released, {left - 1} left"))
        return Result.ACCEPTED

    def set_loudspeaker(self, on: bool) -> Result:
        if self.loudspeaker_on != on:
            self.loudspeaker_on = on
            self._emit(StatusText(severity=SEVERITY_INFO,
                                  text=f"Loudspeaker {'on' if on else 'off'}"))
        return Result.ACCEPTED

    def _shoot(self, where: LatLonAlt, alt_rel_m: float) -> None:
        self._emit(PhotoTaken(index=self.photo_count, position=where, alt_rel_m=alt_rel_m))
        self.photo_count += 1
