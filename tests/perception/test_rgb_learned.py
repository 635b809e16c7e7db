"""The shipped RGB fire/smoke cell model on fire_dev sources it was not trained on."""

from pathlib import Path

import numpy as np
import pytest

from perception.dataset import held_out_source, load_yolo_set, read_image
from perception.detection import BadImage, Modality
from perception.evaluate import score_class
from perception.rgb import FireSmokeDetector
from perception.rgb_learned import LearnedFireSmokeDetector


def test_on_held_out_sources_it_far_outscores_the_colour_rules(fire_dev: Path) -> None:
    items = [it for it in load_yolo_set(fire_dev).items if held_out_source(it.image_path.name)]
    items = items[::2]  # 129 frames of sources the model never saw
    frames = [read_image(it.image_path, Modality.RGB) for it in items]
    truth = [it.truth for it in items]
    learned, rules = LearnedFireSmokeDetector(), FireSmokeDetector()
    got = [learned.detect(f, Modality.RGB) for f in frames]
    base = [rules.detect(f, Modality.RGB) for f in frames]
    for label, min_ap in (("fire", 0.35), ("smoke", 0.5)):
        mine, theirs = score_class(label, truth, got), score_class(label, truth, base)
        assert mine.ap50 >= min_ap and mine.ap50 >= 1.5 * theirs.ap50, (mine, theirs)
        op = score_class(label, truth, got, iou_match=0.3, min_score=0.25)
        assert op.recall >= 0.7 and op.precision >= 0.7, op


def test_bad_frames_are_refused_and_thermal_is_not_its_business() -> None:
    det = LearnedFireSmokeDetector()
    with pytest.raises(BadImage, match="RGB image must be HxWx3"):
        det.detect(np.zeros((10, 10), np.uint8), Modality.RGB)
    assert det.detect(np.zeros((10, 10), np.uint8), Modality.THERMAL) == []
    dark = det.detect(np.zeros((480, 640, 3), np.uint8), Modality.RGB)
    assert dark == []  # a black frame holds neither fire nor smoke
