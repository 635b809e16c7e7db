"""Classical thermal detector: people and fires as compact spots unlike their surroundings.

A person seen from 60-130 m is a blob of roughly 10x20 pixels. What separates it from the
ground is local contrast, not absolute temperature: by day sun-warmed asphalt is as warm as a
body, so the detector compares a person-sized neighbourhood with a ring of background several
person sizes wide, in units of that background's own spread (a robust z-score), keeps local
extrema of the expected size and shape, and suppresses overlapping answers. A fire is the
same test with a much hotter, larger, irregular blob.

The expected size comes from the ground sample distance when the camera's focal length and the
slant range are known (`person_size_px`), otherwise from HIT-UAV's median box (12x19 px).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from perception.detection import Box, Detection, Modality, check_image
from perception.nms import non_max_suppression

#: A person seen from above and obliquely: shoulders by body length with a margin, as the
#: HIT-UAV labels draw them.
PERSON_SIZE_M = (0.6, 0.95)
DEFAULT_PERSON_PX = (12.0, 19.0)
BACKGROUND_SCALE = 1.5


def person_size_px(focal_px: float, range_m: float) -> tuple[float, float]:
    """Expected (width, height) of a person's box in pixels at `range_m` metres slant range."""
    if focal_px <= 0 or range_m <= 0:
        raise ValueError(f"focal_px and range_m must be positive, got {focal_px}, {range_m}")
    return (focal_px * PERSON_SIZE_M[0] / range_m, focal_px * PERSON_SIZE_M[1] / range_m)


@dataclass(frozen=True, kw_only=True, slots=True)
class ThermalParams:
    person_px: tuple[float, float] = DEFAULT_PERSON_PX  #: expected (w, h) of a person box
    min_z: float = 3.5  #: local contrast, in background spreads, to report a spot
    #: Report people cooler than their surroundings too. Off by default: on HIT-UAV 92 % of
    #: people are warmer than around them, and cold spots (shade, water) are mostly false alarms.
    cold_people: bool = False
    fire_z: float = 8.0  #: a fire is far hotter than the scene, in the scene's spreads ...
    fire_min_area_ratio: float = 2.0  #: ... and its hot core is larger than a person's box
    nms_iou: float = 0.3
    max_detections: int = 200


@dataclass(frozen=True, kw_only=True, slots=True)
class Spot:
    """A candidate blob before classification: box, signed contrast, and its peak pixel."""

    box: Box
    z: float  #: signed contrast in background spreads; negative is colder than around
    peak_xy: tuple[int, int]
    blob_area_px: int
    blob_size_px: tuple[int, int]  #: (width, height) of the blob's bounding rectangle


class ThermalHotspotDetector:
    """`Detector` for thermal frames: `person` and `fire` from local contrast and shape."""

    def __init__(self, params: ThermalParams | None = None) -> None:
        self.params = params or ThermalParams()

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        if modality is not Modality.THERMAL:
            return []
        check_image(image, modality)
        fires = find_fires(image, self.params)
        people = [
            d for s in find_spots(image, self.params)
            if (d := self._person(s)) and not any(_inside(d.box, f.box) for f in fires)
        ]
        dets = non_max_suppression(fires + people, self.params.nms_iou)
        return dets[: self.params.max_detections]

    def _person(self, spot: Spot) -> Detection | None:
        p = self.params
        pw, ph = p.person_px
        if spot.blob_area_px > 3.0 * pw * ph:
            return None  # too large to be one person: a roof, a car park, a vehicle
        if spot.z < 0 and not p.cold_people:
            return None
        return Detection(label="person", score=_squash(abs(spot.z), p.min_z), box=spot.box)


def _inside(box: Box, region: Box) -> bool:
    cx, cy = box.center_px
    return region.x1 <= cx < region.x2 and region.y1 <= cy < region.y2


def find_fires(image: np.ndarray, params: ThermalParams) -> list[Detection]:
    """Regions far hotter than the whole scene and larger than a person.

    A fire can fill more than a local background window, so it is measured against the scene's
    median and median absolute deviation instead of the local surround people are measured in.
    """
    img = normalised(image)
    sample = img[::4, ::4]  # the scene statistics need no full-resolution sort
    median = float(np.median(sample))
    spread = max(1.0, 1.4826 * float(np.median(np.abs(sample - median))))
    z = (img - median) / spread
    mask = (z >= params.fire_z).astype(np.uint8)
    pw, ph = params.person_px
    min_area = params.fire_min_area_ratio * pw * ph
    # Flames break into tongues: parts closer than a person's width are one fire.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(3, int(pw)) | 1,) * 2)
    n, labels, _, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, kernel), connectivity=8)
    fires = []
    for k in range(1, n):
        ys, xs = np.nonzero((labels == k) & (mask > 0))
        if ys.size < min_area:
            continue
        peak = float(z[ys, xs].max())
        box = Box(x1=float(xs.min()), y1=float(ys.min()),
                  x2=float(xs.max() + 1), y2=float(ys.max() + 1))
        fires.append(Detection(label="fire", score=_squash(peak, params.fire_z), box=box))
    return fires


