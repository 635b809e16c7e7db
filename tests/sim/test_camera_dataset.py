"""`skywatch sim-frames`: simulator views written as a YOLO set that perception's loader reads,
with poses that put every labelled object back where it is in the world."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
import yaml
from click.testing import Result
from typer.testing import CliRunner

from perception.dataset import load_yolo_set, read_image
from perception.detection import Modality
from perception.geolocate import CameraPose, FlatTerrain, Intrinsics, pixel_to_ground
from sim.cli import register
from sim.frames_dataset import MIN_LABEL_PIXELS, png_bytes
from tests.sim.mav_client import distance_m, offset_deg

REPO = Path(__file__).resolve().parents[2]
HOME_LAT_DEG, HOME_LON_DEG = 22.5431, 114.0579


def _world(tmp_path: Path, objects: list[dict[str, object]], **extra: object) -> Path:
    doc = {"version": 1, **extra, "home": {"lat_deg": HOME_LAT_DEG, "lon_deg": HOME_LON_DEG,
                                  "alt_amsl_m": 10.0},
           "vehicles": [], "terrain": {"kind": "flat", "ground_amsl_m": 10.0},
           "objects": objects}
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _at(east_m: float, north_m: float) -> dict[str, float]:
    lat, lon = offset_deg(HOME_LAT_DEG, HOME_LON_DEG, east_m, north_m)
    return {"lat_deg": lat, "lon_deg": lon}


def _sim_frames(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skywatch", "sim-frames", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def _sim_frames_here(*args: str) -> Result:
    """The same command in this process (no interpreter start-up per case)."""
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, ["sim-frames", *args])


@pytest.mark.parametrize("image", [
    np.arange(12 * 7, dtype=np.uint16).reshape(12, 7) * 700,
    np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3) * 4,
])
def test_png_files_decode_to_the_exact_pixels(image: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(png_bytes(image))
    back = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image.ndim == 3:
        back = back[..., ::-1]  # OpenCV reads BGR
    assert back.dtype == image.dtype and np.array_equal(back, image)


def test_a_thermal_set_loads_and_its_poses_geolocate_each_object_to_its_place(
        tmp_path: Path) -> None:
    objects = [{"kind": "fire", "radius_m": 2.5, **_at(0.0, 0.0)},
               {"kind": "person", "pose": "lying", **_at(25.0, 10.0)},
               {"kind": "person", "pose": "standing", **_at(-30.0, -20.0)}]
    out = tmp_path / "set"
    world = _world(tmp_path, objects, cameras={"thermal": {"hfov_deg": 40}})
    run = _sim_frames("--world", str(world), "--out", str(out), "--frames", "16", "--seed", "3")
    assert run.returncode == 0, run.stderr
    assert "wrote 16 thermal frames" in run.stdout

    dataset = load_yolo_set(out)
    assert len(dataset.items) == 16
    assert set(dataset.names.values()) == {"person", "fire"}
    records = {r["image"]: r for r in json.loads((out / "frames.json").read_text())["frames"]}
    # the world's 40 degree thermal lens, not the default 50
    assert {round(r["k"][0], 1) for r in records.values()} == {879.2}
    labelled = 0
    for item in dataset.items:
        image = read_image(item.image_path, Modality.THERMAL)
        assert image.dtype == np.uint16 and image.shape == (512, 640)
        truth = [t for t in records[item.image_path.name]["truth"]
                 if t["label"] in ("person", "fire") and t["pixels"] >= MIN_LABEL_PIXELS]
        assert len(item.truth.boxes) == len(truth)
        for (label, box), t in zip(item.truth.boxes, truth, strict=True):
            assert label == t["label"]
            assert [box.x1, box.y1, box.x2, box.y2] == pytest.approx(t["box"], abs=0.01)
            labelled += 1
    assert labelled >= 12  # 80 % of the views are aimed at one of the three objects

    # Every object whose box lies inside the frame maps back to its place through the pose.
    errors = []
    for r in records.values():
        p, k = r["pose"], r["k"]
        pose = CameraPose(lat_deg=p["lat_deg"], lon_deg=p["lon_deg"],
                          alt_amsl_m=p["alt_amsl_m"], roll_deg=p["roll_deg"],
                          pitch_deg=p["pitch_deg"], yaw_deg=p["yaw_deg"],
                          gimbal_pitch_deg=p["gimbal_pitch_deg"],
                          gimbal_yaw_deg=p["gimbal_yaw_deg"])
        intr = Intrinsics(fx_px=k[0], fy_px=k[4], cx_px=k[2], cy_px=k[5], width_px=640,
                          height_px=512)
        for t in r["truth"]:
            x1, y1, x2, y2 = t["box"]
            if x1 == 0 or y1 == 0 or x2 == 640 or y2 == 512 or t["pixels"] < MIN_LABEL_PIXELS:
                continue  # cut by the frame's edge, or too small to label
            fix = pixel_to_ground((x1 + x2) / 2, (y1 + y2) / 2, pose, intr,
                                  FlatTerrain(ground_amsl_m=r["ground_below_amsl_m"]))
            assert fix is not None
            errors.append(distance_m(fix.lat_deg, fix.lon_deg, t["lat_deg"], t["lon_deg"]))
    assert len(errors) >= 10
    # A standing person's box centre is half a body above the ground: up to ~1 m off at 45 deg.
    assert max(errors) < 1.5 and float(np.median(errors)) < 0.6


def test_sim_frames_refuses_bad_arguments_naming_them(tmp_path: Path) -> None:
    world = _world(tmp_path, [{"kind": "person", **_at(0.0, 0.0)}])
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("not lost")
    cases = [
        (["--out", str(taken)], "--out: "),
        (["--out", str(tmp_path / "a"), "--modality", "sonar"], "--modality: 'sonar'"),
        (["--out", str(tmp_path / "b"), "--frames", "0"], "--frames: 0 is outside"),
        (["--out", str(tmp_path / "c"), "--at-s", "-5"], "--at-s: -5"),
    ]
    for args, message in cases:
        result = _sim_frames_here("--world", str(world), *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)
    assert (taken / "keep.txt").read_text() == "not lost"
    empty = _world(tmp_path, [{"kind": "car", **_at(0.0, 0.0)}])
    result = _sim_frames_here("--world", str(empty), "--out", str(tmp_path / "d"))
    assert result.exit_code == 2 and "no fire or person" in result.stderr
