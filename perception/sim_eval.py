"""Detection and geolocation scored against simulator truth (`skywatch sim-frames` sets).

The simulator writes, next to a YOLO-format set, `frames.json`: for every image the camera's
pose and intrinsics and every object in view with its true world position. Detection quality
is scored exactly as on real sets (`perception.evaluate`, same boxes and ignore regions); on
top of that each detection that matches a truth box is put on the ground with
`perception.geolocate` from the recorded pose, disturbed as a real drone's navigation would
disturb it (`perception.pose_error`; none for the exact pose), and its distance from the
object's true position is the geolocation error. Nothing here renders: the frames come from
the simulator's own command (or `skywatch eval --sim`, which calls it), so perception stays
independent of the simulator's code. Each frame is searched with the radiometric detector,
people expected at the size the frame's own pose and focal length give, as the onboard node
does.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pymap3d

from perception.dataset import BadDataset, load_yolo_set, read_image
from perception.detection import Box, Detection, Modality
from perception.evaluate import ClassScore, LabelledImage, score_class
from perception.geolocate import CameraPose, FlatTerrain, Intrinsics, pixel_to_ground
from perception.pose_error import PoseErrorModel
from perception.radiometric import RadiometricDetector, RadiometricParams, ground_scale_by_row
from perception.thermal import person_size_px

#: The issue's operating point for small aerial objects: IoU 0.3, score 0.25.
IOU_MATCH = 0.3
MIN_SCORE = 0.25
#: Independent draws of the pose error per frame that geolocation figures pool. With one draw,
#: 60 views' 45 people give a median anywhere in 1.3-2.4 m and a p95 in 2.6-5.1 m, seed to seed;
#: pooled over 20 draws, 1.6-1.8 m and 3.7-4.2 m: the figure says what the error model and the
#: detector do, not what one unlucky draw did.
POSE_DRAWS = 20


class BadFrames(ValueError):
    """`frames.json` is not usable; the message names the field and the reason."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TruthObject:
    object_id: str  #: stable across frames: "fire-0", "person-3"
    label: str
    box: Box
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float  #: the ground under the object


