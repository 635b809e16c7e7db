"""Thermal person detector: a small fully-convolutional network predicting person centres.

A person from 60-130 m is a 12x19-pixel blob whose only cue is its contrast and shape against
a cluttered, often equally warm background. Hand-made proposals miss about 15 % of people
before any classifier sees them, so this detector looks at every pixel: a CenterNet-style
network (`models/thermal_person_cnn.onnx`, trained on HIT-UAV by
`scripts/train_thermal_person_cnn.py`) outputs, at a quarter of the input resolution, a person
centre heatmap, the sub-cell centre offset and the box size. Local maxima of the heatmap are
people; no non-maximum suppression over boxes is needed. Fires still come from the classical
hot-region test.

The network was trained at HIT-UAV's scale (median person 12x19 px); when the expected person
size at the current altitude is known (`person_px`), the frame is resized so people appear at
that scale.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from perception.detection import Box, Detection, Modality, check_image
from perception.thermal import DEFAULT_PERSON_PX, ThermalParams, find_fires

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "thermal_person_cnn.onnx"
STRIDE = 4  #: output cells per input pixel, in each direction
PAD_TO = 16  #: the network downsamples 16x inside, so inputs are padded to a multiple of it
#: Frames are resized by at most these factors to bring people to the trained size: people
#: 6x9.5 to 24x38 px. Smaller people would need frames upscaled beyond what one core runs at
#: frame rate (and blur no network undoes); `perception.detectors` sends those elsewhere.
MIN_SCALE, MAX_SCALE = 0.5, 2.0
#: ONNX metadata entry holding the lowest person score worth reporting, which the training
#: script chooses on the training frames (the F1-best score there).
MIN_SCORE_KEY = "person_min_score"


def person_scale(person_px: tuple[float, float]) -> float | None:
    """The resize factor that shows people of `person_px` (w, h) at the trained size, or None
    when that factor lies outside MIN_SCALE..MAX_SCALE."""
    w, h = person_px
    if w <= 0 or h <= 0:
        raise ValueError(f"person_px must be positive, got {person_px}")
    scale = float(np.sqrt(DEFAULT_PERSON_PX[0] * DEFAULT_PERSON_PX[1] / (w * h)))
    return scale if MIN_SCALE <= scale <= MAX_SCALE else None


def normalise_frame(image: np.ndarray) -> np.ndarray:
    """uint8/uint16 HxW to float32 with zero mean and unit spread per frame.

    Thermal frames come with arbitrary gain and offset (day, night, 8- or 16-bit radiometric),
    and what tells a person apart is relative contrast, so each frame is standardised.
    """
    f = image.astype(np.float32)
    sample = f[::4, ::4]
    mean = float(sample.mean())
    std = max(float(sample.std()), 1e-3 * (65535.0 if image.dtype == np.uint16 else 255.0))
    return (f - mean) / std


def pad_frame(frame: np.ndarray) -> np.ndarray:
    """Pad bottom/right with the frame mean (zero after `normalise_frame`) to PAD_TO."""
    h, w = frame.shape
    ph, pw = -h % PAD_TO, -w % PAD_TO
    if ph or pw:
        frame = np.pad(frame, ((0, ph), (0, pw)))
    return frame


def decode_centres(raw: np.ndarray, min_score: float, max_people: int = 300
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Network output (5, H/4, W/4): heat logit, offset x/y (cells), log width/height (px).

    Returns scores (n,) and boxes (n, 4) xyxy in network-input pixels, for every cell that is
    the maximum of its 3x3 neighbourhood and scores at least `min_score`.
    """
    heat = raw[0]
    logit_min = float(np.log(min_score / (1.0 - min_score)))
    peaks = (heat >= cv2.dilate(heat, np.ones((3, 3), np.uint8))) & (heat >= logit_min)
    ys, xs = np.nonzero(peaks)
    if ys.size > max_people:
        top = np.argsort(-heat[ys, xs])[:max_people]
        ys, xs = ys[top], xs[top]
    scores = 1.0 / (1.0 + np.exp(-heat[ys, xs]))
    cx = (xs + raw[1, ys, xs]) * STRIDE
    cy = (ys + raw[2, ys, xs]) * STRIDE
    w = np.exp(np.clip(raw[3, ys, xs], 0.0, 5.0))
    h = np.exp(np.clip(raw[4, ys, xs], 0.0, 5.0))
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return scores.astype(np.float64), boxes.astype(np.float64)


class CnnThermalDetector:
    """`Detector` for thermal frames: `person` from the shipped CNN, `fire` classical.

    People scoring below `min_score` are not reported; by default that is the threshold stored
    in the model, chosen when it was trained. A lower one gives the whole precision-recall
    curve (for AP).
    """

    def __init__(self, model_path: Path = DEFAULT_MODEL,
                 person_px: tuple[float, float] = DEFAULT_PERSON_PX,
                 min_score: float | None = None) -> None:
        if not Path(model_path).is_file():
            raise FileNotFoundError(f"thermal model {model_path} does not exist")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one core per camera, as onboard
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_path), options,
                                             providers=["CPUExecutionProvider"])
        inp = self._session.get_inputs()[0]
        if len(inp.shape) != 4 or inp.shape[1] != 1:
            raise ValueError(f"{model_path}: expects input {inp.shape}, this code feeds "
                             "[1, 1, H, W]; retrain with scripts/train_thermal_person_cnn.py")
        self._input = inp.name
        scale = person_scale(person_px)
        if scale is None:
            raise ValueError(f"people of {person_px[0]:.1f}x{person_px[1]:.1f} px are outside "
                             f"the sizes this network finds (frames resized {MIN_SCALE}-"
                             f"{MAX_SCALE}x around {DEFAULT_PERSON_PX[0]:g}x"
                             f"{DEFAULT_PERSON_PX[1]:g} px)")
        self._scale = 1.0 if abs(scale - 1.0) < 0.05 else scale
        self.person_px = person_px
        chosen = self._session.get_modelmeta().custom_metadata_map.get(MIN_SCORE_KEY, "0.25")
        self.min_score = float(chosen) if min_score is None else min_score

    def people(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores (n,) and xyxy boxes (n, 4) in frame pixels of every person found."""
        frame = normalise_frame(image)
        h, w = image.shape
        if self._scale != 1.0:
            size = (max(PAD_TO, round(w * self._scale)), max(PAD_TO, round(h * self._scale)))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA
                               if self._scale < 1 else cv2.INTER_LINEAR)
        sx, sy = frame.shape[1] / w, frame.shape[0] / h
        raw = self._session.run(None, {self._input: pad_frame(frame)[None, None]})[0][0]
        scores, boxes = decode_centres(raw, self.min_score)
        boxes /= np.array([sx, sy, sx, sy])
        np.clip(boxes, 0, [w, h, w, h], out=boxes)
        return scores, boxes

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        if modality is not Modality.THERMAL:
            return []
        check_image(image, modality)
        fires = find_fires(image, ThermalParams(person_px=self.person_px))
        scores, boxes = self.people(image)
        people = [
            Detection(label="person", score=float(s),
                      box=Box(x1=float(b[0]), y1=float(b[1]), x2=float(b[2]), y2=float(b[3])))
            for s, b in zip(scores, boxes, strict=True)
            if not any(f.box.x1 <= (b[0] + b[2]) / 2 < f.box.x2
                       and f.box.y1 <= (b[1] + b[3]) / 2 < f.box.y2 for f in fires)
        ]
        return sorted(fires + people, key=lambda d: -d.score)
