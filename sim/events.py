"""What a vehicle has to tell its ground stations, queued by the autopilot for the MAVLink shell."""

from __future__ import annotations

from dataclasses import dataclass

from sim.geo import LatLonAlt

SEVERITY_CRITICAL = 2
SEVERITY_WARNING = 4
SEVERITY_INFO = 6


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusText:
    severity: int  #: MAV_SEVERITY
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemReached:
    seq: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionCurrentChanged:
    seq: int


@dataclass(frozen=True, kw_only=True, slots=True)
class HeartbeatNow:
    """Armed state or mode changed: ground stations read both only from the heartbeat."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PhotoTaken:
    index: int
    position: LatLonAlt
    alt_rel_m: float


Event = StatusText | ItemReached | MissionCurrentChanged | HeartbeatNow | PhotoTaken
