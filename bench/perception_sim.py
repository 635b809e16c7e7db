"""Issue 6's targets on simulator truth: thermal fire and person detection and geolocation.

The example scene `skywatch up` simulates (two fires, five people, a reservoir, a road, a
building) is rendered by day and by night, `VIEWS` views each from 60-120 m with the gimbal at
-90 to -45 degrees (`skywatch eval --sim example`), every frame searched with the radiometric
detector sized from its own pose, and scored at the issue's operating point (IoU 0.3, score
0.25): per-class precision, recall and AP50, and the geolocation error of each found object,
from the pose a typical non-RTK multirotor would report (`perception.pose_error`: GNSS,
altitude, attitude+gimbal and time-offset errors; `geolocation`, which the targets are checked
on; pooled over POSE_DRAWS draws of the error per frame) and from the exact pose
(`geolocation_exact_pose`: the image chain alone).
The detector runs on one OpenCV thread and is timed in CPU seconds of this process
(`ms_per_frame_cpu`), the figure that counts on a shared machine; target: 30 frames/s on one
core at 640x512.
Prints and saves bench/results/perception_sim.json.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.pose_error import PoseErrorModel  # noqa: E402
from perception.sim_eval import (  # noqa: E402
    POSE_DRAWS,
    DetectedSet,
    detect_sim_set,
    sim_score_json,
)
from skywatch.eval_sim import LIGHTING, render_lighting, scenario_document  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "perception_sim.json"
VIEWS = 200
SEED = 500  #: day; night SEED + 1 (the detector was tuned on 7 and 11, the tests use 1001-2)
TARGETS = {"fire": (0.95, 0.9), "person": (0.9, 0.85)}  #: recall, at precision
GEOLOCATION_TARGET_M = (2.0, 5.0)  #: median, p95
TARGET_FRAMES_PER_S = 30.0


def _meets(report: dict[str, Any]) -> dict[str, bool]:
    out = {}
    for c in report["classes"]:
        recall, precision = TARGETS[c["label"]]
        out[f"{c['label']}_detection"] = c["recall"] >= recall and c["precision"] >= precision
    for g in report["geolocation"]:
        out[f"{g['label']}_geolocation"] = (g["median_m"] is not None
                                            and g["median_m"] <= GEOLOCATION_TARGET_M[0]
                                            and g["p95_m"] <= GEOLOCATION_TARGET_M[1])
    return out


def main() -> None:
    cv2.setNumThreads(1)
    doc = scenario_document("example")
    sets: dict[str, DetectedSet] = {}
    with tempfile.TemporaryDirectory(prefix="bench-perception-sim-") as tmp:
        for i, (name, daytime) in enumerate(LIGHTING.items()):
            frames = render_lighting(doc, daytime, Path(tmp) / name, views=VIEWS, seed=SEED + i)
            sets[name] = detect_sim_set(frames, clock=time.process_time)
    sets["all"] = functools.reduce(operator.add, sets.values())
    pose_error = PoseErrorModel(seed=SEED)
    lightings = []
    for name, found in sets.items():
        report = {"lighting": name, "images": len(found.truth),
                  "ms_per_frame_cpu": round(1000 * found.detect_s / len(found.truth), 1),
                  **sim_score_json(found.score(pose_error=pose_error)),
                  "geolocation_exact_pose": sim_score_json(found.score())["geolocation"]}
        report["meets"] = _meets(report)
        lightings.append(report)
    everything = lightings[-1]
    result = {
        "benchmark": "perception_sim",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "scenario": "example", "views_per_lighting": VIEWS, "seeds": [SEED, SEED + 1],
        "alt_rel_m": [60, 120], "gimbal_pitch_deg": [-90, -45], "iou": 0.3, "min_score": 0.25,
        "image_size_px": [640, 512],
        "pose_error": {"typical": asdict(pose_error), "draws_per_frame": POSE_DRAWS},
        "targets": {"recall_at_precision": TARGETS, "geolocation_median_p95_m":
                    GEOLOCATION_TARGET_M, "frames_per_s_one_core": TARGET_FRAMES_PER_S},
        "frames_per_cpu_s": round(1000 / everything["ms_per_frame_cpu"], 1),
        "meets_speed_target": 1000 / everything["ms_per_frame_cpu"] >= TARGET_FRAMES_PER_S,
        "sets": lightings,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for r in lightings:
        for c, g, x in zip(r["classes"], r["geolocation"], r["geolocation_exact_pose"],
                           strict=True):
            print(f"{r['lighting']:<6} {c['label']:<7} truth {c['ground_truth']:>4}  "
                  f"P {c['precision']:.3f} R {c['recall']:.3f} AP {c['ap']:.3f}  "
                  f"geolocation median {g['median_m']} m p95 {g['p95_m']} m "
                  f"(exact pose {x['median_m']} m, {x['p95_m']} m)")
        print(f"{r['lighting']:<6} {r['ms_per_frame_cpu']} ms/frame CPU, meets {r['meets']}")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
