"""The embedded default fleet: which vehicles `skywatch up` simulates, where their docks are.

One description feeds both sides of the MAVLink boundary: the simulator's world file (where each
vehicle starts) and the fleet file (how the server reaches it), so they cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SHENZHEN_LAT_DEG = 22.5431
SHENZHEN_LON_DEG = 114.0579
HOME_ALT_AMSL_M = 10.0
METRES_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True, kw_only=True, slots=True)
class DefaultVehicle:
    id: str
    name: str
    kind: str  #: "multirotor" | "rover"
    department: str
    capabilities: tuple[str, ...]
    east_m: float  #: dock offset from home
    north_m: float


# The first four drones and the first rover, as the fire brigade, traffic police and water
# authority share them in the default city; docks a few km apart so "nearest" means something.
_NAMED_DRONES = (
    DefaultVehicle(id="uav0", name="Fire 1", kind="multirotor", department="fire",
                   capabilities=("rgb", "thermal", "loudspeaker"), east_m=-900, north_m=-400),
    DefaultVehicle(id="uav1", name="Fire 2", kind="multirotor", department="fire",
                   capabilities=("rgb", "thermal", "drop"), east_m=2100, north_m=1500),
    DefaultVehicle(id="uav2", name="Traffic 1", kind="multirotor", department="traffic",
                   capabilities=("rgb", "zoom"), east_m=3200, north_m=-1100),
    DefaultVehicle(id="uav3", name="Water 1", kind="multirotor", department="water",
                   capabilities=("rgb", "thermal"), east_m=-1800, north_m=2800),
)
_NAMED_ROVERS = (
    DefaultVehicle(id="ugv0", name="Rescue robot 1", kind="rover", department="fire",
                   capabilities=("rgb", "thermal", "gas"), east_m=400, north_m=200),
)
_EXTRA_DRONE_CAPABILITIES = ("rgb", "thermal")


def default_vehicles(drones: int, rovers: int) -> list[DefaultVehicle]:
    """Drones first, then rovers (the simulator's instance order); extras on a 4 km ring."""
    out = list(_NAMED_DRONES[:drones])
    for i in range(len(out), drones):
        out.append(_ring_vehicle(f"uav{i}", f"Drone {i + 1}", "multirotor", i))
    out += _NAMED_ROVERS[:rovers]
    for i in range(len(_NAMED_ROVERS), rovers):
        out.append(_ring_vehicle(f"ugv{i}", f"Rescue robot {i + 1}", "rover", drones + i))
    return out


def _ring_vehicle(vid: str, name: str, kind: str, index: int) -> DefaultVehicle:
    bearing_rad = math.radians((index * 137.5) % 360)  # golden angle: no two docks coincide
    radius_m = 1500.0 + 250.0 * (index % 10)
    return DefaultVehicle(
        id=vid, name=name, kind=kind, department="fire", capabilities=_EXTRA_DRONE_CAPABILITIES,
        east_m=radius_m * math.sin(bearing_rad), north_m=radius_m * math.cos(bearing_rad),
    )


def dock_lat_lon_deg(
    v: DefaultVehicle, home_lat_deg: float, home_lon_deg: float
) -> tuple[float, float]:
    """Small offsets (a few km) on a local tangent plane: metre-level accuracy is plenty here."""
    lat = home_lat_deg + v.north_m / METRES_PER_DEG_LAT
    lon = home_lon_deg + v.east_m / (METRES_PER_DEG_LAT * math.cos(math.radians(home_lat_deg)))
    return round(lat, 7), round(lon, 7)


def world_document(
    vehicles: list[DefaultVehicle], home_lat_deg: float, home_lon_deg: float
) -> dict[str, Any]:
    """The simulator's world file: each vehicle starts on its dock."""
    entries = []
    for v in vehicles:
        lat, lon = dock_lat_lon_deg(v, home_lat_deg, home_lon_deg)
        entries.append({"name": v.id, "kind": v.kind, "lat_deg": lat, "lon_deg": lon})
    return {
        "version": 1,
        "home": {"lat_deg": home_lat_deg, "lon_deg": home_lon_deg, "alt_amsl_m": HOME_ALT_AMSL_M},
        "wind": {"speed_mps": 3.0, "from_deg": 90.0},
        "vehicles": entries,
    }


def fleet_document(
    vehicles: list[DefaultVehicle], home_lat_deg: float, home_lon_deg: float, base_port: int
) -> dict[str, Any]:
    """The server's fleet file: instance i is reached on UDP `base_port + i`, like PX4 SITL."""
    entries = []
    for i, v in enumerate(vehicles):
        lat, lon = dock_lat_lon_deg(v, home_lat_deg, home_lon_deg)
        entries.append({
            "id": v.id, "name": v.name, "kind": v.kind, "department": v.department,
            "url": f"udpin://0.0.0.0:{base_port + i}",
            "dock": {"id": f"dock-{v.id}", "lat_deg": lat, "lon_deg": lon},
            "capabilities": list(v.capabilities),
            "system_id": i + 1,
        })
    return {"version": 1, "vehicles": entries}
