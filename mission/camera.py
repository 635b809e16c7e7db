"""Camera geometry: ground sample distance, footprint, line spacing and trigger distance.

A survey's line spacing and photo interval follow from the camera and the overlaps asked for,
so planners take a `Camera` and percentages rather than raw spacings. Nadir pointing over
flat ground; the image's long side lies across the track (QGroundControl's "landscape").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class CameraError(ValueError):
    """A camera or overlap figure that cannot produce a plan; the message names the field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Camera:
    name: str
    kind: Literal["rgb", "thermal"]
    sensor_width_mm: float
    sensor_height_mm: float
    focal_length_mm: float
    image_width_px: int
    image_height_px: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Footprint:
    across_track_m: float  #: image width on the ground, perpendicular to the flight line
    along_track_m: float  #: image height on the ground, along the flight line


#: Common drone cameras by name. Sensor sizes from the makers' data sheets; thermal cores from
#: their pixel pitch (12 µm or 17 µm) times resolution.
CAMERAS: dict[str, Camera] = {
    c.name: c
    for c in (
        Camera(name="dji-phantom4-pro", kind="rgb", sensor_width_mm=13.2, sensor_height_mm=8.8,
               focal_length_mm=8.8, image_width_px=5472, image_height_px=3648),
        Camera(name="dji-mavic3-enterprise", kind="rgb", sensor_width_mm=17.3,
               sensor_height_mm=13.0, focal_length_mm=12.29, image_width_px=5280,
               image_height_px=3956),
        Camera(name="dji-zenmuse-p1-35mm", kind="rgb", sensor_width_mm=35.9,
               sensor_height_mm=24.0, focal_length_mm=35.0, image_width_px=8192,
               image_height_px=5460),
        Camera(name="dji-mavic2-pro", kind="rgb", sensor_width_mm=13.2, sensor_height_mm=8.8,
               focal_length_mm=10.26, image_width_px=5472, image_height_px=3648),
        Camera(name="dji-zenmuse-h20t-thermal", kind="thermal", sensor_width_mm=7.68,
               sensor_height_mm=6.144, focal_length_mm=13.5, image_width_px=640,
               image_height_px=512),
        Camera(name="dji-mavic3-thermal", kind="thermal", sensor_width_mm=7.68,
               sensor_height_mm=6.144, focal_length_mm=9.1, image_width_px=640,
               image_height_px=512),
        Camera(name="flir-vue-pro-640-13mm", kind="thermal", sensor_width_mm=10.88,
               sensor_height_mm=8.704, focal_length_mm=13.0, image_width_px=640,
               image_height_px=512),
    )
}

DEFAULT_CAMERA = "dji-mavic3-enterprise"


def camera_by_name(name: str) -> Camera:
    try:
        return CAMERAS[name]
    except KeyError:
        known = ", ".join(sorted(CAMERAS))
        raise CameraError(f"camera: unknown camera {name!r}; known: {known}") from None


def _check_alt(alt_m: float) -> None:
    if not alt_m > 0:
        raise CameraError(f"alt_m: {alt_m} m is not above the ground")


def _check_pct(field: str, pct: float) -> None:
    if not 0 <= pct < 100:
        raise CameraError(f"{field}: {pct} % must be at least 0 and below 100")


def gsd_cm(camera: Camera, alt_m: float) -> float:
    """Ground sample distance in centimetres per pixel at `alt_m` above the ground."""
    _check_alt(alt_m)
    return camera.sensor_width_mm * alt_m * 100.0 / (camera.focal_length_mm * camera.image_width_px)


def alt_for_gsd_m(camera: Camera, gsd_cm_px: float) -> float:
    """The height above ground that gives `gsd_cm_px` centimetres per pixel."""
    if not gsd_cm_px > 0:
        raise CameraError(f"gsd_cm: {gsd_cm_px} cm/px must be positive")
    px_per_mm = camera.image_width_px / camera.sensor_width_mm
    return gsd_cm_px / 100.0 * camera.focal_length_mm * px_per_mm


def footprint(camera: Camera, alt_m: float) -> Footprint:
    _check_alt(alt_m)
    scale = alt_m / camera.focal_length_mm
    return Footprint(across_track_m=camera.sensor_width_mm * scale,
                     along_track_m=camera.sensor_height_mm * scale)


def line_spacing_m(camera: Camera, alt_m: float, sidelap_pct: float) -> float:
    """Distance between adjacent flight lines that leaves `sidelap_pct` shared between images."""
    _check_pct("sidelap_pct", sidelap_pct)
    return footprint(camera, alt_m).across_track_m * (1.0 - sidelap_pct / 100.0)


def trigger_distance_m(camera: Camera, alt_m: float, overlap_pct: float) -> float:
    """Distance flown between photos that leaves `overlap_pct` shared between consecutive ones."""
    _check_pct("overlap_pct", overlap_pct)
    return footprint(camera, alt_m).along_track_m * (1.0 - overlap_pct / 100.0)
