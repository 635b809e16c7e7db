"""The simulator's pure parts, without sockets or clocks: geodesy, params, physics, battery,
failsafe decisions, fence geometry, the mission executor and the autopilot's flight logic."""

from __future__ import annotations

import math

import pymap3d
import pytest

from sim.autopilot import Autopilot, VehicleConfig
from sim.battery import MULTICOPTER_BATTERY, cell_voltage_v, current_a, drain, full_battery
from sim.dynamics import Body, Setpoint, Wind, step_multicopter, step_rover
from sim.failsafe import FailsafeInputs, FailsafeSettings, Latches, decide
from sim.fence import Circle, Fence, Polygon, breach_reason, point_in_polygon
from sim.geo import Enu, Origin, enu_to_geodetic, geodetic_to_enu
from sim.mav_result import Result
from sim.mission_executor import MissionExecutor
from sim.mission_items import MissionItem
from sim.params import ParamTable, decode_int_bytewise, encode_int_bytewise
from sim.px4_modes import FlightMode

HOME = Origin(lat_deg=22.5431, lon_deg=114.0579, alt_amsl_m=10.0)
DT = 0.05


def test_local_frame_is_within_half_a_metre_of_pymap3d_over_3_km() -> None:
    for east, north in ((3000.0, 0.0), (0.0, -3000.0), (2100.0, 2100.0)):
        p = enu_to_geodetic(Enu(east_m=east, north_m=north, up_m=0.0), HOME)
        e, n, _ = pymap3d.geodetic2enu(p.lat_deg, p.lon_deg, HOME.alt_amsl_m, HOME.lat_deg,
                                       HOME.lon_deg, HOME.alt_amsl_m)
        assert math.hypot(e - east, n - north) < 0.5
        back = geodetic_to_enu(p.lat_deg, p.lon_deg, p.alt_amsl_m, HOME)
        assert back.east_m == pytest.approx(east, abs=1e-6)


def test_int_params_are_bytewise_and_plain_floats_are_accepted_too() -> None:
    assert decode_int_bytewise(encode_int_bytewise(3)) == 3
    t = ParamTable()
    assert t.set_from_wire("GF_ACTION", encode_int_bytewise(5), 6) and t["GF_ACTION"] == 5
    assert t.set_from_wire("GF_ACTION", 3.0, 9) and t["GF_ACTION"] == 3
    assert not t.set_from_wire("NO_SUCH_PARAM", 1.0, 9)
    assert not t.set("MIS_TAKEOFF_ALT", math.nan) and t["MIS_TAKEOFF_ALT"] == 2.5
    value, ptype = t.wire("NAV_DLL_ACT")
    assert ptype == 6 and decode_int_bytewise(value) == 2


def _fly(body: Body, sp: Setpoint, seconds: float, wind: Wind | None = None) -> list[Body]:
    wind = wind or Wind()
    out = []
    for _ in range(int(seconds / DT)):
        body = step_multicopter(body, sp, accel_mps2=3.0, wind=wind, dt_s=DT)
        out.append(body)
    return out


def test_multicopter_respects_climb_speed_and_stops_on_the_point() -> None:
    sp = Setpoint(east_m=200.0, north_m=0.0, up_m=30.0, speed_mps=8.0, climb_mps=3.0,
                  sink_mps=1.5)
    path = _fly(Body(), sp, 80.0)
    assert max(b.v_up_mps for b in path) <= 3.0 + 1e-9
    assert max(b.ground_speed_mps for b in path) <= 8.0 + 1e-6
    # leaves the ground vertically: no horizontal motion below 1.9 m
    assert all(abs(b.east_m) < 0.05 for b in path if b.up_m < 1.85 and b.v_up_mps > 0)
    end = path[-1]
    assert math.hypot(end.east_m - 200, end.north_m) < 0.1
    assert end.up_m == pytest.approx(30, abs=0.1)
    assert end.heading_deg == pytest.approx(90.0, abs=1.0)  # nose towards travel (east)


