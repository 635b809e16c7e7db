"""Pinhole cameras on a gimbal: intrinsics, where a camera is and which way it looks.

The conventions are those of `perception.geolocate`, so a pixel the simulator renders maps
back to the same ground point there: vehicle attitude roll/pitch/yaw in degrees (yaw from north,
clockwise, as MAVLink ATTITUDE); the gimbal is stabilised (`sim.payload`), so its pitch is from
the horizon (0 looking level, -90 straight down), its yaw from the nose in the horizontal plane,
its roll level, and the airframe's roll and pitch do not move the view; camera axes x right,
y down, z forward. Pixel (col, row) covers [col, col+1) × [row, row+1), like NumPy slices and
`perception.detection.Box`, so its centre is at col + 0.5; K is `sensor_msgs/CameraInfo`'s.

Positions are local east/north metres around the world's home (`sim.scene`), altitude AMSL.

A world file may change the payload (every drone carries the same one):

    cameras:
      thermal: {width_px: 640, height_px: 512, hfov_deg: 25}   # a narrower lens
      rgb: {width_px: 1280, height_px: 720, hfov_deg: 80}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, kw_only=True, slots=True)
class Intrinsics:
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    width_px: int
    height_px: int

    @classmethod
    def from_hfov(cls, width_px: int, height_px: int, hfov_deg: float) -> Intrinsics:
        """Square pixels, centred principal point, focal length from the horizontal view angle."""
        f = width_px / 2 / math.tan(math.radians(hfov_deg) / 2)
        return cls(fx_px=f, fy_px=f, cx_px=width_px / 2, cy_px=height_px / 2,
                   width_px=width_px, height_px=height_px)

    def k_row_major(self) -> tuple[float, ...]:
        """The 3x3 camera matrix as `sensor_msgs/CameraInfo.k`."""
        return (self.fx_px, 0.0, self.cx_px, 0.0, self.fy_px, self.cy_px, 0.0, 0.0, 1.0)


#: A small drone's payload: a 640x512 radiometric thermal core behind a ~50 degree lens ...
THERMAL_INTRINSICS = Intrinsics.from_hfov(640, 512, 50.0)
#: ... and a wide RGB camera, streamed at 640x360 (the full sensor is rarely sent down).
RGB_INTRINSICS = Intrinsics.from_hfov(640, 360, 80.0)


MIN_SIDE_PX, MAX_SIDE_PX = 16, 4096
MIN_HFOV_DEG, MAX_HFOV_DEG = 1.0, 150.0


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraSet:
    """The two cameras on each drone's gimbal."""

    rgb: Intrinsics = RGB_INTRINSICS
    thermal: Intrinsics = THERMAL_INTRINSICS

    def of(self, modality: str) -> Intrinsics:
        return self.thermal if modality == "thermal" else self.rgb


def camera_set_from_doc(doc: Any) -> CameraSet:
    """The world file's `cameras` (absent: the defaults); ValueError naming the field."""
    if doc is None:
        return CameraSet()
    if not isinstance(doc, dict):
        raise ValueError("world.cameras: expected a mapping with rgb and/or thermal")
    unknown = sorted(set(doc) - {"rgb", "thermal"})
    if unknown:
        raise ValueError(f"world.cameras: {unknown[0]!r} is not rgb or thermal")
    made = {}
    for name, default in (("rgb", RGB_INTRINSICS), ("thermal", THERMAL_INTRINSICS)):
        spec = doc.get(name)
        if spec is None:
            made[name] = default
            continue
        f = f"world.cameras.{name}"
        if not isinstance(spec, dict):
            raise ValueError(f"{f}: expected a mapping with width_px, height_px, hfov_deg")
        sides = []
        for key, side in (("width_px", default.width_px), ("height_px", default.height_px)):
            value = spec.get(key, side)
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not MIN_SIDE_PX <= value <= MAX_SIDE_PX:
                raise ValueError(f"{f}.{key}: {value!r} is not a whole number of pixels in "
                                 f"{MIN_SIDE_PX}..{MAX_SIDE_PX}")
            sides.append(value)
        default_hfov = math.degrees(2 * math.atan(default.width_px / 2 / default.fx_px))
        hfov = spec.get("hfov_deg", default_hfov)
        if isinstance(hfov, bool) or not isinstance(hfov, int | float) \
                or not MIN_HFOV_DEG <= hfov <= MAX_HFOV_DEG:
            raise ValueError(f"{f}.hfov_deg: {hfov!r} is outside {MIN_HFOV_DEG:g}.."
                             f"{MAX_HFOV_DEG:g}")
        made[name] = Intrinsics.from_hfov(sides[0], sides[1], float(hfov))
    return CameraSet(rgb=made["rgb"], thermal=made["thermal"])


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraPose:
    east_m: float  #: from the world's home
    north_m: float
    alt_amsl_m: float
    roll_deg: float = 0.0  #: the airframe's, recorded with the frame; the gimbal takes it out
    pitch_deg: float = 0.0  #: likewise
    yaw_deg: float = 0.0  #: the heading, which the gimbal's yaw follows
    gimbal_pitch_deg: float = -90.0  #: from the horizon
    gimbal_yaw_deg: float = 0.0  #: from the nose


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


#: Camera axes (x right, y down, z forward) into the gimbal's forward-right-down axes.
_CAMERA_TO_MOUNT = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=float)
#: North-east-down into east-north-up.
_ENU_FROM_NED = np.array([[0, 1, 0], [1, 0, 0], [0, 0, -1]], dtype=float)


def enu_from_camera(pose: CameraPose) -> np.ndarray:
    """3x3 rotation taking camera-frame vectors to local east-north-up: turned to the heading
    plus the gimbal's yaw, then tilted by the gimbal's pitch from the horizon, with no roll."""
    ned_from_mount = (_rot_z(math.radians(pose.yaw_deg + pose.gimbal_yaw_deg))
                      @ _rot_y(math.radians(pose.gimbal_pitch_deg)))
    return _ENU_FROM_NED @ ned_from_mount @ _CAMERA_TO_MOUNT


def camera_rays(k: Intrinsics) -> np.ndarray:
    """(3, H*W) float32 camera-frame ray of every pixel centre, z = 1, row-major pixel order."""
    u = (np.arange(k.width_px, dtype=np.float32) + 0.5 - k.cx_px) / k.fx_px
    v = (np.arange(k.height_px, dtype=np.float32) + 0.5 - k.cy_px) / k.fy_px
    uu, vv = np.meshgrid(u, v)
    return np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size, dtype=np.float32)])


def project_enu(points_enu_m: np.ndarray, pose: CameraPose,
                k: Intrinsics) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, depth along the optical axis) of (N, 3) east/north/up-AMSL points; depth <= 0
    means behind the camera (u, v are then meaningless)."""
    rel = points_enu_m - np.array([pose.east_m, pose.north_m, pose.alt_amsl_m])
    cam = rel @ enu_from_camera(pose)  # rows: R^T applied to each point
    z = cam[:, 2]
    safe = np.where(np.abs(z) < 1e-9, 1e-9, z)
    return k.fx_px * cam[:, 0] / safe + k.cx_px, k.fy_px * cam[:, 1] / safe + k.cy_px, z
