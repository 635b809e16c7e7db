"""Drains the outbox to the ground server: oldest first, in batches, with backoff when down."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from skywatch_bridge.client import GroundClient, LinkDown, Refused
from skywatch_bridge.outbox import Item, Outbox

#: (level, text): the node's logger, or anything that takes these.
Log = Callable[[str, str], None]


@dataclass(kw_only=True)
class Backoff:
    """Doubling waits between failed tries, capped, with ±20 % jitter so that a fleet whose link
    came back does not retry in lockstep."""

    first_s: float = 0.5
    max_s: float = 10.0
    _next_s: float = field(default=0.0, init=False)

    def next_s(self) -> float:
        self._next_s = min(self.max_s, self._next_s * 2 if self._next_s else self.first_s)
        return self._next_s * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next_s = 0.0


@dataclass(kw_only=True)
class SenderStats:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    failures: int = 0
    link_up: bool | None = None  #: None until the first answer or failure
    down_since: float | None = None  #: monotonic


class Sender:
    def __init__(self, outbox: Outbox, client: GroundClient, log: Log, *,
                 batch_size: int = 100, backoff: Backoff | None = None) -> None:
        self.outbox = outbox
        self.client = client
        self.log = log
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.stats = SenderStats()
        self._wake = threading.Event()

    def wake(self) -> None:
        """Something was queued: send now instead of at the next poll."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            items = self.outbox.oldest(self.batch_size)
            if not items:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                delay_s = self.send(items)
            except Exception as e:  # noqa: BLE001 - a bug must not end the uplink for good
                self.log("error", f"uplink send failed: {type(e).__name__}: {e}")
                delay_s = self.backoff.max_s
            if delay_s > 0:
                stop.wait(delay_s)

    def send(self, items: list[Item]) -> float:
        """One batch; returns how long to wait before the next try (0: go on at once)."""
        detections = [i for i in items if i.kind == "detections"]
        objects = [i for i in items if i.kind == "objects"]
        try:
            ack = self.client.post_batch([i.body for i in detections], [i.body for i in objects])
        except LinkDown as e:
            self._down(str(e))
            return max(e.retry_after_s or 0.0, self.backoff.next_s())
        except Refused as e:
            if e.item is not None:
                kind, index = e.item
                batch = detections if kind == "detections" else objects
                if 0 <= index < len(batch):
                    self.outbox.reject(batch[index], e.reason)
                    self.stats.rejected += 1
                    self.log("error", f"server refused {batch[index].id}, set aside: {e.reason}")
                    return 0.0
            # Credentials or permissions: nothing the queue can fix; keep every item.
            self._down(str(e), level="error")
            return self.backoff.max_s
        self.outbox.remove(ack.stored + ack.duplicates)
        self.stats.stored += len(ack.stored)
        self.stats.duplicates += len(ack.duplicates)
        self.backoff.reset()
        if self.stats.link_up is not True:
            outage = (f" after {time.monotonic() - self.stats.down_since:.1f} s down"
                      if self.stats.down_since is not None else "")
            self.log("info", f"uplink up{outage}: {len(ack.stored)} stored, "
                             f"{len(ack.duplicates)} already there, {len(self.outbox)} queued")
        self.stats.link_up = True
        self.stats.down_since = None
        return 0.0

    def _down(self, reason: str, level: str = "warning") -> None:
        self.stats.failures += 1
        if self.stats.link_up is not False:
            self.stats.down_since = time.monotonic()
            self.log(level, f"uplink down ({reason}); {len(self.outbox)} queued on disk")
        self.stats.link_up = False
