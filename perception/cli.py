"""`skywatch detect` and `skywatch eval`: the perception core on image files.

`detect` runs the default detector for each frame's modality (or the user's YOLO-style ONNX
model) and prints a table or JSON; a file that cannot be read gets one line on stderr and the
run goes on, ending with exit code 2. `eval` scores a YOLO-format folder (images/, labels/,
data.yaml, optional ignore.json) per class: precision, recall, AP, and frames per second;
`eval --sim SCENARIO` renders a simulator scenario by day and by night and scores detection and
geolocation against the simulator's truth (`skywatch.eval_sim`), geolocating from the pose a
typical non-RTK drone would report (`--pose-error typical`) or from the exact one (`none`).
"""

from __future__ import annotations

import functools
import importlib
import json
import operator
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import cv2
import numpy as np
import typer

from perception.dataset import BadDataset, load_yolo_set, read_frame
from perception.detection import BadImage, Detection, Detector, Modality
from perception.detectors import detector_for
from perception.evaluate import score_class
from perception.onnx_yolo import BadModel
from perception.pose_error import pose_error_model
from perception.sim_eval import IOU_MATCH, MIN_SCORE, POSE_DRAWS, sim_score_json
from perception.thermal import person_size_px

MODALITIES = ("auto", "rgb", "thermal")
COLOURS_BGR = {"fire": (0, 0, 255), "smoke": (255, 255, 0), "person": (0, 255, 0)}


def _modality(value: str) -> Modality | None:
    if value not in MODALITIES:
        typer.echo(f"error: --modality: {value!r} is not one of {', '.join(MODALITIES)}",
                   err=True)
        raise typer.Exit(2)
    return None if value == "auto" else Modality(value)


def _person_px(range_m: float | None, focal_px: float | None) -> tuple[float, float] | None:
    if range_m is None and focal_px is None:
        return None
    if range_m is None or focal_px is None:
        typer.echo("error: --range-m and --focal-px go together (the ground sample distance "
                   "needs both)", err=True)
        raise typer.Exit(2)
    try:
        return person_size_px(focal_px, range_m)
    except ValueError as e:
        typer.echo(f"error: --range-m/--focal-px: {e}", err=True)
        raise typer.Exit(2) from None


class _Detectors:
    """One detector per modality, built on first use (model loading takes a moment)."""

    def __init__(self, model: Path | None,
                 person_px: tuple[float, float] | None = None,
                 labels: frozenset[str] | None = None) -> None:
        self.model = model
        self.person_px = person_px
        self.labels = labels
        self._made: dict[Modality, Detector] = {}

    def __call__(self, modality: Modality) -> Detector:
        if modality not in self._made:
            try:
                self._made[modality] = detector_for(modality, self.model, self.person_px,
                                                    self.labels)
            except (BadModel, FileNotFoundError, ValueError) as e:
                typer.echo(f"error: --model: {e}", err=True)
                raise typer.Exit(2) from None
        return self._made[modality]


def _as_json(d: Detection) -> dict[str, object]:
    b = d.box
    return {"label": d.label, "score": round(d.score, 4),
            "box": [round(b.x1, 1), round(b.y1, 1), round(b.x2, 1), round(b.y2, 1)]}


def _save(image: np.ndarray, modality: Modality, dets: list[Detection], path: Path) -> None:
    canvas = (cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if modality is Modality.RGB
              else cv2.cvtColor(cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(
                  np.uint8), cv2.COLOR_GRAY2BGR))
    for d in dets:
        colour = COLOURS_BGR.get(d.label, (255, 0, 255))
        p1, p2 = (round(d.box.x1), round(d.box.y1)), (round(d.box.x2), round(d.box.y2))
        cv2.rectangle(canvas, p1, p2, colour, 1)
        cv2.putText(canvas, f"{d.label} {d.score:.2f}", (p1[0], max(8, p1[1] - 3)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, colour, 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), canvas)


