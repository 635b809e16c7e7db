"""Mission items as a vehicle stores them: every MISSION_ITEM_INT field except the addressing.

Stored exactly as received so a download returns what was uploaded, byte for byte.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.geo import Enu, Origin, geodetic_to_enu

MISSION_TYPE_MISSION = 0
MISSION_TYPE_FENCE = 1
MISSION_TYPE_RALLY = 2

FRAME_GLOBAL = 0
FRAME_GLOBAL_RELATIVE_ALT = 3
FRAME_GLOBAL_INT = 5
FRAME_GLOBAL_RELATIVE_ALT_INT = 6
FRAME_GLOBAL_TERRAIN_ALT = 10
FRAME_GLOBAL_TERRAIN_ALT_INT = 11
_AMSL_FRAMES = frozenset({FRAME_GLOBAL, FRAME_GLOBAL_INT})


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionItem:
    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int  #: latitude, degE7 (or a local x for local frames)
    y: int  #: longitude, degE7
    z: float  #: altitude in the item's frame, m
    mission_type: int

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7

    @property
    def has_position(self) -> bool:
        return not (self.x == 0 and self.y == 0)


def item_alt_rel_m(item: MissionItem, home: Origin) -> float | None:
    """Altitude above home; None when the item does not set one (NaN)."""
    if not math.isfinite(item.z):
        return None
    if item.frame in _AMSL_FRAMES:
        return item.z - home.alt_amsl_m
    return item.z  # relative (and terrain, which is flat here) frames


def item_enu(item: MissionItem, home: Origin) -> Enu | None:
    """Horizontal position of an item around home (up = rel. altitude, 0 if unset)."""
    if not item.has_position:
        return None
    p = geodetic_to_enu(item.lat_deg, item.lon_deg, home.alt_amsl_m, home)
    return Enu(east_m=p.east_m, north_m=p.north_m, up_m=item_alt_rel_m(item, home) or 0.0)