def test_wind_drifts_briefly_then_is_compensated() -> None:
    start = Body(up_m=20.0, on_ground=False)
    sp = Setpoint(east_m=0.0, north_m=0.0, up_m=20.0, speed_mps=5.0, climb_mps=3.0, sink_mps=1.5)
    path = _fly(start, sp, 60.0, wind=Wind.from_speed(6.0, from_deg=270.0))  # blows east
    assert max(b.east_m for b in path) > 1.0  # pushed downwind at first
    assert abs(path[-1].east_m) < 0.2 and abs(path[-1].north_m) < 0.2


def test_rover_stays_on_the_ground_at_rover_speed() -> None:
    b = Body()
    sp = Setpoint(east_m=0.0, north_m=50.0, up_m=40.0, speed_mps=3.0, climb_mps=3.0, sink_mps=1.0)
    top = 0.0
    for _ in range(int(40 / DT)):
        b = step_rover(b, sp, accel_mps2=1.5, dt_s=DT)
        top = max(top, b.ground_speed_mps)
        assert b.up_m == 0.0
    assert top <= 3.0 + 1e-9 and b.north_m == pytest.approx(50.0, abs=0.2)


def test_full_battery_lasts_about_25_minutes_at_cruise() -> None:
    spec = MULTICOPTER_BATTERY
    state, t = full_battery(spec), 0.0
    load = current_a(spec, armed=True, airborne=True, air_speed_mps=5.0, climb_mps=0.0)
    while state.remaining_frac > 0.0:
        state = drain(state, spec, load_a=load, dt_s=1.0, drain_multiplier=1.0)
        t += 1.0
    assert 23 * 60 <= t <= 27 * 60
    assert current_a(spec, armed=True, airborne=True, air_speed_mps=12.0, climb_mps=0.0) > load
    assert current_a(spec, armed=True, airborne=True, air_speed_mps=0.0, climb_mps=3.0) > \
        current_a(spec, armed=True, airborne=True, air_speed_mps=0.0, climb_mps=0.0)
    assert cell_voltage_v(1.0, 0.0) == pytest.approx(4.2)
    assert cell_voltage_v(0.5, 0.0) < cell_voltage_v(0.9, 0.0) < 4.2
    fast = drain(full_battery(spec), spec, load_a=load, dt_s=60.0, drain_multiplier=100.0)
    assert fast.remaining_frac < 0.0 + 1e-9 or fast.remaining_frac < 0.1


SETTINGS = FailsafeSettings(link_loss_s=10.0, link_loss_action=2, battery_low_frac=0.15,
                            battery_critical_frac=0.07, battery_action=3, fence_action=2)


def _inputs(**kw: object) -> FailsafeInputs:
    base = dict(armed=True, airborne=True, battery_frac=0.8, gcs_silent_sim_s=None,
                gcs_silent_wall_s=None, fence_breach=None)
    base.update(kw)
    return FailsafeInputs(**base)  # type: ignore[arg-type]


def test_link_loss_needs_sim_and_wall_silence_and_fires_once() -> None:
    fired, latches = decide(_inputs(gcs_silent_sim_s=30.0, gcs_silent_wall_s=1.0), SETTINGS,
                            Latches())
    assert fired == []  # 1 Hz wall heartbeats at 30x speed-up are not a lost link
    fired, latches = decide(_inputs(gcs_silent_sim_s=30.0, gcs_silent_wall_s=3.5), SETTINGS,
                            latches)
    assert [(f.kind, f.action) for f in fired] == [("link", "rtl")]
    assert decide(_inputs(gcs_silent_sim_s=40.0, gcs_silent_wall_s=5.0), SETTINGS, latches)[0] == []
    assert decide(_inputs(), SETTINGS, Latches())[0] == []  # no GCS heard yet: nothing to lose
    assert decide(_inputs(armed=False, gcs_silent_sim_s=99.0, gcs_silent_wall_s=99.0), SETTINGS,
                  Latches())[0] == []


