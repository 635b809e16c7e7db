"""The latest camera preview of each vehicle's cameras, held in memory.

A preview is a view, not a record: only the newest frame per camera matters, it is worthless a
few seconds later, and the detections it shows are stored on their own (`/api/detections`).
So frames go neither to the event log nor to the database; a restart simply shows no picture
until the next frame arrives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class FrameBox:
    label: str
    score: float
    box: tuple[float, float, float, float]  #: x1, y1, x2, y2 in the preview's pixels


@dataclass(frozen=True, kw_only=True, slots=True)
class Preview:
    frame: int  #: increases with every preview the relay takes, across cameras
    vehicle_id: str
    modality: str
    captured_at: datetime  #: the camera frame's capture time (vehicle clock, UTC)
    received_at: datetime  #: when the server took it
    width: int
    height: int
    boxes: tuple[FrameBox, ...]
    jpeg: bytes


class CameraRelay:
    def __init__(self) -> None:
        self._latest: dict[tuple[str, str], Preview] = {}
        self._frames = itertools.count(1)

    def put(self, *, vehicle_id: str, modality: str, captured_at: datetime,
            received_at: datetime, width: int, height: int, boxes: tuple[FrameBox, ...],
            jpeg: bytes) -> Preview | None:
        """Keep the preview unless the camera already sent a newer one (frames can overtake
        each other on a bad link); returns it as kept, or None when it was older."""
        key = (vehicle_id, modality)
        current = self._latest.get(key)
        if current is not None and current.captured_at >= captured_at:
            return None
        preview = Preview(frame=next(self._frames), vehicle_id=vehicle_id, modality=modality,
                          captured_at=captured_at, received_at=received_at, width=width,
                          height=height, boxes=boxes, jpeg=jpeg)
        self._latest[key] = preview
        return preview

    def latest(self, vehicle_id: str, modality: str) -> Preview | None:
        return self._latest.get((vehicle_id, modality))
