"""Return to launch as PX4 flies it with a multicopter, as a pure step function.

Climb to RTL_RETURN_ALT (unless already above it, or already near the destination), fly to
the destination (home, or the closest rally point) at that height, then land on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sim.geo import Enu

RtlPhase = Literal["climb", "return", "land"]
ARRIVED_M = 1.0  #: over home: start the landing
NEAR_HOME_M = 5.0  #: this close to home, return at the current height
CLIMB_DONE_M = 1.0
BELOW_GROUND_M = -1.0  #: a landing target under the ground, so the descent ends on contact


@dataclass(frozen=True, kw_only=True, slots=True)
class RtlState:
    phase: RtlPhase = "climb"
    cruise_up_m: float = 0.0


def rtl_target(state: RtlState, position: Enu, destination: Enu,
               return_alt_m: float) -> tuple[RtlState, Enu]:
    """The phase after this step and where to fly now."""
    home = destination
    far_m = math.hypot(home.east_m - position.east_m, home.north_m - position.north_m)
    if state.phase == "climb":
        near = far_m <= NEAR_HOME_M
        if position.up_m >= return_alt_m - CLIMB_DONE_M or near:
            cruise = position.up_m if near else max(position.up_m, return_alt_m)
            state = RtlState(phase="return", cruise_up_m=cruise)
        else:
            return state, Enu(east_m=position.east_m, north_m=position.north_m,
                              up_m=return_alt_m)
    if state.phase == "return":
        if far_m > ARRIVED_M:
            return state, Enu(east_m=home.east_m, north_m=home.north_m, up_m=state.cruise_up_m)
        state = RtlState(phase="land", cruise_up_m=state.cruise_up_m)
    return state, Enu(east_m=home.east_m, north_m=home.north_m, up_m=BELOW_GROUND_M)