def test_battery_low_returns_then_critical_lands() -> None:
    fired, latches = decide(_inputs(battery_frac=0.14), SETTINGS, Latches())
    assert [(f.kind, f.action) for f in fired] == [("battery_low", "rtl")]
    fired, latches = decide(_inputs(battery_frac=0.06), SETTINGS, latches)
    assert [(f.kind, f.action) for f in fired] == [("battery_critical", "land")]
    assert decide(_inputs(battery_frac=0.05), SETTINGS, latches)[0] == []


def test_fence_action_fires_per_breach() -> None:
    fired, latches = decide(_inputs(fence_breach="outside"), SETTINGS, Latches())
    assert [(f.kind, f.action) for f in fired] == [("fence", "hold")]
    assert decide(_inputs(fence_breach="outside"), SETTINGS, latches)[0] == []
    _, latches = decide(_inputs(), SETTINGS, latches)  # back inside: re-armed
    assert decide(_inputs(fence_breach="outside"), SETTINGS, latches)[0] != []


def test_fence_geometry() -> None:
    concave = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (5.0, 3.0), (0.0, 10.0))
    assert point_in_polygon(2.0, 1.0, concave)
    assert not point_in_polygon(5.0, 8.0, concave)  # in the notch
    fence = Fence(polygons=(Polygon(inclusion=True, vertices_en_m=concave),),
                  circles=(Circle(inclusion=False, center_east_m=8, center_north_m=1,
                                  radius_m=0.5),))
    kw = dict(up_m=5.0, max_hor_dist_m=0.0, max_ver_dist_m=0.0)
    assert breach_reason(fence, east_m=2, north_m=1, **kw) is None
    assert breach_reason(fence, east_m=5, north_m=8, **kw) == "outside the inclusion fence"
    assert breach_reason(fence, east_m=8, north_m=1.2, **kw) == "inside an exclusion circle"
    assert breach_reason(Fence(), east_m=60, north_m=0, up_m=5, max_hor_dist_m=50,
                         max_ver_dist_m=0) == "more than 50 m from home"
    assert breach_reason(Fence(), east_m=0, north_m=0, up_m=130, max_hor_dist_m=0,
                         max_ver_dist_m=120) == "higher than 120 m"


def _item(seq: int, command: int, east: float = 0.0, north: float = 0.0, alt: float = 10.0,
          p1: float = 0.0, p2: float = 0.0) -> MissionItem:
    g = enu_to_geodetic(Enu(east_m=east, north_m=north, up_m=0.0), HOME)
    return MissionItem(seq=seq, frame=6, command=command, current=0, autocontinue=1, param1=p1,
                       param2=p2, param3=0.0, param4=0.0, x=round(g.lat_deg * 1e7),
                       y=round(g.lon_deg * 1e7), z=alt, mission_type=0)


def test_executor_reaches_items_in_order_and_holds_for_param1() -> None:
    items = [_item(0, 16, 50, 0, p2=2.0), _item(1, 178, p2=9.0),
             _item(2, 16, 50, 50, p1=4.0, p2=2.0)]
    ex = MissionExecutor(items, HOME, default_accept_m=2.0, takeoff_alt_m=2.5)
    far = Enu(east_m=0, north_m=0, up_m=10)
    step = ex.step(0.0, position=far, landed=False)
    assert step.guide.kind == "goto" and step.reached == ()
    assert step.guide.target is not None and step.guide.target.east_m == pytest.approx(50, abs=0.01)
    near1 = Enu(east_m=48.6, north_m=1.0, up_m=10.0)  # 1.7 m away: inside 2 m
    step = ex.step(1.0, position=near1, landed=False)
    assert step.reached == (0, 1) and [i.command for i in step.do_items] == [178]
    at2 = Enu(east_m=50, north_m=50, up_m=10)
    assert ex.step(2.0, position=at2, landed=False).reached == ()  # holding 4 s
    assert ex.step(5.9, position=at2, landed=False).reached == ()
    assert ex.step(6.1, position=at2, landed=False).reached == (2,)
    assert ex.finished