@dataclass(frozen=True, kw_only=True, slots=True)
class SimFrame:
    """One rendered view: where the camera was, how it sees, and what it saw."""

    image: str
    pose: CameraPose
    k: Intrinsics
    ground_amsl_m: float  #: terrain under the camera (the sets are rendered on flat ground)
    truth: tuple[TruthObject, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class GeolocationScore:
    label: str
    located: int  #: matched detections put on the ground
    median_m: float | None  #: None when nothing was located
    p95_m: float | None
    max_m: float | None


@dataclass(frozen=True, kw_only=True, slots=True)
class SimScore:
    classes: tuple[ClassScore, ...]
    geolocation: tuple[GeolocationScore, ...]


def _field(doc: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(doc, Mapping) or key not in doc:
        raise BadFrames(f"{where}.{key}: missing")
    return doc[key]


def _number(doc: Mapping[str, Any], key: str, where: str) -> float:
    value = _field(doc, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadFrames(f"{where}.{key}: expected a finite number, got {value!r}")
    return float(value)


def parse_frames(doc: Any, width_px: int, height_px: int) -> dict[str, SimFrame]:
    """`frames.json`'s content by image name; images are `width_px` x `height_px`."""
    frames = _field(doc, "frames", "frames.json")
    if not isinstance(frames, list):
        raise BadFrames(f"frames.json.frames: expected a list, got {type(frames).__name__}")
    out: dict[str, SimFrame] = {}
    for i, rec in enumerate(frames):
        where = f"frames.json.frames[{i}]"
        k = _field(rec, "k", where)
        if not (isinstance(k, list) and len(k) == 9 and all(
                isinstance(v, int | float) and math.isfinite(v) for v in k)):
            raise BadFrames(f"{where}.k: expected the 9 numbers of a 3x3 camera matrix")
        p = _field(rec, "pose", where)
        pose = CameraPose(**{f: _number(p, f, f"{where}.pose") for f in (
            "lat_deg", "lon_deg", "alt_amsl_m", "roll_deg", "pitch_deg", "yaw_deg",
            "gimbal_pitch_deg", "gimbal_yaw_deg")})
        truth = []
        for j, t in enumerate(_field(rec, "truth", where)):
            tw = f"{where}.truth[{j}]"
            box = _field(t, "box", tw)
            if not (isinstance(box, list) and len(box) == 4):
                raise BadFrames(f"{tw}.box: expected [x1, y1, x2, y2]")
            truth.append(TruthObject(
                object_id=str(_field(t, "object_id", tw)), label=str(_field(t, "label", tw)),
                box=Box(x1=float(box[0]), y1=float(box[1]), x2=float(box[2]), y2=float(box[3])),
                lat_deg=_number(t, "lat_deg", tw), lon_deg=_number(t, "lon_deg", tw),
                alt_amsl_m=_number(t, "alt_amsl_m", tw)))
        name = str(_field(rec, "image", where))
        out[name] = SimFrame(
            image=name, pose=pose,
            k=Intrinsics(fx_px=float(k[0]), fy_px=float(k[4]), cx_px=float(k[2]),
                         cy_px=float(k[5]),
                         width_px=width_px, height_px=height_px),
            ground_amsl_m=_number(rec, "ground_below_amsl_m", where), truth=tuple(truth))
    return out


def expected_person_px(frame: SimFrame) -> tuple[float, float]:
    """A person's expected box at the image centre's slant range: what the onboard node
    computes from the same pose, altitude and focal length."""
    fix = pixel_to_ground(frame.k.cx_px, frame.k.cy_px, frame.pose, frame.k,
                          FlatTerrain(ground_amsl_m=frame.ground_amsl_m))
    if fix is None:  # looking at the horizon: size people for the height above ground
        range_m = max(1.0, frame.pose.alt_amsl_m - frame.ground_amsl_m)
    else:
        range_m = fix.slant_range_m
    return person_size_px(frame.k.fx_px, range_m)


def frame_params(frame: SimFrame, base: RadiometricParams) -> RadiometricParams:
    """The detector's parameters for this view: people sized from its pose and focal length,
    at the centre and row by row, as the onboard node sizes them."""
    return replace(base, person_px=expected_person_px(frame), px_per_m_by_row=ground_scale_by_row(
        frame.pose.alt_amsl_m - frame.ground_amsl_m,
        -frame.pose.gimbal_pitch_deg, frame.k.fy_px, frame.k.cy_px,
        frame.k.height_px))


def ground_pixel(det: Detection) -> tuple[float, float]:
    """The pixel whose ground point is the object's: a fire lies flat, so its box's centre;
    a person stands up out of the ground, so the middle of the box's lowest person-width
    (feet towards the camera's bottom edge, as a gimballed camera looking down sees them)."""
    b = det.box
    cx, cy = b.center_px
    if det.label != "person":
        return cx, cy
    w, h = b.x2 - b.x1, b.y2 - b.y1
    return cx, b.y2 - min(w, h) / 2


def geolocation_errors_m(frame: SimFrame, detections: Sequence[Detection], label: str,
                         iou_match: float = IOU_MATCH, min_score: float = MIN_SCORE,
                         pose: CameraPose | None = None) -> list[float]:
    """Ground distance from each matched detection's fix to its object's true position.

    Detections are matched to truth boxes of the same label greedily by score, as in
    `perception.evaluate`; unmatched detections and missed objects are detection errors, not
    geolocation errors, and are scored there. A box cut by the frame's edge is not placed,
    as the onboard geolocator does not place it (the frames that see the object whole do).
    Fixes are computed from `pose`, the pose the drone believed it had (the frame's exact
    pose when None)."""
    truth = [t for t in frame.truth if t.label == label]
    used = [False] * len(truth)
    terrain = FlatTerrain(ground_amsl_m=frame.ground_amsl_m)
    pose = pose or frame.pose
    errors = []
    mine = sorted((d for d in detections if d.label == label and d.score >= min_score),
                  key=lambda d: -d.score)
    for det in mine:
        best, best_iou = -1, iou_match
        for i, t in enumerate(truth):
            iou = det.box.iou(t.box)
            if not used[i] and iou >= best_iou:
                best, best_iou = i, iou
        if best < 0:
            continue
        used[best] = True
        if det.box.cut_by_frame(frame.k.width_px, frame.k.height_px):
            continue
        fix = pixel_to_ground(*ground_pixel(det), pose, frame.k, terrain)
        if fix is None:
            continue
        t = truth[best]
        east, north, _ = pymap3d.geodetic2enu(fix.lat_deg, fix.lon_deg, t.alt_amsl_m,
                                              t.lat_deg, t.lon_deg, t.alt_amsl_m)
        errors.append(math.hypot(float(east), float(north)))
    return errors


def geolocation_score(label: str, errors_m: Sequence[float],
                      located: int | None = None) -> GeolocationScore:
    """Percentiles of `errors_m`; `located` detections (default: one per error)."""
    if not errors_m:
        return GeolocationScore(label=label, located=0, median_m=None, p95_m=None, max_m=None)
    e = np.asarray(errors_m, dtype=float)
    return GeolocationScore(label=label, located=int(e.size) if located is None else located,
                            median_m=float(np.median(e)),
                            p95_m=float(np.percentile(e, 95)), max_m=float(e.max()))


def score_sim(labels: Sequence[str], truth: Sequence[LabelledImage],
              frames: Sequence[SimFrame], predictions: Sequence[Sequence[Detection]], *,
              iou_match: float = IOU_MATCH, min_score: float = MIN_SCORE,
              pose_error: PoseErrorModel | None = None,
              pose_draws: int = POSE_DRAWS) -> SimScore:
    """Per-class precision, recall, AP and geolocation error over a simulator set.

    `truth` are the set's labelled boxes and ignore regions (as `skywatch eval` loads them),
    `frames` the same images' poses and world truth, in the same order as `predictions`.
    Geolocation is from the exact poses when `pose_error` is None; otherwise its percentiles
    pool `pose_draws` independent draws of the pose error per frame, and `located` counts the
    detections put on the ground under the first."""
    if not len(truth) == len(frames) == len(predictions):
        raise ValueError(f"{len(truth)} labelled images, {len(frames)} frames and "
                         f"{len(predictions)} predictions")
    classes = tuple(score_class(label, truth, predictions, iou_match=iou_match,
                                min_score=min_score) for label in labels)
    if pose_draws < 1:
        raise ValueError(f"pose_draws: expected at least 1, got {pose_draws}")
    geo = []
    for label in labels:
        errors: list[float] = []
        located = 0
        for f, dets in zip(frames, predictions, strict=True):
            for draw in range(1 if pose_error is None else pose_draws):
                pose = None if pose_error is None else pose_error.believed_pose(
                    f.pose, f"{f.image}#{draw}")
                found = geolocation_errors_m(f, dets, label, iou_match, min_score, pose)
                errors += found
                located += len(found) if draw == 0 else 0
        geo.append(geolocation_score(label, errors, located))
    return SimScore(classes=classes, geolocation=tuple(geo))


@dataclass(frozen=True, kw_only=True, slots=True)
class DetectedSet:
    """A simulator set searched: per image its labelled truth, pose and detections."""

    names: tuple[str, ...]  #: the set's classes, as data.yaml lists them
    truth: tuple[LabelledImage, ...]
    frames: tuple[SimFrame, ...]
    predictions: tuple[tuple[Detection, ...], ...]
    detect_s: float  #: time spent detecting (not reading files), by the caller's clock

    def __add__(self, other: DetectedSet) -> DetectedSet:
        return DetectedSet(names=self.names, truth=self.truth + other.truth,
                           frames=self.frames + other.frames,
                           predictions=self.predictions + other.predictions,
                           detect_s=self.detect_s + other.detect_s)

    @property
    def images_per_s(self) -> float:
        return len(self.truth) / self.detect_s if self.detect_s > 0 else 0.0

    def score(self, *, iou_match: float = IOU_MATCH, min_score: float = MIN_SCORE,
              pose_error: PoseErrorModel | None = None,
              pose_draws: int = POSE_DRAWS) -> SimScore:
        return score_sim(self.names, self.truth, self.frames, self.predictions,
                         iou_match=iou_match, min_score=min_score, pose_error=pose_error,
                         pose_draws=pose_draws)


def detect_sim_set(root: Path, params: RadiometricParams | None = None,
                   on_image: Callable[[], None] | None = None,
                   clock: Callable[[], float] = time.perf_counter) -> DetectedSet:
    """Search every thermal frame of a `sim-frames` set at `root` (`on_image` after each).
    `clock` times the detector alone (`time.process_time` for CPU time)."""
    base = params or RadiometricParams()
    data = load_yolo_set(root)
    try:
        doc = json.loads((root / "frames.json").read_text())
    except (OSError, ValueError) as e:
        raise BadFrames(f"{root / 'frames.json'}: {e}") from None
    truth, frames, preds = [], [], []
    spent_s = 0.0
    by_name: dict[str, SimFrame] | None = None
    for item in data.items:
        image = read_image(item.image_path, Modality.THERMAL)
        if by_name is None:
            by_name = parse_frames(doc, image.shape[1], image.shape[0])
        frame = by_name.get(item.image_path.name)
        if frame is None:
            raise BadFrames(f"frames.json: no entry for {item.image_path.name}")
        detector = RadiometricDetector(frame_params(frame, base))
        t0 = clock()
        found = detector.detect(image, Modality.THERMAL)
        spent_s += clock() - t0
        truth.append(item.truth)
        frames.append(frame)
        preds.append(tuple(found))
        if on_image is not None:
            on_image()
    if not truth:
        raise BadDataset(f"{root}: no images")
    return DetectedSet(names=tuple(data.names.values()), truth=tuple(truth),
                       frames=tuple(frames), predictions=tuple(preds), detect_s=spent_s)


def sim_score_json(score: SimScore) -> dict[str, object]:
    """The figures as `skywatch eval --sim --json` prints them."""
    def num(v: float | None) -> float | None:
        return None if v is None else round(v, 4)
    return {
        "classes": [{"label": c.label, "ground_truth": c.ground_truth,
                     "detections": c.detections, "true_positives": c.true_positives,
                     "precision": num(c.precision), "recall": num(c.recall),
                     "ap": num(c.ap50)} for c in score.classes],
        "geolocation": [{"label": g.label, "located": g.located, "median_m": num(g.median_m),
                         "p95_m": num(g.p95_m), "max_m": num(g.max_m)}
                        for g in score.geolocation],
    }
