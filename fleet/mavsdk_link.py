"""A vehicle link over MAVSDK 4.x (asyncio), with MAVSDK's raw command channel for what its
typed plugins lack (payload release, loudspeaker, photo).

Every vehicle has its own connection (URL, port). Vehicles whose MAVLink system id is given in
the fleet file share MAVSDK instances, 16 to an instance, and are told apart by that id;
a vehicle without one gets a private instance, since real aircraft often all use system id 1.
MAVSDK crashes at interpreter exit with 20 or more instances in one process (MAVSDK notes), so
large fleets should list system ids.

Telemetry is read from MAVSDK's cache on a timer (see `_poll_telemetry` for why) and handed
on as a frozen `Telemetry`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import mavsdk
from mavsdk.asyncio import ComponentType, Configuration, Mavsdk, System
from mavsdk.asyncio.plugins.action import ActionAsync, ActionError
from mavsdk.asyncio.plugins.mavlink_direct import (
    MavlinkDirectAsync,
    MavlinkDirectError,
    MavlinkMessage,
)
from mavsdk.asyncio.plugins.mission_raw import MissionItem, MissionRawAsync, MissionRawError
from mavsdk.asyncio.plugins.param import ParamAsync, ParamError
from mavsdk.asyncio.plugins.telemetry import TelemetryAsync
from mavsdk.plugins.mission_raw.mission_raw import MissionRaw
from mavsdk.plugins.telemetry.telemetry import Telemetry as TelemetryPlugin

from fleet.link import LinkCallback, TelemetryCallback
from fleet.model import (
    Arm,
    Command,
    CommandResult,
    Disarm,
    Goto,
    Hold,
    Land,
    LandedState,
    LinkState,
    Loudspeaker,
    PauseMission,
    Position,
    ReleasePayload,
    ReturnToLaunch,
    StartMission,
    Takeoff,
    TakePhoto,
    Telemetry,
    VehicleSpec,
)
from mission.formats.mavlink import MissionItemInt

log = logging.getLogger(__name__)

#: The simulator's documented loudspeaker command (MAV_CMD_USER_1, param1 1 on / 0 off).
MAV_CMD_USER_1_LOUDSPEAKER = 31010
MAV_CMD_DO_GRIPPER = 211
MAV_CMD_IMAGE_START_CAPTURE = 2000
GRIPPER_RELEASE = 0
MAV_RESULTS = {0: "accepted", 1: "temporarily rejected", 2: "denied", 3: "unsupported",
               4: "failed", 5: "in progress", 6: "cancelled"}
LINK_POLL_S = 0.25
POLL_PERIOD_S = 0.05
#: A STATUSTEXT this recent is taken as the vehicle's reason for refusing a command.
REASON_WINDOW_S = 3.0
_LANDED = {
    "UNKNOWN": LandedState.UNKNOWN, "ON_GROUND": LandedState.ON_GROUND,
    "IN_AIR": LandedState.IN_AIR, "TAKING_OFF": LandedState.TAKING_OFF,
    "LANDING": LandedState.LANDING,
}


def _configure_mavsdk_process() -> None:
    """Once per process: route libcmavsdk's own log lines to `logging` instead of stdout, and
    give the asyncio wrapper enough executor threads (each MAVSDK call holds one while it
    waits for an ACK, up to 2 s on a silent vehicle)."""
    mavsdk.log_subscribe(lambda level, message, *_: log.debug("mavsdk: %s", message) or True)
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))


_configured_loops: set[int] = set()

#: Vehicles per shared MAVSDK instance: well under the 20 instances per process at which
#: MAVSDK crashes at exit, and under its 32-per-instance comfort zone (MAVSDK notes).
VEHICLES_PER_INSTANCE = 16


class _SharedInstances:
    """MAVSDK instances shared by vehicles whose system id is known, so that a large fleet
    needs one instance per 16 vehicles instead of one each. Each vehicle still has its own
    connection (port); its system is told apart by id."""

    def __init__(self) -> None:
        self._users: dict[Mavsdk, int] = {}

    def acquire(self) -> Mavsdk:
        for instance, users in self._users.items():
            if users < VEHICLES_PER_INSTANCE:
                self._users[instance] = users + 1
                return instance
        instance = _new_instance()
        self._users[instance] = 1
        return instance

    def release(self, instance: Mavsdk) -> None:
        self._users[instance] -= 1
        if self._users[instance] == 0:
            del self._users[instance]
            instance.destroy()


_shared: dict[int, _SharedInstances] = {}  # per event loop


def _new_instance() -> Mavsdk:
    return Mavsdk(Configuration.create_with_component_type(ComponentType.GROUND_STATION))


class MavsdkLink:
    """One vehicle over MAVSDK. Build with the callbacks; `connect()` starts everything."""

    def __init__(self, spec: VehicleSpec, on_telemetry: TelemetryCallback,
                 on_link: LinkCallback) -> None:
        self.spec = spec
        self._on_telemetry = on_telemetry
        self._on_link = on_link
        self._mavsdk: Mavsdk | None = None
        self._shared: _SharedInstances | None = None
        self._connection: object = None
        self._system: System | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._link = LinkState.CONNECTING
        self._t = Telemetry(vehicle_id=spec.id, t_s=time.monotonic())
        self._last_text: tuple[float, str] = (0.0, "")

    async def connect(self) -> None:
        loop_id = id(asyncio.get_running_loop())
        if loop_id not in _configured_loops:
            _configure_mavsdk_process()
            _configured_loops.add(loop_id)
        if self.spec.system_id is None:  # unknown id: only a private instance can tell
            self._mavsdk = _new_instance()
        else:
            self._shared = _shared.setdefault(loop_id, _SharedInstances())
            self._mavsdk = self._shared.acquire()
        self._connection = await self._mavsdk.add_any_connection(self.spec.url)
        self._tasks.append(asyncio.create_task(self._discover(), name=f"{self.spec.id}-link"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._mavsdk is None:
            return
        if self._shared is None:
            self._mavsdk.destroy()
        else:
            await self._mavsdk.remove_connection(self._connection)
            self._shared.release(self._mavsdk)
        self._mavsdk = None

    # -- link supervision -------------------------------------------------------------------

    async def _discover(self) -> None:
        assert self._mavsdk is not None
        while self._system is None:
            if self.spec.system_id is None:
                self._system = await self._mavsdk.first_autopilot(timeout_s=1.0)
            else:
                self._system = await self._find_system(self._mavsdk, self.spec.system_id)
        system = self._system
        self._tasks.append(asyncio.create_task(self._poll_telemetry(system),
                                               name=f"{self.spec.id}-telemetry"))
        self._tasks.append(asyncio.create_task(self._watch_status_text(system),
                                               name=f"{self.spec.id}-status-text"))
        while True:
            connected = await system.is_connected()
            if connected and self._link is not LinkState.CONNECTED:
                self._set_link(LinkState.CONNECTED, "heartbeat received")
            elif not connected and self._link is LinkState.CONNECTED:
                self._set_link(LinkState.LOST, "no heartbeat for 3 s")
            await asyncio.sleep(LINK_POLL_S)

    @staticmethod
    async def _find_system(instance: Mavsdk, system_id: int) -> System | None:
        for system in await instance.get_systems():
            if await system.get_system_id() == system_id and await system.has_autopilot():
                return system
        await asyncio.sleep(LINK_POLL_S)
        return None

    def _set_link(self, state: LinkState, reason: str) -> None:
        self._link = state
        self._on_link(state, reason)

    # -- telemetry ----------------------------------------------------------------------------

    async def _poll_telemetry(self, system: System) -> None:
        """Read MAVSDK's cached telemetry on a timer instead of subscribing to every stream.

        Subscriptions deliver each message through a Python callback on MAVSDK's own thread;
        at simulator speed-ups (hundreds of messages a second per vehicle) those callbacks
        starve that thread, and with it the ground station's HEARTBEAT, so the vehicle thinks
        its ground station is gone. The getters below only copy the latest values (a few
        microseconds each, no thread hop), at 20 Hz.
        """
        tel = TelemetryPlugin(system._system)  # the synchronous plugin behind TelemetryAsync
        mission = MissionRaw(system._system)
        while True:
            p, v, home = tel.position(), tel.velocity_ned(), tel.home()
            progress = mission.mission_progress()
            fields: dict[str, Any] = dict(
                heading_deg=_finite(tel.heading().heading_deg),
                ground_speed_mps=math.hypot(v.north_m_s, v.east_m_s),
                climb_mps=-v.down_m_s,
                battery_pct=_finite(tel.battery().remaining_percent),
                armed=bool(tel.armed()),
                flight_mode=tel.flight_mode().name.lower(),
                landed_state=_LANDED.get(tel.landed_state().name, LandedState.UNKNOWN),
                gps_fix=tel.gps_info().fix_type.value >= 3,
                home=None if math.isnan(home.latitude_deg) else Position(
                    lat_deg=home.latitude_deg, lon_deg=home.longitude_deg,
                    alt_amsl_m=home.absolute_altitude_m),
                mission_current=progress.current if progress.current >= 0 else None,
                # MAVSDK reports total 0 for a mission it did not upload: unknown, not 0.
                mission_total=progress.total or None,
            )
            if not math.isnan(p.latitude_deg):
                fields.update(lat_deg=p.latitude_deg, lon_deg=p.longitude_deg,
                              alt_amsl_m=p.absolute_altitude_m, alt_rel_m=p.relative_altitude_m)
            self._t = replace(self._t, t_s=time.monotonic(), **fields)
            self._on_telemetry(self._t)
            await asyncio.sleep(POLL_PERIOD_S)

    async def _watch_status_text(self, system: System) -> None:
        """Remember the vehicle's last STATUSTEXT: it explains refusals (rare, so subscribed)."""
        async for status in TelemetryAsync(system).subscribe_status_text():
            self._last_text = (time.monotonic(), str(status.text))

    # -- commands -----------------------------------------------------------------------------

    async def execute(self, command: Command) -> CommandResult:
        if self._system is None or self._link is not LinkState.CONNECTED:
            return CommandResult(ok=False, reason=f"link {self._link.value}")
        action = ActionAsync(self._system)
        started = time.monotonic()
        try:
            match command:
                case Arm():
                    await action.arm()
                case Disarm():
                    await action.disarm()
                case Takeoff(alt_rel_m=alt):
                    await action.set_takeoff_altitude(alt)
                    await action.takeoff()
                case Goto(lat_deg=lat, lon_deg=lon, alt_rel_m=alt):
                    home = self._t.home
                    if home is None:
                        return CommandResult(ok=False, reason="home position not known yet")
                    # MAVSDK takes AMSL; NaN yaw keeps the vehicle's own choice (PX4).
                    await action.goto_location(lat, lon, home.alt_amsl_m + alt, math.nan)
                case Hold():
                    await action.hold()
                case ReturnToLaunch():
                    await action.return_to_launch()
                case Land():
                    await action.land()
                case StartMission():
                    await MissionRawAsync(self._system).start_mission()
                case PauseMission():
                    await MissionRawAsync(self._system).pause_mission()
                case ReleasePayload():
                    return await self._command_long(MAV_CMD_DO_GRIPPER, 1, GRIPPER_RELEASE)
                case Loudspeaker(on=on):
                    return await self._command_long(MAV_CMD_USER_1_LOUDSPEAKER, 1 if on else 0)
                case TakePhoto():
                    return await self._command_long(MAV_CMD_IMAGE_START_CAPTURE, 0, 0, 1)
        except (ActionError, MissionRawError) as e:
            return CommandResult(ok=False, reason=self._reason(str(e), started))
        return CommandResult(ok=True)

    async def _command_long(self, command: int, *params: float) -> CommandResult:
        assert self._system is not None
        sysid = await self._system.get_system_id()
        fields = {"target_system": sysid, "target_component": 1, "command": command,
                  "confirmation": 0}
        fields.update({f"param{i + 1}": float(p) for i, p in enumerate(params)})
        fields.update({f"param{i + 1}": 0.0 for i in range(len(params), 7)})
        started = time.monotonic()
        message = MavlinkMessage(message_name="COMMAND_LONG", system_id=0, component_id=0,
                                 target_system_id=sysid, target_component_id=1,
                                 fields_json=json.dumps(fields))
        try:
            ack = await MavlinkDirectAsync(self._system).send_command(message)
        except MavlinkDirectError as e:
            return CommandResult(ok=False, reason=self._reason(str(e), started))
        result = int(json.loads(ack.fields_json).get("result", 4))
        if result == 0:
            return CommandResult(ok=True)
        return CommandResult(ok=False, reason=self._reason(
            f"{MAV_RESULTS.get(result, result)}", started))

    def _reason(self, error: str, started: float) -> str:
        """MAVSDK says "denied"; the vehicle's STATUSTEXT says why. Give both."""
        at, text = self._last_text
        return f"{error}: {text}" if text and at >= started - REASON_WINDOW_S else error

    # -- missions -----------------------------------------------------------------------------

    async def upload_mission(self, items: Sequence[MissionItemInt]) -> CommandResult:
        """Upload items of one mission type (mission, fence or rally) in a single transfer."""
        if self._system is None:
            return CommandResult(ok=False, reason=f"link {self._link.value}")
        types = {i.mission_type for i in items}
        if len(types) > 1:
            return CommandResult(ok=False, reason="items mix mission types; upload each apart")
        plugin = MissionRawAsync(self._system)
        raw = [_to_mavsdk(i) for i in items]
        upload = {0: plugin.upload_mission, 1: plugin.upload_geofence,
                  2: plugin.upload_rally_points}[types.pop() if types else 0]
        try:
            await upload(raw)
        except MissionRawError as e:
            return CommandResult(ok=False, reason=str(e))
        return CommandResult(ok=True)

    async def download_mission(self) -> list[MissionItemInt]:
        if self._system is None:
            return []
        items = await MissionRawAsync(self._system).download_mission()
        return [_from_mavsdk(i) for i in items]

    async def clear_mission(self) -> CommandResult:
        if self._system is None:
            return CommandResult(ok=False, reason=f"link {self._link.value}")
        try:
            await MissionRawAsync(self._system).clear_mission()
        except MissionRawError as e:
            return CommandResult(ok=False, reason=str(e))
        return CommandResult(ok=True)

    async def set_parameter(self, name: str, value: int | float) -> CommandResult:
        if self._system is None:
            return CommandResult(ok=False, reason=f"link {self._link.value}")
        param = ParamAsync(self._system)
        try:
            if isinstance(value, int):
                await param.set_param_int(name, value)
            else:
                await param.set_param_float(name, value)
        except ParamError as e:
            return CommandResult(ok=False, reason=f"{name}: {e}")
        return CommandResult(ok=True)


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _to_mavsdk(i: MissionItemInt) -> MissionItem:
    return MissionItem(seq=i.seq, frame=i.frame, command=i.command, current=i.current,
                       autocontinue=i.autocontinue, param1=i.param1, param2=i.param2,
                       param3=i.param3, param4=i.param4, x=i.x, y=i.y, z=i.z,
                       mission_type=i.mission_type)


def _from_mavsdk(i: MissionItem) -> MissionItemInt:
    return MissionItemInt(seq=i.seq, frame=i.frame, command=i.command, current=i.current,
                          autocontinue=i.autocontinue, param1=i.param1, param2=i.param2,
                          param3=i.param3, param4=i.param4, x=i.x, y=i.y, z=i.z,
                          mission_type=i.mission_type)