def _run(ap: Autopilot, seconds: float, until: object = None) -> None:
    for _ in range(int(seconds / DT)):
        ap.step(DT, wall_s=0.0)
        if callable(until) and until():
            return


def test_autopilot_refuses_early_arming_then_takes_off_and_returns() -> None:
    ap = Autopilot(VehicleConfig(kind="multirotor", start=HOME))
    assert ap.arm() == Result.TEMPORARILY_REJECTED
    _run(ap, 6.0)
    assert ap.arm() == Result.ACCEPTED and ap.arm() == Result.ACCEPTED  # idempotent
    assert ap.takeoff(None) == Result.ACCEPTED
    _run(ap, 30.0, until=lambda: ap.mode is FlightMode.HOLD)
    assert ap.body.up_m == pytest.approx(2.5, abs=0.4)
    target = enu_to_geodetic(Enu(east_m=300, north_m=100, up_m=0), HOME)
    assert ap.reposition(lat_deg=target.lat_deg, lon_deg=target.lon_deg,
                         alt_amsl_m=HOME.alt_amsl_m + 40, speed_mps=None) == Result.ACCEPTED
    _run(ap, 200.0, until=lambda: math.hypot(ap.body.east_m - 300, ap.body.north_m - 100) < 0.5)
    assert ap.body.up_m == pytest.approx(40, abs=1.0)
    assert ap.disarm() == Result.DENIED
    assert ap.return_to_launch() == Result.ACCEPTED
    _run(ap, 400.0, until=lambda: not ap.armed)
    assert not ap.armed and ap.body.on_ground
    assert math.hypot(ap.body.east_m, ap.body.north_m) < 1.5


def test_rover_cannot_take_off() -> None:
    ap = Autopilot(VehicleConfig(kind="rover", start=HOME))
    _run(ap, 6.0)
    assert ap.arm() == Result.ACCEPTED
    assert ap.takeoff(50.0) == Result.DENIED


def test_executor_delay_land_and_rtl_items() -> None:
    items = [_item(0, 93, p1=3.0), _item(1, 21, 30, 0, alt=0.0)]
    ex = MissionExecutor(items, HOME, default_accept_m=2.0, takeoff_alt_m=2.5)
    here = Enu(east_m=0, north_m=0, up_m=10)
    assert ex.step(0.0, position=here, landed=False).guide.kind == "hold"
    step = ex.step(3.1, position=here, landed=False)  # delay over: fly over the landing spot
    assert step.reached == (0,) and step.guide.kind == "goto"
    over = Enu(east_m=30, north_m=0, up_m=10)
    assert ex.step(4.0, position=over, landed=False).guide.kind == "land"
    done = ex.step(9.0, position=Enu(east_m=30, north_m=0, up_m=0), landed=True)
    assert done.reached == (1,) and ex.finished

    rtl = MissionExecutor([_item(0, 20)], HOME, default_accept_m=2.0, takeoff_alt_m=2.5)
    step = rtl.step(0.0, position=here, landed=False)
    assert step.guide.kind == "rtl" and step.reached == (0,) and rtl.finished


def test_rover_executor_ignores_altitude_and_takeoff() -> None:
    items = [_item(0, 22, alt=20.0), _item(1, 16, 10, 0, alt=50.0)]
    ex = MissionExecutor(items, HOME, default_accept_m=2.0, takeoff_alt_m=2.5, ground_only=True)
    ground = Enu(east_m=9.0, north_m=0.0, up_m=0.0)
    assert ex.step(0.0, position=ground, landed=True).reached == (0, 1)


