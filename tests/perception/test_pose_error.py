"""The typical pose-error model draws what it says, reproducibly, and the geolocator's error
ellipse, given the same sigmas, covers the fixes it disturbs as a 2-D normal should."""

import math

import numpy as np
import pymap3d
import pytest

from perception.geolocate import CameraPose, FlatTerrain, Intrinsics, PoseErrors, pixel_to_ground
from perception.pose_error import PoseErrorModel, pose_error_model

LAT, LON = 22.5431, 114.0579
POSE = CameraPose(lat_deg=LAT, lon_deg=LON, alt_amsl_m=110.0, roll_deg=1.0, pitch_deg=-2.0,
                  yaw_deg=30.0, gimbal_pitch_deg=-60.0)
K = Intrinsics.from_hfov(640, 512, hfov_deg=50.0)
DRAWS = 4000


def _draws(model: PoseErrorModel) -> list[CameraPose]:
    return [model.believed_pose(POSE, f"{i:05d}.png") for i in range(DRAWS)]


def test_typical_errors_have_the_documented_spread() -> None:
    poses = _draws(PoseErrorModel(seed=3))
    ned = np.array([pymap3d.geodetic2ned(p.lat_deg, p.lon_deg, POSE.alt_amsl_m, LAT, LON,
                                         POSE.alt_amsl_m)[:2] for p in poses])
    # GNSS 1 m per axis plus 50 ms at 5 m/s (0.25 m) along the 30 degree heading.
    along = 0.25 * np.array([math.cos(math.radians(30)), math.sin(math.radians(30))])
    assert np.std(ned, axis=0) == pytest.approx(np.sqrt(1 + along**2), abs=0.04)
    assert np.std([p.alt_amsl_m for p in poses]) == pytest.approx(0.5, abs=0.025)
    for field in ("horizon_roll_deg", "horizon_pitch_deg", "yaw_deg"):
        values = [getattr(p, field) for p in poses]
        assert np.mean(values) == pytest.approx(getattr(POSE, field), abs=0.03), field
        assert np.std(values) == pytest.approx(0.5, abs=0.025), field
    # the tilt error is the stabilised gimbal's horizon: the airframe's attitude and the
    # gimbal's own angles are reported as they were
    assert {(p.roll_deg, p.pitch_deg, p.gimbal_pitch_deg) for p in poses} == {(1.0, -2.0, -60.0)}


def test_a_frame_gets_the_same_error_alone_or_in_a_set_and_seeds_differ() -> None:
    model = PoseErrorModel(seed=7)
    assert model.believed_pose(POSE, "00003.png") == model.believed_pose(POSE, "00003.png")
    assert model.believed_pose(POSE, "00003.png") != model.believed_pose(POSE, "00004.png")
    assert model.believed_pose(POSE, "00003.png") != PoseErrorModel(seed=8).believed_pose(
        POSE, "00003.png")
    assert pose_error_model("none", 7) is None
    assert pose_error_model("typical", 7) == model


def test_bad_settings_are_refused_naming_them() -> None:
    with pytest.raises(ValueError, match=r"pose error alt_sigma_m: expected a finite number "
                                         r">= 0, got -1\.0"):
        PoseErrorModel(alt_sigma_m=-1.0)
    with pytest.raises(ValueError, match=r"--pose-error: 'rtk' is not one of none, typical"):
        pose_error_model("rtk", 0)


def test_the_geolocators_ellipse_with_the_models_sigmas_covers_its_fixes_as_it_should() -> None:
    """Mahalanobis distances of the disturbed fixes from the exact one, in the ellipse the
    geolocator propagates for the same sigmas, are chi-square with 2 degrees of freedom:
    39 % fall within 1 sigma, 86 % within 2. No time offset: the ellipse has no term for it."""
    model = PoseErrorModel(seed=11, sync_sigma_s=0.0)
    errors = PoseErrors(roll_pitch_sigma_deg=model.tilt_sigma_deg,
                        yaw_sigma_deg=model.heading_sigma_deg, alt_sigma_m=model.alt_sigma_m,
                        horizontal_sigma_m=model.horizontal_sigma_m)
    ground = FlatTerrain(ground_amsl_m=10.0)
    u_px, v_px = 500.0, 100.0  # upper right: far, where angles count most
    exact = pixel_to_ground(u_px, v_px, POSE, K, ground, errors)
    assert exact is not None and exact.sigma is not None
    s = exact.sigma
    bearing = math.radians(s.major_bearing_deg)
    major = np.array([math.cos(bearing), math.sin(bearing)])  # (north, east)
    minor = np.array([-major[1], major[0]])
    assert s.semi_major_m > 1.5 * model.horizontal_sigma_m  # angles count this far out
    inside_1, inside_2 = 0, 0
    for pose in _draws(model)[:1000]:
        fix = pixel_to_ground(u_px, v_px, pose, K, ground)
        assert fix is not None
        n, e, _ = pymap3d.geodetic2ned(fix.lat_deg, fix.lon_deg, ground.ground_amsl_m,
                                       exact.lat_deg, exact.lon_deg, ground.ground_amsl_m)
        d = np.array([n, e])
        m2 = (d @ major / s.semi_major_m) ** 2 + (d @ minor / s.semi_minor_m) ** 2
        inside_1 += m2 <= 1
        inside_2 += m2 <= 4
    assert inside_1 / 1000 == pytest.approx(1 - math.exp(-0.5), abs=0.05)
    assert inside_2 / 1000 == pytest.approx(1 - math.exp(-2), abs=0.04)
