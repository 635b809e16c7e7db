"""Train the thermal person scorer shipped as models/thermal_person_mlp.onnx.

Proposals come from the classical spot finder on HIT-UAV `hituav_train`; each spot whose peak
lies in a labelled person is a positive (its box target is that person's box), the rest are
negatives unless they lie in a DontCare region. A multilayer perceptron (NumPy, Adam, fixed
seed) learns a score and a box correction; the epoch with the best AP50 on `hituav_dev` is
exported to ONNX. Needs numpy, opencv and onnx; runs in minutes on two CPU cores.

    python scripts/train_thermal_person.py --train hituav_train/ --dev hituav_dev/ \
        --out models/thermal_person_mlp.onnx
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from perception.dataset import YoloSet, load_yolo_set, read_image
from perception.detection import Box, Detection, Modality
from perception.evaluate import score_class
from perception.learned_thermal import decode_outputs, proposal_params
from perception.nms import nms_indices
from perception.patches import peak_features
from perception.thermal import DEFAULT_PERSON_PX, contrast_maps, find_peaks


def say(message: str) -> None:
    """Training progress is this script's output."""
    print(message, flush=True)  # noqa: T201


@dataclass
class Frames:
    """Spot features of a whole set, with per-frame slices for scoring it like the detector."""

    x: np.ndarray
    label: np.ndarray  # 1 person, 0 background, -1 ignored
    target: np.ndarray  # (dx, dy, log w, log h) for positives
    peaks: np.ndarray
    slices: list[slice]
    sizes: list[tuple[int, int]]


def collect(data: YoloSet, mirror: bool) -> Frames:
    pw, ph = DEFAULT_PERSON_PX
    params = proposal_params(DEFAULT_PERSON_PX)
    xs, labels, targets, peaks, slices, sizes = [], [], [], [], [], []
    start = 0
    for item in data.items:
        image = read_image(item.image_path, Modality.THERMAL)
        maps = contrast_maps(image, DEFAULT_PERSON_PX)
        found = find_peaks(maps.z, params)
        people = [b for lbl, b in item.truth.boxes if lbl == "person"]
        lab = np.zeros(len(found), np.float32)
        tgt = np.zeros((len(found), 4), np.float32)
        for i, (x, y) in enumerate(found):
            at_peak = Box(x1=x - pw / 2, y1=y - ph / 2, x2=x + pw / 2, y2=y + ph / 2)
            holding = [b for b in people if b.x1 <= x < b.x2 and b.y1 <= y < b.y2]
            if holding:
                b = max(holding, key=lambda b: b.iou(at_peak))
                cx, cy = b.center_px
                lab[i] = 1
                tgt[i] = ((cx - x) / pw, (cy - y) / ph,
                          np.log(max(b.x2 - b.x1, 1) / pw), np.log(max(b.y2 - b.y1, 1) / ph))
            elif any(_half_inside(at_peak, r) for r in item.truth.ignore):
                lab[i] = -1
        xs.append(peak_features(maps, found, DEFAULT_PERSON_PX))
        labels.append(lab)
        targets.append(tgt)
        peaks.append(found.astype(np.float32).reshape(-1, 2))
        slices.append(slice(start, start + len(found)))
        sizes.append((image.shape[1], image.shape[0]))
        start += len(found)
        if mirror:
            xs.append(peak_features(maps, found, DEFAULT_PERSON_PX, mirror=True))
            mt = tgt.copy()
            mt[:, 0] = -mt[:, 0]
            labels.append(lab)
            targets.append(mt)
            peaks.append(peaks[-1])
            start += len(found)
    return Frames(np.concatenate(xs), np.concatenate(labels), np.concatenate(targets),
                  np.concatenate(peaks), slices, sizes)


def _half_inside(box: Box, region: Box) -> bool:
    ix = max(0.0, min(box.x2, region.x2) - max(box.x1, region.x1))
    iy = max(0.0, min(box.y2, region.y2) - max(box.y1, region.y1))
    return box.area_px > 0 and ix * iy / box.area_px >= 0.5


