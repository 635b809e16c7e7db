"""`skywatch eval` on the real dev sets, at the issue's operating point (IoU 0.3, score >= 0.25).

Whole sets, not samples: all 290 hituav_dev frames (HIT-UAV `val`, thermal people), and every
fire_dev frame of the third of the source videos the RGB model never trained on
(`held_out_source`, 258 frames). Dev and held-back test sets share flights and videos, and the
thermal person CNN's report threshold was chosen on hituav_dev, so these figures are
optimistic; see models/README.md.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from perception.dataset import held_out_source

#: Issue 6's targets at IoU 0.3, score >= 0.25.
TARGET_PRECISION = 0.7
PERSON_TARGET_RECALL = 0.8
FIRE_TARGET_RECALL = 0.7


def eval_json(root: Path, modality: str) -> dict[str, dict[str, float]]:
    run = subprocess.run(
        [sys.executable, "-m", "skywatch", "eval", str(root), "--modality", modality,
         "--iou", "0.3", "--min-score", "0.25", "--json"],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    return {c["label"]: c for c in report["classes"]}


def held_out_fire_set(fire_dev: Path, root: Path) -> Path:
    """A YOLO folder of links to the held-out sources' frames and labels."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "data.yaml").write_text((fire_dev / "data.yaml").read_text())
    for image in sorted((fire_dev / "images").iterdir()):
        if held_out_source(image.name):
            os.symlink(image, root / "images" / image.name)
            label = f"{image.stem}.txt"
            os.symlink(fire_dev / "labels" / label, root / "labels" / label)
    return root


def test_thermal_people_on_hituav_dev(hituav_dev: Path) -> None:
    person = eval_json(hituav_dev, "thermal")["person"]
    assert person["ground_truth"] == 1168
    # Measured 0.712 / 0.837 (the person CNN, models/README.md).
    assert person["precision"] >= TARGET_PRECISION, person
    assert person["recall"] >= PERSON_TARGET_RECALL, person


def test_rgb_fire_and_smoke_on_held_out_fire_dev_sources(fire_dev: Path, tmp_path: Path) -> None:
    classes = eval_json(held_out_fire_set(fire_dev, tmp_path / "held_out"), "rgb")
    fire, smoke = classes["fire"], classes["smoke"]
    assert fire["ground_truth"] == 115 and smoke["ground_truth"] == 167
    # Measured 0.84 / 0.76 (fire), 0.82 / 0.91 (smoke).
    assert fire["precision"] >= TARGET_PRECISION and fire["recall"] >= FIRE_TARGET_RECALL, fire
    assert smoke["precision"] >= 0.78 and smoke["recall"] >= 0.88, smoke
