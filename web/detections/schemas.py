"""What an onboard bridge posts to `/api/detections`, and what readers get back.

Ids are the vehicle's own (`uav0-thermal-1700000000.000000000-3`): the server keeps them as
idempotency keys, so they are restricted to characters safe in a URL path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Base64Bytes, BaseModel, ConfigDict, Field, model_validator

ITEM_ID = r"^[A-Za-z0-9._:-]+$"
LABEL = r"^[a-z][a-z0-9_]{0,39}$"
MAX_BATCH = 500
MAX_CROP_BYTES = 256 * 1024
JPEG_MAGIC = b"\xff\xd8"


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = Field(min_length=1, max_length=200, pattern=ITEM_ID,
                    description="the vehicle's id for this item; a resend with the same id is "
                                "acknowledged as a duplicate and stored once")
    vehicle_id: str = Field(min_length=1, max_length=64)
    label: str = Field(pattern=LABEL, description='"person", "fire", "smoke", ...')
    incident_id: str | None = Field(default=None, max_length=64,
                                    description="when the vehicle knows it; else the server "
                                                "fills in its current task's incident")


class DetectionIn(_Item):
    """One detector answer on one camera frame."""

    captured_at: AwareDatetime = Field(description="the frame's capture time")
    modality: Literal["thermal", "rgb"]
    score: float = Field(ge=0.0, le=1.0)
    box: tuple[float, float, float, float] = Field(
        description="x1, y1, x2, y2 in pixels (x1 <= x < x2, y1 <= y < y2)")
    image_width: int | None = Field(default=None, ge=1, le=100_000)
    image_height: int | None = Field(default=None, ge=1, le=100_000)
    crop_jpeg: Base64Bytes | None = Field(default=None,
                                          description="evidence: JPEG of the box, base64")

    @model_validator(mode="after")
    def _box_and_crop(self) -> DetectionIn:
        x1, y1, x2, y2 = self.box
        if not (0 <= x1 < x2 and 0 <= y1 < y2):
            raise ValueError(f"box must have 0 <= x1 < x2 and 0 <= y1 < y2, got {list(self.box)}")
        if self.image_width is not None and x2 > self.image_width:
            raise ValueError(f"box x2 {x2} is outside the image width {self.image_width}")
        if self.image_height is not None and y2 > self.image_height:
            raise ValueError(f"box y2 {y2} is outside the image height {self.image_height}")
        if self.crop_jpeg is not None:
            if len(self.crop_jpeg) > MAX_CROP_BYTES:
                raise ValueError(f"crop_jpeg is {len(self.crop_jpeg)} bytes; at most "
                                 f"{MAX_CROP_BYTES}")
            if not self.crop_jpeg.startswith(JPEG_MAGIC):
                raise ValueError("crop_jpeg is not a JPEG (no FF D8 start marker)")
        return self

    def event_data(self, *, incident_id: str | None, has_crop: bool) -> dict[str, Any]:
        return {
            "id": self.id, "vehicle_id": self.vehicle_id, "incident_id": incident_id,
            "captured_at": self.captured_at.isoformat(), "label": self.label,
            "modality": self.modality, "score": self.score, "box": list(self.box),
            "image_width": self.image_width, "image_height": self.image_height,
            "crop_url": f"/api/detections/{self.id}/crop" if has_crop else None,
        }


class ObjectIn(_Item):
    """A tracked object's state after the vehicle folded in a frame (one update of it)."""

    track_id: int = Field(ge=0, description="stable per vehicle tracker")
    evidence_at: AwareDatetime = Field(description="capture time of the confirming frame")
    lat_deg: float = Field(ge=-90.0, le=90.0)
    lon_deg: float = Field(ge=-180.0, le=180.0)
    alt_amsl_m: float | None = Field(default=None, ge=-500.0, le=10_000.0)
    sigma_major_m: float = Field(ge=0.0, le=100_000.0, description="one-sigma ellipse")
    sigma_minor_m: float = Field(ge=0.0, le=100_000.0)
    major_bearing_deg: float = Field(ge=0.0, lt=360.0, description="from north, clockwise")
    confidence: float = Field(ge=0.0, le=1.0)
    hits: int = Field(ge=1)
    evidence_detection_id: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _ellipse(self) -> ObjectIn:
        if self.sigma_minor_m > self.sigma_major_m:
            raise ValueError(f"sigma_minor_m {self.sigma_minor_m} exceeds sigma_major_m "
                             f"{self.sigma_major_m}")
        return self

    def event_data(self, *, incident_id: str | None) -> dict[str, Any]:
        return {
            "id": self.id, "object_id": f"{self.vehicle_id}/{self.track_id}",
            "vehicle_id": self.vehicle_id, "incident_id": incident_id,
            "track_id": self.track_id, "label": self.label,
            "geometry": {"type": "Point", "coordinates": [self.lon_deg, self.lat_deg]},
            "lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_amsl_m": self.alt_amsl_m,
            "sigma_major_m": self.sigma_major_m, "sigma_minor_m": self.sigma_minor_m,
            "major_bearing_deg": self.major_bearing_deg, "confidence": self.confidence,
            "hits": self.hits, "evidence_at": self.evidence_at.isoformat(),
            "evidence_detection_id": self.evidence_detection_id,
        }


class UplinkBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    detections: list[DetectionIn] = Field(default_factory=list, max_length=MAX_BATCH)
    objects: list[ObjectIn] = Field(default_factory=list, max_length=MAX_BATCH)


class UplinkResult(BaseModel):
    """Every posted id is in exactly one list: the bridge may forget all of them."""

    stored: list[str]
    duplicates: list[str]


class DetectionOut(BaseModel):
    seq: int = Field(description="of its `detection` event; pass as `since` for the next page")
    id: str
    vehicle_id: str
    incident_id: str | None
    captured_at: str
    label: str
    modality: str
    score: float
    box: list[float]
    image_width: int | None
    image_height: int | None
    crop_url: str | None


class ObjectOut(BaseModel):
    """A tracked object's latest state: the body of its last `object` event."""

    seq: int = Field(description="of that `object` event")
    id: str = Field(description="the update's id")
    object_id: str = Field(description='"<vehicle_id>/<track_id>"')
    vehicle_id: str
    incident_id: str | None
    track_id: int
    label: str
    geometry: dict[str, Any]
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float | None
    sigma_major_m: float
    sigma_minor_m: float
    major_bearing_deg: float
    confidence: float
    hits: int
    evidence_at: str
    evidence_detection_id: str | None
