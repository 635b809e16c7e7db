"""What an onboard bridge posts as a camera preview, and what a console reads back."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import AwareDatetime, Base64Bytes, BaseModel, ConfigDict, Field, model_validator

from web.camera.relay import FrameBox, Preview
from web.detections.schemas import JPEG_MAGIC, LABEL

#: A downscaled preview (e.g. 320x256 at quality 70) is 10-30 kB; this leaves room, no more.
MAX_PREVIEW_BYTES = 256 * 1024
MAX_PREVIEW_PX = 1920
MAX_BOXES = 200

Modality = Literal["thermal", "rgb"]


class BoxIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    label: str = Field(pattern=LABEL)
    score: float = Field(ge=0.0, le=1.0)
    box: tuple[float, float, float, float] = Field(
        description="x1, y1, x2, y2 in the preview's pixels")


class PreviewIn(BaseModel):
    """One preview frame of one camera, with the detector's boxes on it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    modality: Modality
    captured_at: AwareDatetime = Field(description="the camera frame's capture time")
    width: int = Field(ge=1, le=MAX_PREVIEW_PX, description="of the JPEG, pixels")
    height: int = Field(ge=1, le=MAX_PREVIEW_PX)
    jpeg: Base64Bytes = Field(description="the preview image, JPEG, base64")
    boxes: list[BoxIn] = Field(default_factory=list, max_length=MAX_BOXES)

    @model_validator(mode="after")
    def _image_and_boxes(self) -> PreviewIn:
        if len(self.jpeg) > MAX_PREVIEW_BYTES:
            raise ValueError(f"jpeg is {len(self.jpeg)} bytes; at most {MAX_PREVIEW_BYTES} "
                             "(send a smaller preview)")
        if not self.jpeg.startswith(JPEG_MAGIC):
            raise ValueError("jpeg is not a JPEG (no FF D8 start marker)")
        for i, b in enumerate(self.boxes):
            x1, y1, x2, y2 = b.box
            if not (0 <= x1 < x2 <= self.width and 0 <= y1 < y2 <= self.height):
                raise ValueError(f"boxes[{i}] {list(b.box)} is not inside the "
                                 f"{self.width}x{self.height} preview")
        return self

    def frame_boxes(self) -> tuple[FrameBox, ...]:
        return tuple(FrameBox(label=b.label, score=b.score, box=b.box) for b in self.boxes)


class PreviewAccepted(BaseModel):
    frame: int | None = Field(description="the relay's number for it; null when a newer "
                                          "frame of this camera was already there")


class BoxOut(BaseModel):
    label: str
    score: float
    box: tuple[float, float, float, float]


class PreviewOut(BaseModel):
    frame: int = Field(description="pass as `after` to be answered 204 until a newer one")
    vehicle_id: str
    modality: str
    captured_at: str = Field(description="ISO 8601, UTC: latency is now minus this")
    received_at: str
    width: int
    height: int
    boxes: list[BoxOut]
    jpeg: str = Field(description="base64 JPEG")

    @classmethod
    def from_domain(cls, p: Preview) -> PreviewOut:
        return cls(frame=p.frame, vehicle_id=p.vehicle_id, modality=p.modality,
                   captured_at=p.captured_at.isoformat(), received_at=p.received_at.isoformat(),
                   width=p.width, height=p.height,
                   boxes=[BoxOut(label=b.label, score=b.score, box=b.box) for b in p.boxes],
                   jpeg=base64.b64encode(p.jpeg).decode())
