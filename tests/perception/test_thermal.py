"""Classical thermal detection: small people found by local contrast, fires told apart."""

from pathlib import Path

import numpy as np
import pytest

from perception.dataset import load_yolo_set, read_image
from perception.detection import BadImage, Box, Modality
from perception.evaluate import score_class
from perception.thermal import ThermalHotspotDetector, ThermalParams, person_size_px
from tests.perception.synthetic import add_blob, thermal_ground, to_uint8


def test_a_12x19_pixel_person_at_100_m_is_found_and_nothing_else() -> None:
    # A 2000 px focal length (a 640 px wide, 18 degree lens) at 100 m: 0.6 x 0.95 m -> 12 x 19.
    w_px, h_px = person_size_px(focal_px=2000.0, range_m=100.0)
    assert (w_px, h_px) == pytest.approx((12.0, 19.0))
    frame = thermal_ground(seed=1)
    add_blob(frame, 300, 200, 12, 19, delta=40)
    det = ThermalHotspotDetector(ThermalParams(person_px=(w_px, h_px)))
    found = det.detect(to_uint8(frame), Modality.THERMAL)
    truth = Box(x1=300, y1=200, x2=312, y2=219)
    people = [d for d in found if d.label == "person"]
    assert people and people[0].box.iou(truth) >= 0.5
    assert len(found) <= 1, found  # textured ground and noise raise no alarm


def test_sixteen_bit_radiometric_frames_work_like_eight_bit() -> None:
    frame = thermal_ground(seed=2)
    add_blob(frame, 100, 100, 12, 19, delta=40)
    raw = (frame * 40 + 20000).astype(np.uint16)  # centi-kelvin-like counts
    found = ThermalHotspotDetector().detect(raw, Modality.THERMAL)
    assert any(d.box.iou(Box(x1=100, y1=100, x2=112, y2=119)) >= 0.5 for d in found)


def test_a_large_very_hot_irregular_blob_is_fire_not_person() -> None:
    frame = thermal_ground(seed=3)
    add_blob(frame, 200, 150, 45, 30, delta=150)
    add_blob(frame, 230, 170, 30, 40, delta=150)
    add_blob(frame, 450, 300, 12, 19, delta=40)
    found = ThermalHotspotDetector().detect(to_uint8(frame), Modality.THERMAL)
    fires = [d for d in found if d.label == "fire"]
    people = [d for d in found if d.label == "person"]
    assert len(fires) == 1 and fires[0].box.iou(Box(x1=200, y1=150, x2=260, y2=210)) >= 0.3
    assert len(people) == 1 and people[0].box.iou(Box(x1=450, y1=300, x2=462, y2=319)) >= 0.5


@pytest.mark.parametrize(("image", "reason"), [
    (np.zeros((0, 0), np.uint8), "empty"),
    (np.zeros((512, 640), np.float32), "dtype must be uint8 or uint16"),
    (np.zeros((512, 640, 3), np.uint8), "thermal image must be HxW"),
])
def test_bad_frames_are_refused_naming_the_problem(image: np.ndarray, reason: str) -> None:
    with pytest.raises(BadImage, match=reason):
        ThermalHotspotDetector().detect(image, Modality.THERMAL)


def test_truncated_jpeg_is_refused_by_the_reader(tmp_path: Path, hituav_dev: Path) -> None:
    source = next((hituav_dev / "images").glob("*.jpg")).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(source[: len(source) // 2])
    with pytest.raises(BadImage, match="truncated JPEG"):
        read_image(cut, Modality.THERMAL)
    assert read_image(hituav_dev / "images" / "0_100_30_0_03306.jpg", Modality.THERMAL).shape \
        == (512, 640)


def test_on_real_hituav_frames_it_beats_a_naive_threshold(hituav_dev: Path) -> None:
    # A median background and a global z-score threshold scores AP50 ~0.12 with ~200 false
    # alarms per frame on this set; local contrast and shape must do clearly better.
    data = load_yolo_set(hituav_dev)
    items = data.items  # 290 frames, 6 s
    det = ThermalHotspotDetector()
    preds = [det.detect(read_image(it.image_path, Modality.THERMAL), Modality.THERMAL)
             for it in items]
    score = score_class("person", [it.truth for it in items], preds)
    false_alarms_per_frame = (score.detections - score.true_positives) / len(items)
    assert score.ap50 >= 0.18, score
    assert false_alarms_per_frame <= 15, score
