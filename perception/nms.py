"""Greedy non-maximum suppression: one answer per object, the most certain one kept."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perception.detection import Detection


def non_max_suppression(detections: Sequence[Detection], iou_max: float) -> list[Detection]:
    """Keep the highest-scoring detection of each label; drop same-label ones overlapping it."""
    if not detections:
        return []
    kept: list[Detection] = []
    for label in sorted({d.label for d in detections}):
        group = sorted((d for d in detections if d.label == label), key=lambda d: -d.score)
        boxes = np.array([[d.box.x1, d.box.y1, d.box.x2, d.box.y2] for d in group])
        keep = nms_indices(boxes, np.array([d.score for d in group]), iou_max)
        kept.extend(group[i] for i in keep)
    return sorted(kept, key=lambda d: -d.score)


def nms_indices(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_max: float) -> list[int]:
    """Indices of the boxes kept, by decreasing score (vectorised, for thousands of boxes)."""
    x1, y1, x2, y2 = boxes_xyxy.T
    areas = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        iw = np.maximum(0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        ih = np.maximum(0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = iw * ih
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou <= iou_max]
    return keep
