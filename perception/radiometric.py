"""Detector for radiometric thermal frames: fires and people by absolute temperature.

A radiometric camera (DJI H20T/XT2 radiometric JPEGs, the simulator's frames) reports every
pixel's temperature, here as uint16 centi-kelvin (30500 = 305 K). That removes the guesswork an
8-bit palette image forces on `perception.thermal`: a fire is whatever is hotter than anything
in nature but fire (400 K by default), whatever the scene's contrast, so sun-warmed asphalt
(316 K) is no fire.

People are the hard part by day, when sunlit grass reads 297-305 K and a body 300-310 K. A
person seen from 60-120 m covers a few pixels, so the detector looks for what a small warm body
is and a warm patch of ground is not, with the ground sample distance (`person_px`) to turn
pixels into metres:

- candidates are peaks of a matched filter: the optics-blurred footprint of a half-metre body
  over a sloping background (least squares, so a smooth warm slope scores nothing), giving the
  body's contrast in kelvin;
- the blob around each peak at half its contrast over the ground 1.9 m away (the ground it
  stands on, which may be a warm patch) must end within a person's length (2.6 m) and
  not run into a larger warm region (a roof corner, a road edge); when the camera's height and
  tilt are known, metres are counted with each row's own scale (`ground_scale_by_row`), as the
  far rows of an oblique view see the ground, and its texture, smaller;
- the peak must be warmer than the warm side of that ground (`WARM_SIDE_QUANTILE`): a blob on
  a shore or a roof's rim is warmer than the ring's median only because water or shade fills
  half of the ring; and when a good part of the ring is another, colder surface
  (`COLD_SURFACE_K`, `COLD_SURFACE_SHARE`: water by a shore, grass below a roof), the peak must
  clear `min_contrast_k` over the warm surface alone, as a body clears it over any ground;
- the peak must be one a clothed body explains: optics mix body and ground in a few-pixel
  person, so the body's temperature lies between the peak (the body filled the pixel) and
  `ground + contrast / min_fill` (it filled a share), and that interval must meet the body
  band (300-312 K);
- the evidence weighs the contrast, the peak's absolute temperature (a body is warmer than
  nearly all ground by day and all of it by night), the blob's length, and the sharpness of its
  edge against the texture around it: a body has a crisp edge, a warm patch of grass a soft one.
  The weights are those of a logistic fit on simulator frames of seeds 7 and 11 (day), rounded,
  with the bias set so that a score of 0.25, the issue's operating point, keeps precision above
  0.9 there; they are a starting point for real radiometric footage, not a law.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from perception.detection import Box, Detection, Modality, check_image
from perception.nms import non_max_suppression
from perception.thermal import DEFAULT_PERSON_PX, PERSON_SIZE_M

COUNTS_PER_K = 100.0  #: centi-kelvin
#: uint16 frames whose median lies here read as centi-kelvin: 200-350 K, any outdoor scene.
CENTI_KELVIN_MEDIAN = (20_000, 35_000)


def is_radiometric(image: np.ndarray) -> bool:
    """True for a uint16 frame whose values look like centi-kelvin (a scene at 200-350 K)."""
    if image.dtype != np.uint16 or image.ndim != 2 or image.size == 0:
        return False
    median = float(np.median(image[::8, ::8]))
    return CENTI_KELVIN_MEDIAN[0] <= median <= CENTI_KELVIN_MEDIAN[1]


@dataclass(frozen=True, kw_only=True, slots=True)
class RadiometricParams:
    person_px: tuple[float, float] = DEFAULT_PERSON_PX  #: expected (w, h) of a person box
    fire_min_k: float = 400.0  #: hotter than sun-heated ground, roofs or engines
    fire_min_px: int = 3  #: fewer hot pixels is a glint or a dead pixel
    person_band_k: tuple[float, float] = (300.0, 312.0)  #: clothed body surface, radiometric
    #: A person may fill as little as this share of its hottest pixel (optics blur, sub-pixel
    #: size); smaller fills would let any faint speck stand for a body.
    min_fill: float = 0.3
    min_contrast_k: float = 1.0  #: peak over the ground around it, well above noise (~0.1 K)
    min_amplitude_k: float = 1.5  #: matched-filter contrast for a peak to be looked at
    #: Peak over the ground ring's warm side (`WARM_SIDE_QUANTILE`). 0, not `min_contrast_k`:
    #: a dim person on textured warm grass is barely warmer than the ring's warmest tenth, and
    #: any margin above 0 lost day people on simulator frames (seed 1001: R 0.87 -> 0.83
    #: at 0.5 K, 0.70 at 1 K) while 0 lost none.
    min_warm_side_k: float = 0.0
    body_m: float = 0.5  #: side of the matched filter's body footprint
    max_length_m: float = 2.6  #: a warm blob longer than a lying adult is no person
    min_score: float = 0.05  #: report people at least this likely (callers threshold higher)
    max_candidates: int = 400  #: strongest peaks examined per frame
    #: Pixels per metre of each row when the camera's pose is known (`ground_scale_by_row`):
    #: an oblique view sees the far rows' ground and people smaller than the centre's.
    px_per_m_by_row: tuple[float, ...] | None = None
    nms_iou: float = 0.3
    max_detections: int = 200

    @property
    def px_per_m(self) -> float:
        """Pixels per metre on the ground around the image centre, from `person_px`."""
        return self.person_px[1] / PERSON_SIZE_M[1]


class RadiometricDetector:
    """`Detector` for uint16 centi-kelvin thermal frames: `fire` and `person`."""

    def __init__(self, params: RadiometricParams | None = None) -> None:
        self.params = params or RadiometricParams()

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        if modality is not Modality.THERMAL:
            return []
        check_image(image, modality)
        if not is_radiometric(image):
            raise ValueError("image: not a radiometric frame (uint16 centi-kelvin, median "
                             f"{CENTI_KELVIN_MEDIAN[0]}-{CENTI_KELVIN_MEDIAN[1]})")
        kelvin = image.astype(np.float32) * np.float32(1.0 / COUNTS_PER_K)
        fires = find_fires(kelvin, self.params)
        people = [p for p in find_people(kelvin, self.params)
                  if not any(p.box.iou(f.box) > 0 or _inside(p.box, f.box) for f in fires)]
        dets = non_max_suppression(fires + people, self.params.nms_iou)
        return dets[: self.params.max_detections]


def _inside(box: Box, region: Box) -> bool:
    cx, cy = box.center_px
    return region.x1 <= cx < region.x2 and region.y1 <= cy < region.y2


def find_fires(kelvin: np.ndarray, params: RadiometricParams) -> list[Detection]:
    """Connected regions at or above `fire_min_k`; flame tongues closer than a person's width
    are one fire. Score rises from 0.5 at the floor with the peak temperature."""
    mask = (kelvin >= params.fire_min_k).astype(np.uint8)
    if not mask.any():
        return []
    pw, _ = params.person_px
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(3, int(pw)) | 1,) * 2)
    n, labels, _, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, kernel), connectivity=8)
    fires = []
    for k in range(1, n):
        ys, xs = np.nonzero((labels == k) & (mask > 0))
        if ys.size < params.fire_min_px:
            continue
        peak_k = float(kelvin[ys, xs].max())
        score = 1.0 - 0.5 * math.exp(-(peak_k - params.fire_min_k) / 100.0)
        fires.append(Detection(label="fire", score=score, box=Box(
            x1=float(xs.min()), y1=float(ys.min()), x2=float(xs.max() + 1),
            y2=float(ys.max() + 1))))
    return fires


#: Evidence weights (logistic): matched contrast per K, peak above 300 K per K, blob length per
#: m, sharpest edge per K/px, the surroundings' median edge per K/px, and the bias.
W_AMPLITUDE, W_PEAK, W_LENGTH, W_EDGE, W_TEXTURE, BIAS = 0.75, 1.5, -1.5, 4.0, -4.0, -11.0
WARM_K = 300.0
#: Optics blur of one pixel (the [1, 2, 1] kernel both ways), for the matched filter.
_OPTICS = np.array([0.25, 0.5, 0.25])


@functools.lru_cache(maxsize=32)
def body_filter(side_px: float, window_px: int) -> np.ndarray:
    """Correlation kernel whose response is the contrast in kelvin of a blurred square body of
    `side_px` over a background plane, fitted over a `window_px` square (least squares: the
    body's template made orthogonal to a constant and both slopes)."""
    r = window_px // 2
    yy, xx = np.mgrid[-r: r + 1, -r: r + 1].astype(float)
    half = side_px / 2 + 0.5
    body = (np.clip(np.minimum(half - np.abs(xx), 1.0), 0.0, 1.0)
            * np.clip(np.minimum(half - np.abs(yy), 1.0), 0.0, 1.0))
    body = cv2.sepFilter2D(body, -1, _OPTICS, _OPTICS, borderType=cv2.BORDER_CONSTANT)
    basis = np.stack([np.ones(body.size), xx.ravel(), yy.ravel()], axis=1)
    t = body.ravel()
    coef, *_ = np.linalg.lstsq(basis, t, rcond=None)
    shape = t - basis @ coef
    return (shape / (shape @ t)).reshape(body.shape).astype(np.float32)


def find_people(kelvin: np.ndarray, params: RadiometricParams) -> list[Detection]:
    """Small warm bodies with crisp edges whose temperature a clothed body explains."""
    g = params.px_per_m
    # Ground outside the fire floor only: flames would spread their heat over the filters.
    clipped = np.minimum(kelvin, np.float32(params.fire_min_k))
    side = max(1.0, params.body_m * g)
    window = max(5, math.ceil(3 * max(side, 2.0))) | 1
    amplitude = cv2.filter2D(clipped, -1, body_filter(round(side * 4) / 4, window),
                             borderType=cv2.BORDER_REFLECT)
    near = max(3, round(0.9 * g) | 1)
    peaks = ((amplitude >= cv2.dilate(amplitude, np.ones((near, near), np.uint8)))
             & (amplitude >= params.min_amplitude_k) & (clipped < params.person_band_k[1]))
    ys, xs = np.nonzero(peaks)
    if ys.size > params.max_candidates:
        strongest = np.argsort(-amplitude[ys, xs])[: params.max_candidates]
        ys, xs = ys[strongest], xs[strongest]
    edges = np.hypot(cv2.Sobel(clipped, cv2.CV_32F, 1, 0, ksize=3),
                     cv2.Sobel(clipped, cv2.CV_32F, 0, 1, ksize=3)) * np.float32(1 / 8)
    rows = params.px_per_m_by_row
    out = []
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        g_here = g if rows is None else rows[y]
        if g_here <= 0:
            continue  # at or above the horizon
        reach = math.ceil(2.5 * g_here) + 2
        found = _person_at(clipped, edges, x, y, float(amplitude[y, x]), reach, g_here, params)
        if found is not None:
            out.append(found)
    return out


#: The ground's temperature is the median of a thin square ring (3 px) this far from the peak:
#: beyond a standing or lying person's half-length, close enough to be the ground it stands on.
GROUND_RING_M = 1.9
#: The ring's warm side: a body is warmer than all the ground around it, while a blob on the
#: edge of a warm region (a shore, a roof's rim) is as warm as that region's part of the ring,
#: and only warmer than the ring's median because the cold side (water, shade) pulls it down.
WARM_SIDE_QUANTILE = 0.9
#: Ring pixels this much colder than the ring's upper quartile are another surface, not the
#: texture of the one the blob lies on: sunlit land and water differ by 5-15 K by day, a roof
#: and the grass below it by as much, while one surface's texture within a ring a few metres
#: across stays within a few kelvin.
COLD_SURFACE_K = 4.0
#: Share of the ring such colder pixels must make up to be a surface rather than a speck.
COLD_SURFACE_SHARE = 0.25


def _ring(win: np.ndarray, x: int, y: int, radius_px: int) -> np.ndarray:
    """The window's pixels 3 px wide from `radius_px` (Chebyshev distance) around (x, y)."""
    yy, xx = np.ogrid[-y: win.shape[0] - y, -x: win.shape[1] - x]
    d = np.maximum(np.abs(yy), np.abs(xx))
    return win[(d >= radius_px) & (d <= radius_px + 2)]


def _warm_surface(ring: np.ndarray) -> float | None:
    """The median of the ring's warm surface when `COLD_SURFACE_SHARE` or more of the ring is
    a colder one (`COLD_SURFACE_K`), else None (one surface all round).

    A warm grass patch on a shore, or roof texture at a roof's rim, is barely warmer than the
    land or the roof beside it; over the ring's median, half water or grass, it has more than a
    kelvin of contrast, and the shoreline gives it a crisp edge: it scored like a person. Over
    the warm surface alone it has the contrast of the texture it is, a person standing there
    that of a body."""
    cold = ring < np.quantile(ring, 0.75) - COLD_SURFACE_K
    if np.count_nonzero(cold) < COLD_SURFACE_SHARE * ring.size:
        return None
    return float(np.median(ring[~cold]))


def _blob(win: np.ndarray, x: int, y: int, floor_k: float) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) in the window of the blob around (x, y) at or above `floor_k`; None when it
    runs into the window's edge."""
    mask = (win >= floor_k).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    bx, by, bw, bh, _ = (int(v) for v in stats[labels[y, x]])
    if bx == 0 or by == 0 or bx + bw == win.shape[1] or by + bh == win.shape[0]:
        return None
    return bx, by, bw, bh


