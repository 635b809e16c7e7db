"""Simulator frames as a YOLO-format set, so detectors are scored on simulator truth.

`skywatch sim-frames --world FILE --out DIR --modality thermal` renders views of the world's
fires and people from the altitudes and gimbal angles a search flies (60-120 m, -90 to -45
degrees) and writes what `skywatch eval DIR` reads:

    images/00000.png       thermal: 16-bit grey, centi-kelvin (30500 = 305 K); RGB: 8-bit
    labels/00000.txt       YOLO lines "class cx cy w h" (normalised) for person, fire (and
                           smoke on RGB), from the renderer's truth boxes
    data.yaml              names
    ignore.json            boxes of objects too small to be found (fewer than
                           `MIN_LABEL_PIXELS` pixels): neither a miss nor a false alarm
    manifest.json          sizes and counts
    frames.json            per image: camera pose (lat/lon/alt AMSL, attitude, gimbal, the
                           conventions of `perception.geolocate`), intrinsics K, the terrain
                           height below, and every truth object with its world position, for
                           scoring geolocation

Each view is aimed: a target (a fire, a person, or a random ground point for frames that hold
nothing) is put at a random pixel of the central 80 % of the image, and the camera placed where
that pixel's ray meets the target from the chosen height. Same seed, same set.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.camera import CameraPose, CameraSet, Intrinsics, enu_from_camera
from sim.ground_map import GroundMap
from sim.render import Frame, Modality, Renderer
from sim.scene import Scene

DEFAULT_CAMERAS = CameraSet()
ALT_REL_M = (60.0, 80.0, 100.0, 120.0)
GIMBAL_PITCH_DEG = (-90.0, -75.0, -60.0, -45.0)
MIN_LABEL_PIXELS = 4
MAX_TILT_DEG = 3.0  #: the airframe's roll and pitch while it flies, either way
CENTRAL_FRACTION = 0.8
EMPTY_VIEW_SHARE = 0.2  #: views aimed at a random ground point rather than an object
EMPTY_VIEW_RADIUS_M = 600.0
NAMES: dict[str, tuple[str, ...]] = {"thermal": ("person", "fire"),
                                     "rgb": ("person", "fire", "smoke")}


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetSummary:
    images: int
    labels: dict[str, int]  #: boxes written per class
    ignored: int  #: objects too small, written as ignore regions


def aimed_pose(scene: Scene, ground_map: GroundMap, k: Intrinsics, rng: np.random.Generator,
               target_en_m: tuple[float, float]) -> CameraPose:
    """A camera pose at a random search height, gimbal angle, heading and small airframe tilt
    (which the stabilised gimbal keeps out of the view) that sees the target at a random pixel
    of the image's central part."""
    alt_rel = float(rng.choice(ALT_REL_M))
    yaw = float(rng.uniform(0.0, 360.0))
    margin = (1 - CENTRAL_FRACTION) / 2
    u = float(rng.uniform(margin, 1 - margin)) * k.width_px
    v = float(rng.uniform(margin, 1 - margin)) * k.height_px
    pose = CameraPose(east_m=0.0, north_m=0.0, alt_amsl_m=0.0, yaw_deg=yaw,
                      roll_deg=float(rng.uniform(-MAX_TILT_DEG, MAX_TILT_DEG)),
                      pitch_deg=float(rng.uniform(-MAX_TILT_DEG, MAX_TILT_DEG)),
                      gimbal_pitch_deg=float(rng.choice(GIMBAL_PITCH_DEG)))
    ray = enu_from_camera(pose) @ np.array([(u - k.cx_px) / k.fx_px, (v - k.cy_px) / k.fy_px,
                                            1.0])
    if ray[2] > -0.05:  # near or above the horizon: look at the target from straight over it
        ray = np.array([0.0, 0.0, -1.0])
    ground = float(ground_map.height_amsl_m(np.array([target_en_m[0]]),
                                            np.array([target_en_m[1]]))[0])
    t = alt_rel / -ray[2]
    return CameraPose(east_m=target_en_m[0] - t * ray[0], north_m=target_en_m[1] - t * ray[1],
                      alt_amsl_m=ground + alt_rel, roll_deg=pose.roll_deg,
                      pitch_deg=pose.pitch_deg, yaw_deg=yaw,
                      gimbal_pitch_deg=pose.gimbal_pitch_deg)


