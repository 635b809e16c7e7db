"""What every detector returns, and the one interface they share."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np


class Modality(StrEnum):
    RGB = "rgb"
    THERMAL = "thermal"


@dataclass(frozen=True, kw_only=True, slots=True)
class Box:
    """Pixel box, corners inclusive-exclusive like NumPy slices: x1 <= x < x2, y1 <= y < y2."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def area_px(self) -> float:
        return max(0.0, self.x2 - self.x1) * max(0.0, self.y2 - self.y1)

    @property
    def center_px(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)

    def cut_by_frame(self, width_px: int, height_px: int) -> bool:
        """Whether the box reaches the image's border (within half a pixel): the object may go
        on beyond it, so the box's centre, or its lowest edge, need not be the object's."""
        return (self.x1 < 0.5 or self.y1 < 0.5 or self.x2 > width_px - 0.5
                or self.y2 > height_px - 0.5)

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = self.area_px + other.area_px - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Detection:
    label: str  #: "person", "fire", "smoke"
    score: float  #: 0..1, higher is more certain
    box: Box


class Detector(Protocol):
    """`detect(image, modality)`: classical and learned detectors alike.

    Images are NumPy arrays: RGB as HxWx3 uint8 (RGB order), thermal as HxW uint8 or uint16.
    A detector that does not handle a modality returns no detections for it.
    """

    def detect(self, image: np.ndarray, modality: Modality) -> list[Detection]: ...


class BadImage(ValueError):
    """The image cannot be used (empty, truncated, wrong shape or type); says which."""


def check_image(image: np.ndarray, modality: Modality) -> None:
    """Refuse what no detector can read, naming the problem, before any maths runs on it."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise BadImage("image is empty")
    if modality is Modality.THERMAL and image.ndim != 2:
        raise BadImage(f"thermal image must be HxW, got shape {image.shape}")
    if modality is Modality.RGB and (image.ndim != 3 or image.shape[2] != 3):
        raise BadImage(f"RGB image must be HxWx3, got shape {image.shape}")
    if image.dtype not in (np.uint8, np.uint16):
        raise BadImage(f"image dtype must be uint8 or uint16, got {image.dtype}")
