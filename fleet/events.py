"""The event log: every state change gets a strictly increasing sequence number.

Producers (the registry, links, command handlers) call `publish`; consumers (the WebSocket
endpoint, `GET /api/events`) read `since(seq)` and subscribe for what comes next. This is the
in-process implementation of the embedded default; a durable or brokered log keeps the same
methods.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: str  #: "telemetry", "vehicle", "command_result", ...
    t: datetime  #: UTC
    data: Mapping[str, Any]

    def to_json_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "t": self.t.isoformat(), **self.data}


class EventLog:
    """In-memory log keeping the newest `capacity` events for replay."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._events: deque[Event] = deque(maxlen=capacity)
        self._last_seq = 0
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def publish(self, type: str, data: Mapping[str, Any]) -> Event:
        self._last_seq += 1
        event = Event(seq=self._last_seq, type=type, t=datetime.now(UTC), data=data)
        self._events.append(event)
        for listener in list(self._listeners):
            listener(event)
        return event

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener` with every event published from now on; returns the unsubscribe.

        Listeners run inside `publish`, on the publisher's thread (the server's event loop), so
        they must be cheap and must not block: copy into a queue and return.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def since(self, seq: int, limit: int = 1000) -> list[Event]:
        """Events with `seq > since`, oldest first, at most `limit` of them."""
        out: list[Event] = []
        for event in self._events:
            if event.seq > seq:
                out.append(event)
                if len(out) >= limit:
                    break
        return out