def write_dataset(scene: Scene, out_dir: Path, modality: Modality, *, frames: int,
                  seed: int = 0, t_s: float = 0.0, wind_east_mps: float = 0.0,
                  wind_north_mps: float = 0.0, cameras: CameraSet = DEFAULT_CAMERAS,
                  on_frame: Callable[[], None] | None = None) -> DatasetSummary:
    """Render `frames` aimed views of the scene at sim time `t_s` into `out_dir`;
    `on_frame` is called after each one (progress)."""
    targets = [(f.east_m, f.north_m) for f in scene.fires_at(t_s)]
    targets += [(s.east_m, s.north_m) for s in scene.solids_at(t_s) if s.kind == "person"]
    if not targets:
        raise ValueError("world.objects: no fire or person to look at")
    k = cameras.of(modality)
    ground_map = GroundMap(scene)
    renderer = Renderer(scene, ground_map, k, modality, seed=seed, wind_east_mps=wind_east_mps,
                        wind_north_mps=wind_north_mps)
    rng = np.random.default_rng(seed)
    names = NAMES[modality]
    for sub in ("images", "labels"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(names, 0)
    ignore: dict[str, list[list[int]]] = {}
    records: list[dict[str, Any]] = []
    manifest_images: dict[str, dict[str, int]] = {}
    for i in range(frames):
        if rng.uniform() < EMPTY_VIEW_SHARE:
            centre = targets[int(rng.integers(len(targets)))]
            angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(100.0, EMPTY_VIEW_RADIUS_M)
            target = (centre[0] + dist * math.sin(angle), centre[1] + dist * math.cos(angle))
        else:
            target = targets[int(rng.integers(len(targets)))]
        pose = aimed_pose(scene, ground_map, k, rng, target)
        frame = renderer.render(pose, t_s)
        name = f"{i:05d}.png"
        (out_dir / "images" / name).write_bytes(png_bytes(frame.image))
        lines, small = _labels(frame, names)
        for line in lines:
            counts[names[int(line.split()[0])]] += 1
        if small:
            ignore[name] = small
        (out_dir / "labels" / f"{i:05d}.txt").write_text("".join(f"{ln}\n" for ln in lines))
        records.append(_record(scene, ground_map, name, frame))
        manifest_images[name] = {"width": k.width_px, "height": k.height_px, "n": len(lines)}
        if on_frame is not None:
            on_frame()
    (out_dir / "data.yaml").write_text(
        "# Skywatch simulator frames (sim.frames_dataset)\n"
        f"nc: {len(names)}\nnames:\n" + "".join(f"  {j}: {n}\n" for j, n in enumerate(names)))
    (out_dir / "ignore.json").write_text(json.dumps(ignore))
    (out_dir / "frames.json").write_text(json.dumps({"modality": modality, "frames": records},
                                                    indent=1))
    ignored = sum(len(v) for v in ignore.values())
    (out_dir / "manifest.json").write_text(json.dumps({
        "set": out_dir.name, "modality": modality, "names": list(names), "seed": seed,
        "source": "skywatch simulator", "counts": {"images": frames, **counts,
                                                   "ignored": ignored},
        "images": manifest_images}, indent=1))
    return DatasetSummary(images=frames, labels=counts, ignored=ignored)


def _labels(frame: Frame, names: tuple[str, ...]) -> tuple[list[str], list[list[int]]]:
    k = frame.intrinsics
    lines, small = [], []
    for t in frame.truth:
        if t.label not in names:
            continue
        x1, y1, x2, y2 = t.box
        if t.pixels < MIN_LABEL_PIXELS:
            small.append([x1, y1, x2, y2])
            continue
        lines.append(f"{names.index(t.label)} {(x1 + x2) / 2 / k.width_px:.6f} "
                     f"{(y1 + y2) / 2 / k.height_px:.6f} {(x2 - x1) / k.width_px:.6f} "
                     f"{(y2 - y1) / k.height_px:.6f}")
    return lines, small


def _record(scene: Scene, ground_map: GroundMap, name: str, frame: Frame) -> dict[str, Any]:
    p = frame.pose
    lat, lon = scene.lat_lon_deg(p.east_m, p.north_m)
    ground = float(ground_map.height_amsl_m(np.array([p.east_m]), np.array([p.north_m]))[0])
    return {"image": name, "t_s": frame.t_s, "k": list(frame.intrinsics.k_row_major()),
            "pose": {"lat_deg": lat, "lon_deg": lon, "alt_amsl_m": p.alt_amsl_m,
                     "roll_deg": p.roll_deg, "pitch_deg": p.pitch_deg, "yaw_deg": p.yaw_deg,
                     "gimbal_pitch_deg": p.gimbal_pitch_deg,
                     "gimbal_yaw_deg": p.gimbal_yaw_deg},
            "ground_below_amsl_m": ground,
            "truth": [{"object_id": t.object_id, "label": t.label, "box": list(t.box),
                       "pixels": t.pixels, "lat_deg": t.lat_deg, "lon_deg": t.lon_deg,
                       "alt_amsl_m": t.alt_amsl_m, "range_m": round(t.range_m, 3)}
                      for t in frame.truth]}


def png_bytes(image: np.ndarray) -> bytes:
    """A PNG of an HxW uint8/uint16 grey or HxWx3 uint8 RGB image (no imaging library: the
    format is a few zlib-compressed rows behind a header)."""
    if image.ndim == 2 and image.dtype in (np.uint8, np.uint16):
        colour_type, rows = 0, image.astype(image.dtype.newbyteorder(">"), copy=False)
    elif image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8:
        colour_type, rows = 2, image
    else:
        raise ValueError(f"image: {image.dtype} {image.shape} is not grey or RGB")
    h, w = image.shape[:2]
    raw = np.ascontiguousarray(rows).reshape(h, -1).view(np.uint8)
    scanlines = np.concatenate([np.zeros((h, 1), dtype=np.uint8), raw], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, image.dtype.itemsize * 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(scanlines, 6)) + chunk(b"IEND", b""))
