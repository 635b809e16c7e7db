"""`skywatch detect` and `skywatch eval` as a user runs them: output, saved images, exit codes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.perception.test_onnx_yolo import build_model

HITUAV_FRAME = "1_60_30_0_00008.jpg"  # night, 60 m, people warm against the ground


def skywatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skywatch", *args], capture_output=True,
                          text=True, timeout=120)


def test_detect_reports_people_and_keeps_going_past_bad_files(tmp_path: Path,
                                                              hituav_dev: Path) -> None:
    good = hituav_dev / "images" / HITUAV_FRAME
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:5000])
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    run = skywatch("detect", str(cut), str(good), str(text), "--json",
                   "--save-dir", str(tmp_path / "out"))
    assert run.returncode == 2
    assert f"error: {cut}: truncated JPEG" in run.stderr
    assert f"error: {text}: not a readable image" in run.stderr
    cut_r, good_r, text_r = json.loads(run.stdout)
    assert "error" in cut_r and "error" in text_r
    assert (good_r["width"], good_r["height"], good_r["modality"]) == (640, 512, "thermal")
    labels = [d["label"] for d in good_r["detections"]]
    assert labels.count("person") >= 2, good_r  # this frame has 4 labelled people
    assert all(d["score"] >= 0.25 and len(d["box"]) == 4 for d in good_r["detections"])
    assert (tmp_path / "out" / "1_60_30_0_00008.jpg").stat().st_size > 10_000


def test_detect_with_a_user_model(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    model = build_model(tmp_path / "tiny.onnx", "v8", {0: "fire", 1: "smoke"})
    frame = tmp_path / "white.png"
    cv2.imwrite(str(frame), np.full((64, 128, 3), 255, np.uint8))
    run = skywatch("detect", str(frame), "--model", str(model), "--modality", "rgb", "--json")
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)
    assert [(d["label"], d["box"]) for d in result["detections"]] == [
        ("fire", [48.0, 24.0, 80.0, 40.0]), ("smoke", [14.0, 42.0, 26.0, 54.0])]
    bad = skywatch("detect", str(frame), "--model", str(tmp_path / "none.onnx"))
    assert bad.returncode == 2 and "error: --model: model" in bad.stderr


def small_set(tmp_path: Path, hituav_dev: Path, n: int) -> Path:
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    shutil.copy(hituav_dev / "data.yaml", root / "data.yaml")
    for image in sorted((hituav_dev / "images").glob("1_*.jpg"))[:n]:
        shutil.copy(image, root / "images")
        shutil.copy(hituav_dev / "labels" / f"{image.stem}.txt", root / "labels")
    return root


def test_eval_prints_precision_recall_and_ap_per_class(tmp_path: Path, hituav_dev: Path) -> None:
    root = small_set(tmp_path, hituav_dev, 12)
    run = skywatch("eval", str(root), "--json", "--iou", "0.3")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    (person,) = report["classes"]
    assert report["images"] == 12 and report["images_per_s"] > 1
    assert person["label"] == "person" and person["ground_truth"] > 20
    assert person["recall"] >= 0.5 and person["ap"] >= 0.3, person
    table = skywatch("eval", "--data", str(root))
    assert table.returncode == 0 and "person" in table.stdout and "recall" in table.stdout


def test_eval_refuses_a_set_with_a_missing_label_file_in_one_line(tmp_path: Path,
                                                                   hituav_dev: Path) -> None:
    root = small_set(tmp_path, hituav_dev, 3)
    victim = sorted((root / "labels").iterdir())[1]
    victim.unlink()
    run = skywatch("eval", str(root))
    assert run.returncode == 2
    assert run.stderr.strip() == f"error: {victim}: missing label file for {victim.stem}.jpg"
    nothing = skywatch("eval", str(tmp_path / "nowhere"))
    assert nothing.returncode == 2 and "data.yaml: missing" in nothing.stderr


def test_detect_sizes_people_from_range_and_focal_length(hituav_dev: Path) -> None:
    frame = str(hituav_dev / "images" / HITUAV_FRAME)
    # 1200 px focal length at 60 m: 0.6 x 0.95 m -> 12 x 19 px, the model's own scale.
    near = skywatch("detect", frame, "--json", "--range-m", "60", "--focal-px", "1200")
    default = skywatch("detect", frame, "--json")
    assert near.returncode == 0 and default.returncode == 0, near.stderr
    assert json.loads(near.stdout) == json.loads(default.stdout)
    # Told the people are twice as large, it looks for larger spots and finds other ones.
    far = skywatch("detect", frame, "--json", "--range-m", "30", "--focal-px", "1200")
    assert json.loads(far.stdout) != json.loads(default.stdout)
    half = skywatch("detect", frame, "--range-m", "60")
    assert half.returncode == 2 and "--range-m and --focal-px go together" in half.stderr
