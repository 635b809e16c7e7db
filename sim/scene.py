"""What the cameras see: terrain, surfaces (water, roads, buildings) and objects with temperatures.

Read from the world file's `terrain`, `ambient`, `objects` and `scenario` keys (all optional, so
older world files still load). Everything is kept in local east-north-up metres around the
world's home (`sim.geo`, the same projection the vehicles fly in), so rendering needs no
geodesy per pixel; truth goes out again as latitude/longitude.

    terrain: {kind: flat, ground_amsl_m: 10}
    # or {kind: grid, origin_lat_deg, origin_lon_deg, spacing_m, heights_amsl_m: [[...]]}
    #    (rows go north, columns east, bilinear in between)
    ambient: {daytime: true, air_temp_k: 298}
    objects:
      - {kind: fire, lat_deg, lon_deg, radius_m: 4, temp_k: 850, growth_m_per_min: 0.5,
         smoke: true}
      - {kind: person, lat_deg, lon_deg, pose: standing | lying | in_water, heading_deg: 0}
      - {kind: car | boat | debris, lat_deg, lon_deg, heading_deg: 0}
      - {kind: water, polygon_lat_lon_deg: [[lat, lon], ...]}
      - {kind: road, line_lat_lon_deg: [[lat, lon], ...], width_m: 7}
      - {kind: building, polygon_lat_lon_deg: [[lat, lon], ...], height_m: 12}
    scenario:
      - {at_s: 120, object: {kind: fire, ...}}   # appears 120 sim seconds after start

Errors are `WorldError`s naming the field, e.g. `world.objects[3].radius_m: -2 is negative`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from sim.geo import Enu, Origin, enu_to_geodetic, geodetic_to_enu

PersonPose = Literal["standing", "lying", "in_water"]
SolidKind = Literal["person", "car", "boat", "debris"]
_POSES: tuple[PersonPose, ...] = ("standing", "lying", "in_water")

BODY_TEMP_K = 305.0
DEFAULT_FIRE_TEMP_K = 850.0
MAX_FIRE_TEMP_K = 1500.0

#: (length along the heading, width, height) in metres of each solid, as a box.
SOLID_SIZE_M: dict[str, tuple[float, float, float]] = {
    "person/standing": (0.45, 0.3, 1.75),
    "person/lying": (1.75, 0.5, 0.3),
    "person/in_water": (0.5, 0.45, 0.25),
    "car": (4.5, 1.8, 1.5),
    "boat": (5.0, 2.0, 0.8),
    "debris": (1.2, 0.8, 0.2),
}


class SceneError(ValueError):
    """A scene entry the simulator cannot use; the message names the field and the reason."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Fire:
    east_m: float
    north_m: float
    radius_m: float  #: at `appears_s`
    temp_k: float  #: of the flame core; the edge is cooler
    growth_m_per_min: float
    smoke: bool
    appears_s: float = 0.0

    def radius_at_m(self, t_s: float) -> float:
        return self.radius_m + self.growth_m_per_min * max(0.0, t_s - self.appears_s) / 60.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Solid:
    """A person, car, boat or debris: a box standing on the ground (or floating) at a heading."""

    kind: SolidKind
    pose: PersonPose | None  #: people only
    east_m: float
    north_m: float
    heading_deg: float
    temp_k: float
    appears_s: float = 0.0

    @property
    def label(self) -> str:
        return self.kind

    @property
    def size_m(self) -> tuple[float, float, float]:
        return SOLID_SIZE_M[f"person/{self.pose}" if self.kind == "person" else self.kind]


@dataclass(frozen=True, kw_only=True, slots=True)
class Water:
    polygon_en_m: tuple[tuple[float, float], ...]  #: (east, north) corners


@dataclass(frozen=True, kw_only=True, slots=True)
class Road:
    line_en_m: tuple[tuple[float, float], ...]
    width_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Building:
    polygon_en_m: tuple[tuple[float, float], ...]
    height_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class FlatGround:
    ground_amsl_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class GridGround:
    """Heights on a north/east grid whose row 0, column 0 sits at (`east0_m`, `north0_m`)."""

    east0_m: float
    north0_m: float
    spacing_m: float
    heights_amsl_m: tuple[tuple[float, ...], ...]


Ground = FlatGround | GridGround