def detect(
    paths: Annotated[list[Path], typer.Argument(help="Image files.")],
    modality: Annotated[str, typer.Option(
        help="rgb, thermal, or auto (grey files are thermal).")] = "auto",
    model: Annotated[Path | None, typer.Option(
        help="A YOLOv5/v8-layout ONNX model to run instead of the built-in detectors.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    save_dir: Annotated[Path | None, typer.Option(
        help="Write each image with its boxes drawn here.")] = None,
    min_score: Annotated[float, typer.Option(help="Report detections scoring at least this.")]
    = 0.25,
    range_m: Annotated[float | None, typer.Option(
        help="Slant range to the ground in metres (altitude / cos(off-nadir angle)), with "
             "--focal-px, to size people by ground sample distance (RGB: search only that "
             "size, faster).")] = None,
    focal_px: Annotated[float | None, typer.Option(
        help="Focal length in pixels of the camera that took the images.")] = None,
) -> None:
    """Detect fire, smoke and people in image files."""
    fixed = _modality(modality)
    detectors = _Detectors(model, _person_px(range_m, focal_px))
    results: list[dict[str, object]] = []
    failed = 0
    for path in paths:
        try:
            image, mod = read_frame(path, fixed)
        except BadImage as e:
            typer.echo(f"error: {e}", err=True)
            results.append({"image": str(path), "error": str(e)})
            failed += 1
            continue
        dets = [d for d in detectors(mod).detect(image, mod) if d.score >= min_score]
        results.append({"image": str(path), "width": image.shape[1], "height": image.shape[0],
                        "modality": mod.value, "detections": [_as_json(d) for d in dets]})
        if save_dir is not None:
            _save(image, mod, dets, save_dir / f"{path.stem}.jpg")
        if not as_json:
            typer.echo(f"{path}  {image.shape[1]}x{image.shape[0]} {mod.value}: "
                       f"{len(dets)} detection(s)")
            for d in dets:
                b = d.box
                typer.echo(f"  {d.label:<7} {d.score:5.2f}  [{b.x1:.0f}, {b.y1:.0f}, "
                           f"{b.x2:.0f}, {b.y2:.0f}]")
    if as_json:
        typer.echo(json.dumps(results, indent=1))
    if failed:
        raise typer.Exit(2)


