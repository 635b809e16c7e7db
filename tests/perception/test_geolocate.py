"""Pixel to ground on flat terrain and a height grid, with the error ellipse, worked by hand."""

import math

import numpy as np
import pyproj
import pytest

from perception.geolocate import (
    CameraPose,
    FlatTerrain,
    HeightGrid,
    Intrinsics,
    PoseErrors,
    pixel_to_ground,
)

K = Intrinsics.from_hfov(640, 512, hfov_deg=60.0)
GEOD = pyproj.Geod(ellps="WGS84")
LAT, LON = 47.3977, 8.5456


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_nadir_camera_at_100_m_sees_the_point_below_at_its_centre() -> None:
    pose = CameraPose(lat_deg=LAT, lon_deg=LON, alt_amsl_m=500.0, yaw_deg=37.0)
    fix = pixel_to_ground(320, 256, pose, K, FlatTerrain(ground_amsl_m=400.0))
    assert fix is not None
    assert distance_m(fix.lat_deg, fix.lon_deg, LAT, LON) < 0.1
    assert fix.alt_amsl_m == pytest.approx(400.0, abs=0.01)
    assert fix.slant_range_m == pytest.approx(100.0, abs=0.01)


def test_oblique_camera_worked_by_hand() -> None:
    # Heading east, gimbal 45 deg down, 100 m above flat ground: the centre pixel is 100 m east.
    pose = CameraPose(lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0, yaw_deg=90.0,
                      gimbal_pitch_deg=-45.0)
    ground = FlatTerrain(ground_amsl_m=0.0)
    fix = pixel_to_ground(320, 256, pose, K, ground)
    assert fix is not None
    assert (fix.north_m, fix.east_m) == pytest.approx((0.0, 100.0), abs=0.01)
    az, _, dist = GEOD.inv(LON, LAT, fix.lon_deg, fix.lat_deg)
    assert dist == pytest.approx(100.0, abs=0.05) and az == pytest.approx(90.0, abs=0.01)
    # A pixel 15 degrees above the centre looks 30 degrees down: 100 / tan(30) = 173.2 m.
    v_px = 256 - K.fy_px * math.tan(math.radians(15))
    far = pixel_to_ground(320, v_px, pose, K, ground)
    assert far is not None and far.east_m == pytest.approx(173.205, abs=0.01)
    # The gimbal is stabilised: the airframe pitched 10 deg nose down at cruise and rolled 8 deg
    # in a turn still sees the same point at the centre ...
    tilted = pixel_to_ground(320, 256, CameraPose(
        lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0, yaw_deg=90.0, roll_deg=8.0, pitch_deg=-10.0,
        gimbal_pitch_deg=-45.0), K, ground)
    assert tilted is not None
    assert (tilted.north_m, tilted.east_m) == pytest.approx((0.0, 100.0), abs=0.01)
    # ... but a gimbal whose horizon is rolled 10 degrees right turns the look left (north):
    # the ray (cos45, 0, sin45) rolled is (0.707, -0.123, 0.696) in the level frame; down
    # 100 m -> 100 * 0.123 / 0.696 = 17.63 m north.
    rolled = pixel_to_ground(320, 256, CameraPose(
        lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0, yaw_deg=90.0, horizon_roll_deg=10.0,
        gimbal_pitch_deg=-45.0), K, ground)
    assert rolled is not None and rolled.north_m == pytest.approx(17.63, abs=0.01)
    # Gimbal yaw 90 deg right of an east heading looks south: 100 m south.
    turned = pixel_to_ground(320, 256, CameraPose(
        lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0, yaw_deg=90.0, pitch_deg=-10.0,
        gimbal_pitch_deg=-45.0, gimbal_yaw_deg=90.0), K, ground)
    assert turned is not None
    assert (turned.north_m, turned.east_m) == pytest.approx((-100.0, 0.0), abs=0.01)


def test_rays_at_or_above_the_horizon_have_no_ground_point() -> None:
    pose = CameraPose(lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0, gimbal_pitch_deg=0.0)
    assert pixel_to_ground(320, 100, pose, K, FlatTerrain(ground_amsl_m=0.0)) is None


def test_height_grid_slope_is_intersected_where_ray_meets_it() -> None:
    # Ground rises 0.1 m per metre northward; looking north 45 deg down from 100 m:
    # 100 - t = 0.1 t  ->  t = 90.91 m north, ground at 9.09 m.
    north = np.arange(0, 301, 10.0)
    heights = np.repeat((0.1 * north)[:, None], 31, axis=1)
    grid = HeightGrid(origin_lat_deg=LAT, origin_lon_deg=LON - 0.002, spacing_m=10.0,
                      heights_amsl_m=heights, camera_lat_deg=LAT, camera_lon_deg=LON)
    pose = CameraPose(lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0, gimbal_pitch_deg=-45.0)
    fix = pixel_to_ground(320, 256, pose, K, grid)
    assert fix is not None
    assert fix.north_m == pytest.approx(90.909, abs=0.05)
    assert fix.alt_amsl_m == pytest.approx(9.09, abs=0.05)


def test_error_ellipse_grows_with_obliquity_along_the_look_direction() -> None:
    ground = FlatTerrain(ground_amsl_m=0.0)
    only_tilt = PoseErrors(roll_pitch_sigma_deg=1.0, yaw_sigma_deg=0.0, alt_sigma_m=0.0,
                           horizontal_sigma_m=0.0)
    nadir = pixel_to_ground(320, 256, CameraPose(lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0),
                            K, ground, only_tilt)
    assert nadir is not None and nadir.sigma is not None
    # 100 m x 1 deg = 1.745 m in both directions.
    assert nadir.sigma.semi_major_m == pytest.approx(1.745, abs=0.01)
    assert nadir.sigma.semi_minor_m == pytest.approx(1.745, abs=0.01)
    only_alt = PoseErrors(roll_pitch_sigma_deg=0.0, yaw_sigma_deg=0.0, alt_sigma_m=2.0,
                          horizontal_sigma_m=0.0)
    oblique = pixel_to_ground(320, 256, CameraPose(
        lat_deg=LAT, lon_deg=LON, alt_amsl_m=100.0, gimbal_pitch_deg=-30.0), K, ground, only_alt)
    assert oblique is not None and oblique.sigma is not None
    # d(north)/d(alt) = 1 / tan(30) = 1.732, along north; nothing across.
    assert oblique.sigma.semi_major_m == pytest.approx(2 * 1.732, abs=0.01)
    assert oblique.sigma.semi_minor_m == pytest.approx(0.0, abs=0.01)
    assert oblique.sigma.major_bearing_deg == pytest.approx(0.0, abs=0.5) or \
        oblique.sigma.major_bearing_deg == pytest.approx(180.0, abs=0.5)
