"""Evidence for the operator: the detected box, with some context, as a small JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from perception.detection import Box


def crop_jpeg(image: np.ndarray, box: Box, margin_px: int = 8, quality: int = 85) -> bytes:
    """The box plus `margin_px` on every side (clipped to the frame), 8-bit, JPEG-encoded.

    16-bit thermal crops are stretched to their own minimum and maximum, so a warm person stays
    visible whatever the scene's range; RGB stays RGB (encoded as OpenCV's BGR).
    """
    height, width = image.shape[:2]
    x1 = max(0, int(np.floor(box.x1)) - margin_px)
    y1 = max(0, int(np.floor(box.y1)) - margin_px)
    x2 = min(width, int(np.ceil(box.x2)) + margin_px)
    y2 = min(height, int(np.ceil(box.y2)) + margin_px)
    crop = image[y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]
    if crop.dtype != np.uint8:
        lo, hi = float(crop.min()), float(crop.max())
        crop = ((crop.astype(np.float32) - lo) * (255.0 / max(hi - lo, 1.0))).astype(np.uint8)
    if crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding failed for a {crop.shape} crop")
    return encoded.tobytes()
