"""Which vehicles to simulate and where they start: from a world file or around a home point.

The world file is the YAML `skywatch.layout.world_document()` writes (version 1): `home`,
`wind`, and `vehicles` with `name`, `kind` and the dock's `lat_deg` / `lon_deg`; optionally
what the cameras see (`terrain`, `ambient`, `objects`, `scenario`: `sim.scene`) and the
cameras themselves (`cameras`: `sim.camera`). Errors name
the field and the reason, so the command line can report them in one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.autopilot import VehicleKind
from sim.camera import CameraSet, camera_set_from_doc
from sim.dynamics import Wind
from sim.geo import Enu, Origin, enu_to_geodetic
from sim.scene import Scene, SceneError, empty_scene, scene_from_doc

WORLD_VERSION = 1
DEFAULT_HOME_ALT_AMSL_M = 10.0
SPACING_M = 10.0  #: vehicles without a world file stand on a grid this far apart
_KINDS: tuple[VehicleKind, ...] = ("multirotor", "rover")


class WorldError(ValueError):
    """A world or argument the simulator cannot use; the message names the field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleSpec:
    name: str
    kind: VehicleKind
    start: Origin


@dataclass(frozen=True, kw_only=True, slots=True)
class World:
    home: Origin
    wind: Wind
    vehicles: tuple[VehicleSpec, ...]  #: drones first, then rovers: instance order
    scene: Scene | None = None  #: what the cameras see; None: flat ground at home's altitude
    cameras: CameraSet = CameraSet()  #: each drone's RGB and thermal camera

    @property
    def scene_or_empty(self) -> Scene:
        return self.scene if self.scene is not None else empty_scene(self.home)


def check_lat_lon(lat_deg: float, lon_deg: float, field: str) -> None:
    if not (math.isfinite(lat_deg) and -90.0 <= lat_deg <= 90.0):
        raise WorldError(f"{field}: latitude {lat_deg:g} is outside -90..90")
    if not (math.isfinite(lon_deg) and -180.0 <= lon_deg <= 180.0):
        raise WorldError(f"{field}: longitude {lon_deg:g} is outside -180..180")


def parse_home(text: str) -> Origin:
    """`LAT,LON` or `LAT,LON,ALT_AMSL_M`."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (2, 3):
        raise WorldError(f"--home: expected LAT,LON[,ALT] but got {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise WorldError(f"--home: {text!r} is not numbers LAT,LON[,ALT]") from None
    check_lat_lon(values[0], values[1], "--home")
    alt = values[2] if len(values) == 3 else DEFAULT_HOME_ALT_AMSL_M
    return Origin(lat_deg=values[0], lon_deg=values[1], alt_amsl_m=alt)


def world_around_home(home: Origin, drones: int, rovers: int) -> World:
    """Vehicles on a 10 m grid east and north of home, five to a row."""
    specs = []
    for i in range(drones + rovers):
        p = enu_to_geodetic(Enu(east_m=(i % 5) * SPACING_M, north_m=(i // 5) * SPACING_M,
                                up_m=0.0), home)
        kind: VehicleKind = "multirotor" if i < drones else "rover"
        name = f"uav{i}" if i < drones else f"ugv{i - drones}"
        specs.append(VehicleSpec(name=name, kind=kind, start=Origin(
            lat_deg=p.lat_deg, lon_deg=p.lon_deg, alt_amsl_m=home.alt_amsl_m)))
    return World(home=home, wind=Wind(), vehicles=tuple(specs))


def load_world(path: Path, drones: int | None = None, rovers: int | None = None) -> World:
    """Read and check a world file; `drones` / `rovers` pick the first ones of each kind."""
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as e:
        raise WorldError(f"--world: cannot read {path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise WorldError(f"--world: {path} is not valid YAML ({e.__class__.__name__})") from None
    return world_from_doc(doc, drones, rovers)


def world_from_doc(doc: Any, drones: int | None = None, rovers: int | None = None) -> World:
    if not isinstance(doc, dict):
        raise WorldError("world: expected a mapping with version, home, vehicles")
    if doc.get("version") != WORLD_VERSION:
        raise WorldError(f"world.version: {doc.get('version')!r} is not supported "
                         f"(this simulator reads version {WORLD_VERSION})")
    home_doc = _mapping(doc.get("home"), "world.home")
    home = Origin(lat_deg=_number(home_doc, "lat_deg", "world.home"),
                  lon_deg=_number(home_doc, "lon_deg", "world.home"),
                  alt_amsl_m=float(home_doc.get("alt_amsl_m", DEFAULT_HOME_ALT_AMSL_M)))
    check_lat_lon(home.lat_deg, home.lon_deg, "world.home")
    wind_doc = _mapping(doc.get("wind", {}) or {}, "world.wind")
    wind = Wind.from_speed(float(wind_doc.get("speed_mps", 0.0)),
                           float(wind_doc.get("from_deg", 0.0)))
    raw = doc.get("vehicles")
    if not isinstance(raw, list):
        raise WorldError("world.vehicles: expected a list")
    specs = [_vehicle(v, f"world.vehicles[{i}]", home) for i, v in enumerate(raw)]
    by_kind = {k: [s for s in specs if s.kind == k] for k in _KINDS}
    chosen: list[VehicleSpec] = []
    for kind, wanted in (("multirotor", drones), ("rover", rovers)):
        have = by_kind[kind]
        if wanted is not None and wanted > len(have):
            raise WorldError(f"world.vehicles: {wanted} {kind}s asked for, the world has "
                             f"{len(have)}")
        chosen += have if wanted is None else have[:wanted]
    try:
        scene = scene_from_doc(doc, home)
        cameras = camera_set_from_doc(doc.get("cameras"))
    except (SceneError, ValueError) as e:
        raise WorldError(str(e)) from None
    return World(home=home, wind=wind, vehicles=tuple(chosen), scene=scene, cameras=cameras)


def _vehicle(v: Any, field: str, home: Origin) -> VehicleSpec:
    v = _mapping(v, field)
    kind = v.get("kind")
    if kind not in _KINDS:
        raise WorldError(f"{field}.kind: {kind!r} is not one of {', '.join(_KINDS)}")
    lat, lon = _number(v, "lat_deg", field), _number(v, "lon_deg", field)
    check_lat_lon(lat, lon, field)
    return VehicleSpec(name=str(v.get("name", field)), kind=kind,
                       start=Origin(lat_deg=lat, lon_deg=lon, alt_amsl_m=home.alt_amsl_m))


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WorldError(f"{field}: expected a mapping")
    return value


def _number(doc: dict[str, Any], key: str, field: str) -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WorldError(f"{field}.{key}: expected a number, got {value!r}")
    return float(value)
