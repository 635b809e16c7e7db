"""The narrow interface between the fleet and one vehicle, whatever speaks to it.

Like free_fleet's RobotAdapter: a short list of operations the fleet needs, implemented once
per stack (`fleet.mavsdk_link` for MAVLink autopilots: the built-in simulator, PX4 and
ArduPilot SITL, real aircraft). Nothing here blocks the fleet: `connect` returns at once and
link changes arrive through the callbacks the link was built with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from fleet.model import Command, CommandResult, LinkState, Telemetry, VehicleSpec

TelemetryCallback = Callable[[Telemetry], None]
LinkCallback = Callable[[LinkState, str], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionRawItem:
    """One MAVLink MISSION_ITEM_INT, field for field, so a round trip through a vehicle is
    lossless; `mission/` converts typed plans to and from these."""

    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int  #: latitude in degE7 for global frames
    y: int  #: longitude in degE7 for global frames
    z: float  #: altitude in metres, datum given by `frame`
    mission_type: int = 0  #: 0 mission, 1 fence, 2 rally


class VehicleLink(Protocol):
    spec: VehicleSpec

    async def connect(self) -> None:
        """Start linking in the background; never waits for the vehicle."""

    async def close(self) -> None: ...

    async def execute(self, command: Command) -> CommandResult:
        """Run one operator command; refusals and timeouts come back as `ok=False`."""

    async def upload_mission(self, items: Sequence[MissionRawItem]) -> CommandResult: ...

    async def download_mission(self) -> list[MissionRawItem]: ...

    async def clear_mission(self) -> CommandResult: ...

    async def set_parameter(self, name: str, value: int | float) -> CommandResult:
        """Set an autopilot parameter (an `int` value sets an integer parameter)."""


LinkFactory = Callable[[VehicleSpec, TelemetryCallback, LinkCallback], VehicleLink]
