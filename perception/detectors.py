"""Which detector runs on which frames: the defaults per modality, or the user's ONNX model."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from perception.detection import Detection, Detector, Modality
from perception.learned_thermal import LearnedThermalDetector
from perception.onnx_yolo import OnnxYoloDetector
from perception.rgb import HogPersonDetector, hog_can_find, upright_person_px
from perception.rgb_learned import LearnedFireSmokeDetector
from perception.thermal import DEFAULT_PERSON_PX
from perception.thermal_cnn import CnnThermalDetector, person_scale


class CombinedDetector:
    """Several detectors on the same frame, their answers concatenated by score."""

    def __init__(self, parts: Sequence[Detector]) -> None:
        self.parts = tuple(parts)

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        found = [d for part in self.parts for d in part.detect(image, modality)]
        return sorted(found, key=lambda d: -d.score)


def detector_for(modality: Modality, model_path: Path | None = None,
                 person_px: tuple[float, float] | None = None,
                 labels: Collection[str] | None = None) -> Detector:
    """The user's YOLO-style model if given; else the person CNN (fires: hot regions) for
    thermal frames, and the learned fire/smoke cell model plus HOG people for RGB frames.

    `person_px` is the expected (width, height) of a person's box, from the ground sample
    distance when altitude and focal length are known (`person_size_px`), or None when they
    are not: thermal detectors then assume HIT-UAV's median box, HOG searches every size from
    its window's up. HOG searches only around a known size (of a standing person seen
    obliquely, `upright_person_px`), which makes it fast. People
    outside the sizes the CNN handles (`person_scale`: a wide lens high up shows 4x7 px) go
    to the spot proposals + MLP, which are sized for any person.
    `labels`, when given, are the only labels wanted: RGB people (HOG, the slowest detector by
    far) are not searched for when `person` is not among them, nor when they are too small
    for HOG to find (`hog_can_find`)."""
    if model_path is not None:
        return OnnxYoloDetector(model_path)
    if modality is Modality.THERMAL:
        person_px = person_px or DEFAULT_PERSON_PX
        if person_scale(person_px) is None:
            return LearnedThermalDetector(person_px=person_px)
        return CnnThermalDetector(person_px=person_px)
    upright_px = None if person_px is None else upright_person_px(person_px)
    if (labels is not None and "person" not in labels) or (
            upright_px is not None and not hog_can_find(upright_px)):
        return LearnedFireSmokeDetector()
    return CombinedDetector([LearnedFireSmokeDetector(), HogPersonDetector(upright_px)])