def test_autopilot_flies_a_mission_that_ends_landed_and_disarmed() -> None:
    ap = Autopilot(VehicleConfig(kind="multirotor", start=HOME, wind=Wind.from_speed(4.0, 90.0)))
    ap.store_items(0, [_item(0, 22, alt=15.0), _item(1, 16, 80, 40, alt=20.0, p2=2.0),
                       _item(2, 2000, p2=0.0), _item(3, 21, 0, 0, alt=0.0)])
    _run(ap, 6.0)
    assert ap.arm() == Result.ACCEPTED and ap.start_mission() == Result.ACCEPTED
    _run(ap, 400.0, until=lambda: not ap.armed)
    assert not ap.armed and ap.body.on_ground
    assert math.hypot(ap.body.east_m, ap.body.north_m) < 2.0  # landed on the item's spot
    events = [type(e).__name__ for e in ap.outbox]
    assert events.count("ItemReached") == 4 and "PhotoTaken" in events
    assert ap.battery.remaining_frac < 1.0


def test_streams_follow_sim_time_capped_in_wall_time_and_keep_the_heartbeat_alive() -> None:
    from sim.streams import StreamScheduler

    s = StreamScheduler({0: 1.0, 33: 0.1}, phase_frac=0.0, max_wall_hz=50.0,
                        max_wall_gap_s={0: 1.0})
    sent = {0: 0, 33: 0}
    for k in range(1000):  # 10 wall s at 30x: 300 sim s
        for mid in s.due(sim_s=k * 0.3, wall_s=k * 0.01):
            sent[mid] += 1
    assert sent[0] == pytest.approx(300, abs=2)  # 1 Hz of sim time
    assert sent[33] == pytest.approx(500, abs=2)  # 10 Hz sim would be 300 Hz wall: capped at 50
    slow = StreamScheduler({0: 1.0}, phase_frac=0.0, max_wall_gap_s={0: 1.0})
    beats = sum(len(slow.due(sim_s=k * 0.01, wall_s=k * 0.1)) for k in range(100))  # 0.1x
    assert beats == pytest.approx(10, abs=1)  # still 1 Hz of wall time


def test_rtl_climbs_returns_and_lands_on_home() -> None:
    from sim.rtl import RtlState, rtl_target

    home = Enu(east_m=0.0, north_m=0.0, up_m=0.0)
    state, target = rtl_target(RtlState(), Enu(east_m=100, north_m=0, up_m=20), home, 60.0)
    assert state.phase == "climb" and (target.east_m, target.up_m) == (100, 60.0)
    state, target = rtl_target(state, Enu(east_m=100, north_m=0, up_m=59.5), home, 60.0)
    assert state.phase == "return" and (target.east_m, target.up_m) == (0.0, 60.0)
    state, target = rtl_target(state, Enu(east_m=0.5, north_m=0, up_m=60), home, 60.0)
    assert state.phase == "land" and target.up_m < 0
    near, _ = rtl_target(RtlState(), Enu(east_m=3, north_m=0, up_m=10), home, 60.0)
    assert near.phase == "return" and near.cruise_up_m == 10  # near home: no climb first


def test_resends_of_a_release_are_answered_not_repeated() -> None:
    from sim.commands import CMD_DO_GRIPPER, CMD_NAV_TAKEOFF, CommandArgs
    from sim.resends import ResendFilter, command_key

    nan = math.nan
    release = CommandArgs(command=CMD_DO_GRIPPER, params=(1.0, 0.0, nan, nan, nan, nan, nan))
    f = ResendFilter(window_s=1.0)
    key = command_key((245, 190), release)
    assert f.earlier_result(key, 0.0) is None
    f.remember(key, Result.ACCEPTED, 0.0)
    assert f.earlier_result(key, 0.5) == Result.ACCEPTED  # MAVSDK's resend, NaNs and all
    assert f.earlier_result(command_key((246, 190), release), 0.5) is None  # another sender
    assert f.earlier_result(key, 1.6) is None  # too late to be a resend
    takeoff = CommandArgs(command=CMD_NAV_TAKEOFF, params=(nan,) * 7)
    f.remember(command_key((245, 190), takeoff), Result.ACCEPTED, 2.0)
    assert f.earlier_result(command_key((245, 190), takeoff), 2.1) is None  # idempotent anyway
