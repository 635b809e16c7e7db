"""Orbit rings: photograph a point from several radii and heights (the traffic-evidence pattern).

The camera stays on the point (a region of interest), the gimbal is pitched to look at it from
each ring, and photos are taken at the bearings asked for (bearing from the point to the
vehicle), so an officer gets the same standard views at every incident.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mission.geodesy import Origin, en_to_latlon_list
from mission.items import Gimbal, MissionItem, RegionOfInterest, RoiNone, TakePhoto, Waypoint
from mission.plan import Plan


class OrbitError(ValueError):
    """A ring or bearing that cannot be flown; the message names the field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Ring:
    radius_m: float
    alt_m: float  #: above home


def gimbal_pitch_deg(radius_m: float, alt_m: float, target_alt_m: float = 0.0) -> float:
    """Pitch that points the camera from the ring at the target (negative: down)."""
    return -math.degrees(math.atan2(alt_m - target_alt_m, radius_m))


def orbit_rings(lat_deg: float, lon_deg: float, *, rings: Sequence[Ring],
                photo_bearings_deg: Sequence[float] = (0, 45, 90, 135, 180, 225, 270, 315),
                target_alt_m: float = 0.0, max_step_deg: float = 30.0) -> Plan:
    """Fly each ring clockwise, photographing at `photo_bearings_deg`; arcs between photos
    are flown through extra waypoints at most `max_step_deg` apart, so the path stays round."""
    if not rings:
        raise OrbitError("rings: give at least one ring")
    for k, r in enumerate(rings):
        if not r.radius_m > 0:
            raise OrbitError(f"rings[{k}].radius_m: {r.radius_m} m must be positive")
        if not r.alt_m > target_alt_m:
            raise OrbitError(f"rings[{k}].alt_m: {r.alt_m} m must be above the target")
    if not photo_bearings_deg:
        raise OrbitError("photo_bearings_deg: give at least one bearing")
    origin = Origin(lat_deg=lat_deg, lon_deg=lon_deg)
    shots = sorted({b % 360.0 for b in photo_bearings_deg})
    items: list[MissionItem] = [RegionOfInterest(lat_deg=lat_deg, lon_deg=lon_deg,
                                                 alt_m=target_alt_m)]
    for ring in rings:
        items.append(Gimbal(pitch_deg=gimbal_pitch_deg(ring.radius_m, ring.alt_m, target_alt_m)))
        for j, b in enumerate(shots):
            # From this shot to the next (none after the last), through arc points.
            arc = shots[j + 1] - b if j + 1 < len(shots) else 0.0
            steps = max(1, math.ceil(arc / max_step_deg))
            bearings = [b + arc * s / steps for s in range(steps)]
            pts = [(ring.radius_m * math.sin(math.radians(x)),
                    ring.radius_m * math.cos(math.radians(x))) for x in bearings]
            for k, (la, lo) in enumerate(en_to_latlon_list(pts, origin)):
                items.append(Waypoint(lat_deg=la, lon_deg=lo, alt_m=ring.alt_m))
                if k == 0:
                    items.append(TakePhoto())
    items.append(RoiNone())
    return Plan(items=tuple(items))
