"""Fixed-length descriptions of thermal spots, shared by the learned detector and its training.

Each spot becomes two resampled windows of the contrast map centred on its peak (the spot at
twice the expected person size, and its context at four times), plus a few shape numbers.
Contrast is already in units of the local background spread, so the same person looks the
same by day and by night and at any sensor bit depth; the windows scale with the expected
person size, so the classifier sees people at the same size at any altitude.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from perception.thermal import ContrastMaps, Spot

SPOT_GRID = (16, 24)  #: (columns, rows) sampled over 2x the person box
CONTEXT_GRID = (12, 16)  #: over 4x the person box
N_SCALARS = 5
N_FEATURES = SPOT_GRID[0] * SPOT_GRID[1] + CONTEXT_GRID[0] * CONTEXT_GRID[1] + N_SCALARS
CLIP_Z = 8.0


def spot_features(maps: ContrastMaps, spots: Sequence[Spot], person_px: tuple[float, float],
                  mirror: bool = False) -> np.ndarray:
    """(len(spots), N_FEATURES) float32; `mirror` flips the windows left-right (augmentation)."""
    pw, ph = person_px
    out = np.zeros((len(spots), N_FEATURES), np.float32)
    detail = maps.detail.astype(np.float32)
    n_spot = SPOT_GRID[0] * SPOT_GRID[1]
    for i, s in enumerate(spots):
        centre = (float(s.peak_xy[0]), float(s.peak_xy[1]))
        near = _window(detail, centre, (2 * pw, 2 * ph), SPOT_GRID)
        far = _window(detail, centre, (4 * pw, 4 * ph), CONTEXT_GRID)
        if mirror:
            near, far = near[:, ::-1], far[:, ::-1]
        bw, bh = s.blob_size_px
        out[i, :n_spot] = near.ravel()
        out[i, n_spot:-N_SCALARS] = far.ravel()
        out[i, -N_SCALARS:] = (
            np.clip(s.z, -CLIP_Z, CLIP_Z) / 4.0,
            np.log(max(s.blob_area_px, 1) / (pw * ph)),
            bw / pw,
            bh / ph,
            np.clip(float(detail[s.peak_xy[1], s.peak_xy[0]]), -CLIP_Z, CLIP_Z) / 4.0,
        )
    return out


def _window(image: np.ndarray, centre: tuple[float, float], size_px: tuple[float, float],
            grid: tuple[int, int]) -> np.ndarray:
    w, h = max(2, round(size_px[0])), max(2, round(size_px[1]))
    patch = cv2.getRectSubPix(image, (w, h), centre)
    patch = cv2.resize(patch, grid, interpolation=cv2.INTER_AREA)
    return np.clip(patch, -CLIP_Z, CLIP_Z) / 4.0
