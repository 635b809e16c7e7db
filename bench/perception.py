"""Perception figures: detector speed per frame on one core, and quality on the dev sets.

Prints and saves bench/results/perception.json:
- frames/s of each detector at 640x512 thermal and 608x608 RGB (target >= 30 on one core),
  from the CPU time of one thread, and by the wall clock,
- thermal person on hituav_dev (classical, learned proposals + MLP, and the CNN that is the
  default): AP50, and precision/recall at the acceptance operating point (IoU 0.3,
  score >= 0.25),
- RGB fire and smoke on fire_dev: the learned cell model on the third of the sources held out
  from its training (`held_out_source`), the colour rules on the same frames and on all.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

# This file is named like the package it measures: keep its own folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from perception.dataset import (  # noqa: E402
    LabelledFile,
    held_out_source,
    load_yolo_set,
    read_image,
)
from perception.detection import Detection, Detector, Modality  # noqa: E402
from perception.evaluate import score_class  # noqa: E402
from perception.learned_thermal import LearnedThermalDetector  # noqa: E402
from perception.rgb import FireSmokeDetector, HogPersonDetector  # noqa: E402
from perception.rgb_learned import LearnedFireSmokeDetector  # noqa: E402
from perception.thermal import ThermalHotspotDetector  # noqa: E402
from perception.thermal_cnn import CnnThermalDetector  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "perception.json"
FIXTURES = Path(os.environ.get("SKYWATCH_FIXTURES",
                               Path(__file__).resolve().parents[2] / "shared" / "fixtures"))


def frames_per_s(detector: Detector, frames: Sequence[np.ndarray],
                 modality: Modality) -> tuple[float, float]:
    """Frames per second of this process's CPU time on one thread, and of wall-clock time.

    The first is what one core sustains; the second drops whenever other work shares the
    cores, so both are saved, with the load average.
    """
    detector.detect(frames[0], modality)  # warm-up (model load, allocations)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for f in frames:
        detector.detect(f, modality)
    cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
    return len(frames) / cpu_s, len(frames) / wall_s


def quality(labels: Sequence[str], items: Sequence[LabelledFile],
            preds: Sequence[Sequence[Detection]]) -> dict[str, dict[str, float]]:
    truth = [it.truth for it in items]
    out = {}
    for label in labels:
        ap = score_class(label, truth, preds)
        op = score_class(label, truth, preds, iou_match=0.3, min_score=0.25)
        out[label] = {"ap50": round(ap.ap50, 3), "ap30": round(
            score_class(label, truth, preds, iou_match=0.3).ap50, 3),
            "precision_iou30_s25": round(op.precision, 3), "recall_iou30_s25": round(op.recall, 3),
            "ground_truth": ap.ground_truth, "images": len(items)}
    return out


def main() -> None:
    cv2.setNumThreads(1)
    # Speeds are per frame on one thread; other work on the machine slows the wall clock, so
    # the load average at the start is saved with them.
    results: dict[str, object] = {"cpu_threads": 1,
                                  "load_average_1min": round(os.getloadavg()[0], 2)}
    perception_root = FIXTURES / "perception"
    thermal_set = load_yolo_set(perception_root / "hituav_dev")
    thermal = [read_image(it.image_path, Modality.THERMAL) for it in thermal_set.items]
    rgb_set = load_yolo_set(perception_root / "fire_dev")
    rgb = [read_image(it.image_path, Modality.RGB) for it in rgb_set.items]
    detectors: dict[str, tuple[Detector, Modality]] = {
        "thermal_classical": (ThermalHotspotDetector(), Modality.THERMAL),
        "thermal_learned": (LearnedThermalDetector(), Modality.THERMAL),
        "thermal_cnn": (CnnThermalDetector(), Modality.THERMAL),
        "rgb_fire_smoke_rules": (FireSmokeDetector(), Modality.RGB),
        "rgb_fire_smoke_learned": (LearnedFireSmokeDetector(), Modality.RGB),
        "rgb_hog_person": (HogPersonDetector(), Modality.RGB),
        # People of a known height (pose and lens) are searched in a band of +-30 % around it.
        **{f"rgb_hog_person_{h}px": (HogPersonDetector((h / 2, h)), Modality.RGB)
           for h in (64, 96, 128)},
    }
    speed, speed_wall = {}, {}
    for name, (det, mod) in detectors.items():
        frames = thermal[:100] if mod is Modality.THERMAL else rgb[:60]
        per_core, wall = frames_per_s(det, frames, mod)
        speed[name], speed_wall[name] = round(per_core, 1), round(wall, 1)
        print(f"{name}: {speed[name]} frames/s per core, {speed_wall[name]} by the wall clock "
              f"({frames[0].shape[1]}x{frames[0].shape[0]})")
    results["frames_per_s"] = speed
    results["frames_per_s_wall_clock"] = speed_wall

    for name in ("thermal_classical", "thermal_learned", "thermal_cnn"):
        det, mod = detectors[name]
        preds = [det.detect(f, mod) for f in thermal]
        q = quality(["person"], thermal_set.items, preds)
        results[f"hituav_dev_{name}"] = q
        print(f"hituav_dev {name}: {q['person']}")

    # The CNN reports people from the threshold stored in it; its whole precision-recall curve
    # (for AP) needs the low-scoring ones too.
    whole_curve = CnnThermalDetector(min_score=0.05)
    q = quality(["person"], thermal_set.items,
                [whole_curve.detect(f, Modality.THERMAL) for f in thermal])
    results["hituav_dev_thermal_cnn_from_score_0.05"] = q
    print(f"hituav_dev thermal_cnn from score 0.05: {q['person']}")

    held = [i for i, it in enumerate(rgb_set.items) if held_out_source(it.image_path.name)]
    for name in ("rgb_fire_smoke_rules", "rgb_fire_smoke_learned"):
        det, mod = detectors[name]
        preds = [det.detect(f, mod) for f in rgb]
        groups = {"held_out_sources": held, "all": list(range(len(rgb)))}
        for group, idx in groups.items():
            if name.endswith("learned") and group == "all":
                continue  # two thirds of these frames trained it
            q = quality(["fire", "smoke"], [rgb_set.items[i] for i in idx],
                        [preds[i] for i in idx])
            results[f"fire_dev_{group}_{name}"] = q
            print(f"fire_dev {group} {name}: {q}")

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"saved {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
