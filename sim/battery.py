"""A LiPo battery whose drain follows what the vehicle does: hover, speed and climb.

Sized so a full multicopter pack lasts about 25 minutes at cruise (MPC_XY_CRUISE's default
5 m/s), as a mid-size rescue drone does; voltage per cell follows a LiPo discharge curve with a
small sag under load, so a ground station sees realistic numbers for both.
"""

from __future__ import annotations

from dataclasses import dataclass

#: (remaining fraction, open-circuit volts per cell), a typical LiPo discharge curve
_CELL_CURVE = (
    (0.0, 3.30), (0.05, 3.55), (0.10, 3.65), (0.20, 3.72), (0.40, 3.80),
    (0.60, 3.88), (0.80, 4.00), (0.95, 4.12), (1.0, 4.20),
)
CELL_RESISTANCE_OHM = 0.004


@dataclass(frozen=True, kw_only=True, slots=True)
class BatterySpec:
    cells: int
    capacity_mah: float
    idle_a: float  #: armed, not moving (rotors at idle / rover stopped)
    hover_a: float  #: multicopter hovering; a rover's driving current at zero speed
    speed_a_per_mps2: float  #: extra current per (m/s)^2 of air speed
    climb_a_per_mps: float
    avionics_a: float  #: disarmed


#: 22 A at 5 m/s cruise, so 9,170 mAh last 25 min.
MULTICOPTER_BATTERY = BatterySpec(cells=4, capacity_mah=9170.0, idle_a=3.0, hover_a=20.0,
                                  speed_a_per_mps2=0.08, climb_a_per_mps=2.0, avionics_a=0.2)
ROVER_BATTERY = BatterySpec(cells=4, capacity_mah=10000.0, idle_a=1.0, hover_a=2.0,
                            speed_a_per_mps2=0.35, climb_a_per_mps=0.0, avionics_a=0.2)


@dataclass(frozen=True, kw_only=True, slots=True)
class BatteryState:
    remaining_frac: float
    consumed_mah: float
    current_a: float
    voltage_v: float
    cell_voltage_v: float


def full_battery(spec: BatterySpec) -> BatteryState:
    return BatteryState(remaining_frac=1.0, consumed_mah=0.0, current_a=0.0,
                        voltage_v=spec.cells * 4.2, cell_voltage_v=4.2)


def current_a(spec: BatterySpec, *, armed: bool, airborne: bool, air_speed_mps: float,
              climb_mps: float) -> float:
    """Current draw: hover dominates a multicopter, speed a rover; climbing costs extra."""
    if not armed:
        return spec.avionics_a
    if not airborne and spec.climb_a_per_mps > 0.0:  # a multicopter on the ground, idling
        return spec.idle_a
    return (spec.hover_a + spec.speed_a_per_mps2 * air_speed_mps**2
            + spec.climb_a_per_mps * max(climb_mps, 0.0))


def cell_voltage_v(remaining_frac: float, load_a: float) -> float:
    frac = min(max(remaining_frac, 0.0), 1.0)
    for (f0, v0), (f1, v1) in zip(_CELL_CURVE, _CELL_CURVE[1:], strict=False):
        if frac <= f1:
            ocv = v0 + (v1 - v0) * (frac - f0) / (f1 - f0)
            break
    return max(ocv - load_a * CELL_RESISTANCE_OHM, 0.0)


def drain(state: BatteryState, spec: BatterySpec, *, load_a: float, dt_s: float,
          drain_multiplier: float) -> BatteryState:
    """Advance by dt_s at load_a; SIM_BAT_DRAIN scales the charge taken, not the current shown."""
    consumed = state.consumed_mah + load_a * dt_s / 3.6 * max(drain_multiplier, 0.0)
    remaining = max(1.0 - consumed / spec.capacity_mah, 0.0)
    cell_v = cell_voltage_v(remaining, load_a)
    return BatteryState(remaining_frac=remaining, consumed_mah=consumed, current_a=load_a,
                        voltage_v=cell_v * spec.cells, cell_voltage_v=cell_v)
