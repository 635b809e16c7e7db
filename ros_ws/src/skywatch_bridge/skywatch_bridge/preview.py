"""Live camera previews for the console: each camera's newest frame, downscaled, as a JPEG
with the detector's boxes on it, posted about twice a second to
`POST /api/vehicles/{id}/camera` (see `web/camera/`).

Unlike detections, previews are not store-and-forward: a picture is worth showing only now, so
one that cannot be sent is dropped and the next one tried. A frame goes out with the boxes the
detector found on that very frame (matched by camera and capture stamp; the detector answers
every frame, an empty array meaning "looked, nothing"), so boxes never drift off their objects.
Until a camera's detector has answered once, its frames go out without boxes.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from sensor_msgs.msg import Image
from skywatch_interfaces.msg import DetectionArray
from skywatch_perception.evidence import crop_jpeg
from skywatch_perception.images import image_to_array

from perception.detection import BadImage, Box
from skywatch_bridge.client import GroundClient, LinkDown, Refused
from skywatch_bridge.items import iso_utc

FRAMES_KEPT = 8  #: per camera: enough to wait for the detector's answer on one of them
ANSWERS_KEPT = 64
Key = tuple[str, int, int]  #: camera frame_id, stamp sec, stamp nanosec


def preview_body(image: np.ndarray, *, modality: str, captured_at: str,
                 boxes: list[tuple[str, float, tuple[float, float, float, float]]],
                 max_width_px: int, quality: int) -> dict[str, Any]:
    """The request body for one frame: shrunk to `max_width_px` wide (never enlarged), 8-bit
    (thermal stretched to the frame's own range, as evidence crops are), boxes scaled alike."""
    height, width = image.shape[:2]
    scale = min(1.0, max_width_px / width)
    out_w, out_h = max(1, round(width * scale)), max(1, round(height * scale))
    small = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_AREA) if scale < 1 else image
    jpeg = crop_jpeg(small, Box(x1=0, y1=0, x2=out_w, y2=out_h), margin_px=0, quality=quality)
    scaled = []
    for label, score, (x1, y1, x2, y2) in boxes:
        sx1, sy1 = max(0.0, x1 * scale), max(0.0, y1 * scale)
        sx2, sy2 = min(float(out_w), x2 * scale), min(float(out_h), y2 * scale)
        if sx1 < sx2 and sy1 < sy2:
            scaled.append({"label": label, "score": round(min(max(score, 0.0), 1.0), 4),
                           "box": [round(v, 2) for v in (sx1, sy1, sx2, sy2)]})
    return {"modality": modality, "captured_at": captured_at, "width": out_w, "height": out_h,
            "jpeg": base64.b64encode(jpeg).decode(), "boxes": scaled}


def _key(msg: Image | DetectionArray) -> Key:
    return (msg.header.frame_id, msg.header.stamp.sec, msg.header.stamp.nanosec)


class PreviewFeed:
    """Fed by the node's image and detection callbacks; `run` posts from its own thread."""

    def __init__(self, client: GroundClient, vehicle_id: str,
                 log: Callable[[str, str], None], *, period_s: float = 0.5,
                 max_width_px: int = 320, quality: int = 70) -> None:
        self._client = client
        self._vehicle_id = vehicle_id
        self._log = log
        self._period_s = period_s
        self._max_width_px = max_width_px
        self._quality = quality
        self._lock = threading.Lock()
        self._frames: dict[str, deque[Image]] = {}
        self._answers: OrderedDict[Key, DetectionArray] = OrderedDict()
        self._answered_cameras: set[str] = set()
        self._sent: dict[str, Key] = {}
        self._failing = False

    def on_image(self, modality: str, msg: Image) -> None:
        with self._lock:
            self._frames.setdefault(modality, deque(maxlen=FRAMES_KEPT)).append(msg)

    def on_detections(self, msg: DetectionArray) -> None:
        with self._lock:
            self._answers[_key(msg)] = msg
            self._answered_cameras.add(msg.header.frame_id)
            while len(self._answers) > ANSWERS_KEPT:
                self._answers.popitem(last=False)

    def due(self) -> list[tuple[str, Image, DetectionArray | None]]:
        """Per camera, the newest frame not sent yet that can go: one the detector answered,
        or any while its detector has never answered."""
        chosen = []
        with self._lock:
            for modality, frames in self._frames.items():
                for msg in reversed(frames):
                    key = _key(msg)
                    if key == self._sent.get(modality):
                        break
                    answer = self._answers.get(key)
                    if answer is not None or msg.header.frame_id not in self._answered_cameras:
                        chosen.append((modality, msg, answer))
                        self._sent[modality] = key
                        break
        return chosen

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self._period_s):
            for modality, msg, answer in self.due():
                self._send(modality, msg, answer)

    def _send(self, modality: str, msg: Image, answer: DetectionArray | None) -> None:
        try:
            image = image_to_array(msg)
        except BadImage as e:
            self._log("warning", f"preview of {modality} not sent: {e}")
            return
        boxes = [(d.label, float(d.score), (float(d.x1), float(d.y1), float(d.x2), float(d.y2)))
                 for d in (answer.detections if answer is not None else [])]
        body = preview_body(image, modality=modality, captured_at=iso_utc(msg.header.stamp),
                            boxes=boxes, max_width_px=self._max_width_px, quality=self._quality)
        try:
            self._client.post_preview(self._vehicle_id, body)
        except (LinkDown, Refused) as e:
            if not self._failing:  # once per outage, not twice a second
                self._log("warning", f"camera preview not delivered: {e}")
            self._failing = True
            return
        if self._failing:
            self._log("info", "camera preview delivered again")
        self._failing = False
