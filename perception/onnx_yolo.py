"""A user's own YOLO-style ONNX model as a Skywatch detector (`--model FILE.onnx`).

Reads the two output layouts that YOLO exports use: YOLOv5 style rows `[1, N, 5 + classes]`
(cx, cy, w, h, objectness, class scores) and YOLOv8 style channels `[1, 4 + classes, N]`
(cx, cy, w, h, class scores, no objectness). Frames are letterboxed to the model's input size
(aspect kept, grey padding, as the exporters train), boxes are mapped back to the frame, then
thresholded and suppressed per class. Class names come from the model's `names` metadata (as
Ultralytics writes it) or from the caller.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from perception.detection import Box, Detection, Modality, check_image
from perception.nms import nms_indices

PAD_VALUE = 114  #: the grey the YOLO exporters letterbox with


class BadModel(ValueError):
    """The ONNX file is not a YOLO-style detector this code can decode; says why."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Letterbox:
    scale: float
    pad_x_px: float
    pad_y_px: float

    def to_frame(self, boxes_xyxy: np.ndarray) -> np.ndarray:
        out = boxes_xyxy.copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x_px) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y_px) / self.scale
        return out


def letterbox(image_rgb: np.ndarray, size_wh: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio and pad to `size_wh`, centred."""
    h, w = image_rgb.shape[:2]
    tw, th = size_wh
    scale = min(tw / w, th / h)
    nw, nh = round(w * scale), round(h * scale)
    resized = cv2.resize(image_rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((th, tw, 3), PAD_VALUE, np.uint8)
    px, py = (tw - nw) // 2, (th - nh) // 2
    canvas[py : py + nh, px : px + nw] = resized
    return canvas, Letterbox(scale=scale, pad_x_px=float(px), pad_y_px=float(py))


class OnnxYoloDetector:
    """`Detector` running a YOLOv5/v8-layout ONNX model on RGB or thermal frames."""

    def __init__(self, model_path: Path, *, class_names: Sequence[str] | None = None,
                 min_score: float = 0.25, nms_iou: float = 0.45,
                 max_detections: int = 300) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"model {path} does not exist")
        try:
            self._session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own untyped errors for bad files
            raise BadModel(f"{path}: not a loadable ONNX model ({e})") from e
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise BadModel(f"{path}: expected one NCHW image input, got "
                           f"{[(i.name, i.shape) for i in inputs]}")
        self._input = inputs[0].name
        _, _, ih, iw = inputs[0].shape
        self.input_wh = (iw if isinstance(iw, int) else 640, ih if isinstance(ih, int) else 640)
        self.names = list(class_names) if class_names else _metadata_names(self._session)
        self.min_score = min_score
        self.nms_iou = nms_iou
        self.max_detections = max_detections
        self._path = path

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        check_image(image, modality)
        rgb = image if image.ndim == 3 else np.repeat(_to_8bit(image)[:, :, None], 3, axis=2)
        canvas, lb = letterbox(rgb, self.input_wh)
        blob = (canvas.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        raw = np.asarray(self._session.run(None, {self._input: blob})[0])
        boxes, scores, classes = self._decode(raw)
        keep = scores >= self.min_score
        boxes, scores, classes = lb.to_frame(boxes[keep]), scores[keep], classes[keep]
        h, w = image.shape[:2]
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        out: list[Detection] = []
        for c in np.unique(classes):
            idx = np.nonzero(classes == c)[0]
            for i in nms_indices(boxes[idx], scores[idx], self.nms_iou):
                j = idx[i]
                out.append(Detection(label=self._name(int(c)), score=float(scores[j]), box=Box(
                    x1=float(boxes[j, 0]), y1=float(boxes[j, 1]),
                    x2=float(boxes[j, 2]), y2=float(boxes[j, 3]))))
        return sorted(out, key=lambda d: -d.score)[: self.max_detections]

    def _decode(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of (cx, cy, w, h, [obj], classes...) to xyxy boxes, best score and class."""
        if raw.ndim != 3 or raw.shape[0] != 1:
            raise BadModel(f"{self._path}: output shape {raw.shape} is not [1, N, C] or [1, C, N]")
        n = len(self.names)
        fits = {4 + n, 5 + n} if n else set()
        if fits & {raw.shape[2]}:
            rows_first = True
        elif fits & {raw.shape[1]}:
            rows_first = False
        elif n:
            raise BadModel(f"{self._path}: output {list(raw.shape)} fits neither YOLOv5 "
                           f"[1, N, 5 + {n}] nor YOLOv8 [1, 4 + {n}, N] for {n} class names")
        else:
            rows_first = raw.shape[1] > raw.shape[2]  # v5: [1, 25200, 85]; v8: [1, 84, 8400]
        rows = raw[0] if rows_first else raw[0].T
        n_cols = rows.shape[1]
        # With names the width tells the family; without, v5 exports are rows-first.
        has_objectness = n_cols == 5 + n if n else rows_first
        if n_cols < (6 if has_objectness else 5):
            raise BadModel(f"{self._path}: {n_cols} values per box is too few for a detector")
        cls = rows[:, 5:] * rows[:, 4:5] if has_objectness else rows[:, 4:]
        classes = cls.argmax(axis=1)
        scores = cls[np.arange(len(cls)), classes]
        cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return boxes.astype(np.float64), scores.astype(np.float64), classes

    def _name(self, c: int) -> str:
        return self.names[c] if c < len(self.names) else f"class{c}"


def _to_8bit(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    lo, hi = np.percentile(image, (0.5, 99.9))
    return np.clip((image.astype(np.float32) - lo) * 255.0 / max(hi - lo, 1.0), 0, 255).astype(
        np.uint8)


def _metadata_names(session: ort.InferenceSession) -> list[str]:
    """Ultralytics stores `names` as a Python dict literal: "{0: 'person', 1: 'car'}"."""
    text = session.get_modelmeta().custom_metadata_map.get("names")
    if not text:
        return []
    try:
        names = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    if isinstance(names, dict):
        return [str(names[k]) for k in sorted(names)]
    if isinstance(names, list):
        return [str(n) for n in names]
    return []
