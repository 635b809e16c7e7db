"""Pixel to ground: where on the terrain a detection is, and how sure that position is.

A pixel defines a ray from the camera. The ray is rotated from the camera frame through the
gimbal and the vehicle's heading into local north-east-down, then intersected with the
terrain (flat, or a height grid marched along the ray). Position errors come from attitude,
altitude and GNSS errors, propagated to the ground by a numerical Jacobian: a 1 degree pitch
error at 45 degrees depression moves the fix twice as far as at nadir, and the ellipse says so.

Conventions: vehicle attitude is roll/pitch/yaw in degrees (yaw from north, clockwise, as
MAVLink ATTITUDE). The gimbal is stabilised, as PX4 drives and reports it
(GIMBAL_DEVICE_ATTITUDE_STATUS with ROLL_LOCK and PITCH_LOCK, yaw in the vehicle frame): its
pitch is from the horizon, 0 level and -90 straight down, its yaw from the nose in the
horizontal plane, its roll level. So the airframe's roll and pitch do not move the view; what
does is how well the gimbal knows the horizon, `horizon_roll_deg` and `horizon_pitch_deg`: 0 in
a pose as reported, the tilt a pose error model draws or the error ellipse propagates.
Geodesy is pymap3d's (WGS84, exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pymap3d


@dataclass(frozen=True, kw_only=True, slots=True)
class Intrinsics:
    """Pinhole camera: focal lengths and principal point in pixels (as sensor_msgs/CameraInfo K)."""

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


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraPose:
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    roll_deg: float = 0.0  #: the airframe's: the stabilised gimbal takes it out of the view
    pitch_deg: float = 0.0  #: likewise
    yaw_deg: float = 0.0  #: the heading, which the gimbal's yaw follows
    gimbal_pitch_deg: float = -90.0  #: from the horizon
    gimbal_yaw_deg: float = 0.0  #: from the nose
    horizon_roll_deg: float = 0.0  #: the gimbal's horizon tilted about the nose's level axis
    horizon_pitch_deg: float = 0.0  #: ... and about the right wing's, nose up positive


@dataclass(frozen=True, kw_only=True, slots=True)
class PoseErrors:
    """One-sigma errors of the inputs, propagated into the ground ellipse."""

    roll_pitch_sigma_deg: float = 1.0  #: the gimbal's horizon, about the horizontal axes
    yaw_sigma_deg: float = 2.0  #: heading (magnetometer-grade)
    alt_sigma_m: float = 1.0  #: height above the terrain (baro drift, terrain model)
    horizontal_sigma_m: float = 1.5  #: GNSS position


@dataclass(frozen=True, kw_only=True, slots=True)
class Ellipse:
    """One-sigma horizontal error ellipse; the major axis's bearing from north, clockwise."""

    semi_major_m: float
    semi_minor_m: float
    major_bearing_deg: float


@dataclass(frozen=True, kw_only=True, slots=True)
class GroundFix:
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    north_m: float  #: from the point below the camera
    east_m: float
    slant_range_m: float
    sigma: Ellipse | None = None


