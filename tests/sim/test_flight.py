"""Fly a simulated PX4-like drone with pymavlink: heartbeat, arming checks, takeoff, goto, RTL."""

from __future__ import annotations

import pytest

from tests.sim.mav_client import NAN, Client, distance_m, mavlink, offset_deg

pytestmark = pytest.mark.e2e

PX4_HOLD = (4 << 16) | (3 << 24)
PX4_RTL = (4 << 16) | (5 << 24)


def test_heartbeat_is_a_px4_quadrotor_at_1hz_sim_time(sim_factory) -> None:
    sim = sim_factory(vehicles=2, speedup=4.0)
    with Client(sim.mavutil_url(1)) as gcs:
        hb = gcs.connect()
        assert gcs.sysid == 2  # vehicle i is system i+1
        assert hb.type == mavlink.MAV_TYPE_QUADROTOR
        assert hb.autopilot == mavlink.MAV_AUTOPILOT_PX4
        assert hb.custom_mode == PX4_HOLD
        assert hb.base_mode & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
        assert not hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
        counts: dict[str, int] = {}
        first = gcs.position()
        while True:
            msg = gcs.recv()
            if msg is None or msg.get_srcSystem() != 2:
                continue
            counts[msg.get_type()] = counts.get(msg.get_type(), 0) + 1
            if (msg.get_type() == "GLOBAL_POSITION_INT"
                    and msg.time_boot_ms - first.time_boot_ms >= 12_000):
                break
    # 12 sim seconds at PX4 rates: 1 Hz, 5 Hz, 10 Hz, 4 Hz. A simulator starved of CPU sends a
    # late message once rather than in a burst, so the lower bounds allow 15 % fewer.
    assert 10 <= counts["HEARTBEAT"] <= 14
    assert 10 <= counts["SYS_STATUS"] <= 14
    assert 10 <= counts["EXTENDED_SYS_STATE"] <= 14
    assert 10 <= counts["BATTERY_STATUS"] <= 14
    assert 10 <= counts["HOME_POSITION"] <= 14
    assert 51 <= counts["GPS_RAW_INT"] <= 66
    assert 102 <= counts["GLOBAL_POSITION_INT"] <= 132
    assert 102 <= counts["ATTITUDE"] <= 132
    assert 40 <= counts["VFR_HUD"] <= 54