def _squash(z: float, z0: float) -> float:
    """Contrast to a 0..1 score: 0.5 at the proposal threshold, rising towards 1."""
    return 1.0 - 0.5 * math.exp(-(z - z0) / max(z0, 1e-6))


def normalised(image: np.ndarray) -> np.ndarray:
    """Float32 image on a 0..255 scale whatever the sensor's bit depth."""
    img = image.astype(np.float32)
    if image.dtype == np.uint16:
        lo, hi = np.percentile(img, (0.5, 99.9))
        img = (img - lo) * (255.0 / max(hi - lo, 1.0))
    return img


@dataclass(frozen=True, kw_only=True, slots=True)
class ContrastMaps:
    """Per-pixel contrast against the local background, in units of the local spread."""

    detail: np.ndarray  #: each pixel on its own (fine structure, for classifiers)
    z: np.ndarray  #: averaged over a person-sized neighbourhood (for finding spots)


def contrast_maps(image: np.ndarray, person_px: tuple[float, float]) -> ContrastMaps:
    """Signed local contrast of every pixel against its surround, raw and person-averaged."""
    img = normalised(image)
    pw, ph = person_px
    win = int(2 * round(BACKGROUND_SCALE * max(pw, ph)) + 1)
    # The median ignores the person itself and thin bright edges; the mean absolute deviation
    # around it is the local spread that contrast is measured in.
    # medianBlur takes 8 bit beyond 5x5 kernels; the background is smooth, so it is taken at
    # half resolution (four times fewer pixels, a kernel half as wide) and scaled back.
    eight_bit = np.clip(img, 0, 255).astype(np.uint8)
    half = cv2.resize(eight_bit, (img.shape[1] // 2, img.shape[0] // 2),
                      interpolation=cv2.INTER_AREA)
    background = cv2.resize(cv2.medianBlur(half, min(win // 2, 255) | 1),
                            (img.shape[1], img.shape[0]),
                            interpolation=cv2.INTER_LINEAR).astype(np.float32)
    residual = img - background
    spread = cv2.blur(np.abs(residual), (win, win), borderType=cv2.BORDER_REFLECT)
    floor = max(1.5, float(np.median(spread[::4, ::4])) * 0.5)  # flat ground: noise is no person
    detail = residual / np.maximum(spread, floor)
    sigma = max(1.0, min(pw, ph) / 4.0)
    return ContrastMaps(detail=detail, z=cv2.GaussianBlur(detail, (0, 0), sigma))


def find_peaks(z: np.ndarray, params: ThermalParams) -> np.ndarray:
    """(N, 2) integer x, y of local extrema of |z| above `min_z`, strongest first."""
    pw, ph = params.person_px
    k = (max(3, int(pw) | 1), max(3, int(ph) | 1))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, k)
    az = np.abs(z) if params.cold_people else np.maximum(z, 0.0)
    peaks = (az >= cv2.dilate(az, kernel)) & (az >= params.min_z)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-az[ys, xs], kind="stable")[: 4 * params.max_detections]
    return np.stack([xs[order], ys[order]], axis=1)


def find_spots(image: np.ndarray, params: ThermalParams,
               maps: ContrastMaps | None = None) -> list[Spot]:
    """Local extrema of |z| above `min_z`, each grown into the blob around it, strongest first."""
    z = (maps or contrast_maps(image, params.person_px)).z
    height, width = z.shape
    return [_grow(z, int(x), int(y), params.person_px, width, height)
            for x, y in find_peaks(z, params)]


def _grow(z: np.ndarray, x: int, y: int, person_px: tuple[float, float], width: int,
          height: int) -> Spot:
    """Box of the connected region around a peak whose contrast is at least half the peak's."""
    pw, ph = person_px
    rx, ry = int(math.ceil(2 * pw)), int(math.ceil(2 * ph))
    x0, y0 = max(0, x - rx), max(0, y - ry)
    x1, y1 = min(width, x + rx + 1), min(height, y + ry + 1)
    peak = float(z[y, x])
    window = z[y0:y1, x0:x1] * math.copysign(1.0, peak)
    mask = (window >= 0.5 * abs(peak)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    comp = labels[y - y0, x - x0]
    bx, by, bw, bh, area = stats[comp]
    # The blob's core is smaller than the drawn box; grow it to at least the expected size.
    cx, cy = x0 + bx + bw / 2.0, y0 + by + bh / 2.0
    w, h = float(np.clip(bw + 2.0, pw, 2 * pw)), float(np.clip(bh + 2.0, ph, 2 * ph))
    box = Box(x1=float(max(0.0, cx - w / 2)), y1=float(max(0.0, cy - h / 2)),
              x2=float(min(width, cx + w / 2)), y2=float(min(height, cy + h / 2)))
    return Spot(box=box, z=peak, peak_xy=(x, y), blob_area_px=int(area),
                blob_size_px=(int(bw), int(bh)))
