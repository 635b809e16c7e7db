"""Synthetic thermal frames with known truth: warm uneven ground, sensor noise, blurred blobs."""

import cv2
import numpy as np


def thermal_ground(seed: int = 0, height: int = 512, width: int = 640) -> np.ndarray:
    """Ground with a gentle gradient, some texture and noise, as float (0..255 scale)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    ground = 90 + 30 * xx / width + 10 * yy / height
    texture = cv2.GaussianBlur(rng.normal(0, 12, (height, width)).astype(np.float32), (0, 0), 6)
    return ground + texture + rng.normal(0, 2.0, (height, width)).astype(np.float32)


def add_blob(frame: np.ndarray, x1: int, y1: int, w: int, h: int, delta: float) -> None:
    """An elliptic warm (delta > 0) body filling the box, softened like optics do."""
    mask = np.zeros(frame.shape, np.float32)
    cv2.ellipse(mask, ((x1 + w / 2, y1 + h / 2), (w * 0.8, h * 0.8), 0), 1.0, -1)
    frame += delta * cv2.GaussianBlur(mask, (0, 0), 1.0)


def to_uint8(frame: np.ndarray) -> np.ndarray:
    return np.clip(frame, 0, 255).astype(np.uint8)
