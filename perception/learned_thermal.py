"""Learned thermal person detector: classical spot proposals, scored and boxed by a small network.

The classical detector finds almost every person as a local contrast spot (at a low threshold
about 85 % of HIT-UAV people lie under one of ~140 spots per frame) but cannot tell a person
from a lamp, a car bonnet or a bush. A multilayer perceptron, trained on HIT-UAV and shipped as
ONNX (`models/thermal_person_mlp.onnx`), looks at each spot's contrast window and context,
scores it and refines its box. Fires still come from the classical hot-region test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from perception.detection import Box, Detection, Modality, check_image
from perception.nms import nms_indices
from perception.patches import N_FEATURES, peak_features
from perception.thermal import (
    DEFAULT_PERSON_PX,
    ThermalParams,
    contrast_maps,
    find_fires,
    find_peaks,
)

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "thermal_person_mlp.onnx"

#: Proposals: a low threshold and both polarities; the network decides.
PROPOSAL_MIN_Z = 2.0
PROPOSAL_MAX = 200


def proposal_params(person_px: tuple[float, float]) -> ThermalParams:
    return ThermalParams(person_px=person_px, min_z=PROPOSAL_MIN_Z, cold_people=True,
                         max_detections=PROPOSAL_MAX // 4)


def decode_outputs(raw: np.ndarray, peaks_xy: np.ndarray, person_px: tuple[float, float],
                   width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Network outputs (logit, dx, dy, log w, log h per spot) to scores and xyxy pixel boxes.

    Offsets are in person sizes from the spot's peak, sizes as log ratios to the person size,
    so one network serves every altitude once `person_px` is scaled to it.
    """
    pw, ph = person_px
    scores = 1.0 / (1.0 + np.exp(-raw[:, 0]))
    cx = peaks_xy[:, 0] + raw[:, 1] * pw
    cy = peaks_xy[:, 1] + raw[:, 2] * ph
    w = pw * np.exp(np.clip(raw[:, 3], -2, 2))
    h = ph * np.exp(np.clip(raw[:, 4], -2, 2))
    boxes = np.stack([np.clip(cx - w / 2, 0, width), np.clip(cy - h / 2, 0, height),
                      np.clip(cx + w / 2, 0, width), np.clip(cy + h / 2, 0, height)], axis=1)
    return scores, boxes


class LearnedThermalDetector:
    """`Detector` for thermal frames: `person` from the shipped ONNX model, `fire` classical."""

    def __init__(self, model_path: Path = DEFAULT_MODEL,
                 person_px: tuple[float, float] = DEFAULT_PERSON_PX,
                 min_score: float = 0.05, nms_iou: float = 0.3) -> None:
        if not Path(model_path).is_file():
            raise FileNotFoundError(f"thermal model {model_path} does not exist")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one core per camera, as onboard
        self._session = ort.InferenceSession(str(model_path), options,
                                             providers=["CPUExecutionProvider"])
        inp = self._session.get_inputs()[0]
        if inp.shape[-1] != N_FEATURES:
            raise ValueError(f"{model_path}: expects {inp.shape[-1]} features, this code makes "
                             f"{N_FEATURES}; retrain with scripts/train_thermal_person.py")
        self._input = inp.name
        self.person_px = person_px
        self.min_score = min_score
        self.nms_iou = nms_iou

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        if modality is not Modality.THERMAL:
            return []
        check_image(image, modality)
        params = proposal_params(self.person_px)
        maps = contrast_maps(image, self.person_px)
        fires = find_fires(image, params)
        peaks = find_peaks(maps.z, params)
        people: list[Detection] = []
        if len(peaks):
            feats = peak_features(maps, peaks, self.person_px)
            raw = self._session.run(None, {self._input: feats})[0]
            scores, boxes = decode_outputs(raw, peaks, self.person_px,
                                           image.shape[1], image.shape[0])
            keep = [i for i in nms_indices(boxes, scores, self.nms_iou)
                    if scores[i] >= self.min_score]
            people = [
                Detection(label="person", score=float(scores[i]),
                          box=Box(x1=float(boxes[i, 0]), y1=float(boxes[i, 1]),
                                  x2=float(boxes[i, 2]), y2=float(boxes[i, 3])))
                for i in keep
                if not any(f.box.x1 <= (boxes[i, 0] + boxes[i, 2]) / 2 < f.box.x2
                           and f.box.y1 <= (boxes[i, 1] + boxes[i, 3]) / 2 < f.box.y2
                           for f in fires)
            ]
        return sorted(fires + people, key=lambda d: -d.score)
