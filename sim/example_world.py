"""The example scene `skywatch up` simulates: two fires, five people and a reservoir by the docks.

Placed between home and the first fire drone's dock (900 m west, 400 m south of home), so a
drone that takes off there sees something within a minute:

- a grass fire 300 m east of that dock (4 m, growing 0.5 m/min, smoking) and a shed fire
  beside a building further north-east (2 m, 900 K);
- a reservoir (about 240 × 160 m) north of the dock with a boat, floating debris and one
  person in the water;
- four people on land: two standing near the grass fire, one lying by the road, one standing
  beside the shed fire;
- a road from the dock towards home with a car on it.

`example_scene_document(home_lat_deg, home_lon_deg)` returns the world-file keys (`terrain`,
`ambient`, `objects`, `scenario`) to merge into `skywatch.layout.world_document()`'s mapping.
"""

from __future__ import annotations

import math
from typing import Any

METRES_PER_DEG_LAT = 111_320.0

#: (kind, east_m, north_m, extra fields) from home; the dock of uav0 is at (-900, -400).
_OBJECTS: tuple[tuple[str, float, float, dict[str, Any]], ...] = (
    ("fire", -600.0, -420.0, {"radius_m": 4.0, "temp_k": 850.0, "growth_m_per_min": 0.5,
                              "smoke": True}),
    ("fire", -470.0, -250.0, {"radius_m": 2.0, "temp_k": 900.0, "growth_m_per_min": 0.2,
                              "smoke": True}),
    ("person", -585.0, -400.0, {"pose": "standing"}),
    ("person", -620.0, -445.0, {"pose": "standing", "heading_deg": 40.0}),
    ("person", -700.0, -372.0, {"pose": "lying", "heading_deg": 80.0}),
    ("person", -490.0, -262.0, {"pose": "standing", "heading_deg": 10.0}),
    ("person", -880.0, -150.0, {"pose": "in_water"}),
    ("boat", -940.0, -110.0, {"heading_deg": 30.0}),
    ("debris", -860.0, -170.0, {"heading_deg": 70.0}),
    ("car", -760.0, -390.0, {"heading_deg": 90.0}),
)
_RESERVOIR_EN_M = ((-1020.0, -240.0), (-780.0, -240.0), (-760.0, -120.0), (-860.0, -80.0),
                   (-1000.0, -90.0))
_ROAD_EN_M = ((-900.0, -390.0), (-500.0, -390.0), (0.0, -100.0))
_BUILDING_EN_M = ((-470.0, -240.0), (-440.0, -240.0), (-440.0, -215.0), (-470.0, -215.0))


def _lat_lon(home_lat_deg: float, home_lon_deg: float, east_m: float,
             north_m: float) -> list[float]:
    lat = home_lat_deg + north_m / METRES_PER_DEG_LAT
    lon = home_lon_deg + east_m / (METRES_PER_DEG_LAT * math.cos(math.radians(home_lat_deg)))
    return [round(lat, 7), round(lon, 7)]


def example_scene_document(home_lat_deg: float, home_lon_deg: float,
                           ground_amsl_m: float = 10.0) -> dict[str, Any]:
    """World-file keys for the example scene around this home (see the module docstring)."""
    objects: list[dict[str, Any]] = []
    for kind, east, north, extra in _OBJECTS:
        lat, lon = _lat_lon(home_lat_deg, home_lon_deg, east, north)
        objects.append({"kind": kind, "lat_deg": lat, "lon_deg": lon, **extra})
    objects.append({"kind": "water", "polygon_lat_lon_deg": [
        _lat_lon(home_lat_deg, home_lon_deg, e, n) for e, n in _RESERVOIR_EN_M]})
    objects.append({"kind": "road", "width_m": 7.0, "line_lat_lon_deg": [
        _lat_lon(home_lat_deg, home_lon_deg, e, n) for e, n in _ROAD_EN_M]})
    objects.append({"kind": "building", "height_m": 9.0, "polygon_lat_lon_deg": [
        _lat_lon(home_lat_deg, home_lon_deg, e, n) for e, n in _BUILDING_EN_M]})
    return {
        "terrain": {"kind": "flat", "ground_amsl_m": ground_amsl_m},
        "ambient": {"daytime": True, "air_temp_k": 298.0},
        "objects": objects,
        "scenario": [],
    }
