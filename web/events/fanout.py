"""Fan events out to WebSocket clients without letting one slow client hold up anything else.

The event log calls `Fanout._on_event` inside `publish`, on the server's event loop; it encodes
the event once and appends it to every client's `ClientQueue`, which costs O(1) per client and
never waits. Each client has its own sender task draining its queue at the pace its socket
allows. A client that falls behind does not make its queue grow without bound: a newer
`telemetry` event of a vehicle replaces the older one still waiting (the operator wants where a
vehicle *is*, not where it was), so telemetry takes at most one slot per vehicle. Other events
(commands, vehicle state changes) are never dropped silently: past `max_events` of them the
client is told to reconnect with `since`, and the log replays what it missed.

Each frame also carries the department its event belongs to, worked out once at encoding, so
that a client's queue admits only what its user may see (`ClientQueue.admit`): another
department's telemetry neither reaches that client nor takes room in its queue.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from fleet.events import Event, EventLog

#: Events whose older copies a newer one of the same vehicle may replace in a client's queue.
COALESCED_TYPES = frozenset({"telemetry"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Frame:
    """One event, encoded once for every client."""

    seq: int
    text: str
    vehicle_id: str | None  #: set for coalescable events: the key they coalesce on
    department: str | None = None  #: whose event it is; None: fleet-wide, everyone's


#: An event's department from its data (None: fleet-wide); see `web.events.scoping`.
DepartmentOfData = Callable[[Mapping[str, Any]], str | None]


def encode(event: Event, department_of: DepartmentOfData | None = None) -> Frame:
    vehicle_id = event.data.get("vehicle_id") if event.type in COALESCED_TYPES else None
    return Frame(
        seq=event.seq,
        text=orjson.dumps(event.to_json_dict()).decode(),
        vehicle_id=vehicle_id if isinstance(vehicle_id, str) else None,
        department=department_of(event.data) if department_of is not None else None,
    )


class ClientFellBehind(Exception):
    """More non-coalescable events waited for a client than its queue holds."""


class ClientQueue:
    """The events one client has not been sent yet, oldest first, seq strictly increasing.

    Coalescing removes the older entry and appends the newer one at the end, so the order stays
    the publication order and a client never sees seq go backwards.
    """

    def __init__(self, max_events: int) -> None:
        self._pending: OrderedDict[tuple[str, object], Frame] = OrderedDict()
        self._max_events = max_events
        self._uncoalesced = 0
        self._ready = asyncio.Event()
        self._fell_behind = False
        self.coalesced = 0  #: telemetry events replaced by a newer one before being sent
        #: Which frames this client may receive; None (until its user is known): all of them,
        #: and the sender filters what was queued before.
        self.admit: Callable[[Frame], bool] | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, frame: Frame) -> None:
        if self._fell_behind or (self.admit is not None and not self.admit(frame)):
            return
        if frame.vehicle_id is not None:
            key: tuple[str, object] = ("vehicle", frame.vehicle_id)
            if self._pending.pop(key, None) is not None:
                self.coalesced += 1
        else:
            if self._uncoalesced >= self._max_events:
                self._fell_behind = True
                self._pending.clear()
                self._ready.set()
                return
            key = ("seq", frame.seq)
            self._uncoalesced += 1
        self._pending[key] = frame
        self._ready.set()

    async def get(self) -> Frame:
        """The oldest pending frame; raises `ClientFellBehind` once the queue overflowed."""
        while not self._pending and not self._fell_behind:
            self._ready.clear()
            await self._ready.wait()
        if self._fell_behind:
            raise ClientFellBehind
        key, frame = self._pending.popitem(last=False)
        if key[0] == "seq":
            self._uncoalesced -= 1
        return frame


class Fanout:
    """One subscription to the event log, copied into a queue per connected client."""

    def __init__(
        self, events: EventLog, max_events: int, department_of: DepartmentOfData | None = None
    ) -> None:
        self._events = events
        self._max_events = max_events
        self._department_of = department_of
        self._clients: set[ClientQueue] = set()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def clients(self) -> int:
        return len(self._clients)

    def backlogs(self) -> list[int]:
        """Events waiting per client: bounded by vehicles + `max_events` however slow it is."""
        return [len(c) for c in self._clients]

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._events.subscribe(self._on_event)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def attach(self) -> tuple[ClientQueue, int]:
        """A new client's queue and the last seq before it: everything after it is queued.

        Synchronous on purpose: no event can be published between reading `last_seq` and
        subscribing, so replay up to that seq plus the queue has neither gap nor duplicate.
        """
        queue = ClientQueue(self._max_events)
        self._clients.add(queue)
        return queue, self._events.last_seq

    def detach(self, queue: ClientQueue) -> None:
        self._clients.discard(queue)

    def _on_event(self, event: Event) -> None:
        if not self._clients:
            return
        frame = encode(event, self._department_of)
        for client in self._clients:
            client.put(frame)
