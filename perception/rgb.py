"""Classical RGB detectors: fire and smoke by colour and texture, people by OpenCV's HOG+SVM.

Fire is bright, saturated and red-to-yellow, with red above green above blue; smoke is a
low-saturation grey-white haze whose fine texture is weaker than that of the walls and shelves
it covers. Pixels passing those tests are closed into regions; each large enough region is a
box scored by how much of it passes and how strongly. Colour rules cannot tell a sunset or an
orange jacket from a fire, or a white wall from smoke: they serve as a fallback and a baseline,
and precision on fire-free scenes is unmeasured (the dev set holds no negatives).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from perception.detection import Box, Detection, Modality, check_image
from perception.nms import non_max_suppression
from perception.thermal import PERSON_SIZE_M


@dataclass(frozen=True, kw_only=True, slots=True)
class FireSmokeParams:
    fire_min_value: int = 150  #: HSV value (0..255) of flame pixels
    fire_min_saturation: int = 50
    fire_max_hue: int = 35  #: OpenCV hue is 0..180: 35 is ~70 degrees, yellow
    smoke_max_saturation: int = 60
    smoke_min_value: int = 110
    smoke_max_texture: float = 30.0  #: local gradient magnitude haze keeps below
    min_area_frac: float = 0.004  #: regions smaller than this part of the frame are dropped
    nms_iou: float = 0.4


class FireSmokeDetector:
    """`Detector` for RGB frames: `fire` and `smoke` regions from colour and texture."""

    def __init__(self, params: FireSmokeParams | None = None) -> None:
        self.params = params or FireSmokeParams()

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        if modality is not Modality.RGB:
            return []
        check_image(image, modality)
        rgb = image if image.dtype == np.uint8 else (image // 257).astype(np.uint8)
        fire, smoke = colour_masks(rgb, self.params)
        dets = _regions(fire, "fire", self.params) + _regions(smoke, "smoke", self.params)
        return non_max_suppression(dets, self.params.nms_iou)


def colour_masks(rgb: np.ndarray, p: FireSmokeParams) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel fire and smoke evidence in 0..1 (float32)."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    return masks_from_planes(rgb, hsv, gradient_magnitude(rgb), p)


def gradient_magnitude(rgb: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of the grey image (0..255 scale), float32."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy)


def masks_from_planes(rgb: np.ndarray, hsv: np.ndarray, gradient: np.ndarray,
                      p: FireSmokeParams) -> tuple[np.ndarray, np.ndarray]:
    """`colour_masks` from planes the caller already has (the learned model needs them too)."""
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    r, g, b = (rgb[:, :, k].astype(np.int16) for k in range(3))
    fire = ((val >= p.fire_min_value) & (sat >= p.fire_min_saturation)
            & ((hue <= p.fire_max_hue) | (hue >= 160)) & (r > g) & (r > b + 30))
    # A flame's white-hot core is unsaturated; count it when it touches flame colour.
    core = (val >= 235) & (r >= g) & (r >= b)
    near_fire = cv2.dilate(fire.astype(np.uint8), np.ones((21, 21), np.uint8)) > 0
    fire = fire | (core & near_fire)
    texture = cv2.blur(gradient, (9, 9))
    smoke = ((sat <= p.smoke_max_saturation) & (val >= p.smoke_min_value)
             & (texture <= p.smoke_max_texture) & ~fire)
    return fire.astype(np.float32), smoke.astype(np.float32)


def _regions(mask: np.ndarray, label: str, p: FireSmokeParams) -> list[Detection]:
    h, w = mask.shape
    k = max(3, int(0.02 * max(h, w)) | 1)
    closed = cv2.morphologyEx((mask > 0).astype(np.uint8), cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    out = []
    for x, y, bw, bh, area in stats[1:n]:
        if area < p.min_area_frac * h * w:
            continue
        fill = float(mask[y : y + bh, x : x + bw].mean())
        size = min(1.0, area / (0.05 * h * w))
        out.append(Detection(label=label, score=float(np.clip(0.5 * fill + 0.5 * size, 0, 1)),
                             box=Box(x1=float(x), y1=float(y), x2=float(x + bw),
                                     y2=float(y + bh))))
    return out


#: The default people SVM's 64x128 window holds a person about 96 px tall (Dalal-Triggs).
WINDOW_PERSON_PX = 96.0
#: People expected smaller than the window are searched on an upscaled frame; the cost grows
#: with the square of the factor and HOG sees little in a person under ~48 px, so it is capped.
MAX_UPSCALE = 2.0
#: Hits a cluster needs beyond the first to count: OpenCV's default (2) is for a pyramid 1.05
#: apart, where a person lights several levels; with levels 1.4 apart one neighbour suffices.
GROUP_MIN = 1


#: How tall a standing person looks where HOG can find one, seen 30-45 degrees below the
#: horizon: 1.75 m of body and a little ground show as 1.45-1.67 m across the line of sight.
UPRIGHT_SEEN_M = 1.55


#: The shortest person HOG finds: the window's on a frame upscaled as far as it goes.
SMALLEST_PERSON_PX = WINDOW_PERSON_PX / MAX_UPSCALE
#: How far from the expected size `HogPersonDetector` searches by default (+-30 %).
SIZE_BAND = 0.3


def hog_can_find(person_px: tuple[float, float]) -> bool:
    """Whether a person of about `person_px` (a standing person's box, `upright_person_px`)
    is within what HOG can find. From 60 m a person is 1-2 px tall in a wide RGB frame: HOG
    would spend most of a frame's CPU time there finding nothing."""
    return person_px[1] * (1 + SIZE_BAND) >= SMALLEST_PERSON_PX


def upright_person_px(person_px: tuple[float, float]) -> tuple[float, float]:
    """HOG's person size from the box `person_size_px` gives, which is sized for a person seen
    from above (0.95 m, as HIT-UAV draws them): a standing person seen obliquely is taller."""
    k = UPRIGHT_SEEN_M / PERSON_SIZE_M[1]
    return (person_px[0] * k, person_px[1] * k)


class HogPersonDetector:
    """`Detector` for RGB frames: `person` with OpenCV's pedestrian HOG+SVM (Dalal-Triggs).

    Trained on upright pedestrians seen from the side; from a drone it finds people only at
    low altitude and oblique view, and misses people lying down.

    Its cost is the image pyramid, so it searches only the sizes it expects: given `person_px`
    (the (width, height) of a person's box, from the pose and lens: `person_size_px`) the
    frame is resized once so that a person of the band's smallest size fills the window, and
    the pyramid stops after the levels (`level_step` apart) that reach the band's largest.
    Large people are thus searched on a reduced frame, and people far outside the band are
    not found. Without a size it searches people from the window's own 96 px up to the frame
    height, on the frame as it is.
    """

    def __init__(self, person_px: tuple[float, float] | None = None, *,
                 size_band: float = SIZE_BAND, level_step: float = 1.4, min_score: float = 0.3,
                 nms_iou: float = 0.4) -> None:
        if not 0 < size_band < 1 or level_step <= 1:
            raise ValueError(f"size_band must be in (0, 1) and level_step above 1, got "
                             f"{size_band}, {level_step}")
        self.factor, self.step, levels = 1.0, level_step, 64
        if person_px is not None:
            h_px = person_px[1]
            if not math.isfinite(h_px) or h_px <= 0:
                raise ValueError(f"person_px height must be a positive number, got {h_px}")
            span = (1 + size_band) / (1 - size_band)
            levels = max(1, math.ceil(math.log(span) / math.log(level_step)))
            self.step = span ** (1 / levels)
            # Each level covers a step around its centre; the first is centred half a step
            # above the band's smallest person.
            smallest_centre = (1 - size_band) * h_px * math.sqrt(self.step)
            self.factor = min(MAX_UPSCALE, WINDOW_PERSON_PX / smallest_centre)
        d = cv2.HOGDescriptor()
        self._hog = cv2.HOGDescriptor(d.winSize, d.blockSize, d.blockStride, d.cellSize,
                                      d.nbins, d.derivAperture, d.winSigma,
                                      d.histogramNormType, d.L2HysThreshold,
                                      d.gammaCorrection, levels, d.signedGradient)
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.min_score = min_score
        self.nms_iou = nms_iou

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]:
        if modality is not Modality.RGB:
            return []
        check_image(image, modality)
        rgb = image if image.dtype == np.uint8 else (image // 257).astype(np.uint8)
        s = self.factor
        if s != 1.0:
            rgb = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1
                             else cv2.INTER_LINEAR)
        rects, weights = self._hog.detectMultiScale(rgb, winStride=(8, 8), padding=(8, 8),
                                                    scale=self.step, groupThreshold=GROUP_MIN)
        dets = []
        for (x, y, w, h), svm in zip(rects, np.ravel(weights), strict=True):
            score = float(1.0 / (1.0 + np.exp(-float(svm))))  # SVM margin to 0..1
            if score < self.min_score:
                continue
            dets.append(Detection(label="person", score=score, box=Box(
                x1=float(x / s), y1=float(y / s), x2=float((x + w) / s), y2=float((y + h) / s))))
        return non_max_suppression(dets, self.nms_iou)