def _person_at(kelvin: np.ndarray, edges: np.ndarray, x: int, y: int, amplitude: float,
               reach: int, g: float, params: RadiometricParams) -> Detection | None:
    """The person whose peak is at (x, y), or None when the blob there is no person."""
    height, width = kelvin.shape
    x0, y0 = max(0, x - reach), max(0, y - reach)
    win = kelvin[y0: min(height, y + reach + 1), x0: min(width, x + reach + 1)]
    ring = _ring(win, x - x0, y - y0, math.ceil(GROUND_RING_M * g))
    ground = float(np.median(ring))
    peak = float(kelvin[y, x])
    contrast = peak - ground
    if contrast < params.min_contrast_k:
        return None
    if peak - float(np.quantile(ring, WARM_SIDE_QUANTILE)) < params.min_warm_side_k:
        return None  # the edge of a warm region (see WARM_SIDE_QUANTILE)
    warm_surface = _warm_surface(ring)
    if warm_surface is not None and peak - warm_surface < params.min_contrast_k:
        return None  # texture of the warm side of a shore or a roof's rim (`_warm_surface`)
    lo, hi = params.person_band_k  # the body temperatures explaining the peak (module doc)
    if ground + contrast / params.min_fill < lo or peak > hi:
        return None
    core = _blob(win, x - x0, y - y0, ground + contrast / 2)
    if core is None:
        return None  # part of something larger than the window: an edge, a roof, a road
    bx, by, bw, bh = core
    length_m = max(bw, bh) / g
    if length_m > params.max_length_m:
        return None
    side_px = max(2.0, params.body_m * g)
    wedges = edges[y0: y0 + win.shape[0], x0: x0 + win.shape[1]]
    edge = float(wedges[by: by + bh, bx: bx + bw].max())
    texture = float(np.median(wedges))
    evidence = (W_AMPLITUDE * amplitude + W_PEAK * (peak - WARM_K) + W_LENGTH * length_m
                + W_EDGE * edge + W_TEXTURE * texture + BIAS)
    score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, evidence))))
    if score < params.min_score:
        return None
    # The blob at half contrast can shrink to a pixel or two on the smallest people: the box is
    # at least the body's footprint, centred on the blob.
    cx, cy = x0 + bx + bw / 2, y0 + by + bh / 2
    half_w, half_h = max(bw, side_px) / 2, max(bh, side_px) / 2
    return Detection(label="person", score=score,
                     box=Box(x1=cx - half_w, y1=cy - half_h, x2=cx + half_w, y2=cy + half_h))


def ground_scale_by_row(alt_rel_m: float, depression_deg: float, focal_px: float,
                        cy_px: float, height_px: int) -> tuple[float, ...]:
    """Pixels per metre at each image row's ground point, for a camera `alt_rel_m` above flat
    ground looking `depression_deg` below the horizon (90: straight down; roll neglected);
    0 for rows at or above the horizon."""
    v = np.arange(height_px, dtype=float) + 0.5
    below = np.radians(depression_deg) + np.arctan((v - cy_px) / focal_px)
    seen = (below > np.radians(1.0)) & (below < np.radians(179.0))
    scale = np.where(seen, focal_px * np.sin(below) / max(alt_rel_m, 1e-3), 0.0)
    return tuple(float(s) for s in scale)
