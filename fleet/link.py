"""The narrow interface between the fleet and one vehicle, whatever speaks to it.

Like free_fleet's RobotAdapter: a short list of operations the fleet needs, implemented once
per stack (`fleet.mavsdk_link` for MAVLink autopilots: the built-in simulator, PX4 and
ArduPilot SITL, real aircraft). Nothing here blocks the fleet: `connect` returns at once and
link changes arrive through the callbacks the link was built with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from fleet.model import Command, CommandResult, LinkState, Telemetry, VehicleSpec
from mission.formats.mavlink import MissionItemInt

TelemetryCallback = Callable[[Telemetry], None]
LinkCallback = Callable[[LinkState, str], None]


class VehicleLink(Protocol):
    spec: VehicleSpec

    async def connect(self) -> None:
        """Start linking in the background; never waits for the vehicle."""

    async def close(self) -> None: ...

    async def execute(self, command: Command) -> CommandResult:
        """Run one operator command; refusals and timeouts come back as `ok=False`."""

    async def upload_mission(self, items: Sequence[MissionItemInt]) -> CommandResult:
        """Upload MAVLink-level items (lossless round trip); `mission/` builds them from plans."""

    async def download_mission(self) -> list[MissionItemInt]: ...

    async def clear_mission(self) -> CommandResult: ...

    async def set_parameter(self, name: str, value: int | float) -> CommandResult:
        """Set an autopilot parameter (an `int` value sets an integer parameter)."""


LinkFactory = Callable[[VehicleSpec, TelemetryCallback, LinkCallback], VehicleLink]
