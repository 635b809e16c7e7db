"""Point-mass motion for a multicopter and a ground rover, stepped at a fixed sim-time step.

The position controller flies towards a setpoint with speed, climb, sink and acceleration
limits and brakes so it stops on the point. Wind moves the air the vehicle flies in; the
controller learns it with a few seconds' lag (like PX4's wind estimate), so a vehicle drifts
briefly after take-off and on gusts but holds position in steady wind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GRAVITY_MPS2 = 9.81
POSITION_GAIN_PER_S = 1.0
WIND_LEARN_TAU_S = 3.0
DRAG_PER_MPS = 0.03  #: tilt needed per (m/s)^2 of air speed, as a fraction of g
YAW_RATE_DPS = 90.0
CLIMB_BEFORE_MOVING_M = 2.0  #: a multicopter leaves the ground vertically first
TERMINAL_FALL_MPS = 15.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Body:
    east_m: float = 0.0
    north_m: float = 0.0
    up_m: float = 0.0  #: above the vehicle's home
    v_east_mps: float = 0.0  #: ground velocity
    v_north_mps: float = 0.0
    v_up_mps: float = 0.0
    heading_deg: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    wind_est_east_mps: float = 0.0
    wind_est_north_mps: float = 0.0
    on_ground: bool = True

    @property
    def ground_speed_mps(self) -> float:
        return math.hypot(self.v_east_mps, self.v_north_mps)


@dataclass(frozen=True, kw_only=True, slots=True)
class Setpoint:
    east_m: float
    north_m: float
    up_m: float
    speed_mps: float  #: horizontal
    climb_mps: float
    sink_mps: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Wind:
    east_mps: float = 0.0
    north_mps: float = 0.0

    @staticmethod
    def from_speed(speed_mps: float, from_deg: float) -> Wind:
        """Meteorological convention: `from_deg` is where the wind blows from."""
        to_rad = math.radians(from_deg + 180.0)
        return Wind(east_mps=speed_mps * math.sin(to_rad), north_mps=speed_mps * math.cos(to_rad))


def _approach_speed(distance_m: float, max_mps: float, accel_mps2: float) -> float:
    """Fastest speed from which the vehicle still stops on the point."""
    return min(max_mps, POSITION_GAIN_PER_S * distance_m, math.sqrt(2.0 * accel_mps2 * distance_m))


def _turn_towards(heading_deg: float, target_deg: float, dt_s: float) -> float:
    diff = (target_deg - heading_deg + 180.0) % 360.0 - 180.0
    step = max(-YAW_RATE_DPS * dt_s, min(YAW_RATE_DPS * dt_s, diff))
    return (heading_deg + step) % 360.0


def _limit(dx: float, dy: float, max_norm: float) -> tuple[float, float]:
    n = math.hypot(dx, dy)
    if n <= max_norm or n == 0.0:
        return dx, dy
    return dx * max_norm / n, dy * max_norm / n


def step_multicopter(b: Body, sp: Setpoint | None, *, accel_mps2: float, wind: Wind,
                     dt_s: float) -> Body:
    """One step. `sp` None: motors off (on the ground it stays, in the air it falls)."""
    if sp is None:
        return _fall(b, wind, dt_s)
    dx, dy = sp.east_m - b.east_m, sp.north_m - b.north_m
    dist = math.hypot(dx, dy)
    want_h = _approach_speed(dist, sp.speed_mps, accel_mps2) if dist > 1e-6 else 0.0
    if b.up_m < min(sp.up_m, CLIMB_BEFORE_MOVING_M) - 0.1:
        want_h = 0.0
    want_e, want_n = (want_h * dx / dist, want_h * dy / dist) if want_h > 0 else (0.0, 0.0)
    dz = sp.up_m - b.up_m
    want_u = max(-sp.sink_mps, min(sp.climb_mps, POSITION_GAIN_PER_S * dz))
    if b.on_ground and want_u <= 0.0:
        return Body(east_m=b.east_m, north_m=b.north_m, heading_deg=b.heading_deg,
                    wind_est_east_mps=b.wind_est_east_mps,
                    wind_est_north_mps=b.wind_est_north_mps, on_ground=True)

    # The controller commands air velocity = wanted ground velocity - estimated wind.
    air_e, air_n = b.v_east_mps - wind.east_mps, b.v_north_mps - wind.north_mps
    if b.on_ground:
        air_e, air_n = 0.0, 0.0
    cmd_e, cmd_n = want_e - b.wind_est_east_mps, want_n - b.wind_est_north_mps
    acc_e, acc_n = _limit((cmd_e - air_e) / dt_s, (cmd_n - air_n) / dt_s, accel_mps2)
    air_e, air_n = air_e + acc_e * dt_s, air_n + acc_n * dt_s
    acc_u = max(-accel_mps2, min(accel_mps2, (want_u - b.v_up_mps) / dt_s))
    v_up = b.v_up_mps + acc_u * dt_s
    v_e, v_n = air_e + wind.east_mps, air_n + wind.north_mps
    up = b.up_m + v_up * dt_s
    learn = min(dt_s / WIND_LEARN_TAU_S, 1.0)
    west = b.wind_est_east_mps + (wind.east_mps - b.wind_est_east_mps) * learn
    wnorth = b.wind_est_north_mps + (wind.north_mps - b.wind_est_north_mps) * learn

    heading = b.heading_deg
    if want_h > 0.5:
        heading = _turn_towards(heading, math.degrees(math.atan2(want_e, want_n)) % 360.0, dt_s)
    roll, pitch = _tilt_deg(acc_e, acc_n, air_e, air_n, heading)
    if up <= 0.0 and v_up <= 0.0:
        return Body(east_m=b.east_m + v_e * dt_s, north_m=b.north_m + v_n * dt_s,
                    heading_deg=heading, wind_est_east_mps=west, wind_est_north_mps=wnorth,
                    on_ground=True)
    return Body(east_m=b.east_m + v_e * dt_s, north_m=b.north_m + v_n * dt_s, up_m=up,
                v_east_mps=v_e, v_north_mps=v_n, v_up_mps=v_up, heading_deg=heading,
                roll_deg=roll, pitch_deg=pitch, wind_est_east_mps=west,
                wind_est_north_mps=wnorth, on_ground=False)


def _tilt_deg(acc_e: float, acc_n: float, air_e: float, air_n: float,
              heading_deg: float) -> tuple[float, float]:
    """Roll and pitch a multicopter needs for this acceleration plus drag at this air speed."""
    air = math.hypot(air_e, air_n)
    f_e = acc_e + DRAG_PER_MPS * air * air_e
    f_n = acc_n + DRAG_PER_MPS * air * air_n
    h = math.radians(heading_deg)
    forward = f_e * math.sin(h) + f_n * math.cos(h)
    right = f_e * math.cos(h) - f_n * math.sin(h)
    return (math.degrees(math.atan2(right, GRAVITY_MPS2)),
            -math.degrees(math.atan2(forward, GRAVITY_MPS2)))


def _fall(b: Body, wind: Wind, dt_s: float) -> Body:
    if b.on_ground:
        return b if b.v_up_mps == 0.0 else Body(east_m=b.east_m, north_m=b.north_m,
                                                heading_deg=b.heading_deg, on_ground=True)
    v_up = max(b.v_up_mps - GRAVITY_MPS2 * dt_s, -TERMINAL_FALL_MPS)
    up = b.up_m + v_up * dt_s
    if up <= 0.0:
        return Body(east_m=b.east_m, north_m=b.north_m, heading_deg=b.heading_deg,
                    on_ground=True)
    return Body(east_m=b.east_m + wind.east_mps * dt_s, north_m=b.north_m + wind.north_mps * dt_s,
                up_m=up, v_east_mps=wind.east_mps, v_north_mps=wind.north_mps, v_up_mps=v_up,
                heading_deg=b.heading_deg, on_ground=False)


def step_rover(b: Body, sp: Setpoint | None, *, accel_mps2: float, dt_s: float) -> Body:
    """A rover drives on the ground only; it turns on the spot towards its target."""
    if sp is None:
        return Body(east_m=b.east_m, north_m=b.north_m, heading_deg=b.heading_deg)
    dx, dy = sp.east_m - b.east_m, sp.north_m - b.north_m
    dist = math.hypot(dx, dy)
    want = _approach_speed(dist, sp.speed_mps, accel_mps2) if dist > 0.05 else 0.0
    heading = b.heading_deg
    if want > 0.0:
        target_deg = math.degrees(math.atan2(dx, dy)) % 360.0
        heading = _turn_towards(heading, target_deg, dt_s)
        if abs((target_deg - heading + 180.0) % 360.0 - 180.0) > 30.0:
            want = 0.0  # turn first, then drive
    speed = b.ground_speed_mps
    speed += max(-accel_mps2 * dt_s, min(accel_mps2 * dt_s, want - speed))
    h = math.radians(heading)
    v_e, v_n = speed * math.sin(h), speed * math.cos(h)
    return Body(east_m=b.east_m + v_e * dt_s, north_m=b.north_m + v_n * dt_s,
                v_east_mps=v_e, v_north_mps=v_n, heading_deg=heading)