class Mlp:
    """Two hidden ReLU layers; output 0 is the person logit, 1..4 the box correction."""

    def __init__(self, n_in: int, hidden: tuple[int, ...], rng: np.random.Generator,
                 mean: np.ndarray, std: np.ndarray, n_out: int = 5) -> None:
        dims = (n_in, *hidden, n_out)
        self.w = [rng.normal(0, np.sqrt(2 / a), (a, b)).astype(np.float32)
                  for a, b in zip(dims[:-1], dims[1:], strict=True)]
        self.b = [np.zeros(b, np.float32) for b in dims[1:]]
        self.mean, self.std = mean, std

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        acts = [(x - self.mean) / self.std]
        for k, (w, b) in enumerate(zip(self.w, self.b, strict=True)):
            z = acts[-1] @ w + b
            acts.append(np.maximum(z, 0) if k < len(self.w) - 1 else z)
        return acts[-1], acts

    def params(self) -> list[np.ndarray]:
        return self.w + self.b

    def backward(self, grad: np.ndarray, acts: list[np.ndarray]) -> list[np.ndarray]:
        grads_w, grads_b = [], []
        g = grad
        for k in range(len(self.w) - 1, -1, -1):
            grads_w.insert(0, acts[k].T @ g)
            grads_b.insert(0, g.sum(0))
            if k:
                g = (g @ self.w[k].T) * (acts[k] > 0)
        return grads_w + grads_b

    def export(self, path: Path, metadata: dict[str, str]) -> None:
        export_mlp(self, path, metadata)




def train_step(model: Mlp, x: np.ndarray, y: np.ndarray, t: np.ndarray, adam: dict,
               lr: float, weight_decay: float) -> float:
    """One Adam step on binary cross-entropy (score) plus smooth-L1 (box, people only)."""
    out, cache = model.forward(x)
    p = 1 / (1 + np.exp(-out[:, 0]))
    grad = np.zeros_like(out)
    grad[:, 0] = (p - y) / len(x)
    pos = y > 0.5
    huber = np.clip(out[:, 1:] - t, -1, 1)  # smooth-L1 gradient
    grad[pos, 1:] = huber[pos] / max(pos.sum(), 1) * 2.0
    loss = float(-np.mean(y * np.log(p + 1e-7) + (1 - y) * np.log(1 - p + 1e-7)))
    adam["t"] += 1
    for i, (prm, gr) in enumerate(zip(model.params(), model.backward(grad, cache),
                                      strict=True)):
        gr = gr + weight_decay * prm if prm.ndim > 1 else gr
        m, v = adam["m"][i], adam["v"][i]
        m *= 0.9
        m += 0.1 * gr
        v *= 0.999
        v += 0.001 * gr * gr
        mh = m / (1 - 0.9 ** adam["t"])
        vh = v / (1 - 0.999 ** adam["t"])
        prm -= lr * mh / (np.sqrt(vh) + 1e-8)
    return loss


def dev_ap(model: Mlp, dev: Frames, data: YoloSet) -> float:
    out = np.concatenate([model.forward(dev.x[i:i + 4096])[0]
                          for i in range(0, len(dev.x), 4096)])
    preds = []
    for sl, (w, h) in zip(dev.slices, dev.sizes, strict=True):
        scores, boxes = decode_outputs(out[sl], dev.peaks[sl], DEFAULT_PERSON_PX, w, h)
        keep = [i for i in nms_indices(boxes, scores, 0.3) if scores[i] >= 0.05]
        preds.append([Detection(label="person", score=float(scores[i]), box=Box(
            x1=float(boxes[i, 0]), y1=float(boxes[i, 1]),
            x2=float(boxes[i, 2]), y2=float(boxes[i, 3]))) for i in keep])
    return score_class("person", [it.truth for it in data.items], preds).ap50


