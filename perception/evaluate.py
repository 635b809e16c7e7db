"""Detection quality against YOLO-format labels: precision, recall and AP50 per class.

Matching follows the PASCAL VOC / COCO convention at IoU 0.5: detections sorted by score,
each greedily matched to the unmatched ground-truth box of its class with the highest IoU.
AP is the area under the all-point interpolated precision-recall curve. A detection that
matches nothing but lies at least half inside an ignore ("DontCare") region is not counted,
as the HIT-UAV scoring does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from perception.detection import Box, Detection

IOU_MATCH = 0.5


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelledImage:
    """Ground truth for one image."""

    boxes: tuple[tuple[str, Box], ...]
    ignore: tuple[Box, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassScore:
    label: str
    ground_truth: int
    detections: int
    true_positives: int
    precision: float
    recall: float
    ap50: float


def parse_yolo_labels(
    text: str, names: Mapping[int, str], width_px: int, height_px: int
) -> tuple[tuple[str, Box], ...]:
    """`cls cx cy w h` lines (normalised) to labelled pixel boxes; a bad line names itself."""
    out: list[tuple[str, Box]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 5:
            raise ValueError(f"line {n}: expected 'cls cx cy w h', got {line!r}")
        cls, (cx, cy, w, h) = int(parts[0]), (float(p) for p in parts[1:])
        if cls not in names:
            raise ValueError(f"line {n}: class {cls} is not in {sorted(names)}")
        out.append((names[cls], Box(
            x1=(cx - w / 2) * width_px, y1=(cy - h / 2) * height_px,
            x2=(cx + w / 2) * width_px, y2=(cy + h / 2) * height_px,
        )))
    return tuple(out)


def _fraction_inside(box: Box, region: Box) -> float:
    ix = max(0.0, min(box.x2, region.x2) - max(box.x1, region.x1))
    iy = max(0.0, min(box.y2, region.y2) - max(box.y1, region.y1))
    return ix * iy / box.area_px if box.area_px > 0 else 0.0


def score_class(
    label: str, truth: Sequence[LabelledImage], predictions: Sequence[Sequence[Detection]],
    *, iou_match: float = IOU_MATCH, min_score: float = 0.0,
) -> ClassScore:
    """Precision and recall (at every detection scoring at least `min_score`) and AP for one class.

    With the defaults this is AP50; the acceptance targets for small aerial people are stated
    at IoU 0.3 and score 0.25, which `iou_match` and `min_score` express.
    """
    if len(truth) != len(predictions):
        raise ValueError(f"{len(truth)} labelled images but {len(predictions)} predictions")
    scored: list[tuple[float, bool]] = []  # (score, is true positive)
    n_truth = 0
    for gt, dets in zip(truth, predictions, strict=True):
        boxes = [b for lbl, b in gt.boxes if lbl == label]
        n_truth += len(boxes)
        used = [False] * len(boxes)
        mine = (d for d in dets if d.label == label and d.score >= min_score)
        for det in sorted(mine, key=lambda d: -d.score):
            best, best_iou = -1, iou_match
            for k, b in enumerate(boxes):
                iou = det.box.iou(b)
                if not used[k] and iou >= best_iou:
                    best, best_iou = k, iou
            if best >= 0:
                used[best] = True
                scored.append((det.score, True))
            elif not any(_fraction_inside(det.box, r) >= 0.5 for r in gt.ignore):
                scored.append((det.score, False))
    scored.sort(key=lambda s: -s[0])
    tp = np.cumsum([s[1] for s in scored]) if scored else np.zeros(0)
    n_tp = int(tp[-1]) if scored else 0
    return ClassScore(
        label=label,
        ground_truth=n_truth,
        detections=len(scored),
        true_positives=n_tp,
        precision=n_tp / len(scored) if scored else 0.0,
        recall=n_tp / n_truth if n_truth else 0.0,
        ap50=_average_precision(tp, n_truth),
    )


def _average_precision(cum_tp: np.ndarray, n_truth: int) -> float:
    if n_truth == 0 or cum_tp.size == 0:
        return 0.0
    recall = cum_tp / n_truth
    precision = cum_tp / np.arange(1, cum_tp.size + 1)
    r = np.concatenate(([0.0], recall, [recall[-1]]))
    p = np.concatenate(([1.0], precision, [0.0]))
    p = np.maximum.accumulate(p[::-1])[::-1]  # the precision envelope
    return float(np.sum((r[1:] - r[:-1]) * p[1:]))
