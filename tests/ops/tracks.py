"""Where a vehicle was, and when, read from its own MAVLink on the relay: simulated seconds.

A `Track` listens to a `UdpRelay` and keeps every GLOBAL_POSITION_INT the vehicle sends, on
the vehicle's clock (`time_boot_ms`). On the simulator that clock is simulated time, shared by
every vehicle of one simulator, so durations and gaps come out in simulated seconds however
loaded the machine running the test is (wall time times the speed-up would only bound them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymavlink.dialects.v20 import common as mavlink

from mission.geodesy import Origin, latlon_to_en
from skywatch.layout import SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG

SCENE = Origin(lat_deg=SHENZHEN_LAT_DEG, lon_deg=SHENZHEN_LON_DEG)  #: `point(0, 0)`


@dataclass(frozen=True, kw_only=True, slots=True)
class Fix:
    t_s: float  #: the vehicle's clock (simulated seconds since the simulator started)
    east_m: float  #: from the scene's home, as `scenario_harness.point` takes them
    north_m: float
    alt_rel_m: float
    received: datetime  #: UTC, on the test's (and the in-process server's) wall clock


KEPT = frozenset({mavlink.MAVLINK_MSG_ID_HEARTBEAT, mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
                  mavlink.MAVLINK_MSG_ID_MISSION_CURRENT})
MAVLINK2_STX, MAVLINK2_HEADER, MAVLINK2_CRC, MAVLINK2_SIGNATURE = 0xFD, 10, 2, 13


def _wanted(datagram: bytes) -> bool:
    """Whether to keep a datagram: one MAVLink 2 frame of a message in `KEPT`, or anything
    else (several frames, MAVLink 1), which is parsed in full."""
    if len(datagram) < MAVLINK2_HEADER or datagram[0] != MAVLINK2_STX:
        return True
    size = MAVLINK2_HEADER + datagram[1] + MAVLINK2_CRC
    size += MAVLINK2_SIGNATURE if datagram[2] & 1 else 0
    return len(datagram) != size or int.from_bytes(datagram[7:10], "little") in KEPT


class Track:
    """Every position one vehicle reports, in the order it sent them.

    `feed` only keeps the datagram and when it came (it runs on the relay's thread, where the
    vehicle's link must not wait); messages are parsed when the test reads `fixes` or `latest`.
    """

    def __init__(self) -> None:
        self._fixes: list[Fix] = []
        self._latest: dict[str, Any] = {}
        self._received: list[tuple[datetime, bytes]] = []
        self._parsed = 0
        self._parser = mavlink.MAVLink(None)
        self._parser.robust_parsing = True  # the simulator's own messages are skipped

    def feed(self, datagram: bytes) -> None:
        if _wanted(datagram):
            self._received.append((datetime.now(UTC), datagram))

    @property
    def fixes(self) -> list[Fix]:
        self._catch_up()
        return self._fixes

    @property
    def latest(self) -> dict[str, Any]:
        """The newest message of each type ("MISSION_CURRENT": MAVLink_mission_current_message)."""
        self._catch_up()
        return self._latest

    def _catch_up(self) -> None:
        end = len(self._received)  # `feed` may append meanwhile: those wait for the next read
        for received, datagram in self._received[self._parsed:end]:
            for m in self._parser.parse_buffer(datagram) or ():
                self._latest[m.get_type()] = m
                if m.get_type() == "GLOBAL_POSITION_INT":
                    east_m, north_m = latlon_to_en(m.lat / 1e7, m.lon / 1e7, SCENE)
                    self._fixes.append(Fix(t_s=m.time_boot_ms / 1000, east_m=east_m,
                                           north_m=north_m, alt_rel_m=m.relative_alt / 1000,
                                           received=received))
        self._parsed = end

    def time_at(self, when: datetime) -> float:
        """The vehicle's clock at wall time `when` (a server event's `t`): the newest fix
        received by then."""
        fix = next((f for f in reversed(self.fixes) if f.received <= when), None)
        assert fix is not None, f"no position received by {when.isoformat()}"
        return fix.t_s

    def spells_within(self, east_m: float, north_m: float, radius_m: float,
                      until_s: float | None = None) -> list[tuple[float, float]]:
        """(first, last) vehicle times of each run of fixes within `radius_m` of the point
        (up to `until_s`: tracks grow while the test reads them)."""
        spells: list[tuple[float, float]] = []
        inside = False
        for f in self.fixes:
            if until_s is not None and f.t_s > until_s:
                break
            near = (f.east_m - east_m) ** 2 + (f.north_m - north_m) ** 2 <= radius_m ** 2
            if near and inside:
                spells[-1] = (spells[-1][0], f.t_s)
            elif near:
                spells.append((f.t_s, f.t_s))
            inside = near
        return spells


    def runs_between(self, low_alt_rel_m: float, high_alt_rel_m: float
                     ) -> list[list[tuple[float, float]]]:
        """(east_m, north_m) of each run of fixes flown between the two heights above home."""
        runs: list[list[tuple[float, float]]] = [[]]
        for f in self.fixes:
            if low_alt_rel_m < f.alt_rel_m < high_alt_rel_m:
                runs[-1].append((f.east_m, f.north_m))
            elif runs[-1]:
                runs.append([])
        return [r for r in runs if r]


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, feed: Callable[[bytes], None]) -> None:
        self._feed = feed

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._feed(data)


async def listen_on(port: int, track: Track) -> asyncio.DatagramTransport:
    """Take the ground station's place on `port` (while it is down): what the vehicle sends
    there goes to `track`. Close the transport to give the port back."""
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Receiver(track.feed), local_addr=("0.0.0.0", port))
    return transport


def longest_gap_s(spells: list[tuple[float, float]], start_s: float, end_s: float) -> float:
    """The longest time in [start_s, end_s] covered by none of `spells` (any vehicle's)."""
    gap, covered_to = 0.0, start_s
    for first, last in sorted(spells):
        if last < covered_to:
            continue
        gap = max(gap, min(first, end_s) - covered_to)
        covered_to = max(covered_to, last)
        if covered_to >= end_s:
            break
    return max(gap, end_s - covered_to)
