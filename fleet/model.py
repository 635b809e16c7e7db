"""Plain values the fleet, its links and the web layer exchange.

Units and datums live in the field names (DESIGN.md): raw MAVLink integers never travel past a
link module, and "not known" is `None`, never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal


class VehicleKind(StrEnum):
    MULTIROTOR = "multirotor"
    ROVER = "rover"


class LinkState(StrEnum):
    """What the link to a vehicle asks of the operator."""

    CONNECTING = "connecting"  #: not heard yet; wait, or check the vehicle's URL
    CONNECTED = "connected"  #: telemetry is flowing
    LOST = "lost"  #: was connected, now silent; the vehicle's own failsafe is in charge


class LandedState(StrEnum):
    UNKNOWN = "unknown"
    ON_GROUND = "on_ground"
    IN_AIR = "in_air"
    TAKING_OFF = "taking_off"
    LANDING = "landing"


@dataclass(frozen=True, kw_only=True, slots=True)
class Dock:
    """Where a vehicle lives between missions ("drone-in-a-box" or a rover garage)."""

    id: str
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleSpec:
    """A vehicle as described in the fleet file: who it is and how to reach it."""

    id: str
    name: str
    kind: VehicleKind
    department: str
    url: str  #: MAVSDK connection URL, e.g. "udpin://0.0.0.0:14540"
    dock: Dock
    capabilities: frozenset[str] = field(default_factory=frozenset)
    #: MAVLink system id when known (PX4 SITL instance i: i + 1); lets links share resources.
    system_id: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Position:
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Telemetry:
    """One coherent snapshot of a vehicle, as the fleet knows it at `t_s` (monotonic seconds)."""

    vehicle_id: str
    t_s: float
    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_amsl_m: float | None = None
    alt_rel_m: float | None = None
    heading_deg: float | None = None
    ground_speed_mps: float | None = None
    climb_mps: float | None = None
    battery_pct: float | None = None
    armed: bool = False
    flight_mode: str = "unknown"
    landed_state: LandedState = LandedState.UNKNOWN
    gps_fix: bool = False
    home: Position | None = None
    mission_current: int | None = None
    mission_total: int | None = None


# Commands: a tagged union, one small value per operator action (STYLE.md rule 4).


@dataclass(frozen=True, kw_only=True, slots=True)
class Arm:
    kind: Literal["arm"] = "arm"


@dataclass(frozen=True, kw_only=True, slots=True)
class Disarm:
    kind: Literal["disarm"] = "disarm"


@dataclass(frozen=True, kw_only=True, slots=True)
class Takeoff:
    alt_rel_m: float
    kind: Literal["takeoff"] = "takeoff"


@dataclass(frozen=True, kw_only=True, slots=True)
class Goto:
    lat_deg: float
    lon_deg: float
    alt_rel_m: float
    kind: Literal["goto"] = "goto"


@dataclass(frozen=True, kw_only=True, slots=True)
class Hold:
    kind: Literal["hold"] = "hold"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReturnToLaunch:
    kind: Literal["rtl"] = "rtl"


@dataclass(frozen=True, kw_only=True, slots=True)
class Land:
    kind: Literal["land"] = "land"


@dataclass(frozen=True, kw_only=True, slots=True)
class StartMission:
    kind: Literal["mission_start"] = "mission_start"


@dataclass(frozen=True, kw_only=True, slots=True)
class PauseMission:
    kind: Literal["mission_pause"] = "mission_pause"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleasePayload:
    kind: Literal["payload_release"] = "payload_release"


@dataclass(frozen=True, kw_only=True, slots=True)
class Loudspeaker:
    on: bool
    kind: Literal["loudspeaker"] = "loudspeaker"


@dataclass(frozen=True, kw_only=True, slots=True)
class TakePhoto:
    kind: Literal["photo"] = "photo"


Command = (
    Arm
    | Disarm
    | Takeoff
    | Goto
    | Hold
    | ReturnToLaunch
    | Land
    | StartMission
    | PauseMission
    | ReleasePayload
    | Loudspeaker
    | TakePhoto
)


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandResult:
    """The vehicle's answer. `ok=False` carries the vehicle's (or the link's) reason."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleState:
    """What the fleet knows about one vehicle right now: its description, link and telemetry."""

    spec: VehicleSpec
    link: LinkState
    telemetry: Telemetry | None  #: None until the first message arrives
    updated_at: datetime | None  #: UTC time of the last telemetry update


def telemetry_event_data(t: Telemetry) -> dict[str, Any]:
    """The body of a `telemetry` event: the names the API and the console use (GeoJSON-free)."""
    return {
        "vehicle_id": t.vehicle_id,
        "lat": t.lat_deg,
        "lon": t.lon_deg,
        "alt_rel_m": t.alt_rel_m,
        "alt_amsl_m": t.alt_amsl_m,
        "heading_deg": t.heading_deg,
        "speed_mps": t.ground_speed_mps,
        "climb_mps": t.climb_mps,
        "battery_pct": t.battery_pct,
        "armed": t.armed,
        "flight_mode": t.flight_mode,
        "landed_state": t.landed_state.value,
        "gps_fix": t.gps_fix,
        "mission_current": t.mission_current,
        "mission_total": t.mission_total,
    }