def evaluate(
    data_dir: Annotated[Path | None, typer.Argument(
        help="YOLO-format folder: images/, labels/, data.yaml.")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Same as DATA_DIR.")] = None,
    modality: Annotated[str, typer.Option(
        help="rgb, thermal, or auto (from the first image).")] = "auto",
    model: Annotated[Path | None, typer.Option(help="A YOLOv5/v8-layout ONNX model.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    iou: Annotated[float | None, typer.Option(
        help="IoU a detection needs to match a box (default 0.5; with --sim 0.3).")] = None,
    min_score: Annotated[float | None, typer.Option(
        help="Count detections scoring at least this (default 0; with --sim 0.25).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N images.")] = None,
    sim: Annotated[str | None, typer.Option(
        "--sim", metavar="SCENARIO",
        help="Score on simulator truth instead of a folder: a world YAML file, or 'example' "
             "(the scene `skywatch up` simulates). Renders it by day and by night from "
             "60-120 m and reports geolocation error too.")] = None,
    views: Annotated[int, typer.Option(help="With --sim: views rendered per lighting.")] = 60,
    seed: Annotated[int, typer.Option(help="With --sim: same seed, same views.")] = 0,
    keep: Annotated[Path | None, typer.Option(
        help="With --sim: keep the rendered sets in this folder.")] = None,
    pose_error: Annotated[str, typer.Option(
        help="With --sim: geolocate from the pose a drone would report, 'typical' (non-RTK "
             "GNSS 1 m, altitude 0.5 m, pointing 0.5 deg, 50 ms frame-to-pose offset, one "
             "sigma), or from the exact pose, 'none'.")] = "typical",
) -> None:
    """Precision, recall and AP per class of the detectors on a labelled folder or on
    simulator truth (--sim)."""
    if sim is not None:
        if data_dir or data or model or modality not in ("auto", "thermal"):
            typer.echo("error: --sim scores the simulator's radiometric thermal frames: give no "
                       "DATA_DIR, --data, --model or --modality rgb with it", err=True)
            raise typer.Exit(2)
        _evaluate_sim(sim, views=views, seed=seed, keep=keep, as_json=as_json,
                      pose_error=pose_error,
                      iou=IOU_MATCH if iou is None else iou,
                      min_score=MIN_SCORE if min_score is None else min_score)
        return
    iou = 0.5 if iou is None else iou
    min_score = 0.0 if min_score is None else min_score
    root = data_dir or data
    if root is None:
        typer.echo("error: give the folder as DATA_DIR or --data", err=True)
        raise typer.Exit(2)
    fixed = _modality(modality)
    try:
        dataset = load_yolo_set(root)
    except BadDataset as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    items = dataset.items[:limit] if limit else dataset.items
    detectors = _Detectors(model, labels=frozenset(dataset.names.values()))
    preds: list[list[Detection]] = []
    spent_s = 0.0
    for item in items:
        try:
            image, mod = read_frame(item.image_path, fixed)
        except BadImage as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        fixed = fixed or mod  # one modality per set: the first image decides
        detector = detectors(mod)
        t0 = time.perf_counter()
        preds.append(detector.detect(image, mod))
        spent_s += time.perf_counter() - t0
    truth = [it.truth for it in items]
    scores = [score_class(name, truth, preds, iou_match=iou, min_score=min_score)
              for name in dataset.names.values()]
    fps = len(items) / spent_s if spent_s > 0 else 0.0
    if as_json:
        typer.echo(json.dumps({
            "data": str(root), "images": len(items), "images_per_s": round(fps, 1),
            "iou": iou, "min_score": min_score,
            "classes": [{"label": s.label, "ground_truth": s.ground_truth,
                         "detections": s.detections, "true_positives": s.true_positives,
                         "precision": round(s.precision, 4), "recall": round(s.recall, 4),
                         "ap": round(s.ap50, 4)} for s in scores],
        }, indent=1))
        return
    typer.echo(f"{root}: {len(items)} images, {fps:.1f} images/s, IoU {iou:g}, "
               f"score >= {min_score:g}")
    typer.echo(f"{'class':<8} {'truth':>6} {'dets':>6} {'TP':>6} {'precision':>9} "
               f"{'recall':>7} {'AP':>6}")
    for s in scores:
        typer.echo(f"{s.label:<8} {s.ground_truth:>6} {s.detections:>6} {s.true_positives:>6} "
                   f"{s.precision:>9.3f} {s.recall:>7.3f} {s.ap50:>6.3f}")


def _evaluate_sim(scenario: str, *, views: int, seed: int, keep: Path | None, as_json: bool,
                  pose_error: str, iou: float, min_score: float) -> None:
    if not 1 <= views <= 10_000:
        typer.echo(f"error: --views: {views} is outside 1..10000", err=True)
        raise typer.Exit(2)
    try:
        model = pose_error_model(pose_error, seed)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    # The simulator is loaded only here: an offline tool may drive it, the perception core not.
    eval_sim: Any = importlib.import_module("skywatch.eval_sim")
    steps = 2 * views * len(eval_sim.LIGHTING)
    try:
        with typer.progressbar(length=steps, label="rendering and searching",
                               file=sys.stderr) as bar:
            sets = eval_sim.evaluate_scenario(scenario, views=views, seed=seed, keep=keep,
                                              on_step=lambda: bar.update(1))
    except (ValueError, OSError) as e:  # the world, the rendered set, a frame: each says which
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("cancelled", err=True)
        raise typer.Exit(130) from None
    rows = {**sets, "all": functools.reduce(operator.add, sets.values())}
    scores = {name: s.score(iou_match=iou, min_score=min_score, pose_error=model)
              for name, s in rows.items()}
    if as_json:
        typer.echo(json.dumps({
            "scenario": scenario, "views_per_lighting": views, "seed": seed, "iou": iou,
            "min_score": min_score, "alt_rel_m": [60, 120], "gimbal_pitch_deg": [-90, -45],
            "pose_error": pose_error,
            "pose_error_sigmas": None if model is None else asdict(model),
            "pose_draws_per_frame": 1 if model is None else POSE_DRAWS,
            "sets": [{"lighting": name, "images": len(rows[name].truth),
                      "images_per_s": round(rows[name].images_per_s, 1),
                      **sim_score_json(score)} for name, score in scores.items()],
        }, indent=1))
        return
    typer.echo(f"simulator truth: {scenario}, {views} views by day and {views} by night from "
               f"60-120 m, IoU {iou:g}, score >= {min_score:g}, pose error {pose_error}")
    typer.echo(f"{'lighting':<8} {'class':<7} {'truth':>5} {'dets':>5} {'TP':>5} "
               f"{'precision':>9} {'recall':>6} {'AP':>5}  {'located':>7} {'median m':>8} "
               f"{'p95 m':>6}")
    for name, score in scores.items():
        for c, g in zip(score.classes, score.geolocation, strict=True):
            med = "-" if g.median_m is None else f"{g.median_m:.2f}"
            p95 = "-" if g.p95_m is None else f"{g.p95_m:.2f}"
            typer.echo(f"{name:<8} {c.label:<7} {c.ground_truth:>5} {c.detections:>5} "
                       f"{c.true_positives:>5} {c.precision:>9.3f} {c.recall:>6.3f} "
                       f"{c.ap50:>5.3f}  {g.located:>7} {med:>8} {p95:>6}")
    typer.echo(f"detector: {rows['all'].images_per_s:.1f} images/s")


def register(app: typer.Typer) -> None:
    app.command("detect")(detect)
    app.command("eval")(evaluate)