def export_mlp(mlp: Mlp, path: Path, metadata: dict[str, str]) -> None:
    inits = [numpy_helper.from_array(mlp.mean.astype(np.float32), "mean"),
             numpy_helper.from_array(mlp.std.astype(np.float32), "std")]
    nodes = [helper.make_node("Sub", ["features", "mean"], ["centred"]),
             helper.make_node("Div", ["centred", "std"], ["h0"])]
    for k, (w, b) in enumerate(zip(mlp.w, mlp.b, strict=True)):
        inits += [numpy_helper.from_array(w, f"w{k}"), numpy_helper.from_array(b, f"b{k}")]
        last = k == len(mlp.w) - 1
        nodes.append(helper.make_node("Gemm", [f"h{k}", f"w{k}", f"b{k}"],
                                      ["raw" if last else f"z{k}"]))
        if not last:
            nodes.append(helper.make_node("Relu", [f"z{k}"], [f"h{k + 1}"]))
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", mlp.w[0].shape[0]])],
        [helper.make_tensor_value_info("raw", TensorProto.FLOAT, ["n", mlp.w[-1].shape[1]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="skywatch scripts/train_*.py")
    model.ir_version = 8
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=Path, required=True)
    ap.add_argument("--dev", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("models/thermal_person_mlp.onnx"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--hidden", type=int, nargs="+", default=[128, 64])
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--negatives-per-epoch", type=int, default=1_000_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    train_set, dev_set = load_yolo_set(args.train), load_yolo_set(args.dev)
    train = collect(train_set, mirror=True)
    dev = collect(dev_set, mirror=False)
    keep = train.label >= 0
    x, y, t = train.x[keep], train.label[keep], train.target[keep]
    say(f"{len(x)} training spots ({int(y.sum())} person), {len(dev.x)} dev spots, "
          f"{time.perf_counter() - t0:.0f} s")
    mean, std = x.mean(0), x.std(0) + 1e-3
    model = Mlp(x.shape[1], tuple(args.hidden), rng, mean, std)
    adam = {"t": 0, "m": [np.zeros_like(p) for p in model.params()],
            "v": [np.zeros_like(p) for p in model.params()]}
    best_ap, best, best_epoch = -1.0, None, -1
    for epoch in range(args.epochs):
        lr = 1e-3 * (0.5 * (1 + np.cos(np.pi * epoch / args.epochs)))
        negatives = np.flatnonzero(y < 0.5)
        if len(negatives) <= args.negatives_per_epoch:
            order = rng.permutation(len(x))
        else:  # every person, and a fresh random share of the (40x more) background spots
            order = rng.permutation(np.concatenate([
                np.flatnonzero(y > 0.5),
                rng.choice(negatives, args.negatives_per_epoch, replace=False),
            ]))
        losses = [train_step(model, x[b], y[b], t[b], adam, lr, args.weight_decay)
                  for b in np.array_split(order, max(1, len(order) // 256))]
        ap50 = dev_ap(model, dev, dev_set)
        say(f"epoch {epoch:2d} loss {np.mean(losses):.4f} dev AP50 {ap50:.3f} "
            f"({time.perf_counter() - t0:.0f} s)")
        if ap50 > best_ap:
            best_ap, best_epoch = ap50, epoch
            best = [p.copy() for p in model.params()]
    assert best is not None
    for p, kept in zip(model.params(), best, strict=True):
        p[...] = kept
    model.export(args.out, {
        "training_data": "HIT-UAV train subset (hituav_train), CC BY 4.0, Suo et al. 2023",
        "validation": f"hituav_dev AP50 {best_ap:.3f} at epoch {best_epoch}",
        "seed": str(args.seed),
        "architecture": f"mlp {json.dumps(args.hidden)}",
    })
    say(f"best dev AP50 {best_ap:.3f} (epoch {best_epoch}); wrote {args.out} "
          f"in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
