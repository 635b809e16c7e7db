"""Runs a stored mission in AUTO.MISSION: which point to fly to, which items were reached.

Pure: the autopilot feeds it the vehicle's position and landed state each step and applies
what comes back (a guidance target, reached items, DO_* items to carry out). Items are
reached in order: a navigation item when the vehicle is within its acceptance radius (param2,
else NAV_ACC_RAD) and has held for param1 seconds; DO_* items at once, when their turn comes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sim.geo import Enu, Origin
from sim.mission_items import MissionItem, item_alt_rel_m, item_enu

NAV_WAYPOINT = 16
NAV_LOITER_UNLIM = 17
NAV_LOITER_TURNS = 18
NAV_LOITER_TIME = 19
NAV_RETURN_TO_LAUNCH = 20
NAV_LAND = 21
NAV_TAKEOFF = 22
NAV_DELAY = 93
_GO_TO_ITEMS = frozenset({NAV_WAYPOINT, NAV_LOITER_UNLIM, NAV_LOITER_TURNS, NAV_LOITER_TIME})
_NAV_ITEMS = _GO_TO_ITEMS | {NAV_RETURN_TO_LAUNCH, NAV_LAND, NAV_TAKEOFF, NAV_DELAY}
VERTICAL_ACCEPT_M = 1.0

GuideKind = Literal["goto", "land", "rtl", "hold"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Guide:
    kind: GuideKind
    target: Enu | None = None  #: for "goto" and "hold": where to be (up = above home)


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecStep:
    guide: Guide
    reached: tuple[int, ...] = ()
    do_items: tuple[MissionItem, ...] = ()


class MissionExecutor:
    """One pass over the items, starting at `start_seq`."""

    def __init__(self, items: Sequence[MissionItem], home: Origin, *, default_accept_m: float,
                 takeoff_alt_m: float, start_seq: int = 0, ground_only: bool = False) -> None:
        self._items = list(items)
        self._ground_only = ground_only
        self._home = home
        self._default_accept_m = default_accept_m
        self._takeoff_alt_m = takeoff_alt_m
        self.current_seq = min(max(start_seq, 0), max(len(self._items) - 1, 0))
        self.finished = not self._items
        self._anchor: Enu | None = None
        self._hold_until_s: float | None = None
        self._landing = False

    def step(self, now_s: float, *, position: Enu, landed: bool) -> ExecStep:
        reached: list[int] = []
        do_items: list[MissionItem] = []
        while not self.finished:
            item = self._items[self.current_seq]
            if self._anchor is None:
                self._anchor = position
            if item.command not in _NAV_ITEMS:  # DO_* (and unknown) items: carry out, move on
                do_items.append(item)
                reached.append(item.seq)
                self._advance()
                continue
            guide, done = self._nav(item, now_s, position, landed)
            if done:
                reached.append(item.seq)
                if item.command in (NAV_RETURN_TO_LAUNCH, NAV_LAND):
                    self.finished = True
                    return ExecStep(guide=guide, reached=tuple(reached), do_items=tuple(do_items))
                self._advance()
                continue
            return ExecStep(guide=guide, reached=tuple(reached), do_items=tuple(do_items))
        return ExecStep(guide=Guide(kind="hold", target=position), reached=tuple(reached),
                        do_items=tuple(do_items))

    def _advance(self) -> None:
        self._anchor = None
        self._hold_until_s = None
        self._landing = False
        if self.current_seq + 1 >= len(self._items):
            self.finished = True
        else:
            self.current_seq += 1

    def _nav(self, item: MissionItem, now_s: float, pos: Enu,
             landed: bool) -> tuple[Guide, bool]:
        anchor = self._anchor if self._anchor is not None else pos
        if item.command == NAV_RETURN_TO_LAUNCH:
            return Guide(kind="rtl"), True
        if item.command == NAV_TAKEOFF and self._ground_only:
            return Guide(kind="hold", target=pos), True
        if item.command == NAV_TAKEOFF:
            alt = item_alt_rel_m(item, self._home)
            target = Enu(east_m=anchor.east_m, north_m=anchor.north_m,
                         up_m=alt if alt is not None and alt > 0 else self._takeoff_alt_m)
            return Guide(kind="goto", target=target), pos.up_m >= target.up_m - VERTICAL_ACCEPT_M
        if item.command == NAV_DELAY:
            return self._hold_for(max(item.param1, 0.0), now_s, anchor)
        if item.command == NAV_LAND:
            spot = item_enu(item, self._home)
            if not self._landing and spot is not None and math.hypot(
                    spot.east_m - pos.east_m, spot.north_m - pos.north_m) > self._accept_m(item):
                over = Enu(east_m=spot.east_m, north_m=spot.north_m, up_m=anchor.up_m)
                return Guide(kind="goto", target=over), False
            self._landing = True
            return Guide(kind="land"), landed
        target = self._goto_target(item, anchor)
        if self._hold_until_s is None:
            if not self._arrived(item, pos, target):
                return Guide(kind="goto", target=target), False
            hold_s = item.param1 if math.isfinite(item.param1) and item.param1 > 0 else 0.0
            self._hold_until_s = now_s + hold_s
        return Guide(kind="hold", target=target), now_s >= self._hold_until_s

    def _hold_for(self, seconds: float, now_s: float, anchor: Enu) -> tuple[Guide, bool]:
        if self._hold_until_s is None:
            self._hold_until_s = now_s + seconds
        return Guide(kind="hold", target=anchor), now_s >= self._hold_until_s

    def _goto_target(self, item: MissionItem, anchor: Enu) -> Enu:
        spot = item_enu(item, self._home)
        alt = item_alt_rel_m(item, self._home)
        return Enu(east_m=spot.east_m if spot else anchor.east_m,
                   north_m=spot.north_m if spot else anchor.north_m,
                   up_m=alt if alt is not None else anchor.up_m)

    def _accept_m(self, item: MissionItem) -> float:
        if item.command == NAV_WAYPOINT and math.isfinite(item.param2) and item.param2 > 0:
            return item.param2
        return self._default_accept_m

    def _arrived(self, item: MissionItem, pos: Enu, target: Enu) -> bool:
        horizontal = math.hypot(target.east_m - pos.east_m, target.north_m - pos.north_m)
        return horizontal <= self._accept_m(item) and (
            self._ground_only
            or abs(target.up_m - pos.up_m) <= max(VERTICAL_ACCEPT_M, self._accept_m(item)))
