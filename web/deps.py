"""What the handlers need, named once (STYLE.md rule 12).

The app holds the fleet registry, the event log and the WebSocket fan-out on `app.state`; handlers
ask for them by these names instead of reaching into globals, so a test builds a second app on
its own registry and event log without interference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Protocol

from fastapi import Depends
from fastapi.requests import HTTPConnection

from fleet.events import EventLog
from fleet.model import Command, CommandResult, VehicleSpec, VehicleState
from web.events.fanout import Fanout
from web.events.scoping import DepartmentOf
from web.settings import Settings


class Fleet(Protocol):
    """The part of `fleet.registry.FleetRegistry` the web layer uses."""

    def specs(self) -> Sequence[VehicleSpec]: ...

    def state(self, vehicle_id: str) -> VehicleState: ...

    def states(self) -> Sequence[VehicleState]: ...

    async def command(self, vehicle_id: str, command: Command) -> CommandResult: ...


def get_fleet(conn: HTTPConnection) -> Fleet:
    fleet: Fleet = conn.app.state.fleet
    return fleet


def get_events(conn: HTTPConnection) -> EventLog:
    events: EventLog = conn.app.state.events
    return events


def get_fanout(conn: HTTPConnection) -> Fanout:
    fanout: Fanout = conn.app.state.fanout
    return fanout


def get_department_of(conn: HTTPConnection) -> DepartmentOf:
    department_of: DepartmentOf = conn.app.state.department_of
    return department_of


def get_settings(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.settings
    return settings


FleetDep = Annotated[Fleet, Depends(get_fleet)]
EventsDep = Annotated[EventLog, Depends(get_events)]
FanoutDep = Annotated[Fanout, Depends(get_fanout)]
DepartmentOfDep = Annotated[DepartmentOf, Depends(get_department_of)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