def test_arming_is_refused_before_a_gps_fix_with_a_reason(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=1.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gps = gcs.wait("GPS_RAW_INT")
        assert gps.fix_type < 3
        result = gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
        assert result == mavlink.MAV_RESULT_TEMPORARILY_REJECTED
        gcs.wait("STATUSTEXT", lambda m: "GPS" in m.text, timeout_s=3)
        fix = gcs.wait_gps_fix(timeout_s=15)
        assert fix.satellites_visible >= 6
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        gcs.wait("HEARTBEAT", lambda m: m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)


def test_takeoff_climbs_to_mis_takeoff_alt_and_holds(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        assert gcs.set_param("MIS_TAKEOFF_ALT", 12.0).param_value == pytest.approx(12.0)
        gcs.arm_and_takeoff()  # NaN altitude: MIS_TAKEOFF_ALT
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_HOLD, timeout_s=10)
        gcs.wait("EXTENDED_SYS_STATE", lambda m: m.landed_state == mavlink.MAV_LANDED_STATE_IN_AIR)
        first = gcs.position()
        while (pos := gcs.position()).time_boot_ms - first.time_boot_ms < 10_000:
            assert abs(pos.relative_alt / 1000 - 12.0) <= 1.0


def test_goto_reaches_the_target_and_rtl_lands_at_home_disarmed(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=25.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(alt_m=15.0)
        home = gcs.wait("HOME_POSITION")
        home_lat, home_lon = home.latitude / 1e7, home.longitude / 1e7
        lat, lon = offset_deg(home_lat, home_lon, east_m=120.0, north_m=-80.0)
        result = gcs.command_int(mavlink.MAV_CMD_DO_REPOSITION,
                                 mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, (-1, 1, 0, NAN),
                                 int(lat * 1e7), int(lon * 1e7), 25.0)
        assert result == 0
        there = gcs.wait("GLOBAL_POSITION_INT", lambda m: distance_m(
            m.lat / 1e7, m.lon / 1e7, lat, lon) < 2.0 and abs(m.relative_alt - 25000) < 1000,
            timeout_s=60)
        assert there.relative_alt == pytest.approx(25000, abs=1000)

        assert gcs.command(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH) == 0
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_RTL, timeout_s=5)
        # PX4 RTL climbs to RTL_RETURN_ALT (60 m) first
        gcs.wait("GLOBAL_POSITION_INT", lambda m: m.relative_alt > 58_000, timeout_s=60)
        gcs.wait("HEARTBEAT", lambda m: not m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED,
                 timeout_s=120)
        landed = gcs.wait("EXTENDED_SYS_STATE")
        assert landed.landed_state == mavlink.MAV_LANDED_STATE_ON_GROUND
        pos = gcs.position()
        assert distance_m(pos.lat / 1e7, pos.lon / 1e7, home_lat, home_lon) < 3.0
        assert abs(pos.relative_alt) < 200


def test_land_command_descends_and_disarms(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=25.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        above = gcs.arm_and_takeoff(alt_m=8.0)
        # a zero-filled COMMAND_LONG (lat/lon 0, 0) means "here", not 0°N 0°E
        assert gcs.command(mavlink.MAV_CMD_NAV_LAND) == 0
        assert gcs.command(mavlink.MAV_CMD_NAV_LAND, NAN, NAN, NAN, NAN, NAN, NAN, NAN) == 0
        gcs.wait("EXTENDED_SYS_STATE",
                 lambda m: m.landed_state == mavlink.MAV_LANDED_STATE_LANDING, timeout_s=5)
        gcs.wait("HEARTBEAT", lambda m: not m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED,
                 timeout_s=60)
        down = gcs.position()
        assert abs(down.relative_alt) < 200
        assert distance_m(down.lat / 1e7, down.lon / 1e7, above.lat / 1e7, above.lon / 1e7) < 1.5


def test_disarm_in_flight_is_refused_unless_forced(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(alt_m=10.0)
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0) == mavlink.MAV_RESULT_DENIED
        gcs.wait("STATUSTEXT", lambda m: "not landed" in m.text, timeout_s=3)
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0, 21196) == 0
        gcs.wait("EXTENDED_SYS_STATE",
                 lambda m: m.landed_state == mavlink.MAV_LANDED_STATE_ON_GROUND, timeout_s=30)


def test_parameters_list_get_and_set_persist(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.mav.param_request_list_send(gcs.sysid, 1)
        first = gcs.wait("PARAM_VALUE")
        values = {first.param_id: first}
        while len(values) < first.param_count:
            m = gcs.wait("PARAM_VALUE")
            values[m.param_id] = m
        for name in ("MIS_TAKEOFF_ALT", "MPC_XY_CRUISE", "MPC_Z_VEL_MAX_UP", "RTL_RETURN_ALT",
                     "COM_DL_LOSS_T", "NAV_DLL_ACT", "BAT_LOW_THR", "BAT_CRIT_THR",
                     "COM_LOW_BAT_ACT", "GF_ACTION", "GF_MAX_HOR_DIST", "GF_MAX_VER_DIST",
                     "SIM_BAT_DRAIN"):
            assert name in values
        assert sorted(m.param_index for m in values.values()) == list(range(first.param_count))
        # PX4 sends INT32 parameters bytewise: the int's bytes in the float field
        dll = values["NAV_DLL_ACT"]
        assert dll.param_type == mavlink.MAV_PARAM_TYPE_INT32
        assert _int_of(dll.param_value) == 2

        echo = gcs.set_param("MPC_XY_CRUISE", 8.5)
        assert echo.param_value == pytest.approx(8.5)
        echo = gcs.set_param("GF_ACTION", _bytewise(3), mavlink.MAV_PARAM_TYPE_INT32)
        assert echo.param_type == mavlink.MAV_PARAM_TYPE_INT32 and _int_of(echo.param_value) == 3
        assert gcs.get_param("MPC_XY_CRUISE").param_value == pytest.approx(8.5)
        assert gcs.set_param("MPC_XY_CRUISE", float("nan")).param_value == pytest.approx(8.5)
        assert _int_of(gcs.get_param("GF_ACTION").param_value) == 3
        gcs.mav.param_request_read_send(gcs.sysid, 1, b"", values["RTL_RETURN_ALT"].param_index)
        assert gcs.wait("PARAM_VALUE").param_id == "RTL_RETURN_ALT"


def _bytewise(value: int) -> float:
    import struct

    return struct.unpack("<f", struct.pack("<i", value))[0]


def _int_of(wire: float) -> int:
    import struct

    return struct.unpack("<i", struct.pack("<f", wire))[0]
