"""The thermal person CNN: how its output map becomes boxes, scale handling, bad input."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from perception.dataset import load_yolo_set, read_image
from perception.detection import BadImage, Box, Modality
from perception.detectors import detector_for
from perception.learned_thermal import LearnedThermalDetector
from perception.thermal_cnn import DEFAULT_MODEL, CnnThermalDetector, decode_centres

HITUAV_FRAME = "1_60_30_0_00008.jpg"  # night, 60 m, 25 labelled people


def test_a_heatmap_peak_becomes_one_box_of_the_predicted_size_at_the_offset_centre() -> None:
    raw = np.zeros((5, 16, 20), np.float32)
    raw[0] = -10.0  # nothing anywhere ...
    raw[0, 5, 7] = 2.0  # ... but one strong peak (score 0.88)
    raw[0, 5, 8] = 1.0  # its weaker neighbour is the same person, not a second one
    raw[0, 12, 3] = -2.0  # an isolated peak at score 0.12, below the 0.25 asked for
    raw[1:3, 5, 7] = (0.5, 0.25)  # centre offset inside the cell, in cells
    raw[3:5, 5, 7] = (np.log(12.0), np.log(19.0))  # width, height in pixels
    scores, boxes = decode_centres(raw, min_score=0.25)
    assert scores.shape == (1,) and scores[0] == pytest.approx(0.881, abs=1e-3)
    # Centre ((7 + 0.5) * 4, (5 + 0.25) * 4) = (30, 21) px, 12 x 19 px around it.
    np.testing.assert_allclose(boxes[0], [24.0, 11.5, 36.0, 30.5], atol=1e-4)


def test_people_seen_from_half_the_range_are_found_at_the_same_places(hituav_dev: Path) -> None:
    item = next(it for it in load_yolo_set(hituav_dev).items if it.image_path.name == HITUAV_FRAME)
    frame = read_image(item.image_path, Modality.THERMAL)
    truth = [box for label, box in item.truth.boxes if label == "person"]
    assert len(truth) == 25
    scores, boxes = CnnThermalDetector().people(frame)
    assert found(truth, boxes) >= 20  # recall 0.8, as the target
    # The same scene twice as close: people are 24 x 38 px, and the detector is told so.
    near_frame = cv2.resize(frame, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR)
    _, near_boxes = CnnThermalDetector(person_px=(24.0, 38.0)).people(near_frame)
    near_boxes /= 2.0  # back to frame pixels
    assert found(truth, near_boxes) >= 20
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    near_centres = (near_boxes[:, :2] + near_boxes[:, 2:]) / 2
    for c in centres[scores >= 0.5]:  # every confident person within 3 px of the far view's
        assert np.min(np.hypot(*(near_centres - c).T)) <= 3.0, (c, near_centres)


def found(truth: list[Box], boxes: np.ndarray) -> int:
    """How many labelled people one of the boxes matches at IoU 0.3."""
    found_boxes = [Box(x1=b[0], y1=b[1], x2=b[2], y2=b[3]) for b in boxes]
    return sum(max((t.iou(b) for b in found_boxes), default=0.0) >= 0.3 for t in truth)


def test_a_missing_model_is_refused_by_name_and_bad_frames_by_reason(tmp_path: Path) -> None:
    assert DEFAULT_MODEL.is_file() and DEFAULT_MODEL.stat().st_size < 5_000_000
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        CnnThermalDetector(tmp_path / "nope.onnx")
    # A wide lens at 93 m shows people 4.4x7 px: too small for it, so the default thermal
    # detector there is the spot proposals + MLP.
    with pytest.raises(ValueError, match="4.4x7.0 px"):
        CnnThermalDetector(person_px=(4.4, 7.0))
    assert isinstance(detector_for(Modality.THERMAL, person_px=(4.4, 7.0)),
                      LearnedThermalDetector)
    assert isinstance(detector_for(Modality.THERMAL), CnnThermalDetector)
    det = CnnThermalDetector()
    with pytest.raises(BadImage, match="empty"):
        det.detect(np.zeros((0, 5), np.uint8), Modality.THERMAL)
    assert det.detect(np.zeros((64, 64, 3), np.uint8), Modality.RGB) == []
    # A frame of uniform temperature holds nobody, whatever its size.
    assert det.detect(np.full((100, 130), 30_000, np.uint16), Modality.THERMAL) == []
