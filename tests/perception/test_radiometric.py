"""The radiometric detector on a hand-built sunlit frame: what fooled the palette detectors
(asphalt at 316 K, a 309 K roof, a 310 K car) is neither fire nor person; the fire and the
people are found."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from perception.detection import Box, Modality
from perception.geolocate import CameraPose, FlatTerrain, Intrinsics, pixel_to_ground
from perception.radiometric import (
    RadiometricDetector,
    RadiometricParams,
    ground_scale_by_row,
    is_radiometric,
)
from perception.thermal import person_size_px

FOCAL_PX = 686.0  #: the simulator's thermal lens: 50 degrees over 640 px
RANGE_M = 100.0
PX_PER_M = FOCAL_PX / RANGE_M
PEOPLE = [(150, 120), (420, 330), (560, 90)]  #: top-left pixel of each person's footprint
FIRE_CENTRE = (300, 420)


def sunlit_frame() -> np.ndarray:
    """640x512 centi-kelvin at noon from 100 m: grass 301 K with 0.8 K of smooth texture, a
    7 m asphalt road (316 K), a roof (309 K), a car (310 K), three people (305 K, 0.45 x 0.6 m)
    and a 3 m grass fire (700 K), blurred by the optics and with 0.06 K of sensor noise."""
    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur(rng.standard_normal((512, 640)).astype(np.float32), (0, 0), 6)
    kelvin = 301.0 + 0.8 * texture / texture.std()
    road = round(7 * PX_PER_M)
    kelvin[250: 250 + road, :] = 316.0
    kelvin[40:180, 300:380] = 309.0  # roof
    kelvin[400:412, 480:511] = 310.0  # car, 1.8 x 4.5 m
    w, h = round(0.45 * PX_PER_M), round(0.6 * PX_PER_M)
    for x, y in PEOPLE:
        kelvin[y: y + h, x: x + w] = 305.0
    cv2.circle(kelvin, FIRE_CENTRE, round(1.5 * PX_PER_M), 700.0, -1)
    blur = np.array([0.25, 0.5, 0.25], np.float32)
    kelvin = cv2.sepFilter2D(kelvin, -1, blur, blur)
    kelvin += 0.06 * rng.standard_normal(kelvin.shape).astype(np.float32)
    return np.clip(kelvin * 100, 0, 65535).astype(np.uint16)


def test_asphalt_roofs_and_cars_are_neither_fire_nor_person() -> None:
    detector = RadiometricDetector(RadiometricParams(
        person_px=person_size_px(FOCAL_PX, RANGE_M)))
    found = [d for d in detector.detect(sunlit_frame(), Modality.THERMAL) if d.score >= 0.25]
    fires = [d for d in found if d.label == "fire"]
    assert len(fires) == 1
    cx, cy = fires[0].box.center_px
    assert abs(cx - FIRE_CENTRE[0]) <= 2 and abs(cy - FIRE_CENTRE[1]) <= 2
    w, h = round(0.45 * PX_PER_M), round(0.6 * PX_PER_M)
    truth = [Box(x1=x, y1=y, x2=x + w, y2=y + h) for x, y in PEOPLE]
    people = [d.box for d in found if d.label == "person"]
    assert all(max(t.iou(b) for b in people) >= 0.3 for t in truth), people
    assert len(people) == len(truth), people


def test_only_centi_kelvin_frames_are_radiometric() -> None:
    frame = sunlit_frame()
    assert is_radiometric(frame)
    assert not is_radiometric((frame // 4).astype(np.uint16))  # raw 14-bit counts
    assert not is_radiometric((frame // 128).astype(np.uint8))
    with pytest.raises(ValueError, match="not a radiometric frame"):
        RadiometricDetector().detect((frame // 128).astype(np.uint8), Modality.THERMAL)
    assert RadiometricDetector().detect(frame, Modality.RGB) == []


@pytest.mark.parametrize("gimbal_pitch_deg", [-90.0, -60.0, -45.0])
def test_each_rows_scale_is_the_focal_length_over_that_rows_slant_range(
        gimbal_pitch_deg: float) -> None:
    k = Intrinsics.from_hfov(640, 512, hfov_deg=50.0)
    pose = CameraPose(lat_deg=22.5, lon_deg=114.0, alt_amsl_m=110.0, yaw_deg=30.0,
                      gimbal_pitch_deg=gimbal_pitch_deg)
    rows = ground_scale_by_row(100.0, -gimbal_pitch_deg, k.fy_px, k.cy_px, k.height_px)
    for v in (0, 100, 256, 400, 511):
        fix = pixel_to_ground(k.cx_px, v + 0.5, pose, k, FlatTerrain(ground_amsl_m=10.0))
        assert fix is not None
        assert rows[v] == pytest.approx(k.fy_px / fix.slant_range_m, rel=1e-6)
    assert ground_scale_by_row(100.0, 5.0, k.fy_px, k.cy_px, 512)[0] == 0.0  # above the horizon


def shore_frame(spot_k: float) -> np.ndarray:
    """Land at 302 K above a 292 K reservoir, seen from 100 m, and four 0.5 m spots at
    `spot_k` a metre off the shore, blurred by the optics, with 0.06 K of sensor noise."""
    kelvin = np.full((512, 640), 302.0, np.float32)
    kelvin[256:, :] = 292.0
    side = round(0.5 * PX_PER_M)
    for x in (100, 250, 400, 550):
        kelvin[262: 262 + side, x: x + side] = spot_k
    blur = np.array([0.25, 0.5, 0.25], np.float32)
    kelvin = cv2.sepFilter2D(kelvin, -1, blur, blur)
    kelvin += 0.06 * np.random.default_rng(5).standard_normal(kelvin.shape).astype(np.float32)
    return np.clip(kelvin * 100, 0, 65535).astype(np.uint16)


def test_a_stone_off_the_shore_no_warmer_than_the_land_is_no_person() -> None:
    """Against the ring's median (mostly water) a land-warm stone has 9 K of contrast and
    scored 1.0 as a person; it is no warmer than the land side of the ring around it. A
    person wading at the same spots, warmer than the land, is still found."""
    detector = RadiometricDetector(RadiometricParams(
        person_px=person_size_px(FOCAL_PX, RANGE_M)))

    def people(spot_k: float) -> int:
        return sum(1 for d in detector.detect(shore_frame(spot_k), Modality.THERMAL)
                   if d.label == "person" and d.score >= 0.25)

    assert people(301.5) == 0
    assert people(305.0) == 4


SEARCH_PX_PER_M = FOCAL_PX / 50.0  #: the full path's search height


def sunlit_shore_frame(person_row: int) -> np.ndarray:
    """From 50 m by day: a reservoir (293.8 K) left of a slightly slanted shoreline, land in
    1 m patches of 299.5 and 300.3 K, and along the shore 1.3 m stretches of a 0.5 m strip
    sunned to 300.6 K; a person (305 K, 12 x 19 px) stands on the shore at `person_row`.
    Blurred by the optics, with 0.06 K of sensor noise."""
    yy, xx = np.mgrid[0:512, 0:640]
    shore = 200 + yy // 6
    tile = round(SEARCH_PX_PER_M)
    kelvin = np.where((yy // tile + xx // tile) % 2 == 0, 300.3, 299.5).astype(np.float32)
    strip = round(0.5 * SEARCH_PX_PER_M)
    kelvin[((yy % 64) < 18) & (xx >= shore) & (xx < shore + strip)] = 300.6
    kelvin[xx < shore] = 293.8
    x = 200 + person_row // 6
    kelvin[person_row: person_row + 19, x + 2: x + 14] = 305.0
    blur = np.array([0.25, 0.5, 0.25], np.float32)
    kelvin = cv2.sepFilter2D(kelvin, -1, blur, blur)
    kelvin += 0.06 * np.random.default_rng(5).standard_normal(kelvin.shape).astype(np.float32)
    return np.clip(kelvin * 100, 0, 65535).astype(np.uint16)


def test_sunned_land_on_a_shore_is_no_person_and_a_person_there_is() -> None:
    """Against the ring's median, half water, the shore's warm strip has over 1 K of contrast,
    the shoreline gives it a crisp edge, and it is warmer than nine tenths of the ring: it
    scored 0.5-0.8 as a person in four places along the shore, and on the full ROS path such
    strips were the map's false people. Over the land beside it alone it is 0.5 K warm, the
    texture it is; the person on the same shore still is one."""
    detector = RadiometricDetector(RadiometricParams(
        person_px=person_size_px(FOCAL_PX, 50.0)))
    found = [d for d in detector.detect(sunlit_shore_frame(person_row=416), Modality.THERMAL)
             if d.label == "person" and d.score >= 0.25]
    x = 200 + 416 // 6
    person = Box(x1=x + 2, y1=416, x2=x + 14, y2=416 + 19)
    assert [round(d.box.iou(person), 1) for d in found] == [1.0], found