class Terrain(Protocol):
    def height_amsl_m(self, north_m: np.ndarray, east_m: np.ndarray) -> np.ndarray:
        """Terrain height at points given in metres north/east of the camera."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class FlatTerrain:
    ground_amsl_m: float

    def height_amsl_m(self, north_m: np.ndarray, east_m: np.ndarray) -> np.ndarray:
        return np.full(np.shape(north_m), self.ground_amsl_m, dtype=float)


@dataclass(frozen=True, kw_only=True)
class HeightGrid:
    """Heights on a regular north/east grid whose row 0, column 0 is at (`origin_lat_deg`,
    `origin_lon_deg`); rows go north, columns east, `spacing_m` apart; bilinear between."""

    origin_lat_deg: float
    origin_lon_deg: float
    spacing_m: float
    heights_amsl_m: np.ndarray
    camera_lat_deg: float
    camera_lon_deg: float

    def height_amsl_m(self, north_m: np.ndarray, east_m: np.ndarray) -> np.ndarray:
        # The grid's origin seen from the camera, on the tangent plane (metres are small here).
        e0, n0, _ = pymap3d.geodetic2enu(self.origin_lat_deg, self.origin_lon_deg, 0.0,
                                         self.camera_lat_deg, self.camera_lon_deg, 0.0)
        rows = (np.asarray(north_m) - n0) / self.spacing_m
        cols = (np.asarray(east_m) - e0) / self.spacing_m
        h = self.heights_amsl_m
        r = np.clip(rows, 0, h.shape[0] - 1.000001)
        c = np.clip(cols, 0, h.shape[1] - 1.000001)
        r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
        fr, fc = r - r0, c - c0
        return ((1 - fr) * (1 - fc) * h[r0, c0] + (1 - fr) * fc * h[r0, c0 + 1]
                + fr * (1 - fc) * h[r0 + 1, c0] + fr * fc * h[r0 + 1, c0 + 1])


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


#: Camera axes (x right, y down, z forward) into the gimbal's forward-right-down axes.
_CAMERA_TO_MOUNT = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=float)


def pixel_ray_ned(u_px: float, v_px: float, pose: CameraPose, k: Intrinsics) -> np.ndarray:
    """Unit vector, in local north-east-down, of the ray through pixel (u, v): the camera
    turned to the heading, its horizon tilted by the gimbal's error, then the gimbal's yaw and
    pitch from that horizon."""
    ray_cam = np.array([(u_px - k.cx_px) / k.fx_px, (v_px - k.cy_px) / k.fy_px, 1.0])
    level_from_gimbal = (_rot_z(math.radians(pose.gimbal_yaw_deg))
                         @ _rot_y(math.radians(pose.gimbal_pitch_deg)))
    ned_from_level = (_rot_z(math.radians(pose.yaw_deg))
                      @ _rot_y(math.radians(pose.horizon_pitch_deg))
                      @ _rot_x(math.radians(pose.horizon_roll_deg)))
    ray = ned_from_level @ level_from_gimbal @ _CAMERA_TO_MOUNT @ ray_cam
    return ray / np.linalg.norm(ray)


def _intersect(ray: np.ndarray, alt_amsl_m: float, terrain: Terrain,
               max_range_m: float) -> np.ndarray | None:
    """First point where the ray meets the terrain, as (north, east, down from camera)."""
    if ray[2] <= 1e-9:
        return None  # at or above the horizon
    if isinstance(terrain, FlatTerrain):
        t = (alt_amsl_m - terrain.ground_amsl_m) / ray[2]
        return ray * t if 0 < t <= max_range_m else None
    step = 1.0
    prev_t, prev_gap = 0.0, alt_amsl_m - float(terrain.height_amsl_m(np.array(0.0),
                                                                      np.array(0.0)))
    if prev_gap <= 0:
        return None  # the camera is under the terrain
    t = step
    while t <= max_range_m:
        p = ray * t
        gap = alt_amsl_m - p[2] - float(terrain.height_amsl_m(np.array(p[0]), np.array(p[1])))
        if gap <= 0:
            for _ in range(30):  # bisection between the last point above and the first below
                mid = (prev_t + t) / 2
                q = ray * mid
                g = alt_amsl_m - q[2] - float(terrain.height_amsl_m(np.array(q[0]),
                                                                    np.array(q[1])))
                if g > 0:
                    prev_t = mid
                else:
                    t = mid
            return ray * ((prev_t + t) / 2)
        prev_t, prev_gap = t, gap
        step = max(0.5, min(10.0, gap / 4))  # long steps high above, short near the ground
        t += step
    return None


def pixel_to_ground(u_px: float, v_px: float, pose: CameraPose, k: Intrinsics,
                    terrain: Terrain, errors: PoseErrors | None = None,
                    max_range_m: float = 5000.0) -> GroundFix | None:
    """Where the pixel's ray meets the terrain, with an error ellipse if `errors` is given.

    None when the pixel looks at or above the horizon or the ground is beyond `max_range_m`.
    """
    hit = _intersect(pixel_ray_ned(u_px, v_px, pose, k), pose.alt_amsl_m, terrain, max_range_m)
    if hit is None:
        return None
    north, east, down = (float(x) for x in hit)
    lat, lon, alt = pymap3d.ned2geodetic(north, east, down, pose.lat_deg, pose.lon_deg,
                                         pose.alt_amsl_m)
    sigma = _ellipse(u_px, v_px, pose, k, terrain, errors, max_range_m) if errors else None
    return GroundFix(lat_deg=float(lat), lon_deg=float(lon), alt_amsl_m=float(alt),
                     north_m=north, east_m=east, slant_range_m=float(np.linalg.norm(hit)),
                     sigma=sigma)


def _ellipse(u_px: float, v_px: float, pose: CameraPose, k: Intrinsics, terrain: Terrain,
             errors: PoseErrors, max_range_m: float) -> Ellipse:
    """First-order propagation: J diag(sigma^2) J^T from central differences, plus GNSS."""
    perturb = [
        ("horizon_roll_deg", errors.roll_pitch_sigma_deg, 0.1),
        ("horizon_pitch_deg", errors.roll_pitch_sigma_deg, 0.1),
        ("yaw_deg", errors.yaw_sigma_deg, 0.1),
        ("alt_amsl_m", errors.alt_sigma_m, 0.1),
    ]
    cov = np.eye(2) * errors.horizontal_sigma_m**2
    for field, sigma, h in perturb:
        if sigma <= 0:
            continue
        ends = []
        for sign in (1, -1):
            p = replace(pose, **{field: getattr(pose, field) + sign * h})
            hit = _intersect(pixel_ray_ned(u_px, v_px, p, k), p.alt_amsl_m, terrain,
                             max_range_m * 2)
            ends.append(hit[:2] if hit is not None else None)
        if ends[0] is None or ends[1] is None:
            continue  # near the horizon the derivative is unbounded; the fix itself is weak
        j = (ends[0] - ends[1]) / (2 * h)
        cov += np.outer(j, j) * sigma**2
    values, vectors = np.linalg.eigh(cov)
    major = vectors[:, 1]  # (north, east)
    return Ellipse(semi_major_m=float(math.sqrt(max(values[1], 0))),
                   semi_minor_m=float(math.sqrt(max(values[0], 0))),
                   major_bearing_deg=float(math.degrees(math.atan2(major[1], major[0])) % 180))
