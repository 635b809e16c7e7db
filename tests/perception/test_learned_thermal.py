"""The shipped ONNX thermal person model beats the classical detector on real HIT-UAV frames."""

from pathlib import Path

import numpy as np
import pytest

from perception.dataset import load_yolo_set, read_image
from perception.detection import BadImage, Modality
from perception.evaluate import score_class
from perception.learned_thermal import DEFAULT_MODEL, LearnedThermalDetector
from perception.thermal import ThermalHotspotDetector


def test_learned_model_doubles_classical_ap50_on_hituav_dev(hituav_dev: Path) -> None:
    items = load_yolo_set(hituav_dev).items[::2]  # 145 frames, all altitudes, day and night
    frames = [read_image(it.image_path, Modality.THERMAL) for it in items]
    truth = [it.truth for it in items]
    learned = LearnedThermalDetector()
    classical = ThermalHotspotDetector()
    preds = [learned.detect(f, Modality.THERMAL) for f in frames]
    got = score_class("person", truth, preds)
    base = score_class("person", truth, [classical.detect(f, Modality.THERMAL) for f in frames])
    assert got.ap50 >= 0.38, got
    assert got.ap50 >= 1.6 * base.ap50, (got, base)
    # At the operating point of the acceptance target (IoU 0.3, score >= 0.25):
    op = score_class("person", truth, preds, iou_match=0.3, min_score=0.25)
    assert op.precision >= 0.5 and op.recall >= 0.45, op


def test_a_missing_or_mismatched_model_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        LearnedThermalDetector(tmp_path / "nope.onnx")
    assert DEFAULT_MODEL.is_file()


def test_bad_frames_are_refused_and_rgb_is_not_its_business() -> None:
    det = LearnedThermalDetector()
    with pytest.raises(BadImage, match="empty"):
        det.detect(np.zeros((0, 5), np.uint8), Modality.THERMAL)
    assert det.detect(np.zeros((64, 64, 3), np.uint8), Modality.RGB) == []
