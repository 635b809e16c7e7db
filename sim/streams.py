"""When each telemetry message is due: PX4-like rates in sim time, capped in wall time.

At a high speed-up a 10 Hz stream would be 300 Hz of real traffic per vehicle; a ground
station that reads every message (MAVSDK queues callbacks and drops when behind) would drown.
So a stream never goes faster than `max_wall_hz` real messages per second, and vehicles'
streams start at staggered phases so a fleet does not send in lock-step bursts. Below 1x the
opposite holds for the heartbeat: it is the link's keep-alive (MAVSDK drops a system after
~3 s without one), so it never goes more than `max_wall_gap_s` of wall time without a send.
"""

from __future__ import annotations

import math

MAX_WALL_HZ = 50.0
CLOCK_SLACK_S = 1e-6


class StreamScheduler:
    def __init__(self, defaults_s: dict[int, float], *, phase_frac: float,
                 max_wall_hz: float = MAX_WALL_HZ,
                 max_wall_gap_s: dict[int, float] | None = None) -> None:
        self._defaults = dict(defaults_s)
        self._interval: dict[int, float | None] = dict(defaults_s)
        self._next_sim: dict[int, float] = {
            mid: phase_frac * every for mid, every in defaults_s.items()}
        self._last_wall: dict[int, float] = {}
        self._min_wall_gap_s = 1.0 / max_wall_hz
        self._max_wall_gap_s = dict(max_wall_gap_s or {})

    def set_interval(self, msg_id: int, interval_us: float) -> bool:
        """SET_MESSAGE_INTERVAL semantics: -1 stops, 0 restores the default, >0 microseconds.
        False when the message is not one this vehicle streams."""
        if msg_id not in self._defaults or not math.isfinite(interval_us):
            return False
        if interval_us < 0:
            self._interval[msg_id] = None
        elif interval_us == 0:
            self._interval[msg_id] = self._defaults[msg_id]
        else:
            self._interval[msg_id] = interval_us / 1e6
        return True

    def interval_s(self, msg_id: int) -> float | None:
        return self._interval.get(msg_id)

    def due(self, sim_s: float, wall_s: float) -> list[int]:
        out = []
        for mid, every in self._interval.items():
            if every is None:
                continue
            since_wall = wall_s - self._last_wall.get(mid, -math.inf)
            overdue = since_wall >= self._max_wall_gap_s.get(mid, math.inf)
            if ((sim_s < self._next_sim[mid] and not overdue)
                    or since_wall < self._min_wall_gap_s - CLOCK_SLACK_S):
                continue
            out.append(mid)
            self._last_wall[mid] = wall_s
            nxt = self._next_sim[mid] + every
            self._next_sim[mid] = nxt if nxt > sim_s else sim_s + every
        return out

