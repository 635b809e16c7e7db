"""ROS messages to the items `POST /api/detections` takes (see `web/detections/schemas.py`).

Conversion happens once, when a message arrives, so the outbox holds exactly what will be sent
and a resend is byte for byte the same request. Boxes are clipped to the image, and what the
server would refuse anyway (an empty box) is dropped here with a reason instead of queued.
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime
from typing import Any

from builtin_interfaces.msg import Time
from skywatch_interfaces.msg import Detection, DetectionArray, GeolocatedObject

from skywatch_bridge.outbox import Item


def iso_utc(stamp: Time) -> str:
    return datetime.fromtimestamp(stamp.sec + stamp.nanosec * 1e-9, UTC).isoformat()


def stamp_text(stamp: Time) -> str:
    return f"{stamp.sec}.{stamp.nanosec:09d}"


def detection_items(msg: DetectionArray, vehicle_id: str) -> tuple[list[Item], list[str]]:
    """Items of one detector answer, and a reason for each detection dropped."""
    items: list[Item] = []
    dropped: list[str] = []
    width = int(msg.image_width) or None
    height = int(msg.image_height) or None
    for index, d in enumerate(msg.detections):
        ident = d.detection_id or (f"{vehicle_id}-{d.modality}-{stamp_text(msg.header.stamp)}"
                                   f"-{index}")
        body = _detection(d, ident, vehicle_id, msg.header.stamp, width, height)
        if isinstance(body, str):
            dropped.append(f"{ident}: {body}")
        else:
            items.append(Item(id=ident, kind="detections", body=body))
    return items, dropped


def _detection(d: Detection, ident: str, vehicle_id: str, stamp: Time, width: int | None,
               height: int | None) -> dict[str, Any] | str:
    x1, y1 = max(0.0, float(d.x1)), max(0.0, float(d.y1))
    x2 = min(float(d.x2), float(width)) if width else float(d.x2)
    y2 = min(float(d.y2), float(height)) if height else float(d.y2)
    if not (x1 < x2 and y1 < y2) or not all(map(math.isfinite, (x1, y1, x2, y2))):
        return f"empty box {[d.x1, d.y1, d.x2, d.y2]} in a {width}x{height} image"
    if not math.isfinite(d.score):
        return "score is not a number"
    body: dict[str, Any] = {
        "id": ident, "vehicle_id": vehicle_id, "label": d.label, "modality": d.modality,
        "score": round(min(max(float(d.score), 0.0), 1.0), 6),
        "captured_at": iso_utc(d.header.stamp if d.header.stamp.sec else stamp),
        "box": [round(v, 3) for v in (x1, y1, x2, y2)],
        "image_width": width, "image_height": height,
    }
    if len(d.crop_jpeg):
        body["crop_jpeg"] = base64.b64encode(bytes(d.crop_jpeg)).decode()
    return body


def object_item(o: GeolocatedObject, vehicle_id: str, stamp: Time) -> Item:
    """One update of a tracked object, named by its track and the frame that updated it."""
    ident = f"{vehicle_id}-object-{o.track_id}-{stamp_text(stamp)}"
    major = max(float(o.sigma_major_m), float(o.sigma_minor_m), 0.0)
    evidence = o.evidence_stamp if o.evidence_stamp.sec or o.evidence_stamp.nanosec else stamp
    body: dict[str, Any] = {
        "id": ident, "vehicle_id": vehicle_id, "track_id": int(o.track_id), "label": o.label,
        "evidence_at": iso_utc(evidence), "lat_deg": float(o.lat_deg),
        "lon_deg": float(o.lon_deg),
        "alt_amsl_m": float(o.alt_amsl_m) if math.isfinite(o.alt_amsl_m) else None,
        "sigma_major_m": round(major, 3), "sigma_minor_m": round(max(0.0, o.sigma_minor_m), 3),
        "major_bearing_deg": round(float(o.major_bearing_deg) % 360.0, 3) % 360.0,
        "confidence": round(min(max(float(o.confidence), 0.0), 1.0), 6),
        "hits": max(1, int(o.hits)),
        "evidence_detection_id": o.evidence_detection_id or None,
    }
    return Item(id=ident, kind="objects", body=body)