@dataclass(frozen=True, kw_only=True, slots=True)
class Ambient:
    daytime: bool = True  #: sun-warmed ground and roads by day, cooler than water at night
    air_temp_k: float = 298.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Scene:
    origin: Origin  #: the world's home: every east/north here is from it
    ground: Ground
    ambient: Ambient = Ambient()
    fires: tuple[Fire, ...] = ()
    solids: tuple[Solid, ...] = ()
    water: tuple[Water, ...] = ()
    roads: tuple[Road, ...] = ()
    buildings: tuple[Building, ...] = ()

    def fires_at(self, t_s: float) -> tuple[Fire, ...]:
        return tuple(f for f in self.fires if f.appears_s <= t_s)

    def solids_at(self, t_s: float) -> tuple[Solid, ...]:
        return tuple(s for s in self.solids if s.appears_s <= t_s)

    def lat_lon_deg(self, east_m: float, north_m: float) -> tuple[float, float]:
        p = enu_to_geodetic(Enu(east_m=east_m, north_m=north_m, up_m=0.0), self.origin)
        return p.lat_deg, p.lon_deg


def empty_scene(origin: Origin) -> Scene:
    return Scene(origin=origin, ground=FlatGround(ground_amsl_m=origin.alt_amsl_m))


def scene_from_doc(doc: dict[str, Any], origin: Origin) -> Scene:
    """The scene part of a world document (`terrain`, `ambient`, `objects`, `scenario`)."""
    ground = _ground(doc.get("terrain"), origin)
    amb_doc = _mapping(doc.get("ambient") or {}, "world.ambient")
    daytime = amb_doc.get("daytime", True)
    if not isinstance(daytime, bool):
        raise SceneError(f"world.ambient.daytime: expected true or false, got {daytime!r}")
    air = _number(amb_doc, "air_temp_k", "world.ambient", 298.0)
    _range(air, 200.0, 350.0, "world.ambient.air_temp_k")
    ambient = Ambient(daytime=daytime, air_temp_k=air)
    raw = doc.get("objects") or []
    if not isinstance(raw, list):
        raise SceneError("world.objects: expected a list")
    entries = [(o, f"world.objects[{i}]", 0.0) for i, o in enumerate(raw)]
    scenario = doc.get("scenario") or []
    if not isinstance(scenario, list):
        raise SceneError("world.scenario: expected a list")
    for i, s in enumerate(scenario):
        f = f"world.scenario[{i}]"
        s = _mapping(s, f)
        at_s = _number(s, "at_s", f)
        if at_s < 0:
            raise SceneError(f"{f}.at_s: {at_s:g} is negative")
        entries.append((s.get("object"), f"{f}.object", at_s))
    parts: dict[str, list[Any]] = {"fire": [], "solid": [], "water": [], "road": [],
                                   "building": []}
    for obj, f, at_s in entries:
        kind, value = _object(obj, f, origin, at_s)
        parts[kind].append(value)
    return Scene(origin=origin, ground=ground, ambient=ambient, fires=tuple(parts["fire"]),
                 solids=tuple(parts["solid"]), water=tuple(parts["water"]),
                 roads=tuple(parts["road"]), buildings=tuple(parts["building"]))


def _ground(doc: Any, origin: Origin) -> Ground:
    if doc is None:
        return FlatGround(ground_amsl_m=origin.alt_amsl_m)
    doc = _mapping(doc, "world.terrain")
    kind = doc.get("kind", "flat")
    if kind == "flat":
        return FlatGround(ground_amsl_m=_number(doc, "ground_amsl_m", "world.terrain",
                                                origin.alt_amsl_m))
    if kind != "grid":
        raise SceneError(f"world.terrain.kind: {kind!r} is not one of flat, grid")
    lat, lon = _lat_lon(doc, "world.terrain", "origin_")
    spacing = _number(doc, "spacing_m", "world.terrain")
    if spacing <= 0:
        raise SceneError(f"world.terrain.spacing_m: {spacing:g} is not positive")
    rows = doc.get("heights_amsl_m")
    if (not isinstance(rows, list) or len(rows) < 2 or not all(isinstance(r, list) for r in rows)
            or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2):
        raise SceneError("world.terrain.heights_amsl_m: expected a list of at least 2 rows "
                         "of equal length (at least 2 each)")
    heights = []
    for i, r in enumerate(rows):
        for j, h in enumerate(r):
            if isinstance(h, bool) or not isinstance(h, int | float) or not math.isfinite(h):
                raise SceneError(f"world.terrain.heights_amsl_m[{i}][{j}]: expected a number, "
                                 f"got {h!r}")
        heights.append(tuple(float(h) for h in r))
    p = geodetic_to_enu(lat, lon, 0.0, origin)
    return GridGround(east0_m=p.east_m, north0_m=p.north_m, spacing_m=spacing,
                      heights_amsl_m=tuple(heights))


