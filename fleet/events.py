"""The event log: every state change gets a strictly increasing sequence number.

Producers (the registry, links, command handlers) call `publish`; consumers (the WebSocket
endpoint, `GET /api/events`) read `since(seq)` and subscribe for what comes next. Recent events
live in memory for fast replay; with a journal (the SQL store) every durable event is committed
before any listener sees it, so a client resuming with `since` after a server crash misses
nothing. Telemetry is ephemeral by default: it is superseded ten times a second, and storing it
would cost more than it tells.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

EPHEMERAL_TYPES = frozenset({"telemetry"})
#: Seq numbers reserved in the journal at a time: ephemeral events use them without a write,
#: and after a restart numbering resumes above the reservation, so seq never repeats.
SEQ_BLOCK = 10_000


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: str  #: "telemetry", "vehicle", "command_result", ...
    t: datetime  #: UTC
    data: Mapping[str, Any]

    def to_json_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "t": self.t.isoformat(), **self.data}


class EventNotStored(RuntimeError):
    """The journal refused an event (unserialisable data, database down); nobody has seen it."""


class EventJournal(Protocol):
    """Durable storage behind the log (see `fleet.store.journal.SqlJournal`)."""

    def append(self, event: Event) -> None: ...

    def load_since(self, seq: int, limit: int, before: int | None = None) -> list[Event]: ...

    def high_water(self) -> int: ...

    def reserve(self, upto: int) -> None: ...


class EventLog:
    """The newest `capacity` events in memory, older durable ones from the journal."""

    def __init__(
        self,
        capacity: int = 100_000,
        journal: EventJournal | None = None,
        ephemeral_types: frozenset[str] = EPHEMERAL_TYPES,
    ) -> None:
        self._events: deque[Event] = deque(maxlen=capacity)
        self._journal = journal
        self._ephemeral = ephemeral_types
        self._last_seq = journal.high_water() if journal else 0
        self._reserved = self._last_seq
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def publish(self, type: str, data: Mapping[str, Any]) -> Event:
        """Number, store (when durable) and broadcast one event; raises if it cannot be stored,
        in which case nobody has seen it and the numbering is unchanged."""
        event = Event(seq=self._last_seq + 1, type=type, t=datetime.now(UTC), data=data)
        if self._journal is not None:
            if event.seq > self._reserved:
                self._journal.reserve(event.seq + SEQ_BLOCK - 1)
                self._reserved = event.seq + SEQ_BLOCK - 1
            if type not in self._ephemeral:
                self._journal.append(event)
        self._last_seq = event.seq
        self._events.append(event)
        for listener in list(self._listeners):
            listener(event)
        return event

    def since(self, seq: int, limit: int = 1000) -> list[Event]:
        """Events with `seq > since`, oldest first, at most `limit` of them."""
        out: list[Event] = []
        oldest_in_memory = self._events[0].seq if self._events else None
        if self._journal is not None and (oldest_in_memory is None or oldest_in_memory > seq + 1):
            out = self._journal.load_since(seq, limit, before=oldest_in_memory)
        for event in self._events:
            if len(out) >= limit:
                break
            if event.seq > seq:
                out.append(event)
        return out

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener` with every event published from now on; returns the unsubscribe.

        Listeners run inside `publish`, on the publisher's thread (the server's event loop), so
        they must be cheap and must not block: copy into a queue and return.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
