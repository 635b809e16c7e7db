"""Failsafe decisions as PX4 makes them: link loss, low / critical battery, geofence breach.

A pure function of what the vehicle knows now and which failsafes already fired; the
autopilot applies the action. Each failsafe fires once per episode (a breach re-arms when the
vehicle is back inside, link loss when a GCS is heard again) so the operator can take over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["warn", "hold", "rtl", "land"]

#: A ground station's heartbeat comes once per wall-clock second whatever the speed-up, so a
#: link is only declared lost after this much wall time too (MAVSDK's own 3 s timeout).
LINK_LOSS_MIN_WALL_S = 3.0

_NAV_DLL_ACTIONS: dict[int, Action] = {1: "hold", 2: "rtl", 3: "land"}
_GF_ACTIONS: dict[int, Action] = {1: "warn", 2: "hold", 3: "rtl", 5: "land"}


@dataclass(frozen=True, kw_only=True, slots=True)
class FailsafeInputs:
    armed: bool
    airborne: bool
    battery_frac: float
    gcs_silent_sim_s: float | None  #: None: no ground station heard yet
    gcs_silent_wall_s: float | None
    fence_breach: str | None  #: the reason, None when inside


@dataclass(frozen=True, kw_only=True, slots=True)
class FailsafeSettings:
    link_loss_s: float
    link_loss_action: int  #: NAV_DLL_ACT
    battery_low_frac: float
    battery_critical_frac: float
    battery_action: int  #: COM_LOW_BAT_ACT
    fence_action: int  #: GF_ACTION


@dataclass(frozen=True, kw_only=True, slots=True)
class Latches:
    link_lost: bool = False
    battery_low: bool = False
    battery_critical: bool = False
    fence_breached: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Failsafe:
    kind: Literal["link", "battery_low", "battery_critical", "fence"]
    action: Action
    reason: str


def decide(now: FailsafeInputs, s: FailsafeSettings,
           latches: Latches) -> tuple[list[Failsafe], Latches]:
    """Failsafes that fire now (most severe last) and the updated latches."""
    fired: list[Failsafe] = []
    if not _link_lost(now, s):
        latches = _with(latches, link_lost=False)
    elif now.armed and now.airborne and not latches.link_lost:
        fired.append(Failsafe(kind="link", action=_NAV_DLL_ACTIONS.get(s.link_loss_action, "warn"),
                              reason="ground station lost"))
        latches = _with(latches, link_lost=True)

    battery_on = now.armed and now.airborne and s.battery_action > 0
    if (battery_on and not latches.battery_low and s.battery_action >= 3
            and now.battery_frac < s.battery_low_frac):
        fired.append(Failsafe(kind="battery_low", action="rtl",
                              reason=f"battery low ({now.battery_frac:.0%})"))
        latches = _with(latches, battery_low=True)
    if (battery_on and not latches.battery_critical and s.battery_action >= 2
            and now.battery_frac < s.battery_critical_frac):
        fired.append(Failsafe(kind="battery_critical", action="land",
                              reason=f"battery critical ({now.battery_frac:.0%})"))
        latches = _with(latches, battery_critical=True)

    if now.fence_breach is None:
        latches = _with(latches, fence_breached=False)
    elif now.armed and now.airborne and not latches.fence_breached:
        action = _GF_ACTIONS.get(s.fence_action)
        if action is not None:
            fired.append(Failsafe(kind="fence", action=action,
                                  reason=now.fence_breach))
        latches = _with(latches, fence_breached=True)
    return fired, latches


def _link_lost(now: FailsafeInputs, s: FailsafeSettings) -> bool:
    if now.gcs_silent_sim_s is None or now.gcs_silent_wall_s is None:
        return False
    return now.gcs_silent_sim_s > s.link_loss_s and now.gcs_silent_wall_s > LINK_LOSS_MIN_WALL_S


def _with(latches: Latches, **changes: bool) -> Latches:
    values = {"link_lost": latches.link_lost, "battery_low": latches.battery_low,
              "battery_critical": latches.battery_critical,
              "fence_breached": latches.fence_breached}
    values.update(changes)
    return Latches(**values)
