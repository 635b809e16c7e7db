"""Train the RGB fire/smoke cell model shipped as models/rgb_fire_smoke_mlp.onnx.

fire_dev holds frames of a few source videos (the file name before `_mp4-`) and single
stills. Frames of one video are near-duplicates, so the split is by source: a fixed third of
the sources (by CRC32 of the name) is held out for validation, the model trains on the rest
and the epoch with the best mean AP50 on the held-out sources is kept. The figures it prints
are on sources the model never saw. Each cell's target is the share of it covered by boxes of
each class. NumPy, fixed seed, a few minutes on two CPU cores.

    python scripts/train_rgb_fire_smoke.py --data fire_dev/ --out models/rgb_fire_smoke_mlp.onnx
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from train_thermal_person import Mlp, export_mlp, say  # beside this script

from perception.dataset import (
    LabelledFile,
    held_out_source,
    load_yolo_set,
    read_image,
    source_of,
)
from perception.detection import Modality
from perception.evaluate import score_class
from perception.rgb_learned import (
    FRAME_PX,
    GRID,
    LABELS,
    MIN_REGION_SCORE,
    cell_features,
    cells_to_detections,
)


def coverage(item: LabelledFile, width: int, height: int) -> np.ndarray:
    """(GRID * GRID, 2) share of each cell covered by fire / smoke boxes."""
    out = []
    for label in LABELS:
        mask = np.zeros((FRAME_PX, FRAME_PX), np.float32)
        for lbl, b in item.truth.boxes:
            if lbl == label:
                x1, x2 = (round(v * FRAME_PX / width) for v in (b.x1, b.x2))
                y1, y2 = (round(v * FRAME_PX / height) for v in (b.y1, b.y2))
                mask[max(0, y1):y2, max(0, x1):x2] = 1.0
        out.append(cv2.resize(mask, (GRID, GRID), interpolation=cv2.INTER_AREA).ravel())
    return np.stack(out, axis=1)


def collect(items: list[LabelledFile],
            mirror: bool) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    xs, ys, sizes = [], [], []
    for item in items:
        rgb = read_image(item.image_path, Modality.RGB)
        h, w = rgb.shape[:2]
        sizes.append((w, h))
        target = coverage(item, w, h)
        xs.append(cell_features(rgb))
        ys.append(target)
        if mirror:
            xs.append(cell_features(rgb[:, ::-1].copy()))
            ys.append(target.reshape(GRID, GRID, 2)[:, ::-1].reshape(-1, 2))
    return np.concatenate(xs), np.concatenate(ys), sizes


def evaluate(model: Mlp, items: list[LabelledFile], x: np.ndarray, sizes: list[tuple[int, int]],
             threshold: float) -> dict[str, tuple[float, float, float]]:
    """Per class: AP50 of all regions, and precision/recall at IoU 0.3 and score >= 0.25 of
    the regions the detector reports (mean probability >= MIN_REGION_SCORE)."""
    prob = 1 / (1 + np.exp(-model.forward(x)[0]))
    per_frame = prob.reshape(len(items), GRID * GRID, 2)
    preds = []
    for (w, h), p in zip(sizes, per_frame, strict=True):
        preds.append([d for k, label in enumerate(LABELS)
                      for d in cells_to_detections(p[:, k], label, w, h, threshold)])
    truth = [it.truth for it in items]
    reported = [[d for d in ds if d.score >= MIN_REGION_SCORE] for ds in preds]
    out = {}
    for label in LABELS:
        ap = score_class(label, truth, preds).ap50
        op = score_class(label, truth, reported, iou_match=0.3, min_score=0.25)
        out[label] = (round(ap, 3), round(op.precision, 3), round(op.recall, 3))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("models/rgb_fire_smoke_mlp.onnx"))
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--threshold", type=float, default=0.3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    items = list(load_yolo_set(args.data).items)
    val_items = [it for it in items if held_out_source(it.image_path.name)]
    train_items = [it for it in items if not held_out_source(it.image_path.name)]
    x, y, _ = collect(train_items, mirror=True)
    vx, _, val_sizes = collect(val_items, mirror=False)
    say(f"{len(train_items)} training frames, {len(val_items)} held-out frames "
        f"({len({source_of(it.image_path.name) for it in val_items})} sources), "
        f"{time.perf_counter() - t0:.0f} s")
    model = Mlp(x.shape[1], (64, 32), rng, x.mean(0), x.std(0) + 1e-3, n_out=2)
    adam = {"t": 0, "m": [np.zeros_like(p) for p in model.params()],
            "v": [np.zeros_like(p) for p in model.params()]}
    best_score, best, best_epoch, best_figures = -1.0, None, -1, {}
    for epoch in range(args.epochs):
        lr = 2e-3 * (0.5 * (1 + np.cos(np.pi * epoch / args.epochs)))
        for batch in np.array_split(rng.permutation(len(x)), max(1, len(x) // 512)):
            out, acts = model.forward(x[batch])
            p = 1 / (1 + np.exp(-out))
            grads = model.backward((p - y[batch]) / len(batch), acts)
            adam["t"] += 1
            for i, (prm, gr) in enumerate(zip(model.params(), grads, strict=True)):
                gr = gr + 1e-4 * prm if prm.ndim > 1 else gr
                adam["m"][i] = 0.9 * adam["m"][i] + 0.1 * gr
                adam["v"][i] = 0.999 * adam["v"][i] + 0.001 * gr * gr
                mh = adam["m"][i] / (1 - 0.9 ** adam["t"])
                vh = adam["v"][i] / (1 - 0.999 ** adam["t"])
                prm -= lr * mh / (np.sqrt(vh) + 1e-8)
        figures = evaluate(model, val_items, vx, val_sizes, args.threshold)
        score = float(np.mean([f[0] for f in figures.values()]))
        say(f"epoch {epoch:2d} held-out (AP50, P, R at IoU 0.3): {figures}")
        if score > best_score:
            best_score, best_epoch, best_figures = score, epoch, figures
            best = [p.copy() for p in model.params()]
    assert best is not None
    for p, kept in zip(model.params(), best, strict=True):
        p[...] = kept
    export_mlp(model, args.out, {
        "training_data": "fire-wrpgm v8 (fire_dev) by Roboflow user custom-thxhn, CC BY 4.0; "
                         "two thirds of the source videos",
        "validation": f"held-out sources, epoch {best_epoch}: {best_figures}",
        "seed": str(args.seed),
    })
    say(f"best epoch {best_epoch}: {best_figures}; wrote {args.out} "
        f"in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
