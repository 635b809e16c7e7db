"""The fleet registry: one supervised link per vehicle, its latest state, and its events.

It turns what links report into events on the log (`telemetry`, `vehicle`, `command_result`,
names shared with the web layer through `fleet.model.telemetry_event_data`) and answers the
questions the API asks. Telemetry events are rate-shaped per vehicle: at most 10 Hz however
fast the vehicle streams, at least 2 Hz while it is linked even when nothing changes, so the
console's view is never more than half a second old.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from fleet.events import EventLog
from fleet.link import LinkFactory, VehicleLink
from fleet.model import (
    Command,
    CommandResult,
    LinkState,
    Telemetry,
    VehicleSpec,
    VehicleState,
    telemetry_event_data,
)

MIN_TELEMETRY_PERIOD_S = 0.1  #: 10 Hz at most per vehicle
MAX_TELEMETRY_PERIOD_S = 0.5  #: 2 Hz at least per linked vehicle


class UnknownVehicle(KeyError):
    def __str__(self) -> str:
        return f"unknown vehicle {self.args[0]!r}"


class _Entry:
    """Mutable per-vehicle bookkeeping; the outside world only sees `VehicleState`."""

    def __init__(self, spec: VehicleSpec) -> None:
        self.spec = spec
        self.link_state = LinkState.CONNECTING
        self.telemetry: Telemetry | None = None
        self.updated_at: datetime | None = None
        self.published_at = 0.0  #: monotonic time of the last telemetry event
        self.dirty = False
        self.link: VehicleLink | None = None

    def state(self) -> VehicleState:
        return VehicleState(spec=self.spec, link=self.link_state, telemetry=self.telemetry,
                            updated_at=self.updated_at)


def _default_link_factory() -> LinkFactory:
    from fleet.mavsdk_link import MavsdkLink  # MAVSDK loads only when a fleet really links

    return MavsdkLink


class FleetRegistry:
    def __init__(self, specs: Sequence[VehicleSpec], events: EventLog,
                 link_factory: LinkFactory | None = None) -> None:
        ids = [s.id for s in specs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate vehicle ids in {ids}")
        self._entries = {s.id: _Entry(s) for s in specs}
        self._events = events
        self._factory = link_factory
        self._ticker: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every link in the background; a silent vehicle delays nobody."""
        factory = self._factory or _default_link_factory()
        for entry in self._entries.values():
            entry.link = factory(
                entry.spec,
                lambda t, e=entry: self._on_telemetry(e, t),
                lambda state, reason, e=entry: self._on_link(e, state, reason),
            )
            await entry.link.connect()
        self._ticker = asyncio.create_task(self._tick(), name="registry-telemetry")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for entry in self._entries.values():
            if entry.link is not None:
                await entry.link.close()

    # -- queries ------------------------------------------------------------------------------

    def specs(self) -> list[VehicleSpec]:
        return [e.spec for e in self._entries.values()]

    def state(self, vehicle_id: str) -> VehicleState:
        return self._entry(vehicle_id).state()

    def states(self) -> list[VehicleState]:
        return [e.state() for e in self._entries.values()]

    def link(self, vehicle_id: str) -> VehicleLink:
        link = self._entry(vehicle_id).link
        if link is None:
            raise RuntimeError("the registry has not been started")
        return link

    # -- commands -----------------------------------------------------------------------------

    async def command(self, vehicle_id: str, command: Command) -> CommandResult:
        """Run an operator command and publish its outcome (`command_result`)."""
        result = await self.link(vehicle_id).execute(command)
        fields = {k: v for k, v in asdict(command).items() if k != "kind"}
        self._events.publish("command_result", {
            "vehicle_id": vehicle_id, "command": command.kind, "ok": result.ok,
            "reason": result.reason, **fields,
        })
        return result

    # -- what links report ----------------------------------------------------------------------

    def _entry(self, vehicle_id: str) -> _Entry:
        try:
            return self._entries[vehicle_id]
        except KeyError:
            raise UnknownVehicle(vehicle_id) from None

    def _on_link(self, entry: _Entry, state: LinkState, reason: str) -> None:
        entry.link_state = state
        self._events.publish("vehicle", {"vehicle_id": entry.spec.id, "link": state.value,
                                         "reason": reason})

    def _on_telemetry(self, entry: _Entry, t: Telemetry) -> None:
        before = entry.telemetry
        entry.telemetry, entry.updated_at = t, datetime.now(UTC)
        if before is not None and (before.armed, before.flight_mode) != (t.armed, t.flight_mode):
            self._events.publish("vehicle", {
                "vehicle_id": entry.spec.id, "link": entry.link_state.value,
                "armed": t.armed, "flight_mode": t.flight_mode})
        if time.monotonic() - entry.published_at >= MIN_TELEMETRY_PERIOD_S:
            self._publish_telemetry(entry)
        else:
            entry.dirty = True

    def _publish_telemetry(self, entry: _Entry) -> None:
        assert entry.telemetry is not None
        entry.published_at, entry.dirty = time.monotonic(), False
        self._events.publish("telemetry", telemetry_event_data(entry.telemetry))

    async def _tick(self) -> None:
        """Flush held-back updates after 100 ms; repeat the last state every 500 ms."""
        while True:
            await asyncio.sleep(MIN_TELEMETRY_PERIOD_S / 2)
            now = time.monotonic()
            for entry in self._entries.values():
                if entry.telemetry is None or entry.link_state is not LinkState.CONNECTED:
                    continue
                age = now - entry.published_at
                if (entry.dirty and age >= MIN_TELEMETRY_PERIOD_S) or (
                        age >= MAX_TELEMETRY_PERIOD_S):
                    self._publish_telemetry(entry)
