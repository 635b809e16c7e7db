"""Flight time and battery use of a plan, and its split into sorties one battery can fly.

A multicopter's draw depends mostly on whether it hovers, climbs or cruises, so the model has
a power for each and counts a braking-and-turning time at every waypoint. Each sortie takes off
from home, flies its share and returns with the reserve still in the battery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mission.geodesy import distance_m
from mission.items import (
    Delay,
    Gimbal,
    Land,
    Loiter,
    MissionItem,
    ReturnToLaunch,
    Takeoff,
    TriggerDistance,
    Waypoint,
    item_position,
)
from mission.plan import Home, Plan


class EnergyError(ValueError):
    """A plan or profile that cannot be estimated or split; the message names the field."""


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleProfile:
    """A multicopter's performance. Defaults: a 0.9 kg enterprise quad with a 77 Wh pack."""

    name: str = "quad-77wh"
    cruise_speed_mps: float = 10.0
    climb_mps: float = 4.0
    descent_mps: float = 3.0
    hover_power_w: float = 180.0
    cruise_power_w: float = 160.0
    climb_power_w: float = 230.0
    battery_wh: float = 77.0
    reserve_pct: float = 20.0
    turn_s: float = 4.0  #: braking, turning and accelerating at a waypoint
    max_items: int = 1000
    max_alt_m: float = 120.0

    @property
    def usable_wh(self) -> float:
        return self.battery_wh * (1.0 - self.reserve_pct / 100.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class FlightEstimate:
    length_m: float
    flight_time_s: float
    energy_wh: float
    battery_pct: float  #: of the full battery, reserve not counted

    @property
    def fits(self) -> bool:
        return self.battery_pct <= 100.0


@dataclass(frozen=True, kw_only=True, slots=True)
class _Leg:
    time_s: float
    energy_wh: float
    length_m: float


def _alt_of(item: MissionItem, current_m: float) -> float:
    alt = getattr(item, "alt_m", None)
    if isinstance(item, Land):
        return 0.0
    return current_m if alt is None or getattr(item, "alt_datum", "home") != "home" else alt


def _move(p: VehicleProfile, horiz_m: float, dz_m: float) -> _Leg:
    t_h = horiz_m / p.cruise_speed_mps
    if dz_m >= 0:
        t_v, pw_v = dz_m / p.climb_mps, p.climb_power_w
    else:
        t_v, pw_v = -dz_m / p.descent_mps, p.hover_power_w
    return _Leg(time_s=t_h + t_v, energy_wh=(t_h * p.cruise_power_w + t_v * pw_v) / 3600.0,
                length_m=horiz_m)


def _hover(p: VehicleProfile, t_s: float) -> _Leg:
    return _Leg(time_s=t_s, energy_wh=t_s * p.hover_power_w / 3600.0, length_m=0.0)


def _item_leg(
    p: VehicleProfile, item: MissionItem, here: tuple[float, float], alt: float, home: Home
) -> tuple[_Leg, tuple[float, float], float]:
    """What doing `item` costs from position `here` at `alt`, and where it leaves the vehicle."""
    pos = item_position(item)
    if isinstance(item, ReturnToLaunch):
        leg = _move(p, distance_m(*here, home.lat_deg, home.lon_deg), -alt)
        return leg, (home.lat_deg, home.lon_deg), 0.0
    if pos is not None:
        new_alt = _alt_of(item, alt)
        leg = _move(p, distance_m(*here, *pos), new_alt - alt)
        extra_s = p.turn_s + (item.hold_s if isinstance(item, Waypoint | Loiter) else 0.0)
        leg = _Leg(time_s=leg.time_s + extra_s, length_m=leg.length_m,
                   energy_wh=leg.energy_wh + extra_s * p.hover_power_w / 3600.0)
        return leg, pos, new_alt
    if isinstance(item, Delay):
        return _hover(p, item.delay_s), here, alt
    return _Leg(time_s=0.0, energy_wh=0.0, length_m=0.0), here, alt


def _return_leg(p: VehicleProfile, here: tuple[float, float], alt: float, home: Home) -> _Leg:
    return _move(p, distance_m(*here, home.lat_deg, home.lon_deg), -alt)


def _home_of(plan: Plan, home: Home | None) -> Home:
    h = home or plan.home
    if h is None:
        first = plan.positions()
        if not first:
            raise EnergyError("home: the plan has no home and no position to start from")
        h = Home(lat_deg=first[0][0], lon_deg=first[0][1])
    return h


def estimate_flight(
    plan: Plan, profile: VehicleProfile, home: Home | None = None
) -> FlightEstimate:
    """Time and energy of flying `plan` from home; a plan that does not end on the ground is
    charged the flight back home and the descent."""
    h = _home_of(plan, home)
    here, alt = (h.lat_deg, h.lon_deg), 0.0
    t = e = length = 0.0
    for item in plan.items:
        leg, here, alt = _item_leg(profile, item, here, alt, h)
        t, e, length = t + leg.time_s, e + leg.energy_wh, length + leg.length_m
    if alt > 0 or here != (h.lat_deg, h.lon_deg):
        last = plan.items[-1] if plan.items else None
        if not isinstance(last, Land):
            back = _return_leg(profile, here, alt, h)
            t, e, length = t + back.time_s, e + back.energy_wh, length + back.length_m
    return FlightEstimate(length_m=length, flight_time_s=t, energy_wh=e,
                          battery_pct=100.0 * e / profile.usable_wh)


def _resume_state(items: Sequence[MissionItem]) -> list[MissionItem]:
    """The gimbal and trigger commands in force at the end of `items`, to repeat on resume."""
    gimbal = next((i for i in reversed(items) if isinstance(i, Gimbal)), None)
    trig = next((i for i in reversed(items) if isinstance(i, TriggerDistance)), None)
    return [i for i in (gimbal, trig) if i is not None]


def split_sorties(plan: Plan, profile: VehicleProfile, home: Home | None = None) -> list[Plan]:
    """Cut a plan into sorties that each fit one battery (with its reserve), each taking off
    from home, resuming where the last stopped, and returning home."""
    h = _home_of(plan, home)
    flight = (Takeoff, ReturnToLaunch, Land)  # each sortie gets its own
    index = [k for k, i in enumerate(plan.items) if not isinstance(i, flight)]
    body = [plan.items[k] for k in index]
    cruise_alt = max((_alt_of(i, 0.0) for i in body if item_position(i)), default=30.0)
    sorties: list[list[MissionItem]] = []
    k = 0
    while k < len(body):
        start = k
        cur: list[MissionItem] = [
            Takeoff(lat_deg=h.lat_deg, lon_deg=h.lon_deg, alt_m=cruise_alt),
            *_resume_state(body[:k]),
        ]
        here, alt, used = (h.lat_deg, h.lon_deg), 0.0, 0.0
        for item in cur:
            leg, here, alt = _item_leg(profile, item, here, alt, h)
            used += leg.energy_wh
        flew = False
        while k < len(body):
            leg, nhere, nalt = _item_leg(profile, body[k], here, alt, h)
            back = _return_leg(profile, nhere, nalt, h)
            if used + leg.energy_wh + back.energy_wh > profile.usable_wh:
                break
            cur.append(body[k])
            used, here, alt = used + leg.energy_wh, nhere, nalt
            flew = flew or item_position(body[k]) is not None
            k += 1
        if not flew:
            raise EnergyError(
                f"battery: {profile.battery_wh} Wh with {profile.reserve_pct} % reserve cannot "
                f"reach items[{index[start]}] and return"
            )
        sorties.append([*cur, ReturnToLaunch()])
    return [Plan(items=tuple(s), home=h, cruise_speed_mps=profile.cruise_speed_mps)
            for s in sorties]


#: Named profiles for the CLI and fleet files.
VEHICLE_PROFILES: dict[str, VehicleProfile] = {
    p.name: p
    for p in (
        VehicleProfile(),
        VehicleProfile(name="quad-large-260wh", cruise_speed_mps=12.0, hover_power_w=650.0,
                       cruise_power_w=600.0, climb_power_w=800.0, battery_wh=260.0,
                       max_items=2000),
        VehicleProfile(name="mini-40wh", cruise_speed_mps=8.0, hover_power_w=110.0,
                       cruise_power_w=100.0, climb_power_w=150.0, battery_wh=40.0,
                       max_items=500),
    )
}
