"""The simulated gimbal is stabilised: where the camera looks does not depend on the airframe's
tilt. The image centre's ray is followed from the pose the camera server renders a frame from
(`sim.frames_server.frame_pose`) to flat ground, and the pose it sends with the frame is put
through the onboard geolocator to the same point."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pymap3d
import pytest

from perception.geolocate import CameraPose as GeoPose
from perception.geolocate import FlatTerrain, pixel_to_ground
from sim.autopilot import Autopilot, VehicleConfig
from sim.camera import THERMAL_INTRINSICS as K
from sim.camera import enu_from_camera
from sim.commands import CMD_DO_GIMBAL_MANAGER_PITCHYAW, args_from_long, run_command
from sim.frames_server import frame_pose
from sim.geo import Enu, Origin, enu_to_geodetic
from sim.mav_result import Result
from sim.payload import GIMBAL_YAW_LOCK

HOME = Origin(lat_deg=22.5431, lon_deg=114.0579, alt_amsl_m=10.0)
DT = 0.05
ALT_M = 50.0


def _run(ap: Autopilot, seconds: float) -> None:
    for _ in range(int(seconds / DT)):
        ap.step(DT, wall_s=0.0)


def _at_50_m() -> Autopilot:
    ap = Autopilot(VehicleConfig(kind="multirotor", start=HOME))
    _run(ap, 6.0)
    assert ap.arm() == Result.ACCEPTED and ap.takeoff(None) == Result.ACCEPTED
    _run(ap, 20.0)
    here = enu_to_geodetic(Enu(east_m=0.0, north_m=0.0, up_m=0.0), HOME)
    ap.reposition(lat_deg=here.lat_deg, lon_deg=here.lon_deg,
                  alt_amsl_m=HOME.alt_amsl_m + ALT_M, speed_mps=None)
    _run(ap, 40.0)
    assert ap.body.up_m == pytest.approx(ALT_M, abs=0.2)
    return ap


def _point(ap: Autopilot, pitch_deg: float, yaw_deg: float = 0.0, flags: int = 0) -> None:
    args = args_from_long(CMD_DO_GIMBAL_MANAGER_PITCHYAW,
                          (pitch_deg, yaw_deg, math.nan, math.nan, float(flags), 0.0, 0.0))
    assert run_command(ap, args) == Result.ACCEPTED


def _centre_hit(ap: Autopilot) -> tuple[float, float]:
    """(forward, right) metres from the drone's ground point where the image centre's ray
    meets the ground under it, in the drone's heading frame."""
    camera, _ = frame_pose(ap, HOME)
    ray = enu_from_camera(camera) @ np.array([0.0, 0.0, 1.0])
    t = (camera.alt_amsl_m - HOME.alt_amsl_m) / -ray[2]
    de, dn = t * ray[0], t * ray[1]
    h = math.radians(ap.body.heading_deg)
    return dn * math.cos(h) + de * math.sin(h), de * math.cos(h) - dn * math.sin(h)


def test_a_camera_pointed_down_at_cruise_looks_straight_down_and_the_pose_says_so() -> None:
    ap = _at_50_m()
    ahead = enu_to_geodetic(Enu(east_m=1500.0, north_m=1500.0, up_m=0.0), HOME)
    ap.reposition(lat_deg=ahead.lat_deg, lon_deg=ahead.lon_deg,
                  alt_amsl_m=HOME.alt_amsl_m + ALT_M, speed_mps=8.0)
    _run(ap, 30.0)
    assert ap.body.ground_speed_mps == pytest.approx(8.0, abs=0.1)
    assert ap.body.pitch_deg < -9.0  # nose down at cruise (-11 degrees at 8 m/s)
    _point(ap, -90.0)
    forward, right = _centre_hit(ap)
    # a gimbal holding its pitch to the airframe would look 50 * tan(11 deg) = 9.7 m behind
    assert math.hypot(forward, right) < 1.0
    _, pose = frame_pose(ap, HOME)
    assert pose["pitch_deg"] == pytest.approx(ap.body.pitch_deg)  # the airframe's, as ATTITUDE
    assert pose["gimbal_pitch_deg"] == -90.0
    fix = pixel_to_ground(K.cx_px, K.cy_px, GeoPose(**{
        k: pose[k] for k in ("lat_deg", "lon_deg", "alt_amsl_m", "roll_deg", "pitch_deg",
                             "yaw_deg", "gimbal_pitch_deg", "gimbal_yaw_deg")}),
        K, FlatTerrain(ground_amsl_m=HOME.alt_amsl_m))
    assert fix is not None
    n, e, _ = pymap3d.geodetic2ned(fix.lat_deg, fix.lon_deg, HOME.alt_amsl_m, pose["lat_deg"],
                                   pose["lon_deg"], HOME.alt_amsl_m)
    assert math.hypot(n, e) < 1.0
    assert fix.slant_range_m == pytest.approx(ALT_M, abs=1.0)


@pytest.mark.parametrize(("pitch_deg", "roll_deg"),
                         [(0.0, 0.0), (-10.0, 0.0), (-24.0, 5.0), (8.0, -12.0)])
def test_at_minus_45_the_camera_looks_50_m_ahead_whatever_the_airframe_tilt(
        pitch_deg: float, roll_deg: float) -> None:
    ap = _at_50_m()
    ap.body = replace(ap.body, heading_deg=60.0, pitch_deg=pitch_deg, roll_deg=roll_deg)
    _point(ap, -45.0)
    forward, right = _centre_hit(ap)
    assert forward == pytest.approx(50.0, abs=1.0)
    assert right == pytest.approx(0.0, abs=1.0)
    _point(ap, -45.0, 90.0)  # yaw from the nose: looking out of the right side
    forward, right = _centre_hit(ap)
    assert (forward, right) == pytest.approx((0.0, 50.0), abs=1.0)


def test_yaw_follows_the_heading_unless_locked_on_a_bearing() -> None:
    ap = _at_50_m()
    ap.body = replace(ap.body, heading_deg=0.0)
    _point(ap, -45.0, 30.0)  # 30 degrees right of the nose, following it
    ap.body = replace(ap.body, heading_deg=100.0)
    assert ap.gimbal_angles_deg() == (-45.0, 30.0)
    _point(ap, -45.0, 90.0, GIMBAL_YAW_LOCK)  # locked: 90 is a bearing, east
    for heading in (100.0, 250.0, 350.0):
        ap.body = replace(ap.body, heading_deg=heading)
        pitch, yaw = ap.gimbal_angles_deg()
        assert pitch == -45.0
        assert (heading + yaw) % 360.0 == pytest.approx(90.0, abs=1e-9)
        camera, _ = frame_pose(ap, HOME)
        ray = enu_from_camera(camera) @ np.array([0.0, 0.0, 1.0])
        assert ray[0] / -ray[2] == pytest.approx(1.0, abs=1e-6)  # 45 deg down, due east
        assert ray[1] == pytest.approx(0.0, abs=1e-9)
    _point(ap, -45.0, 0.0)  # no lock again: straight ahead of the nose
    ap.body = replace(ap.body, heading_deg=200.0)
    assert ap.gimbal_angles_deg() == (-45.0, 0.0)
