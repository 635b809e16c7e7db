"""The person size the detector node expects, from height, gimbal and focal length."""

from __future__ import annotations

import math

import pytest


@pytest.mark.usefixtures("ros_built")
def test_range_and_size_buckets_follow_the_geometry() -> None:
    from skywatch_perception.person_size import bucket_person_px, centre_range_m, size_bucket

    assert centre_range_m(100.0, -90.0) == pytest.approx(100.0)  # straight down
    assert centre_range_m(100.0, -45.0) == pytest.approx(100.0 * math.sqrt(2))
    assert centre_range_m(100.0, 0.0) == pytest.approx(400.0)  # at the horizon: capped at 4x
    assert centre_range_m(1.0, -90.0) is None  # on the ground: no guess
    # 2000 px focal length at 100 m: HIT-UAV's 12 x 19 px, within the 5 % bucket step.
    w_px, h_px = bucket_person_px(size_bucket(2000.0, 100.0))
    assert w_px == pytest.approx(12.0, rel=0.026) and h_px == pytest.approx(19.0, rel=0.026)
    # Climbing from 60 to 120 m halves the size: 14 buckets apart, each 5 % from the next.
    assert size_bucket(686.0, 60.0) - size_bucket(686.0, 120.0) == 14
