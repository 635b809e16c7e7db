"""Synthetic frames with known truth: thermal (warm uneven ground, sensor noise, blurred
blobs) and RGB (dark upright people on a grey field).
"""

import cv2
import numpy as np

from perception.detection import Box


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


def draw_figure(frame: np.ndarray, cx: int, top: int, height_px: float) -> None:
    """A dark upright person, head to feet `height_px` tall, standing at column `cx`."""
    k = height_px / 170
    ink = (40, 40, 40)

    def at(dx: float, dy: float) -> tuple[int, int]:
        return round(cx + dx * k), round(top + dy * k)

    cv2.circle(frame, at(0, 12), round(11 * k), ink, -1)  # head
    cv2.rectangle(frame, at(-16, 25), at(16, 95), ink, -1)  # torso
    for dx in (-1, 1):
        cv2.line(frame, at(dx * 16, 30), at(dx * 26, 90), ink, round(8 * k))  # arms
        cv2.line(frame, at(dx * 8, 95), at(dx * 14, 170), ink, round(11 * k))  # legs


def window_box(cx: int, top: int, height_px: float) -> Box:
    """The SVM window around a person: 64x128 for 96 px of body, 16 px of it above the head."""
    k = height_px / 96
    return Box(x1=cx - 32 * k, y1=top - 16 * k, x2=cx + 32 * k, y2=top + 112 * k)


def two_people_frame() -> np.ndarray:
    """640x512 with a person 85 px tall at (150, 200) and one 255 px tall at (420, 80)."""
    frame = np.full((512, 640, 3), 200, np.uint8)
    frame = np.clip(frame + np.random.default_rng(0).normal(0, 6, frame.shape), 0, 255)
    frame = frame.astype(np.uint8)
    draw_figure(frame, 150, 200, 85)
    draw_figure(frame, 420, 80, 255)
    return cv2.GaussianBlur(frame, (0, 0), 1.5)
