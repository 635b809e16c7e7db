"""Fixed-length descriptions of thermal spots, shared by the learned detector and its training.

Each spot becomes two windows of the contrast map centred on its peak (the spot at twice the
expected person size, and its context at four times), resampled to fixed grids, plus its
contrast. Contrast is already in units of the local background spread, so the same person looks
the same by day and by night and at any sensor bit depth; the windows scale with the expected
person size, so the classifier sees people at the same size at any altitude. The whole map is
resampled once per frame and windows are gathered from it in one indexing step, so two hundred
spots cost about a millisecond.
"""

from __future__ import annotations

import cv2
import numpy as np

from perception.thermal import ContrastMaps

SPOT_GRID = (16, 24)  #: (columns, rows) sampled over 2x the person box
CONTEXT_GRID = (12, 16)  #: over 4x the person box
N_SCALARS = 2
N_FEATURES = SPOT_GRID[0] * SPOT_GRID[1] + CONTEXT_GRID[0] * CONTEXT_GRID[1] + N_SCALARS
CLIP_Z = 8.0


def peak_features(maps: ContrastMaps, peaks_xy: np.ndarray, person_px: tuple[float, float],
                  mirror: bool = False) -> np.ndarray:
    """(len(peaks), N_FEATURES) float32; `mirror` flips the windows left-right (augmentation)."""
    pw, ph = person_px
    peaks = np.asarray(peaks_xy, dtype=np.int64).reshape(-1, 2)
    detail = np.clip(maps.detail.astype(np.float32), -CLIP_Z, CLIP_Z) / 4.0
    near = _windows(detail, peaks, (2 * pw, 2 * ph), SPOT_GRID)
    far = _windows(detail, peaks, (4 * pw, 4 * ph), CONTEXT_GRID)
    if mirror:
        near, far = near[:, :, ::-1], far[:, :, ::-1]
    xs, ys = peaks[:, 0], peaks[:, 1]
    scalars = np.stack([np.clip(maps.z[ys, xs], -CLIP_Z, CLIP_Z) / 4.0, detail[ys, xs]], axis=1)
    return np.concatenate([near.reshape(len(peaks), -1), far.reshape(len(peaks), -1),
                           scalars], axis=1).astype(np.float32)


def _windows(image: np.ndarray, peaks: np.ndarray, size_px: tuple[float, float],
             grid: tuple[int, int]) -> np.ndarray:
    """(N, rows, cols) windows of `size_px` around each peak, area-resampled to `grid`."""
    gw, gh = grid
    sx, sy = gw / size_px[0], gh / size_px[1]
    h, w = image.shape
    small = cv2.resize(image, (max(1, round(w * sx)), max(1, round(h * sy))),
                       interpolation=cv2.INTER_AREA)
    padded = cv2.copyMakeBorder(small, gh, gh, gw, gw, cv2.BORDER_REPLICATE)
    cx = np.floor((peaks[:, 0] + 0.5) * sx).astype(np.int64) + gw
    cy = np.floor((peaks[:, 1] + 0.5) * sy).astype(np.int64) + gh
    rows = (cy - gh // 2)[:, None] + np.arange(gh)[None, :]
    cols = (cx - gw // 2)[:, None] + np.arange(gw)[None, :]
    return padded[rows[:, :, None], cols[:, None, :]]
