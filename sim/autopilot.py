"""The simulated autopilot: PX4's flight modes, arming checks and failsafes over point-mass physics.

No sockets and no clock: the MAVLink shell calls the command methods (each returns a
MAV_RESULT and is idempotent, because ground stations resend) and `step(dt_s, wall_s)` at a
fixed sim-time step, then drains `outbox` for what the vehicle has to say (status texts,
reached mission items, photos, "send a heartbeat now").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sim.battery import (
    MULTICOPTER_BATTERY,
    ROVER_BATTERY,
    BatteryState,
    current_a,
    drain,
    full_battery,
)
from sim.commands import run_mission_item
from sim.dynamics import Body, Setpoint, Wind, step_multicopter, step_rover
from sim.events import (
    SEVERITY_CRITICAL,
    SEVERITY_INFO,
    SEVERITY_WARNING,
    Event,
    HeartbeatNow,
    ItemReached,
    MissionCurrentChanged,
    StatusText,
)
from sim.failsafe import Failsafe, FailsafeInputs, FailsafeSettings, Latches, decide
from sim.fence import Fence, breach_reason, fence_from_items
from sim.geo import Enu, LatLonAlt, Origin, enu_to_geodetic, geodetic_to_enu
from sim.mav_result import Result
from sim.mission_executor import Guide, MissionExecutor
from sim.mission_items import (
    MISSION_TYPE_FENCE,
    MISSION_TYPE_MISSION,
    MISSION_TYPE_RALLY,
    MissionItem,
    item_enu,
)
from sim.params import ParamTable
from sim.payload import Payload
from sim.px4_modes import FlightMode
from sim.rtl import RtlState, rtl_target

VehicleKind = Literal["multirotor", "rover"]

GPS_FIX_AFTER_S = 5.0  #: sim seconds from start-up to a 3D fix
ROVER_ACCEL_MPS2 = 1.5
ROVER_HOME_M = 1.0  #: a returning rover stops (and disarms) this close to home
TAKEOFF_DONE_M = 0.3  #: below the target altitude, as PX4 switches to Hold
SLOW_LOOP_S = 0.1  #: battery and failsafe checks run at 10 Hz, like PX4's commander

MISSION_STATE_NO_MISSION = 1
MISSION_STATE_NOT_STARTED = 2
MISSION_STATE_ACTIVE = 3
MISSION_STATE_PAUSED = 4
MISSION_STATE_COMPLETE = 5

LANDED_ON_GROUND = 1
LANDED_IN_AIR = 2
LANDED_TAKEOFF = 3
LANDED_LANDING = 4


@dataclass(frozen=True, kw_only=True, slots=True)
class VehicleConfig:
    kind: VehicleKind
    start: Origin  #: the dock: where the vehicle starts, on the ground
    wind: Wind = Wind()


class Autopilot:
    """One vehicle's flight stack. Positions are ENU metres around its start point (the dock);
    the ground is flat at the dock's altitude, so `up_m` is also the altitude above home."""

    def __init__(self, config: VehicleConfig, params: ParamTable | None = None) -> None:
        self.config = config
        self.params = params or ParamTable()
        self.origin = config.start
        self.is_rover = config.kind == "rover"
        self.battery_spec = ROVER_BATTERY if self.is_rover else MULTICOPTER_BATTERY
        self.t_s = 0.0
        self.body = Body()
        self.battery: BatteryState = full_battery(self.battery_spec)
        self.armed = False
        self.mode = FlightMode.HOLD
        self.home = Enu(east_m=0.0, north_m=0.0, up_m=0.0)
        self.outbox: list[Event] = []  #: drained (in place) by the MAVLink shell
        self.missions: dict[int, list[MissionItem]] = {
            MISSION_TYPE_MISSION: [], MISSION_TYPE_FENCE: [], MISSION_TYPE_RALLY: []}
        self.mission_seq = 0
        self.fence = Fence()
        self.payload = Payload(self.params, self.outbox.append)
        self._executor: MissionExecutor | None = None
        self._hold = Enu(east_m=0.0, north_m=0.0, up_m=0.0)
        self._takeoff_target = self._hold
        self._land_spot = self._hold
        self._rtl_state = RtlState()
        self._rtl_destination = self.home
        self._speed_mps: float | None = None  #: DO_CHANGE_SPEED / reposition override
        self._has_flown = False
        self._on_ground_since_s: float | None = None
        self._gcs_last: tuple[float, float] | None = None  #: (sim s, wall s)
        self._latches = Latches()
        self._slow_dt_s = 0.0

    # ----- what telemetry reports -------------------------------------------------------

    @property
    def gps_fix(self) -> bool:
        return self.t_s >= GPS_FIX_AFTER_S

    @property
    def position(self) -> Enu:
        b = self.body
        return Enu(east_m=b.east_m, north_m=b.north_m, up_m=b.up_m)

    @property
    def geodetic(self) -> LatLonAlt:
        return enu_to_geodetic(self.position, self.origin)

    @property
    def home_geodetic(self) -> LatLonAlt:
        return enu_to_geodetic(self.home, self.origin)

    @property
    def fence_breached(self) -> bool:
        return self._latches.fence_breached

    @property
    def airborne(self) -> bool:
        return not self.body.on_ground

    @property
    def landed_state(self) -> int:
        if self.body.on_ground:
            return LANDED_ON_GROUND
        if self.mode is FlightMode.TAKEOFF:
            return LANDED_TAKEOFF
        if self.mode is FlightMode.LAND or (
                self.mode is FlightMode.RTL and self._rtl_state.phase == "land"):
            return LANDED_LANDING
        return LANDED_IN_AIR

    @property
    def mission_state(self) -> int:
        if not self.missions[MISSION_TYPE_MISSION]:
            return MISSION_STATE_NO_MISSION
        if self._executor is None:
            return MISSION_STATE_NOT_STARTED
        if self._executor.finished:
            return MISSION_STATE_COMPLETE
        return MISSION_STATE_ACTIVE if self.mode is FlightMode.MISSION else MISSION_STATE_PAUSED

    @property
    def cruise_speed_mps(self) -> float:
        if self.is_rover:
            default = self.params["GND_SPEED_TRIM"]
        else:
            default = self.params["MPC_XY_CRUISE"]
        speed = self._speed_mps if self._speed_mps is not None else default
        return min(speed, self.params["MPC_XY_VEL_MAX"])

    # ----- commands ----------------------------------------------------------------------

    def arm(self) -> Result:
        if self.armed:
            return Result.ACCEPTED
        if not self.gps_fix:
            return self._refuse(Result.TEMPORARILY_REJECTED, "Arming denied: no 3D GPS fix yet")
        if self.battery.remaining_frac < self.params["BAT_CRIT_THR"]:
            return self._refuse(
                Result.DENIED,
                f"Arming denied: battery critical ({self.battery.remaining_frac:.0%})")
        self.home = self.position
        self._hold = self.position
        self._latches = Latches()
        if self.mode in (FlightMode.RTL, FlightMode.LAND, FlightMode.TAKEOFF):
            self._set_mode(FlightMode.HOLD)
        self._set_armed(True)
        self._say(SEVERITY_INFO, "Armed")
        return Result.ACCEPTED

    def disarm(self, *, force: bool = False) -> Result:
        if not self.armed:
            return Result.ACCEPTED
        if self.airborne and not force:
            return self._refuse(Result.DENIED, "Disarming denied: not landed")
        self._disarm("Disarmed" if not force else "Disarmed by force")
        return Result.ACCEPTED

    def takeoff(self, alt_amsl_m: float | None) -> Result:
        if self.is_rover:
            return self._refuse(Result.DENIED, "Takeoff denied: a ground rover cannot fly")
        if not self.armed:
            return self._refuse(Result.DENIED, "Takeoff denied: disarmed")
        up = None if alt_amsl_m is None else alt_amsl_m - self.origin.alt_amsl_m
        if up is None or up < 0.5:
            up = self.params["MIS_TAKEOFF_ALT"]
        if self.mode is FlightMode.TAKEOFF and abs(self._takeoff_target.up_m - up) < 0.01:
            return Result.ACCEPTED
        self._takeoff_target = Enu(east_m=self.body.east_m, north_m=self.body.north_m, up_m=up)
        self._set_mode(FlightMode.TAKEOFF)
        self._say(SEVERITY_INFO, f"Takeoff to {up:.1f} m")
        return Result.ACCEPTED

    def land(self, lat_deg: float | None = None, lon_deg: float | None = None) -> Result:
        if self.mode is FlightMode.LAND or not self.armed:
            return Result.ACCEPTED
        if self.is_rover:
            return self.hold()
        spot = self.position
        if lat_deg is not None and lon_deg is not None:
            spot = geodetic_to_enu(lat_deg, lon_deg, self.origin.alt_amsl_m, self.origin)
        self._land_spot = Enu(east_m=spot.east_m, north_m=spot.north_m, up_m=-1.0)
        self._set_mode(FlightMode.LAND)
        self._say(SEVERITY_INFO, "Landing")
        return Result.ACCEPTED

    def return_to_launch(self) -> Result:
        if self.mode is FlightMode.RTL:
            return Result.ACCEPTED
        if not self.armed:
            return self._refuse(Result.TEMPORARILY_REJECTED, "Return denied: disarmed")
        if not self.is_rover and not self.airborne:
            return self._refuse(Result.TEMPORARILY_REJECTED, "Return denied: not in air")
        self._start_rtl()
        self._say(SEVERITY_INFO, "Returning to launch")
        return Result.ACCEPTED

    def hold(self) -> Result:
        """Stop where the vehicle can (also when already in Hold, flying to a reposition)."""
        self._hold = self._braking_point()
        self._set_mode(FlightMode.HOLD)
        return Result.ACCEPTED

    def start_mission(self, first_seq: int | None = None) -> Result:
        items = self.missions[MISSION_TYPE_MISSION]
        if not items:
            return self._refuse(Result.DENIED, "Mission denied: no mission uploaded")
        if first_seq is not None and 0 <= first_seq < len(items):
            self.set_current(first_seq)
        if self.mode is FlightMode.MISSION and self._executor is not None:
            return Result.ACCEPTED
        if self._executor is None or self._executor.finished:
            start = self.mission_seq if (self._executor is None) else 0
            self._new_executor(start)
        self._set_mode(FlightMode.MISSION)
        return Result.ACCEPTED

    def set_mode(self, mode: FlightMode) -> Result:
        match mode:
            case FlightMode.HOLD:
                return self.hold()
            case FlightMode.MISSION:
                return self.start_mission()
            case FlightMode.RTL:
                return self.return_to_launch()
            case FlightMode.LAND:
                return self.land()
            case FlightMode.TAKEOFF:
                if self.mode is FlightMode.TAKEOFF:
                    return Result.ACCEPTED
                return self.takeoff(None)
        return Result.UNSUPPORTED

    def refuse_mode(self, name: str, why: str) -> Result:
        return self._refuse(Result.DENIED, f"{name} denied: {why}")

    def reposition(self, *, lat_deg: float | None, lon_deg: float | None,
                   alt_amsl_m: float | None, speed_mps: float | None) -> Result:
        """DO_REPOSITION: fly (drive) there and hold, in Hold mode, as PX4 does."""
        if not self.armed:
            return self._refuse(Result.DENIED, "Reposition denied: disarmed")
        here = self.position
        target = here
        if lat_deg is not None and lon_deg is not None:
            target = geodetic_to_enu(lat_deg, lon_deg, self.origin.alt_amsl_m, self.origin)
        if self.is_rover:
            up = 0.0
        elif alt_amsl_m is not None:
            up = alt_amsl_m - self.origin.alt_amsl_m
        else:
            up = here.up_m if self.airborne else self.params["MIS_TAKEOFF_ALT"]
        if speed_mps is not None and speed_mps > 0:
            self._speed_mps = speed_mps
        self._hold = Enu(east_m=target.east_m, north_m=target.north_m, up_m=max(up, 0.0))
        self._set_mode(FlightMode.HOLD)
        return Result.ACCEPTED

    def change_speed(self, speed_mps: float) -> Result:
        if math.isfinite(speed_mps) and speed_mps > 0:
            self._speed_mps = speed_mps
        return Result.ACCEPTED

    def point_gimbal(self, *, pitch_deg: float | None, yaw_deg: float | None,
                     flags: int = 0) -> Result:
        """Gimbal angles (None: unchanged) with GIMBAL_MANAGER_FLAGS (`sim.payload`)."""
        return self.payload.point_gimbal(pitch_deg=pitch_deg, yaw_deg=yaw_deg, flags=flags,
                                         heading_deg=self.body.heading_deg)

    def gimbal_angles_deg(self) -> tuple[float, float]:
        """(pitch from the horizon, yaw from the nose) the stabilised gimbal points at now."""
        return self.payload.gimbal_angles_deg(self.position, self.body.heading_deg, self.origin)

    def take_photos(self, *, interval_s: float, count: int) -> Result:
        return self.payload.take_photos(self.t_s, self.geodetic, self.body.up_m,
                                        interval_s=interval_s, count=count)

    # ----- mission storage ----------------------------------------------------------------

    def store_items(self, mission_type: int, items: list[MissionItem]) -> None:
        self.missions[mission_type] = items
        if mission_type == MISSION_TYPE_FENCE:
            self.fence = fence_from_items(items, self.origin)
        elif mission_type == MISSION_TYPE_MISSION:
            self._executor = None
            self.mission_seq = 0
            if self.mode is FlightMode.MISSION:
                if items:
                    self._new_executor(0)
                else:
                    self.hold()
            self.outbox.append(MissionCurrentChanged(seq=0))

    def set_current(self, seq: int) -> bool:
        items = self.missions[MISSION_TYPE_MISSION]
        if not 0 <= seq < len(items):
            return False
        self.mission_seq = seq
        if self._executor is not None:
            self._new_executor(seq)
        self.outbox.append(MissionCurrentChanged(seq=seq))
        return True

    # ----- ground station link -------------------------------------------------------------

    def heard_gcs(self, wall_s: float) -> None:
        if self._latches.link_lost:
            self._say(SEVERITY_INFO, "Data link regained")
        self._gcs_last = (self.t_s, wall_s)

    # ----- the step ---------------------------------------------------------------------------

    def step(self, dt_s: float, wall_s: float) -> None:
        self.t_s += dt_s
        if self.armed:
            setpoint = self._guidance()
        else:
            setpoint = None
        if self.is_rover:
            self.body = step_rover(self.body, setpoint, accel_mps2=ROVER_ACCEL_MPS2, dt_s=dt_s)
        else:
            self.body = step_multicopter(self.body, setpoint, accel_mps2=self.params["MPC_ACC_HOR"],
                                         wind=self.config.wind, dt_s=dt_s)
        if self.armed:
            self._landing_check()
        self._slow_dt_s += dt_s
        if self._slow_dt_s >= SLOW_LOOP_S - 1e-9:
            self._drain_battery(self._slow_dt_s)
            self._slow_dt_s = 0.0
            if self.armed:
                self._failsafes(wall_s)
        if self.payload.photo_due(self.t_s):
            self.payload.step(self.t_s, self.geodetic, self.body.up_m)

    def _guidance(self) -> Setpoint | None:
        speed = self.cruise_speed_mps
        match self.mode:
            case FlightMode.TAKEOFF:
                target = self._takeoff_target
                if self.body.up_m >= target.up_m - TAKEOFF_DONE_M:
                    self._hold = target
                    self._set_mode(FlightMode.HOLD)
                sp = self._to(target, speed)
                return Setpoint(east_m=sp.east_m, north_m=sp.north_m, up_m=sp.up_m,
                                speed_mps=sp.speed_mps, sink_mps=sp.sink_mps,
                                climb_mps=min(sp.climb_mps, self.params["MPC_TKO_SPEED"]))
            case FlightMode.LAND:
                return self._to(self._land_spot, speed)
            case FlightMode.RTL:
                return self._rtl(speed)
            case FlightMode.MISSION:
                return self._mission(speed)
        if self.body.on_ground and self._hold.up_m <= 0.0 and not self.is_rover:
            return None
        return self._to(self._hold, speed)

    def _to(self, target: Enu, speed_mps: float) -> Setpoint:
        p = self.params
        sink = p["MPC_Z_VEL_MAX_DN"] if self.body.up_m > p["MPC_LAND_ALT1"] else p["MPC_LAND_SPEED"]
        if target.up_m >= 0.0:
            sink = p["MPC_Z_VEL_MAX_DN"]
        return Setpoint(east_m=target.east_m, north_m=target.north_m, up_m=target.up_m,
                        speed_mps=speed_mps, climb_mps=p["MPC_Z_VEL_MAX_UP"], sink_mps=sink)

    def _start_rtl(self) -> None:
        """PX4's RTL_TYPE 0: return to the closest safe point, home or a rally point."""
        here = self.position
        points = [self.home] + [p for p in (item_enu(r, self.origin)
                                            for r in self.missions[MISSION_TYPE_RALLY]) if p]
        self._rtl_destination = min(points, key=lambda p: math.hypot(
            p.east_m - here.east_m, p.north_m - here.north_m))
        self._rtl_state = RtlState()
        self._set_mode(FlightMode.RTL)

    def _rtl(self, speed_mps: float) -> Setpoint:
        if self.is_rover:
            home = Enu(east_m=self._rtl_destination.east_m,
                       north_m=self._rtl_destination.north_m, up_m=0.0)
            if math.hypot(home.east_m - self.body.east_m,
                          home.north_m - self.body.north_m) <= ROVER_HOME_M:
                self._disarm("Returned")
                return self._to(self.position, 0.0)
            return self._to(home, speed_mps)
        before = self._rtl_state.phase
        self._rtl_state, target = rtl_target(self._rtl_state, self.position,
                                             self._rtl_destination,
                                             max(self.params["RTL_RETURN_ALT"], 0.0))
        if self._rtl_state.phase == "land" and before != "land":
            self._say(SEVERITY_INFO, "Home reached, landing" if self._rtl_destination is self.home
                      else "Rally point reached, landing")
        return self._to(target, speed_mps)

    def _mission(self, speed_mps: float) -> Setpoint | None:
        ex = self._executor
        if ex is None:
            return self._to(self._hold, speed_mps)
        before = ex.current_seq
        landed = self.body.on_ground and self._has_flown
        out = ex.step(self.t_s, position=self.position, landed=landed)
        for item in out.do_items:
            self._apply_do_item(item)
        for seq in out.reached:
            self.outbox.append(ItemReached(seq=seq))
        if ex.current_seq != before:
            self.mission_seq = ex.current_seq
            self.outbox.append(MissionCurrentChanged(seq=ex.current_seq))
        if ex.finished:
            self.outbox.append(MissionCurrentChanged(seq=ex.current_seq))
            return self._mission_finished(out.guide, speed_mps)
        return self._guide_setpoint(out.guide, speed_mps)

    def _mission_finished(self, guide: Guide, speed_mps: float) -> Setpoint | None:
        if guide.kind == "rtl":
            self._say(SEVERITY_INFO, "Mission finished, returning")
            self._start_rtl()
            return self._rtl(speed_mps)
        if guide.kind == "land":
            self._say(SEVERITY_INFO, "Mission finished, landed")
            self._land_spot = Enu(east_m=self.body.east_m, north_m=self.body.north_m, up_m=-1.0)
            self._set_mode(FlightMode.LAND)
            return self._to(self._land_spot, speed_mps)
        self._say(SEVERITY_INFO, "Mission finished, holding")
        self._hold = self._braking_point() if self.airborne or self.is_rover else self.position
        self._set_mode(FlightMode.HOLD)
        return self._guidance()

    def _guide_setpoint(self, guide: Guide, speed_mps: float) -> Setpoint | None:
        if guide.kind == "land":
            return self._to(Enu(east_m=self.body.east_m, north_m=self.body.north_m, up_m=-1.0),
                            speed_mps)
        target = guide.target or self.position
        if self.is_rover:
            target = Enu(east_m=target.east_m, north_m=target.north_m, up_m=0.0)
        return self._to(target, speed_mps)

    def _apply_do_item(self, item: MissionItem) -> None:
        run_mission_item(self, item)

    def _new_executor(self, start_seq: int) -> None:
        self._executor = MissionExecutor(
            self.missions[MISSION_TYPE_MISSION], self.origin,
            default_accept_m=self.params["NAV_ACC_RAD"],
            takeoff_alt_m=self.params["MIS_TAKEOFF_ALT"], start_seq=start_seq,
            ground_only=self.is_rover)
        self.mission_seq = self._executor.current_seq
        self.outbox.append(MissionCurrentChanged(seq=self.mission_seq))

    def _braking_point(self) -> Enu:
        """Where the vehicle can stop: PX4's Hold does not jerk back to where it was."""
        b = self.body
        a = max(self.params["MPC_ACC_HOR"], 0.5)
        v = b.ground_speed_mps
        stop_m = v * v / (2 * a)
        if v < 0.1:
            return Enu(east_m=b.east_m, north_m=b.north_m, up_m=b.up_m if self.airborne else 0.0)
        return Enu(east_m=b.east_m + b.v_east_mps / v * stop_m,
                   north_m=b.north_m + b.v_north_mps / v * stop_m, up_m=b.up_m)

    def _landing_check(self) -> None:
        if not self.body.on_ground:
            self._has_flown = True
            self._on_ground_since_s = None
            return
        if not self._has_flown or self.is_rover:
            return
        if self._on_ground_since_s is None:
            self._on_ground_since_s = self.t_s
            self._say(SEVERITY_INFO, "Landing detected")
        elif self.t_s - self._on_ground_since_s >= self.params["COM_DISARM_LAND"]:
            self._disarm("Disarmed after landing")

    def _drain_battery(self, dt_s: float) -> None:
        b, w = self.body, self.config.wind
        air = math.hypot(b.v_east_mps - w.east_mps, b.v_north_mps - w.north_mps) \
            if self.airborne else b.ground_speed_mps
        load = current_a(self.battery_spec, armed=self.armed,
                         airborne=self.airborne or self.is_rover,
                         air_speed_mps=air, climb_mps=b.v_up_mps)
        self.battery = drain(self.battery, self.battery_spec, load_a=load, dt_s=dt_s,
                             drain_multiplier=self.params["SIM_BAT_DRAIN"])

    def _failsafes(self, wall_s: float) -> None:
        p = self.params
        breach = None
        if self.airborne or self.is_rover:
            breach = breach_reason(
                self.fence, east_m=self.body.east_m - self.home.east_m,
                north_m=self.body.north_m - self.home.north_m, up_m=self.body.up_m,
                max_hor_dist_m=p["GF_MAX_HOR_DIST"], max_ver_dist_m=p["GF_MAX_VER_DIST"],
            ) if (self.fence.polygons or self.fence.circles or p["GF_MAX_HOR_DIST"] > 0
                  or p["GF_MAX_VER_DIST"] > 0) else None
        silent_sim = silent_wall = None
        if self._gcs_last is not None:
            silent_sim = self.t_s - self._gcs_last[0]
            silent_wall = wall_s - self._gcs_last[1]
        inputs = FailsafeInputs(armed=self.armed, airborne=self.airborne or self.is_rover,
                                battery_frac=self.battery.remaining_frac,
                                gcs_silent_sim_s=silent_sim, gcs_silent_wall_s=silent_wall,
                                fence_breach=breach)
        settings = FailsafeSettings(
            link_loss_s=p["COM_DL_LOSS_T"], link_loss_action=int(p["NAV_DLL_ACT"]),
            battery_low_frac=p["BAT_LOW_THR"], battery_critical_frac=p["BAT_CRIT_THR"],
            battery_action=int(p["COM_LOW_BAT_ACT"]), fence_action=int(p["GF_ACTION"]))
        fired, self._latches = decide(inputs, settings, self._latches)
        for failsafe in fired:
            self._apply_failsafe(failsafe)

    def _apply_failsafe(self, f: Failsafe) -> None:
        words = {"warn": "warning only", "hold": "holding", "rtl": "returning", "land": "landing"}
        prefix = "Geofence" if f.kind == "fence" else "Failsafe"
        self._say(SEVERITY_CRITICAL if f.action != "warn" else SEVERITY_WARNING,
                  f"{prefix}: {f.reason}, {words[f.action]}")
        if f.action == "hold":
            self.hold()
        elif f.action == "rtl" and self.mode not in (FlightMode.RTL, FlightMode.LAND):
            self._start_rtl()
        elif f.action == "land":
            if self.is_rover:
                self.hold()
            elif self.mode is not FlightMode.LAND:
                self._land_spot = Enu(east_m=self.body.east_m, north_m=self.body.north_m, up_m=-1.0)
                self._set_mode(FlightMode.LAND)

    # ----- helpers ------------------------------------------------------------------------------

    def _disarm(self, why: str) -> None:
        self._set_armed(False)
        self._has_flown = False
        self._on_ground_since_s = None
        self.payload.stop_photos()
        if self.mode is not FlightMode.MISSION or (self._executor and self._executor.finished):
            self._set_mode(FlightMode.HOLD)
        self._hold = self.position
        self._say(SEVERITY_INFO, why)

    def _set_armed(self, armed: bool) -> None:
        if armed != self.armed:
            self.armed = armed
            self.outbox.append(HeartbeatNow())

    def _set_mode(self, mode: FlightMode) -> None:
        if mode is not self.mode:
            self.mode = mode
            self.outbox.append(HeartbeatNow())

    def _refuse(self, result: Result, text: str) -> Result:
        self._say(SEVERITY_WARNING, text)
        return result

    def _say(self, severity: int, text: str) -> None:
        self.outbox.append(StatusText(severity=severity, text=text))