def _object(obj: Any, f: str, origin: Origin, at_s: float) -> tuple[str, Any]:
    obj = _mapping(obj, f)
    kind = obj.get("kind")
    if kind == "fire":
        e, n = _en(obj, f, origin)
        radius = _number(obj, "radius_m", f, 3.0)
        if radius <= 0:
            raise SceneError(f"{f}.radius_m: {radius:g} is not positive")
        temp = _number(obj, "temp_k", f, DEFAULT_FIRE_TEMP_K)
        _range(temp, 400.0, MAX_FIRE_TEMP_K, f"{f}.temp_k")
        growth = _number(obj, "growth_m_per_min", f, 0.0)
        if growth < 0:
            raise SceneError(f"{f}.growth_m_per_min: {growth:g} is negative")
        smoke = obj.get("smoke", True)
        if not isinstance(smoke, bool):
            raise SceneError(f"{f}.smoke: expected true or false, got {smoke!r}")
        return "fire", Fire(east_m=e, north_m=n, radius_m=radius, temp_k=temp,
                            growth_m_per_min=growth, smoke=smoke, appears_s=at_s)
    if kind in ("person", "car", "boat", "debris"):
        e, n = _en(obj, f, origin)
        pose = None
        if kind == "person":
            pose = obj.get("pose", "standing")
            if pose not in _POSES:
                raise SceneError(f"{f}.pose: {pose!r} is not one of {', '.join(_POSES)}")
        default_temp = {"person": BODY_TEMP_K, "car": 310.0, "boat": 300.0, "debris": 296.0}
        temp = _number(obj, "temp_k", f, default_temp[kind])
        _range(temp, 200.0, 400.0, f"{f}.temp_k")
        return "solid", Solid(kind=kind, pose=pose, east_m=e, north_m=n,
                              heading_deg=_number(obj, "heading_deg", f, 0.0), temp_k=temp,
                              appears_s=at_s)
    if kind in ("water", "building"):
        poly = _points(obj, "polygon_lat_lon_deg", f, origin, 3)
        if kind == "water":
            return "water", Water(polygon_en_m=poly)
        height = _number(obj, "height_m", f)
        if height <= 0:
            raise SceneError(f"{f}.height_m: {height:g} is not positive")
        return "building", Building(polygon_en_m=poly, height_m=height)
    if kind == "road":
        line = _points(obj, "line_lat_lon_deg", f, origin, 2)
        width = _number(obj, "width_m", f, 7.0)
        if width <= 0:
            raise SceneError(f"{f}.width_m: {width:g} is not positive")
        return "road", Road(line_en_m=line, width_m=width)
    raise SceneError(f"{f}.kind: {kind!r} is not one of fire, person, car, boat, debris, "
                     "water, road, building")


def _en(obj: dict[str, Any], f: str, origin: Origin) -> tuple[float, float]:
    lat, lon = _lat_lon(obj, f, "")
    p = geodetic_to_enu(lat, lon, origin.alt_amsl_m, origin)
    return p.east_m, p.north_m


def _lat_lon(obj: dict[str, Any], f: str, prefix: str) -> tuple[float, float]:
    lat = _number(obj, f"{prefix}lat_deg", f)
    lon = _number(obj, f"{prefix}lon_deg", f)
    _range(lat, -90.0, 90.0, f"{f}.{prefix}lat_deg")
    _range(lon, -180.0, 180.0, f"{f}.{prefix}lon_deg")
    return lat, lon


def _points(obj: dict[str, Any], key: str, f: str, origin: Origin,
            at_least: int) -> tuple[tuple[float, float], ...]:
    raw = obj.get(key)
    if not isinstance(raw, list) or len(raw) < at_least:
        raise SceneError(f"{f}.{key}: expected a list of at least {at_least} [lat, lon] pairs")
    out = []
    for i, pt in enumerate(raw):
        g = f"{f}.{key}[{i}]"
        if (not isinstance(pt, list | tuple) or len(pt) != 2
                or any(isinstance(x, bool) or not isinstance(x, int | float) for x in pt)):
            raise SceneError(f"{g}: expected [lat, lon] numbers, got {pt!r}")
        _range(float(pt[0]), -90.0, 90.0, f"{g} latitude")
        _range(float(pt[1]), -180.0, 180.0, f"{g} longitude")
        p = geodetic_to_enu(float(pt[0]), float(pt[1]), 0.0, origin)
        out.append((p.east_m, p.north_m))
    return tuple(out)


def _range(value: float, lo: float, hi: float, f: str) -> None:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise SceneError(f"{f}: {value:g} is outside {lo:g}..{hi:g}")


def _mapping(value: Any, f: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SceneError(f"{f}: expected a mapping")
    return value


def _number(doc: dict[str, Any], key: str, f: str, default: float | None = None) -> float:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SceneError(f"{f}.{key}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise SceneError(f"{f}.{key}: {value!r} is not finite")
    return float(value)
